"""Bronze: every landed page of the Disney API as received (one row per page file), with its metadata."""

from pyspark import pipelines as dp

from lakehouse.characters.settings import CharactersSettings
from lakehouse.sources import read_bronze, register_file_readers

settings = CharactersSettings.from_conf(spark.conf)
register_file_readers(spark, settings.source)


@dp.table(
    name=settings.layers.bronze_table("characters_raw"),
    comment="Disney API pages exactly as landed by the fetch task (body + page, fetched_at, run_id)",
)
def characters_raw():
    return read_bronze(spark, settings.source, "characters", records=None)
