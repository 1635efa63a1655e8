"""Gold: retroactive 3- and 6-month invoice averages relative to a configured reference date."""

from pyspark import pipelines as dp

from lakehouse.invoices import gold
from lakehouse.invoices.settings import InvoicesSettings

settings = InvoicesSettings.from_conf(spark.conf)


@dp.materialized_view(
    name=settings.layers.gold_table("invoice_averages"),
    comment="Average invoice over the 3 and 6 months before the reference date (NULL when a month is missing)",
)
def invoice_averages():
    return gold.invoice_averages(spark.read.table(settings.layers.silver_table("invoices")), settings.reference_date)
