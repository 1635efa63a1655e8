"""Gold: retroactive 3- and 6-month invoice averages relative to a configured reference date."""

from datetime import date

from pyspark import pipelines as dp

from lakehouse import billing
from lakehouse.settings import PipelineSettings, setting

settings = PipelineSettings.from_conf(spark.conf)
reference_date = date.fromisoformat(setting(spark.conf, "lakehouse.billing.reference_date"))


@dp.materialized_view(
    name=settings.layers.gold_table("invoice_averages"),
    comment="Average invoice over the 3 and 6 months before the reference date (NULL when a month is missing)",
)
def invoice_averages():
    return billing.invoice_averages(spark.read.table(settings.layers.silver_table("invoices")), reference_date)
