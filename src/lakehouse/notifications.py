"""WhatsApp (and other channel) notifications: usage events -> silver -> per-minute panel and billing.

A notification event is one JSON object per record::

    {"customer_id": "C1000", "message_id": "9f0c...", "customer_name": "Maria", "channel": "Whatsapp",
     "payload": "Your order left the warehouse", "event_datetime": "2020-02-03T14:00:01.001+00:00"}

``event_datetime`` must carry an offset (``Z``, ``+00:00``, ``-03:00``): a local time without one is
ambiguous, so it counts as unparsable and the record is quarantined. Parsed times are instants
(``timestamp``), compared and windowed in UTC whatever the session time zone.

Billing multiplies a day's count by the channel's unit price. A channel without a configured tariff
is still billed as a row, with a NULL ``unit_price`` and ``amount``: it is visible and cannot be
mistaken for a free channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.errors import SettingsError
from lakehouse.instants import parse_iso_instant

EVENT_SCHEMA = (
    "customer_id string, message_id string, customer_name string, channel string, payload string, event_datetime string"
)

# ISO-8601 with a mandatory offset; fractions of a second optional (up to microseconds).

SOURCE_COLUMNS = ("raw_payload", "topic", "partition", "offset", "file_path", "ingested_at")

NOTIFICATION_COLUMNS = (
    "customer_id",
    "message_id",
    "customer_name",
    "channel",
    "payload",
    "event_datetime",
)

DEFAULT_CHANNELS = ("whatsapp", "sms", "email")

UNIT_PRICE = "decimal(18,4)"
MONEY = "decimal(18,2)"

# Only WhatsApp has an agreed price (25,000 messages bill 1,000.00); other channels are priced
# through the pipeline configuration (see :func:`parse_tariff`).
DEFAULT_TARIFF: dict[str, Decimal] = {"whatsapp": Decimal("0.04")}

_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")
_PRICE_QUANTUM = Decimal("0.0001")
_PRICE_LIMIT = Decimal(10) ** 14
_SECONDS_PER_DAY = 86_400


def utc_date(col: Column) -> Column:
    """The UTC calendar date of a timestamp, independent of ``spark.sql.session.timeZone``."""
    return F.date_from_unix_date(F.floor(F.unix_seconds(col) / F.lit(_SECONDS_PER_DAY)).cast("int"))


def normalise_channel(col: Column) -> Column:
    """``' Whatsapp '`` -> ``'whatsapp'``: channels are compared lower-cased and trimmed."""
    return F.lower(F.trim(col))


def parse_notifications(bronze: DataFrame) -> DataFrame:
    """Every bronze record with typed notification columns (NULL where unparsable) and its metadata."""
    return bronze.select(
        F.from_json(F.col("raw_payload"), EVENT_SCHEMA).alias("event"),
        *[F.col(c) for c in SOURCE_COLUMNS],
    ).select(
        F.col("event.customer_id").alias("customer_id"),
        F.col("event.message_id").alias("message_id"),
        F.col("event.customer_name").alias("customer_name"),
        normalise_channel(F.col("event.channel")).alias("channel"),
        F.col("event.payload").alias("payload"),
        parse_iso_instant(F.col("event.event_datetime")).alias("event_datetime"),
        *[F.col(c) for c in SOURCE_COLUMNS],
    )


def notification_rules(known_channels: Iterable[str] = DEFAULT_CHANNELS) -> dict[str, str]:
    """The rules a parsed notification must pass; ``known_channels`` are the billable channels."""
    channels = sorted({channel.strip().lower() for channel in known_channels})
    if not channels:
        raise SettingsError("at least one known channel is required")
    invalid = [channel for channel in channels if not _CHANNEL_NAME.match(channel)]
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
    """Silver notifications: transport duplicates (same ``message_id``) removed within the watermark.

    Must run on a stream (``dropDuplicatesWithinWatermark`` is a streaming operator). A copy arriving
    later than the watermark after the first one is no longer recognised as a duplicate.
    """
    notifications = valid.select(*[F.col(c) for c in NOTIFICATION_COLUMNS])
    return notifications.withWatermark("event_datetime", watermark).dropDuplicatesWithinWatermark(["message_id"])


def _latest_customer_name() -> Column:
    """The name on the customer's latest event in the group (ties: the larger name), deterministic."""
    return F.max(F.struct(F.col("event_datetime"), F.col("customer_name")))["customer_name"]


