"""Silver: every valid character version, the latest version per character, and the quarantine."""

from pyspark import pipelines as dp

from lakehouse import compat
from lakehouse.characters import silver as characters
from lakehouse.characters.settings import CharactersSettings
from lakehouse.quality import keep_valid

settings = CharactersSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("characters_raw")
versions = settings.layers.silver_table("character_versions")


@dp.table(name=versions, comment="Every valid version of every character, one row per landed sighting")
@compat.expectations(drop=characters.CHARACTER_RULES)
def character_versions():
    parsed = characters.parse_character_pages(spark.readStream.table(bronze))
    return characters.to_character_versions(keep_valid(parsed, characters.all_rules()))


@dp.table(
    name=settings.layers.silver_table("characters_quarantine"),
    comment="Characters rejected by a rule: their JSON text, failed rule names, source metadata",
)
def characters_quarantine():
    return characters.to_character_quarantine(characters.parse_character_pages(spark.readStream.table(bronze)))


@dp.materialized_view(
    name=settings.layers.silver_table("characters"),
    comment="One row per character: the latest version by updatedAt, then by fetch time",
)
def characters_latest():
    return characters.latest_characters(spark.read.table(versions))
