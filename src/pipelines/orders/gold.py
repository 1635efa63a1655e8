"""Gold: sales metrics for BI and the real-time per-minute panel."""

from pyspark import pipelines as dp

from lakehouse.orders import gold
from lakehouse.orders.settings import OrdersSettings

settings = OrdersSettings.from_conf(spark.conf)
order_lines = settings.layers.silver_table("order_lines")


@dp.materialized_view(name=settings.layers.gold_table("orders_daily_sales"), comment="Daily sales per country")
def orders_daily_sales():
    return gold.aggregate_daily_sales(spark.read.table(order_lines))


@dp.table(
    name=settings.layers.gold_table("orders_sales_per_minute"),
    comment="One-minute sales windows on event time, emitted once the watermark passes",
)
def orders_sales_per_minute():
    return gold.aggregate_sales_per_minute(spark.readStream.table(order_lines), settings.panel_watermark)


@dp.materialized_view(name=settings.layers.gold_table("orders_product_sales"), comment="Sales per product")
def orders_product_sales():
    return gold.aggregate_product_sales(spark.read.table(order_lines))


@dp.materialized_view(
    name=settings.layers.gold_table("orders_customer_summary"), comment="Orders and revenue per customer"
)
def orders_customer_summary():
    return gold.summarise_customers(spark.read.table(order_lines))