def notifications_per_minute(silver: DataFrame, watermark: str) -> DataFrame:
    """The real-time panel: notifications per customer and channel in one-minute tumbling windows.

    Windows are ``[start, start + 1 minute)``: 14:00:59.999 counts in 14:00, 14:01:00.000 in 14:01.
    In append mode a window is emitted once the watermark passes its end; later events are dropped.
    The name shown is the one on the customer's latest event in the window. ``silver`` is the silver
    table read as a stream, not the output of :func:`to_notifications` in the same query: Spark
    refuses to define a watermark twice in one query.
    """
    return (
        silver.withWatermark("event_datetime", watermark)
        .groupBy(F.col("customer_id"), F.col("channel"), F.window(F.col("event_datetime"), "1 minute"))
        .agg(
            _latest_customer_name().alias("customer_name"),
            F.count(F.lit(1)).alias("notifications"),
        )
        .select(
            F.col("customer_id"),
            F.col("customer_name"),
            F.col("channel"),
            F.col("window.start").alias("window_start"),
            F.col("window.end").alias("window_end"),
            F.col("notifications"),
        )
    )


def notifications_detail(silver: DataFrame) -> DataFrame:
    """What each customer was sent: one row per notification."""
    return silver.select(
        F.col("customer_id"),
        F.col("customer_name"),
        F.col("message_id"),
        F.col("payload"),
        F.col("event_datetime"),
    )


def unit_price(channel: Column, tariff: Mapping[str, Decimal]) -> Column:
    """The channel's price per notification as ``decimal(18,4)``; NULL for a channel without tariff."""
    price = F.lit(None).cast(UNIT_PRICE)
    for name, value in sorted(_checked_tariff(tariff).items()):
        price = F.when(channel == F.lit(name), F.lit(value).cast(UNIT_PRICE)).otherwise(price)
    return price


def daily_billing(silver: DataFrame, tariff: Mapping[str, Decimal]) -> DataFrame:
    """Per customer, channel and UTC day: notifications, unit price and amount to bill.

    ``amount`` is ``notifications * unit_price`` in exact decimal arithmetic, rounded half-up to
    cents. Channels missing from ``tariff`` get NULL ``unit_price`` and ``amount``.
    """
    counted = (
        silver.withColumn("billing_date", utc_date(F.col("event_datetime")))
        .groupBy(F.col("customer_id"), F.col("channel"), F.col("billing_date"))
        .agg(
            _latest_customer_name().alias("customer_name"),
            F.count(F.lit(1)).alias("notifications"),
        )
        .withColumn("unit_price", unit_price(F.col("channel"), tariff))
    )
    amount = F.round(F.col("notifications").cast("decimal(20,0)") * F.col("unit_price"), 2).cast(MONEY)
    return counted.select(
        F.col("customer_id"),
        F.col("customer_name"),
        F.col("channel"),
        F.col("billing_date"),
        F.col("notifications"),
        F.col("unit_price"),
        amount.alias("amount"),
    )


def parse_tariff(text: str) -> dict[str, Decimal]:
    """``"whatsapp=0.04, sms=0.05"`` -> ``{"whatsapp": Decimal("0.04"), "sms": Decimal("0.05")}``."""
    tariff: dict[str, Decimal] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        channel, separator, price = (piece.strip() for piece in entry.partition("="))
        if not separator or not channel or not price:
            raise SettingsError(f"tariff entries look like 'channel=price', got {entry!r}")
        channel = channel.lower()
        if channel in tariff:
            raise SettingsError(f"channel {channel!r} is priced twice in tariff {text!r}")
        try:
            tariff[channel] = Decimal(price)
        except InvalidOperation:
            raise SettingsError(f"price of {channel!r} is not a decimal number: {price!r}") from None
    return _checked_tariff(tariff)


def _checked_tariff(tariff: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Lower-cased channel names and prices that fit ``decimal(18,4)`` exactly; ValueError otherwise."""
    checked: dict[str, Decimal] = {}
    for channel, price in tariff.items():
        name = channel.strip().lower()
        if not _CHANNEL_NAME.match(name):
            raise SettingsError(f"channel names may hold only a-z, 0-9, '_' and '-': {channel!r}")
        value = Decimal(price)
        if not value.is_finite() or value < 0:
            raise SettingsError(f"price of {name!r} must be a non-negative number, got {price!r}")
        if value >= _PRICE_LIMIT or value.quantize(_PRICE_QUANTUM) != value:
            raise SettingsError(f"price of {name!r} must fit decimal(18,4), got {price!r}")
        checked[name] = value
    return checked
