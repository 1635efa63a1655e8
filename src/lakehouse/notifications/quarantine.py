"""The notifications quarantine: why each rejected event was refused, and conflicting duplicates.

Records whose payload cannot be read or that fail a rule (:func:`quarantine_rules`), and valid
events whose ``message_id`` silver already holds with other content (:func:`to_conflicting_duplicates`,
:mod:`lakehouse.duplicates`), go to one table.
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from lakehouse import payload
from lakehouse.duplicates import conflicting_duplicates
from lakehouse.notifications.silver import NOTIFICATION_COLUMNS
from lakehouse.quality import keep_valid


def quarantine_rules(rules: dict[str, str]) -> dict[str, str]:
    """What a quarantined notification lists: why its payload could not be read, or which of
    ``rules`` (:func:`notification_rules`) its fields failed."""
    return payload.quarantine_rules(rules)


def to_conflicting_duplicates(parsed: DataFrame, notifications: DataFrame, rules: dict[str, str]) -> DataFrame:
    """Valid events whose ``message_id`` silver holds with other content (:mod:`lakehouse.duplicates`),
    in the quarantine's shape. ``notifications`` is the silver table (read as a table, not a stream)."""
    valid = keep_valid(parsed, rules)
    return conflicting_duplicates(valid, notifications, "message_id", NOTIFICATION_COLUMNS)
