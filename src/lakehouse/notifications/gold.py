"""The per-minute panel, the detailed report and the daily bill of the notifications pipeline.

Billing multiplies a day's count by the channel's unit price. A channel without a configured tariff
is still billed as a row, with a NULL ``unit_price`` and ``amount``: it is visible and cannot be
mistaken for a free channel. The product is total (``try_multiply``, ``try_cast``): an amount beyond
``decimal(18,2)`` (a mistyped tariff) is NULL rather than an overflow that stops the stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.columns import MONEY
from lakehouse.notifications.tariff import UNIT_PRICE, checked_tariff

_SECONDS_PER_DAY = 86_400


def utc_date(col: Column) -> Column:
    """The UTC calendar date of a timestamp, independent of ``spark.sql.session.timeZone``."""
    return F.date_from_unix_date(F.floor(F.unix_seconds(col) / F.lit(_SECONDS_PER_DAY)).cast("int"))


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
    for name, value in sorted(checked_tariff(tariff).items()):
        price = F.when(channel == F.lit(name), F.lit(value).cast(UNIT_PRICE)).otherwise(price)
    return price


def daily_billing(silver: DataFrame, tariff: Mapping[str, Decimal]) -> DataFrame:
    """Per customer, channel and UTC day: notifications, unit price and amount to bill.

    ``amount`` is ``notifications * unit_price`` in exact decimal arithmetic, rounded half-up to
    cents. Channels missing from ``tariff`` get NULL ``unit_price`` and ``amount``; so does an amount
    that does not fit ``decimal(18,2)``.
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
    product = F.try_multiply(F.col("notifications").try_cast("decimal(20,0)"), F.col("unit_price"))
    amount = F.round(product, 2).try_cast(MONEY)
    return counted.select(
        F.col("customer_id"),
        F.col("customer_name"),
        F.col("channel"),
        F.col("billing_date"),
        F.col("notifications"),
        F.col("unit_price"),
        amount.alias("amount"),
    )
