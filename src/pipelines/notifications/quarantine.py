"""Quarantine: notifications silver refused - a failed rule, or other content under a kept message_id."""

from pyspark import pipelines as dp

from lakehouse.notifications import quarantine as rejected
from lakehouse.notifications import silver
from lakehouse.notifications.settings import NotificationsSettings
from lakehouse.quarantine import to_quarantine

settings = NotificationsSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("notifications_raw")
notifications = settings.layers.silver_table("notifications")
quarantine = settings.layers.silver_table("notifications_quarantine")
rules = silver.notification_rules(settings.channels)


@dp.table(name=quarantine, comment="Rejected notification events")
def notifications_quarantine():
    return to_quarantine(silver.parse_notifications(spark.readStream.table(bronze)), rejected.quarantine_rules(rules))


@dp.append_flow(target=quarantine, name="notifications_conflicting_duplicates")
def notifications_conflicting_duplicates():
    parsed = silver.parse_notifications(spark.readStream.table(bronze))
    return rejected.to_conflicting_duplicates(parsed, spark.read.table(notifications), rules)
