"""Quarantine: order events silver refused - a failed rule, or other content under a kept event_id."""

from pyspark import pipelines as dp

from lakehouse.duplicates import CONFLICT_CHECK_CONF
from lakehouse.orders import quarantine as rejected
from lakehouse.orders import silver as orders
from lakehouse.orders.settings import OrdersSettings

settings = OrdersSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("orders_raw")
order_lines = settings.layers.silver_table("order_lines")
quarantine = settings.layers.silver_table("order_lines_quarantine")


@dp.table(
    name=quarantine,
    comment="Order events rejected: raw payload, failed rule names, source metadata",
    spark_conf=CONFLICT_CHECK_CONF,
)
def order_lines_quarantine():
    parsed = orders.parse_order_events(spark.readStream.table(bronze))
    return rejected.to_order_line_quarantine(parsed, spark.read.table(order_lines))
