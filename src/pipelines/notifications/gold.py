"""Gold: usage per customer per minute (the panel), the detailed report and the daily bill."""

from pyspark import pipelines as dp

from lakehouse.notifications import gold
from lakehouse.notifications.settings import NotificationsSettings

settings = NotificationsSettings.from_conf(spark.conf)
silver = settings.layers.silver_table("notifications")


@dp.table(
    name=settings.layers.gold_table("notifications_per_minute"),
    comment="Notifications per customer and channel per minute, written once the watermark passes",
)
def notifications_per_minute():
    return gold.notifications_per_minute(spark.readStream.table(silver), settings.panel_watermark)


# One row per silver row, and silver only appends: a streaming table writes each row once, where a
# materialized view would copy all of silver again on every update.
@dp.table(name=settings.layers.gold_table("notifications_detail"), comment="Detailed report")
def notifications_detail():
    return gold.notifications_detail(spark.readStream.table(silver))


@dp.materialized_view(
    name=settings.layers.gold_table("notifications_daily_billing"), comment="Daily bill per customer and channel"
)
def notifications_daily_billing():
    return gold.daily_billing(spark.read.table(silver), settings.tariff)
