"""Order-line events -> typed, de-duplicated silver lines, with the rules that guard them.

Every field is parsed as a string first and cast with ``try_cast``: a malformed value becomes NULL
and fails a named rule, so a bad event lands in quarantine with a reason instead of failing the
stream.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.columns import SOURCE_COLUMNS
from lakehouse.quarantine import to_quarantine

# The shop's export fields verbatim, plus the envelope. Strings on purpose: see the module docstring.
EVENT_SCHEMA = (
    "event_id string, event_time string, TransactionNo string, Date string, ProductNo string, "
    "ProductName string, Price string, Quantity string, CustomerNo string, Country string"
)

SHOP_DATE_FORMAT = "M/d/yyyy"

# Rules evaluated on silver columns: the same dict drives Databricks expectations, the local filter
# and the quarantine reasons.
ORDER_LINE_RULES: dict[str, str] = {
    "event_id_present": "event_id IS NOT NULL",
    "event_time_parsable": "event_time IS NOT NULL",
    "transaction_no_format": "transaction_no RLIKE '^C?[0-9]{6}$'",
    "order_date_parsable": "order_date IS NOT NULL",
    "product_no_present": "product_no IS NOT NULL",
    "unit_price_positive": "unit_price > 0",
    "quantity_not_zero": "quantity <> 0",
    "cancellation_matches_sign": "is_cancellation = (quantity < 0)",
}

# Kept, but counted: a guest checkout has no customer number.
ORDER_LINE_WARNINGS: dict[str, str] = {"customer_present": "customer_no IS NOT NULL"}

# Only the quarantine can see the raw payload, so this rule names the cause of a broken record.
PAYLOAD_RULES: dict[str, str] = {"payload_is_json_object": "payload_is_json_object"}

ORDER_LINE_COLUMNS = (
    "event_id",
    "event_time",
    "transaction_no",
    "is_cancellation",
    "order_date",
    "product_no",
    "product_name",
    "unit_price",
    "quantity",
    "line_amount",
    "customer_no",
    "country",
)


def parse_shop_date(col: Column) -> Column:
    """``12/9/2019`` -> 2019-12-09; NULL for anything else (``13/45/2019`` included)."""
    return F.try_to_timestamp(col, F.lit(SHOP_DATE_FORMAT)).cast("date")


def parse_event_time(col: Column) -> Column:
    """ISO-8601 (``2019-12-09T10:15:00.123Z`` or with an offset) -> UTC timestamp, NULL if malformed."""
    return F.try_to_timestamp(col)


def parse_order_events(bronze: DataFrame) -> DataFrame:
    """Every bronze record with typed silver columns (NULL where unparsable) and its source metadata."""
    event = F.from_json(F.col("raw_payload"), EVENT_SCHEMA)
    unit_price = F.expr("try_cast(event.Price AS decimal(12,2))")
    quantity = F.expr("try_cast(event.Quantity AS int)")
    transaction_no = F.trim(F.col("event.TransactionNo"))
    return bronze.select(
        *[F.col(c) for c in SOURCE_COLUMNS],
        F.expr("try_parse_json(raw_payload) IS NOT NULL AND startswith(ltrim(raw_payload), '{')").alias(
            "payload_is_json_object"
        ),
        event.alias("event"),
    ).select(
        *[F.col(c) for c in SOURCE_COLUMNS],
        F.col("payload_is_json_object"),
        F.col("event.event_id").alias("event_id"),
        parse_event_time(F.col("event.event_time")).alias("event_time"),
        transaction_no.alias("transaction_no"),
        transaction_no.startswith("C").alias("is_cancellation"),
        parse_shop_date(F.col("event.Date")).alias("order_date"),
        F.trim(F.col("event.ProductNo")).alias("product_no"),
        F.col("event.ProductName").alias("product_name"),
        unit_price.alias("unit_price"),
        quantity.alias("quantity"),
        (unit_price * quantity).cast("decimal(18,2)").alias("line_amount"),
        F.nullif(F.trim(F.col("event.CustomerNo")), F.lit("")).alias("customer_no"),
        F.col("event.Country").alias("country"),
    )


def to_order_lines(parsed: DataFrame, watermark: str) -> DataFrame:
    """Silver order lines: transport duplicates (same ``event_id``) removed within the watermark.

    Two different events with identical content are two lines: only ``event_id`` identifies a
    duplicate. Must run on a stream (``dropDuplicatesWithinWatermark`` is a streaming operator).
    """
    lines = parsed.select(*[F.col(c) for c in ORDER_LINE_COLUMNS])
    return lines.withWatermark("event_time", watermark).dropDuplicatesWithinWatermark(["event_id"])


def quarantine_rules() -> dict[str, str]:
    return {**PAYLOAD_RULES, **ORDER_LINE_RULES}


def to_order_line_quarantine(parsed: DataFrame) -> DataFrame:
    """Rejected records: the raw payload, the names of the failed rules, the event id and the source."""
    return to_quarantine(parsed, quarantine_rules(), identifiers=("event_id",))
