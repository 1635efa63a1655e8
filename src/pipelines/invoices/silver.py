"""Silver: typed monthly invoices; lines failing a rule go to quarantine with their reasons."""

from pyspark import pipelines as dp

from lakehouse import compat
from lakehouse.invoices import silver
from lakehouse.invoices.settings import InvoicesSettings
from lakehouse.quality import keep_valid
from lakehouse.quarantine import to_quarantine

settings = InvoicesSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("invoices_raw")


@dp.table(name=settings.layers.silver_table("invoices"), comment="Monthly invoices per customer account")
@compat.expectations(drop=silver.INVOICE_ROW_RULES)
def invoices():
    parsed = silver.parse_invoices(spark.readStream.table(bronze))
    return silver.to_invoices(keep_valid(parsed, silver.STRUCTURE_RULES))


@dp.table(name=settings.layers.silver_table("invoices_quarantine"), comment="Rejected invoice lines")
def invoices_quarantine():
    return to_quarantine(silver.parse_invoices(spark.readStream.table(bronze)), silver.quarantine_rules())
