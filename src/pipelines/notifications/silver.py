"""Silver: typed notifications, transport duplicates removed; rejected events quarantined."""

from pyspark import pipelines as dp

from lakehouse import compat, notifications
from lakehouse.quality import keep_valid
from lakehouse.quarantine import to_quarantine
from lakehouse.settings import PipelineSettings, setting

settings = PipelineSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("notifications_raw")
rules = notifications.notification_rules(setting(spark.conf, "lakehouse.notifications.channels").split(","))
dedup_watermark = setting(spark.conf, "lakehouse.notifications.dedup_watermark")


@dp.table(name=settings.layers.silver_table("notifications"), comment="Typed notifications, one per message_id")
@compat.expectations(drop=rules)
def notifications_silver():
    parsed = notifications.parse_notifications(spark.readStream.table(bronze))
    return notifications.to_notifications(keep_valid(parsed, rules), dedup_watermark)


@dp.table(name=settings.layers.silver_table("notifications_quarantine"), comment="Rejected notification events")
def notifications_quarantine():
    return to_quarantine(notifications.parse_notifications(spark.readStream.table(bronze)), rules)
