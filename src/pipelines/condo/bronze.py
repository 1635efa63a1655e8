"""Bronze: every landed export file of the four CondoManage tables, whole and exactly as received."""

from pyspark import pipelines as dp

from lakehouse.condo.exports import EXPORTS
from lakehouse.condo.settings import CondoSettings
from lakehouse.sources import read_bronze, register_file_readers

settings = CondoSettings.from_conf(spark.conf)
register_file_readers(spark, settings.source)


def declare(table: str) -> None:
    @dp.table(
        name=settings.layers.bronze_table(f"condo_{table}_files"),
        comment=f"Every landed {table} export (one row per file, its whole text) with file path and time",
    )
    def export_files():
        return read_bronze(spark, settings.source, f"condo/{table}", records=None)


for export in EXPORTS:
    declare(export.table)
