"""Silver: typed monthly invoices; lines failing a rule go to quarantine with their reasons."""

from pyspark import pipelines as dp

from lakehouse import billing, compat
from lakehouse.quality import keep_valid
from lakehouse.quarantine import to_quarantine
from lakehouse.settings import PipelineSettings

settings = PipelineSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("invoices_raw")


@dp.table(name=settings.layers.silver_table("invoices"), comment="Monthly invoices per customer account")
@compat.expectations(drop=billing.INVOICE_ROW_RULES)
def invoices():
    parsed = billing.parse_invoices(spark.readStream.table(bronze))
    return billing.to_invoices(keep_valid(parsed, billing.STRUCTURE_RULES))


@dp.table(name=settings.layers.silver_table("invoices_quarantine"), comment="Rejected invoice lines")
def invoices_quarantine():
    return to_quarantine(billing.parse_invoices(spark.readStream.table(bronze)), billing.INVOICE_RULES)
