"""Bronze: every users change message as received (tombstones included), with where it came from."""

from pyspark import pipelines as dp

from lakehouse.sources import read_bronze, register_file_readers
from lakehouse.users.settings import UsersSettings

settings = UsersSettings.from_conf(spark.conf)
register_file_readers(spark, settings.source)


@dp.table(
    name=settings.layers.bronze_table("users_changes_raw"),
    comment="Debezium change events of public.usuarios exactly as received; a tombstone has a NULL payload",
)
def users_changes_raw():
    return read_bronze(spark, settings.source, "users")
