"""Gold: usage per customer per minute (the panel), the detailed report and the daily bill."""

from pyspark import pipelines as dp

from lakehouse import notifications
from lakehouse.settings import PipelineSettings, setting

settings = PipelineSettings.from_conf(spark.conf)
silver = settings.layers.silver_table("notifications")
panel_watermark = setting(spark.conf, "lakehouse.notifications.panel_watermark")
tariff = notifications.parse_tariff(setting(spark.conf, "lakehouse.notifications.tariff"))


@dp.table(
    name=settings.layers.gold_table("notifications_per_minute"),
    comment="Notifications per customer and channel per minute, written once the watermark passes",
)
def notifications_per_minute():
    return notifications.notifications_per_minute(spark.readStream.table(silver), panel_watermark)


@dp.materialized_view(name=settings.layers.gold_table("notifications_detail"), comment="Detailed report")
def notifications_detail():
    return notifications.notifications_detail(spark.read.table(silver))


@dp.materialized_view(
    name=settings.layers.gold_table("notifications_daily_billing"), comment="Daily bill per customer and channel"
)
def notifications_daily_billing():
    return notifications.daily_billing(spark.read.table(silver), tariff)
