"""Bronze: every order event as received, malformed ones included, with where it came from."""

from pyspark import pipelines as dp

from lakehouse.orders.settings import OrdersSettings
from lakehouse.sources import read_bronze, register_file_readers

settings = OrdersSettings.from_conf(spark.conf)
register_file_readers(spark, settings.source)


@dp.table(
    name=settings.layers.bronze_table("orders_raw"),
    comment="Order-line events exactly as received (raw payload) with source metadata",
)
def orders_raw():
    return read_bronze(spark, settings.source, "orders")
