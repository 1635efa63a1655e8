from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from chispa import assert_df_equality
from pyspark.sql import functions as F

from lakehouse.orders import quarantine as orders_quarantine
from lakehouse.orders import silver as orders
from lakehouse.quality import keep_rejected, keep_valid
from tests.unit.bronze import bronze_frame


def event(**overrides: object) -> str:
    base = {
        "event_id": "e-1",
        "event_time": "2019-12-09T10:15:00.123Z",
        "TransactionNo": "581482",
        "Date": "12/9/2019",
        "ProductNo": "22485",
        "ProductName": "Set Of 2 Wooden Market Crates",
        "Price": 21.47,
        "Quantity": 12,
        "CustomerNo": "17490",
        "Country": "United Kingdom",
    }
    base.update(overrides)
    return json.dumps(base, ensure_ascii=False)


SILVER_DDL = (
    "event_id string, event_time timestamp, transaction_no string, is_cancellation boolean, order_date date, "
    "product_no string, product_name string, unit_price decimal(12,2), quantity int, line_amount decimal(18,2), "
    "customer_no string, country string"
)


def parsed_lines(spark, *payloads: str):
    return orders.parse_order_events(bronze_frame(spark, payloads)).select(*orders.ORDER_LINE_COLUMNS)


def failed(spark, *payloads: str) -> list[list[str]]:
    parsed = orders.parse_order_events(bronze_frame(spark, payloads))
    rejected = keep_rejected(parsed, orders_quarantine.quarantine_rules())
    return [sorted(row.failed_rules) for row in rejected.orderBy("offset").collect()]


