"""Silver: typed notifications, transport duplicates removed; rejected events go to quarantine.py."""

from pyspark import pipelines as dp

from lakehouse import compat
from lakehouse.accounting import accounted
from lakehouse.notifications import silver
from lakehouse.notifications.settings import NotificationsSettings
from lakehouse.quality import keep_valid

settings = NotificationsSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("notifications_raw")
rules = silver.notification_rules(settings.channels)
quarantine = settings.layers.silver_table("notifications_quarantine")


@dp.table(name=settings.layers.silver_table("notifications"), comment="Typed notifications, one per message_id")
@accounted(bronze=bronze, quarantine=quarantine, key="$.message_id")
@compat.expectations(drop=rules)
def notifications_silver():
    parsed = silver.parse_notifications(spark.readStream.table(bronze))
    return silver.to_notifications(keep_valid(parsed, rules), settings.dedup_watermark)
