"""Notification events -> typed silver notifications, with the rules that guard them.

A notification event is one JSON object per record::

    {"customer_id": "C1000", "message_id": "9f0c...", "customer_name": "Maria", "channel": "Whatsapp",
     "payload": "Your order left the warehouse", "event_datetime": "2020-02-03T14:00:01.001+00:00"}

``event_datetime`` must carry an offset (``Z``, ``+00:00``, ``-03:00``): a local time without one is
ambiguous, so it counts as unparsable and the record is quarantined. Parsed times are instants
(``timestamp``), compared and windowed in UTC whatever the session time zone.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse import payload
from lakehouse.columns import SOURCE_COLUMNS
from lakehouse.errors import SettingsError
from lakehouse.instants import parse_iso_instant
from lakehouse.notifications.tariff import CHANNEL_NAME

EVENT_SCHEMA = (
    "customer_id string, message_id string, customer_name string, channel string, payload string, event_datetime string"
)


NOTIFICATION_COLUMNS = (
    "customer_id",
    "message_id",
    "customer_name",
    "channel",
    "payload",
    "event_datetime",
)


DEFAULT_CHANNELS = ("whatsapp", "sms", "email")


def normalise_channel(col: Column) -> Column:
    """``' Whatsapp '`` -> ``'whatsapp'``: channels are compared lower-cased and trimmed."""
    return F.lower(F.trim(col))


def parse_notifications(bronze: DataFrame) -> DataFrame:
    """Every bronze record with typed notification columns (NULL where unparsable) and its metadata,
    and whether its payload could be read at all (:mod:`lakehouse.payload`)."""
    return bronze.select(
        payload.parse_json_object(F.col("raw_payload"), EVENT_SCHEMA).alias("event"),
        *[F.col(c) for c in SOURCE_COLUMNS],
    ).select(
        F.col("event.customer_id").alias("customer_id"),
        F.col("event.message_id").alias("message_id"),
        F.col("event.customer_name").alias("customer_name"),
        normalise_channel(F.col("event.channel")).alias("channel"),
        F.col("event.payload").alias("payload"),
        parse_iso_instant(F.col("event.event_datetime")).alias("event_datetime"),
        *[F.col(c) for c in SOURCE_COLUMNS],
        *payload.payload_columns(F.col("raw_payload"), F.col("event")),
    )


def notification_rules(known_channels: Iterable[str] = DEFAULT_CHANNELS) -> dict[str, str]:
    """The rules a parsed notification must pass; ``known_channels`` are the billable channels."""
    channels = sorted({channel.strip().lower() for channel in known_channels})
    if not channels:
        raise SettingsError("at least one known channel is required")
    invalid = [channel for channel in channels if not CHANNEL_NAME.match(channel)]
    if invalid:
        raise SettingsError(f"channel names may hold only a-z, 0-9, '_' and '-': {invalid}")
    listed = ", ".join(f"'{channel}'" for channel in channels)
    return {
        "message_id_present": "message_id IS NOT NULL AND trim(message_id) <> ''",
        "customer_id_present": "customer_id IS NOT NULL AND trim(customer_id) <> ''",
        "event_datetime_parsable": "event_datetime IS NOT NULL",
        "known_channel": f"channel IN ({listed})",
    }


NOTIFICATION_RULES: dict[str, str] = notification_rules()


def to_notifications(valid: DataFrame, watermark: str) -> DataFrame:
    """Silver notifications: transport duplicates (same ``message_id``) removed within ``watermark`` of arrival.

    The watermark is on arrival (bronze ``ingested_at``), never on ``event_datetime``: on event time a
    notification arriving more than the window behind the newest one would be dropped without a
    trace (see :func:`lakehouse.orders.silver.to_order_lines`, also for how long an id is remembered);
    another content under a kept ``message_id`` is quarantined by
    :func:`lakehouse.notifications.quarantine.to_notifications_quarantine`. Must run on a stream.
    """
    notifications = valid.select(*[F.col(c) for c in (*NOTIFICATION_COLUMNS, "ingested_at")])
    unique = notifications.withWatermark("ingested_at", watermark).dropDuplicatesWithinWatermark(["message_id"])
    return unique.select(*[F.col(c) for c in NOTIFICATION_COLUMNS])
