"""Bronze: every notification event as received, with source metadata."""

from pyspark import pipelines as dp

from lakehouse.notifications.settings import NotificationsSettings
from lakehouse.sources import read_bronze, register_file_readers

settings = NotificationsSettings.from_conf(spark.conf)
register_file_readers(spark, settings.source)


@dp.table(name=settings.layers.bronze_table("notifications_raw"), comment="Notification events as received")
def notifications_raw():
    return read_bronze(spark, settings.source, "notifications")
