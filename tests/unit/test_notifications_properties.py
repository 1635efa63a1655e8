"""Property: whatever bronze holds, the notifications silver query runs and routes every event once.

Silver is what the pipeline keeps with the notification rules, the quarantine what ``to_quarantine``
writes with the same rules; every output column is evaluated (``to_json``), so a raising expression
cannot hide behind column pruning.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.notifications import quarantine as notifications_quarantine
from lakehouse.notifications import silver as notifications
from lakehouse.quality import keep_valid
from lakehouse.quarantine import to_quarantine
from tests.unit.bronze import bronze_frame
from tests.unit.payloads import batches, payloads, property_settings

PLAUSIBLE = {
    "customer_id": st.from_regex(r"\AC[0-9]{4}\Z"),
    "message_id": st.uuids().map(str),
    "channel": st.sampled_from(["Whatsapp", " sms ", "EMAIL", "pigeon"]),
    "event_datetime": st.sampled_from(
        [
            "2020-02-03T14:00:01.001+00:00",
            "2020-02-03T14:00:01Z",
            "2020-02-03T14:00:01",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "+99999-01-01T00:00:00Z",
        ]
    ),
}


def routed(parsed: DataFrame) -> DataFrame:
    rules = notifications.NOTIFICATION_RULES
    silver = keep_valid(parsed, rules).select(
        F.col("offset"),
        F.lit("silver").alias("where"),
        F.to_json(F.struct(*notifications.NOTIFICATION_COLUMNS)).alias("row"),
    )
    quarantine = to_quarantine(parsed, notifications_quarantine.quarantine_rules(rules)).select(
        F.col("offset"), F.lit("quarantine").alias("where"), F.to_json(F.struct("*")).alias("row")
    )
    return silver.unionByName(quarantine)


@property_settings
@given(batch=batches(payloads(notifications.NOTIFICATION_COLUMNS, PLAUSIBLE)))
def test_every_notification_ends_in_exactly_one_of_silver_or_quarantine(spark, batch):
    rows = routed(notifications.parse_notifications(bronze_frame(spark, batch))).collect()
    places = Counter(row.offset for row in rows)
    assert places == Counter(range(len(batch))), [(batch[o], n) for o, n in places.items() if n != 1]
    assert all('"failed_rules":[]' not in row.row for row in rows if row.where == "quarantine")
