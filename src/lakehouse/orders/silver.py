"""Order-line events -> typed, de-duplicated silver lines, with the rules that guard them.

Every field is parsed as a string first and typed with total functions (``try_cast``,
``try_multiply``, :mod:`lakehouse.numbers`): a malformed or extreme value becomes NULL and fails a
named rule, so a bad event lands in quarantine with a reason instead of failing the stream. Under
ANSI mode a single plain cast that overflows (``99999999.99 x 999999999`` into ``decimal(18,2)``)
would fail every retry on the same record and stop the pipeline.

Two rule sets, because Databricks evaluates expectations on the silver table's own columns:

- :data:`ORDER_LINE_RULES` reads only silver columns; it drives the silver table (expectations on
  Databricks, a filter locally). A value that could not be typed is NULL there and fails it.
- :func:`lakehouse.orders.quarantine.quarantine_rules` also sees the raw texts, so a rejected
  record names the real cause (``"8,95"`` is ``price_not_a_number``, ``8.955`` is
  ``price_has_at_most_two_decimals``, ``1.5`` units is ``quantity_not_integer``) and not the
  consequences of that NULL (``unit_price_positive``).

Both accept exactly the same records (checked by tests/unit/test_orders_properties.py): every
bronze record ends in silver or in quarantine, never both, never neither.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse import payload
from lakehouse.columns import MONEY, SOURCE_COLUMNS
from lakehouse.instants import representable
from lakehouse.numbers import decimal_places, exact_decimal, is_number, number_text

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
    # NULL when price x quantity does not fit decimal(18,2) (or either is unusable, see VALUE_RULES).
    "line_amount_in_range": "line_amount IS NOT NULL",
}

UNIT_PRICE = "decimal(12,2)"
_UNIT_PRICE_LIMIT = "10000000000"  # exclusive bound of decimal(12,2)

# Why a price or a quantity could not be typed, read from the raw texts (quarantine only). Each rule
# passes when an earlier one already explains the problem, so one bad value gives one reason.
VALUE_RULES: dict[str, str] = {
    "price_present": "price_text IS NOT NULL",
    "price_not_a_number": "price_text IS NULL OR price_is_number",
    "price_has_at_most_two_decimals": "price_is_number IS NOT TRUE OR price_places <= 2",
    "price_in_range": (
        f"price_is_number IS NOT TRUE OR price_places IS NULL OR price_places > 2 "
        f"OR abs(price_value) < {_UNIT_PRICE_LIMIT}"
    ),
    "quantity_present": "quantity_text IS NOT NULL",
    "quantity_not_a_number": "quantity_text IS NULL OR quantity_is_number",
    "quantity_not_integer": "quantity_is_number IS NOT TRUE OR quantity_places = 0",
    "quantity_in_range": (
        "quantity_is_number IS NOT TRUE OR quantity_places IS NULL OR quantity_places <> 0 "
        "OR quantity_value BETWEEN -2147483648 AND 2147483647"
    ),
}

# The quarantine's form of the silver rules whose failure a NULL value would otherwise explain
# twice. ``line_amount_in_range`` is judged on the exact values, so an overflowing line says so even
# when its quantity is also beyond an int.
REASON_FORMS: dict[str, str] = {
    "unit_price_positive": "unit_price IS NULL OR unit_price > 0",
    "quantity_not_zero": "quantity IS NULL OR quantity <> 0",
    "cancellation_matches_sign": "transaction_no IS NULL OR quantity IS NULL OR is_cancellation = (quantity < 0)",
    "line_amount_in_range": "price_value IS NULL OR quantity_value IS NULL OR line_amount_value IS NOT NULL",
}

# Kept, but counted: a guest checkout has no customer number.
ORDER_LINE_WARNINGS: dict[str, str] = {"customer_present": "customer_no IS NOT NULL"}

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
    """ISO-8601 (``2019-12-09T10:15:00.123Z`` or with an offset) -> UTC timestamp, NULL if malformed.

    NULL too outside the years 0001-9999 UTC: Spark would also read ``+99999-01-01T00:00:00Z``, a
    timestamp Python, JDBC drivers and BI tools cannot represent (:func:`lakehouse.instants.representable`).
    """
    return representable(F.try_to_timestamp(col))


def parse_order_events(bronze: DataFrame) -> DataFrame:
    """Every bronze record with typed silver columns (NULL where unparsable) and its source metadata.

    Besides the silver columns it keeps what the quarantine rules read: whether the payload is a
    JSON object, the raw price and quantity texts and their exact values (``decimal(38,2)`` and
    ``decimal(38,0)``), and the exact line amount where it fits ``decimal(18,2)``. A payload that is
    not a JSON object is not read at all, so every silver column is NULL for it.
    """
    event = payload.parse_json_object(F.col("raw_payload"), EVENT_SCHEMA)
    checked = bronze.select(*[F.col(c) for c in SOURCE_COLUMNS], event.alias("event"))
    texts = checked.select(
        "*",
        *payload.payload_columns(F.col("raw_payload"), F.col("event")),
        number_text(F.col("event.Price")).alias("price_text"),
        number_text(F.col("event.Quantity")).alias("quantity_text"),
    )
    values = texts.select(
        "*",
        is_number(F.col("price_text")).alias("price_is_number"),
        decimal_places(F.col("price_text")).alias("price_places"),
        exact_decimal(F.col("price_text"), 2).alias("price_value"),
        is_number(F.col("quantity_text")).alias("quantity_is_number"),
        decimal_places(F.col("quantity_text")).alias("quantity_places"),
        exact_decimal(F.col("quantity_text"), 0).alias("quantity_value"),
    ).select(
        "*",
        F.try_multiply(F.col("price_value"), F.col("quantity_value")).try_cast(MONEY).alias("line_amount_value"),
    )
    price_ok = (
        F.col("price_is_number")
        & (F.col("price_places") <= F.lit(2))
        & (F.abs(F.col("price_value")) < F.lit(_UNIT_PRICE_LIMIT).cast("decimal(11,0)"))
    )
    quantity_ok = F.col("quantity_is_number") & (F.col("quantity_places") == F.lit(0))
    unit_price = F.when(price_ok, F.col("price_value").try_cast(UNIT_PRICE))
    quantity = F.when(quantity_ok, F.col("quantity_value").try_cast("int"))
    transaction_no = F.trim(F.col("event.TransactionNo"))
    typed = values.select("*", unit_price.alias("unit_price"), quantity.alias("quantity"))
    both = F.col("unit_price").isNotNull() & F.col("quantity").isNotNull()
    return typed.select(
        *[F.col(c) for c in SOURCE_COLUMNS],
        *[F.col(c) for c in _PARSE_COLUMNS],
        F.col("event.event_id").alias("event_id"),
        parse_event_time(F.col("event.event_time")).alias("event_time"),
        transaction_no.alias("transaction_no"),
        transaction_no.startswith("C").alias("is_cancellation"),
        parse_shop_date(F.col("event.Date")).alias("order_date"),
        F.trim(F.col("event.ProductNo")).alias("product_no"),
        F.col("event.ProductName").alias("product_name"),
        F.col("unit_price"),
        F.col("quantity"),
        F.when(both, F.col("line_amount_value")).alias("line_amount"),
        F.nullif(F.trim(F.col("event.CustomerNo")), F.lit("")).alias("customer_no"),
        F.col("event.Country").alias("country"),
    )


# What :func:`parse_order_events` keeps for the quarantine rules besides the silver columns.
_PARSE_COLUMNS = (
    payload.NOT_EMPTY,
    payload.IS_JSON_OBJECT,
    "price_text",
    "price_is_number",
    "price_places",
    "price_value",
    "quantity_text",
    "quantity_is_number",
    "quantity_places",
    "quantity_value",
    "line_amount_value",
)


def to_order_lines(parsed: DataFrame, watermark: str) -> DataFrame:
    """Silver order lines: transport duplicates (same ``event_id``) removed within ``watermark`` of arrival.

    The de-duplication's watermark is on *arrival* (bronze ``ingested_at``), not on ``event_time``:
    a stateful operator drops every row behind its watermark, so on event time an event arriving
    more than the window behind the newest one seen would vanish without a trace. Arrival time only
    grows, so no row is ever behind it; the watermark only bounds how long an id is remembered: at
    least ``watermark`` after the first copy arrived, until a later batch moves the watermark past
    it (a copy arriving after that is kept as a new line). Databricks runs this same code.

    Two different events with identical content are two lines: only ``event_id`` identifies a
    duplicate; another content under a kept ``event_id`` is quarantined by
    :func:`lakehouse.orders.quarantine.to_order_line_quarantine`. Must run on a stream
    (``dropDuplicatesWithinWatermark`` is a streaming operator).
    """
    lines = parsed.select(*[F.col(c) for c in (*ORDER_LINE_COLUMNS, "ingested_at")])
    unique = lines.withWatermark("ingested_at", watermark).dropDuplicatesWithinWatermark(["event_id"])
    return unique.select(*[F.col(c) for c in ORDER_LINE_COLUMNS])
