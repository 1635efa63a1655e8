"""Bronze: every record of the invoice CSV exports as received, headers included."""

from pyspark import pipelines as dp

from lakehouse.file_records import csv_records
from lakehouse.invoices.settings import InvoicesSettings
from lakehouse.sources import read_bronze, register_file_readers

settings = InvoicesSettings.from_conf(spark.conf)
register_file_readers(spark, settings.source)


@dp.table(name=settings.layers.bronze_table("invoices_raw"), comment="Invoice CSV records as received")
def invoices_raw():
    return read_bronze(spark, settings.source, "invoices", records=csv_records)