def test_a_valid_event_becomes_a_typed_line(spark):
    got = parsed_lines(spark, event())
    want = spark.createDataFrame(
        [
            (
                "e-1",
                datetime(2019, 12, 9, 10, 15, 0, 123000),
                "581482",
                False,
                date(2019, 12, 9),
                "22485",
                "Set Of 2 Wooden Market Crates",
                Decimal("21.47"),
                12,
                Decimal("257.64"),
                "17490",
                "United Kingdom",
            )
        ],
        SILVER_DDL,
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_cancellation_lines_are_negative(spark):
    got = parsed_lines(spark, event(TransactionNo="C581484", Price=2.08, Quantity=-80995)).select(
        "is_cancellation", "line_amount"
    )
    want = spark.createDataFrame([(True, Decimal("-168469.60"))], "is_cancellation boolean, line_amount decimal(18,2)")
    assert_df_equality(got, want, ignore_nullable=True)


def test_unicode_and_commas_in_names_are_kept_verbatim(spark):
    name = "Crème Brûlée Set, Pink, 6 pcs — ☕"
    got = parsed_lines(spark, event(ProductName=name)).select("product_name").collect()
    assert got[0].product_name == name


def test_valid_event_fails_no_rule(spark):
    assert failed(spark, event()) == []


def test_a_null_customer_is_only_a_warning(spark):
    lines = parsed_lines(spark, event(CustomerNo=None))
    assert keep_valid(lines, orders.ORDER_LINE_RULES).count() == 1
    assert keep_rejected(lines, orders.ORDER_LINE_WARNINGS).collect()[0].failed_rules == ["customer_present"]


def test_an_empty_customer_number_counts_as_missing(spark):
    assert parsed_lines(spark, event(CustomerNo="")).collect()[0].customer_no is None


def test_a_bad_date_is_rejected(spark):
    assert failed(spark, event(Date="13/45/2019")) == [["order_date_parsable"]]


def test_a_c_prefix_with_a_positive_quantity_is_rejected(spark):
    assert failed(spark, event(TransactionNo="C581484", Quantity=3)) == [["cancellation_matches_sign"]]


def test_a_negative_quantity_without_c_prefix_is_rejected(spark):
    assert failed(spark, event(Quantity=-3)) == [["cancellation_matches_sign"]]


def test_zero_price_and_zero_quantity_are_rejected(spark):
    assert failed(spark, event(Price=0), event(Quantity=0)) == [
        ["unit_price_positive"],
        ["quantity_not_zero"],
    ]


def test_a_malformed_transaction_number_is_rejected(spark):
    assert failed(spark, event(TransactionNo="12A456")) == [["transaction_no_format"]]


def test_a_price_that_is_not_a_number_is_rejected_as_such(spark):
    assert failed(spark, event(Price="twelve"), event(Price="1,50"), event(Price=[1])) == [["price_not_a_number"]] * 3


def test_each_unusable_price_or_quantity_names_its_own_cause(spark):
    payload = json.loads(event())
    del payload["Price"]
    got = failed(
        spark,
        json.dumps(payload),
        event(Price=8.955),
        event(Price=1e11),
        event(Quantity=1.5),
        event(Quantity="twelve"),
        event(Quantity=None),
        event(Quantity=2**31),
    )
    assert got == [
        ["price_present"],
        ["price_has_at_most_two_decimals"],
        ["price_in_range"],
        ["quantity_not_integer"],
        ["quantity_not_a_number"],
        ["quantity_present"],
        ["quantity_in_range"],
    ]


def test_a_three_decimal_price_is_not_rounded_into_silver(spark):
    parsed = orders.parse_order_events(bronze_frame(spark, [event(Price=8.955)]))
    assert keep_valid(parsed, orders.ORDER_LINE_RULES).count() == 0
    assert parsed.select("unit_price").collect()[0].unit_price is None


def test_numbers_as_strings_exponents_and_integral_floats_are_read_exactly(spark):
    got = parsed_lines(spark, event(Price="21.47", Quantity=12.0), event(Price=2.147e1, Quantity="1.2e1")).select(
        "unit_price", "quantity", "line_amount"
    )
    want = spark.createDataFrame(
        [(Decimal("21.47"), 12, Decimal("257.64"))] * 2,
        "unit_price decimal(12,2), quantity int, line_amount decimal(18,2)",
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_a_missing_transaction_number_is_rejected(spark):
    payload = json.loads(event())
    del payload["TransactionNo"]
    assert failed(spark, json.dumps(payload)) == [["transaction_no_format"]]


def test_unparsable_json_is_rejected_with_its_cause_only(spark):
    """Every field of an unreadable record is missing; listing them all would hide the one cause."""
    got = failed(spark, "not json {", "[1, 2]", '{"event_id": NaN}', "", " \t")
    assert got == [["payload_is_json_object"]] * 3 + [["payload_not_empty"]] * 2


def test_quarantine_keeps_the_raw_payload_and_the_source(spark):
    parsed = orders.parse_order_events(bronze_frame(spark, [event(), "garbage"]))
    rows = orders_quarantine.to_order_line_quarantine(parsed, parsed.filter(F.lit(False))).collect()
    assert len(rows) == 1
    assert rows[0].raw_payload == "garbage"
    assert rows[0].topic == "orders"
    assert rows[0].offset == 1


def test_transport_duplicates_are_removed_but_identical_events_are_kept(spark, tmp_path):
    """Same event_id twice -> one line; same content under two event_ids -> two lines."""
    folder = tmp_path / "bronze"
    payloads = [event(event_id="a"), event(event_id="a"), event(event_id="b")]
    bronze_frame(spark, payloads).write.parquet(str(folder))
    stream = spark.readStream.schema(bronze_frame(spark, []).schema).parquet(str(folder))
    lines = orders.to_order_lines(orders.parse_order_events(stream), "10 minutes")
    query = lines.writeStream.format("memory").queryName("dedup_lines").trigger(availableNow=True).start()
    query.awaitTermination()
    got = sorted(row.event_id for row in spark.table("dedup_lines").collect())
    assert got == ["a", "b"]


def test_a_late_event_still_reaches_silver(spark, tmp_path):
    """Issue 14: an event two hours older than the newest seen, arriving in a later batch, is kept.

    (Spark drops late rows with the watermark of the batch before: two batches pass first.)
    """
    schema = bronze_frame(spark, []).schema
    batches = [
        [event(event_id="first", event_time="2019-12-09T11:00:00Z")],
        [event(event_id="new", event_time="2019-12-09T12:00:00Z")],
        [event(event_id="newer", event_time="2019-12-09T12:01:00Z")],
        [
            event(event_id="late", event_time="2019-12-09T10:00:00Z"),
            event(event_id="new", event_time="2019-12-09T12:00:00Z"),  # a copy, still recognised
        ],
    ]
    for index, payloads in enumerate(batches):
        arrived = datetime(2019, 12, 9, 12, 0, index)
        frame = bronze_frame(spark, payloads).select(*[c for c in schema.names if c != "ingested_at"])
        with_arrival = frame.selectExpr("*", f"timestamp'{arrived}' AS ingested_at").coalesce(1)
        with_arrival.write.mode("append").parquet(str(tmp_path / "bronze"))
    stream = spark.readStream.schema(schema).option("maxFilesPerTrigger", 1).parquet(str(tmp_path / "bronze"))
    lines = orders.to_order_lines(orders.parse_order_events(stream), "10 minutes")
    query = lines.writeStream.format("memory").queryName("late_lines").trigger(availableNow=True).start()
    query.awaitTermination()
    assert sorted(row.event_id for row in spark.table("late_lines").collect()) == ["first", "late", "new", "newer"]


def test_an_invalid_copy_does_not_shadow_a_valid_event_with_the_same_id(spark, tmp_path):
    """Silver filters with the rules before de-duplicating, as src/pipelines/orders/silver.py does."""
    folder = tmp_path / "bronze"
    bronze_frame(spark, [event(event_id="a", Price=0), event(event_id="a")]).write.parquet(str(folder))
    stream = spark.readStream.schema(bronze_frame(spark, []).schema).parquet(str(folder))
    valid = keep_valid(orders.parse_order_events(stream), orders.ORDER_LINE_RULES)
    lines = orders.to_order_lines(valid, "10 minutes")
    query = lines.writeStream.format("memory").queryName("shadowed").trigger(availableNow=True).start()
    query.awaitTermination()
    assert [(r.event_id, r.unit_price) for r in spark.table("shadowed").collect()] == [("a", Decimal("21.47"))]


def test_a_line_amount_beyond_decimal_18_2_is_quarantined_not_raised(spark):
    """A poison record: price x quantity overflows ``decimal(18,2)``; under ANSI it must not stop the stream."""
    payloads = [event(event_id="poison", Price=99999999.99, Quantity=999999999), event(event_id="fine")]
    parsed = orders.parse_order_events(bronze_frame(spark, payloads))
    got = keep_valid(parsed, orders.ORDER_LINE_RULES).select("event_id", "line_amount")
    want = spark.createDataFrame([("fine", Decimal("257.64"))], "event_id string, line_amount decimal(18,2)")
    assert_df_equality(got, want, ignore_nullable=True)
    assert failed(spark, payloads[0]) == [["line_amount_in_range"]]


def test_the_issue_13_poison_record_is_quarantined_with_its_reasons(spark):
    """``Quantity: 9999999999999999`` with a normal price: too big for an int, and for the line amount."""
    assert failed(spark, event(Quantity=9999999999999999)) == [["line_amount_in_range", "quantity_in_range"]]


def test_an_event_time_no_reader_could_hold_is_unparsable(spark):
    """Spark reads year +99999 (and year 0 through an offset); Python and BI tools cannot."""
    got = failed(spark, event(event_time="+99999-01-01T00:00:00Z"), event(event_time="0001-01-01T00:00:00+14:00"))
    assert got == [["event_time_parsable"]] * 2
