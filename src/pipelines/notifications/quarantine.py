"""Quarantine: notifications silver refused - a failed rule, or other content under a kept message_id."""

from pyspark import pipelines as dp

from lakehouse.duplicates import CONFLICT_CHECK_CONF
from lakehouse.notifications import quarantine as rejected
from lakehouse.notifications import silver
from lakehouse.notifications.settings import NotificationsSettings

settings = NotificationsSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("notifications_raw")
notifications = settings.layers.silver_table("notifications")
quarantine = settings.layers.silver_table("notifications_quarantine")
rules = silver.notification_rules(settings.channels)


@dp.table(name=quarantine, comment="Rejected notification events", spark_conf=CONFLICT_CHECK_CONF)
def notifications_quarantine():
    parsed = silver.parse_notifications(spark.readStream.table(bronze))
    return rejected.to_notifications_quarantine(parsed, spark.read.table(notifications), rules)
