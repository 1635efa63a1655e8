"""The notifications quarantine: why each rejected event was refused, conflicting duplicates included.

Records whose payload cannot be read or that fail a rule (:func:`quarantine_rules`), and valid
events whose ``message_id`` silver already holds with other content (:mod:`lakehouse.duplicates`),
go to one table, judged in one pass over bronze (:func:`to_notifications_quarantine`).
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from lakehouse import payload
from lakehouse.duplicates import quarantine_with_conflicts
from lakehouse.notifications.silver import NOTIFICATION_COLUMNS


def quarantine_rules(rules: dict[str, str]) -> dict[str, str]:
    """What a quarantined notification lists: why its payload could not be read, or which of
    ``rules`` (:func:`notification_rules`) its fields failed."""
    return payload.quarantine_rules(rules)


def to_notifications_quarantine(parsed: DataFrame, notifications: DataFrame, rules: dict[str, str]) -> DataFrame:
    """Every event silver refused: the rules it failed, or ``conflicting_duplicate`` when silver holds
    its ``message_id`` with other content. ``notifications`` is the silver table (read as a table,
    not a stream)."""
    return quarantine_with_conflicts(parsed, quarantine_rules(rules), notifications, "message_id", NOTIFICATION_COLUMNS)
