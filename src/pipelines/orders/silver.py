"""Silver: typed, de-duplicated order lines; rejected records go to quarantine (quarantine.py)."""

from pyspark import pipelines as dp

from lakehouse import compat
from lakehouse.accounting import accounted
from lakehouse.orders import silver as orders
from lakehouse.orders.settings import OrdersSettings
from lakehouse.quality import keep_valid

settings = OrdersSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("orders_raw")
quarantine = settings.layers.silver_table("order_lines_quarantine")


@dp.table(name=settings.layers.silver_table("order_lines"), comment="Typed, de-duplicated order lines")
@accounted(bronze=bronze, quarantine=quarantine, key="$.event_id")
@compat.expectations(drop=orders.ORDER_LINE_RULES, warn=orders.ORDER_LINE_WARNINGS)
def order_lines():
    parsed = orders.parse_order_events(spark.readStream.table(bronze))
    return orders.to_order_lines(keep_valid(parsed, orders.ORDER_LINE_RULES), settings.dedup_watermark)
