"""Gold: characters with a keyed hash instead of their name, and characters per film."""

from pyspark import pipelines as dp

from lakehouse import compat, masking
from lakehouse.characters import gold
from lakehouse.characters.settings import HASH_KEY_ENV_VAR, CharactersSettings

settings = CharactersSettings.from_conf(spark.conf)
latest = settings.layers.silver_table("characters")
hash_key = masking.hash_key(compat.secret(settings.secret_scope, settings.hash_key_secret, env_var=HASH_KEY_ENV_VAR))


@dp.materialized_view(
    name=settings.layers.gold_table("characters"),
    comment="One row per character: masked name (HMAC-SHA256), appearances, first film, counts",
)
def characters_masked():
    return gold.mask_characters(spark.read.table(latest), hash_key)


@dp.materialized_view(name=settings.layers.gold_table("characters_per_film"), comment="Characters per film title")
def characters_per_film():
    return gold.characters_per_film(spark.read.table(latest))
