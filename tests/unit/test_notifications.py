from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from lakehouse.notifications import gold as notifications_gold
from lakehouse.notifications import quarantine as notifications_quarantine
from lakehouse.notifications import silver as notifications_silver
from lakehouse.notifications import tariff
from lakehouse.quality import keep_rejected, keep_valid
from lakehouse.sources import text_to_bronze
from tests.unit.bronze import BRONZE_DDL

INGESTED = datetime(2020, 2, 3, 15, 0, tzinfo=UTC)

SILVER_DDL = (
    "customer_id string, message_id string, customer_name string, channel string, payload string, "
    "event_datetime timestamp"
)
PER_MINUTE_DDL = (
    "customer_id string, customer_name string, channel string, window_start timestamp, window_end timestamp, "
    "notifications bigint"
)
BILLING_DDL = (
    "customer_id string, customer_name string, channel string, billing_date date, notifications bigint, "
    "unit_price decimal(18,4), amount decimal(18,2)"
)


def event(**overrides: object) -> str:
    base = {
        "customer_id": "C1000",
        "message_id": "m-1",
        "customer_name": "Maria Silva",
        "channel": "Whatsapp",
        "payload": "Seu pedido 123456 saiu para entrega.",
        "event_datetime": "2020-02-03T14:00:01.001+00:00",
    }
    base.update(overrides)
    return json.dumps({key: value for key, value in base.items() if value is not ...}, ensure_ascii=False)


def bronze(spark, *payloads: str):
    rows = [(p, None, "notifications", 0, i, None, None, None, INGESTED) for i, p in enumerate(payloads)]
    return spark.createDataFrame(rows, BRONZE_DDL)


def parsed(spark, *payloads: str):
    return notifications_silver.parse_notifications(bronze(spark, *payloads)).select(
        *notifications_silver.NOTIFICATION_COLUMNS
    )


def failed(spark, *payloads: str, rules=notifications_silver.NOTIFICATION_RULES) -> list[list[str]]:
    rejected = keep_rejected(notifications_silver.parse_notifications(bronze(spark, *payloads)), rules)
    return [list(row.failed_rules) for row in rejected.orderBy("offset").collect()]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def silver(spark, rows):
    return spark.createDataFrame(rows, SILVER_DDL)


# ---- parsing and rules ---------------------------------------------------------------------------


def test_a_valid_event_becomes_typed_columns_with_its_source_metadata(spark):
    payload = event()
    got = notifications_silver.parse_notifications(bronze(spark, payload))
    want = spark.createDataFrame(
        [
            (
                "C1000",
                "m-1",
                "Maria Silva",
                "whatsapp",
                "Seu pedido 123456 saiu para entrega.",
                utc(2020, 2, 3, 14, 0, 1, 1000),
                payload,
                None,
                "notifications",
                0,
                0,
                None,
                None,
                INGESTED,
                True,
                True,
            )
        ],
        f"{SILVER_DDL}, raw_payload string, kafka_key string, topic string, partition int, offset bigint, "
        "kafka_timestamp timestamp, "
        "file_path string, "
        "ingested_at timestamp, payload_not_empty boolean, payload_is_json_object boolean",
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_event_datetime_with_an_offset_is_converted_to_utc(spark):
    got = parsed(spark, event(event_datetime="2020-02-03T17:00:01.001+03:00")).select("event_datetime")
    want = spark.createDataFrame([(utc(2020, 2, 3, 14, 0, 1, 1000),)], "event_datetime timestamp")
    assert_df_equality(got, want, ignore_nullable=True)


def test_event_datetime_without_an_offset_is_unparsable(spark):
    assert failed(spark, event(event_datetime="2020-02-03T14:00:01.001")) == [["event_datetime_parsable"]]


def test_channel_is_trimmed_and_lower_cased(spark):
    got = parsed(spark, event(channel="  WhatsApp ")).select("channel")
    want = spark.createDataFrame([("whatsapp",)], "channel string")
    assert_df_equality(got, want, ignore_nullable=True)


def test_a_valid_event_fails_no_rule(spark):
    assert failed(spark, event()) == []


def test_an_unknown_channel_is_rejected(spark):
    assert failed(spark, event(channel="Pigeon")) == [["known_channel"]]


def test_known_channels_are_an_argument(spark):
    rules = notifications_silver.notification_rules(["Telegram", "whatsapp"])
    assert failed(spark, event(channel="Telegram"), event(channel="SMS"), rules=rules) == [["known_channel"]]


def test_a_missing_message_id_or_customer_is_rejected(spark):
    got = failed(spark, event(message_id=...), event(customer_id=" "))
    assert got == [["message_id_present"], ["customer_id_present"]]


def test_a_payload_that_cannot_be_read_is_quarantined_with_its_cause_alone(spark):
    """Issue 14 item 8: an empty file, a broken line or an array is one record with one reason."""
    rules = notifications_quarantine.quarantine_rules(notifications_silver.NOTIFICATION_RULES)
    payloads = ("{not json", "", "[1, 2]", '{"message_id": NaN}', event(channel="fax"))
    rejected = keep_rejected(notifications_silver.parse_notifications(bronze(spark, *payloads)), rules)
    got = rejected.orderBy("offset").select("raw_payload", "failed_rules")
    want = spark.createDataFrame(
        [
            ("{not json", ["payload_is_json_object"]),
            ("", ["payload_not_empty"]),
            ("[1, 2]", ["payload_is_json_object"]),
            ('{"message_id": NaN}', ["payload_is_json_object"]),
            (payloads[-1], ["known_channel"]),
        ],
        "raw_payload string, failed_rules array<string>",
    )
    assert_df_equality(got, want, ignore_nullable=True)


@pytest.mark.parametrize("channels", [[], ["what's app"], ["sms", "e mail"]])
def test_notification_rules_refuse_channel_names_that_are_not_plain(channels):
    with pytest.raises(ValueError):
        notifications_silver.notification_rules(channels)


# ---- per-minute panel and detail -----------------------------------------------------------------


def test_minute_windows_split_59_999_from_00_000(spark):
    rows = [
        ("C1000", "m-1", "Maria Silva", "whatsapp", "a", utc(2020, 2, 3, 14, 0, 0)),
        ("C1000", "m-2", "Maria Silva", "whatsapp", "b", utc(2020, 2, 3, 14, 0, 59, 999000)),
        ("C1000", "m-3", "Maria Silva", "whatsapp", "c", utc(2020, 2, 3, 14, 1, 0)),
    ]
    got = notifications_gold.notifications_per_minute(silver(spark, rows), "1 minute")
    want = spark.createDataFrame(
        [
            ("C1000", "Maria Silva", "whatsapp", utc(2020, 2, 3, 14, 0), utc(2020, 2, 3, 14, 1), 2),
            ("C1000", "Maria Silva", "whatsapp", utc(2020, 2, 3, 14, 1), utc(2020, 2, 3, 14, 2), 1),
        ],
        PER_MINUTE_DDL,
    )
    assert_df_equality(got, want, ignore_nullable=True, ignore_row_order=True)


def test_minute_counts_are_per_customer_and_channel_with_the_latest_name(spark):
    rows = [
        ("C1000", "m-1", "Maria", "whatsapp", "a", utc(2020, 2, 3, 14, 0, 1)),
        ("C1000", "m-2", "Maria Silva", "whatsapp", "b", utc(2020, 2, 3, 14, 0, 2)),
        ("C1000", "m-3", "Maria Silva", "sms", "c", utc(2020, 2, 3, 14, 0, 3)),
        ("C2000", "m-4", "João Souza", "whatsapp", "d", utc(2020, 2, 3, 14, 0, 4)),
    ]
    got = notifications_gold.notifications_per_minute(silver(spark, rows), "1 minute")
    start, end = utc(2020, 2, 3, 14, 0), utc(2020, 2, 3, 14, 1)
    want = spark.createDataFrame(
        [
            ("C1000", "Maria Silva", "sms", start, end, 1),
            ("C1000", "Maria Silva", "whatsapp", start, end, 2),
            ("C2000", "João Souza", "whatsapp", start, end, 1),
        ],
        PER_MINUTE_DDL,
    )
    assert_df_equality(got, want, ignore_nullable=True, ignore_row_order=True)


def test_detail_lists_every_notification(spark):
    rows = [("C1000", "m-1", "Maria Silva", "whatsapp", "Seu pedido saiu.", utc(2020, 2, 3, 14, 0, 1))]
    got = notifications_gold.notifications_detail(silver(spark, rows))
    want = spark.createDataFrame(
        [("C1000", "Maria Silva", "m-1", "Seu pedido saiu.", utc(2020, 2, 3, 14, 0, 1))],
        "customer_id string, customer_name string, message_id string, payload string, event_datetime timestamp",
    )
    assert_df_equality(got, want, ignore_nullable=True)


# ---- streaming: duplicates and late messages -----------------------------------------------------


def run_stream(spark, tmp_path, files: list[list[str]], build, arrivals: list[int] | None = None):
    """Each inner list is one JSON-lines file, read as its own micro-batch in order; returns the output.

    A file's ``ingested_at`` is its modification time: ``arrivals`` (seconds after the first file)
    says when each arrived, one second apart by default. ``availableNow`` runs a last batch without
    data, so windows the watermark closed are emitted.
    """
    folder = tmp_path / "landing"
    folder.mkdir()
    for index, lines in enumerate(files):
        path = folder / f"part-{index:03d}.jsonl"
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        arrived = 1_600_000_000 + (arrivals[index] if arrivals else index)
        os.utime(path, (arrived, arrived))  # read in this order
    raw = spark.readStream.format("text").option("maxFilesPerTrigger", 1).load(str(folder))
    stream = text_to_bronze(raw, F.col("_metadata.file_modification_time"))
    name = f"out_{uuid.uuid4().hex}"
    query = (
        build(stream)
        .writeStream.format("memory")
        .queryName(name)
        .outputMode("append")
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    return spark.table(name)


def valid_stream(bronze_stream):
    return keep_valid(notifications_silver.parse_notifications(bronze_stream), notifications_silver.NOTIFICATION_RULES)


def silver_stream(bronze_stream, watermark: str):
    return notifications_silver.to_notifications(valid_stream(bronze_stream), watermark)


def silver_table_stream(bronze_stream):
    """What reading the silver table as a stream gives: its columns, no watermark yet (one per query)."""
    return valid_stream(bronze_stream).select(*notifications_silver.NOTIFICATION_COLUMNS)


def test_a_transport_duplicate_is_dropped_within_the_watermark(spark, tmp_path):
    first = event(message_id="m-1", event_datetime="2020-02-03T14:00:00.000+00:00")
    second = event(message_id="m-2", event_datetime="2020-02-03T14:00:05.000+00:00")
    got = run_stream(spark, tmp_path, [[first], [first, second]], lambda s: silver_stream(s, "10 minutes"))
    want = silver(
        spark,
        [
            (
                "C1000",
                "m-1",
                "Maria Silva",
                "whatsapp",
                "Seu pedido 123456 saiu para entrega.",
                utc(2020, 2, 3, 14, 0, 0),
            ),
            (
                "C1000",
                "m-2",
                "Maria Silva",
                "whatsapp",
                "Seu pedido 123456 saiu para entrega.",
                utc(2020, 2, 3, 14, 0, 5),
            ),
        ],
    )
    assert_df_equality(got, want, ignore_nullable=True, ignore_row_order=True, ignore_metadata=True)


def test_a_copy_arriving_after_the_watermark_is_no_longer_a_duplicate(spark, tmp_path):
    """The window is on arrival: the copy of m-1 arrives 4 minutes after it, beyond 1 minute.

    (Spark evicts state at the end of a batch with the watermark of the batch before, so three
    later arrivals pass first.)
    """
    files = [
        [event(message_id="m-1", event_datetime="2020-02-03T14:00:00.000+00:00")],
        [event(message_id="m-2", event_datetime="2020-02-03T14:05:00.000+00:00")],
        [event(message_id="m-3", event_datetime="2020-02-03T14:05:01.000+00:00")],
        [event(message_id="m-4", event_datetime="2020-02-03T14:05:02.000+00:00")],
        [event(message_id="m-1", event_datetime="2020-02-03T14:00:00.000+00:00")],
    ]
    arrivals = [0, 90, 150, 210, 240]
    got = run_stream(spark, tmp_path, files, lambda s: silver_stream(s, "1 minute"), arrivals=arrivals)
    want = spark.createDataFrame([("m-1",), ("m-1",), ("m-2",), ("m-3",), ("m-4",)], "message_id string")
    assert_df_equality(got.select("message_id"), want, ignore_nullable=True, ignore_row_order=True)


def test_a_late_message_still_reaches_silver(spark, tmp_path):
    """Issue 14: m-3 is an hour older than the newest events seen; it must not vanish behind a watermark."""
    files = [
        [event(message_id="m-1", event_datetime="2020-02-03T14:00:00.000+00:00")],
        [event(message_id="m-2", event_datetime="2020-02-03T15:00:00.000+00:00")],
        [event(message_id="m-4", event_datetime="2020-02-03T15:01:00.000+00:00")],
        [event(message_id="m-3", event_datetime="2020-02-03T14:00:30.000+00:00")],
        [event(message_id="m-2", event_datetime="2020-02-03T15:00:00.000+00:00")],  # a copy: still dropped
    ]
    got = run_stream(spark, tmp_path, files, lambda s: silver_stream(s, "10 minutes"))
    want = spark.createDataFrame([("m-1",), ("m-2",), ("m-3",), ("m-4",)], "message_id string")
    assert_df_equality(got.select("message_id"), want, ignore_nullable=True, ignore_row_order=True)


def test_a_late_message_is_left_out_of_the_minute_counts(spark, tmp_path):
    files = [
        [
            event(message_id="m-1", event_datetime="2020-02-03T14:00:10.000+00:00"),
            event(message_id="m-2", event_datetime="2020-02-03T14:00:20.000+00:00"),
        ],
        [event(message_id="m-3", event_datetime="2020-02-03T14:05:00.000+00:00")],  # watermark -> 14:04
        [event(message_id="m-4", event_datetime="2020-02-03T14:05:30.000+00:00")],
        [event(message_id="m-5", event_datetime="2020-02-03T14:00:30.000+00:00")],  # late: dropped
    ]
    got = run_stream(
        spark,
        tmp_path,
        files,
        lambda s: notifications_gold.notifications_per_minute(silver_table_stream(s), "1 minute"),
    )
    want = spark.createDataFrame(
        [("C1000", "Maria Silva", "whatsapp", utc(2020, 2, 3, 14, 0), utc(2020, 2, 3, 14, 1), 2)],
        PER_MINUTE_DDL,
    )
    assert_df_equality(got, want, ignore_nullable=True, ignore_metadata=True)


# ---- daily billing -------------------------------------------------------------------------------


def test_25000_whatsapp_notifications_bill_1000(spark):
    many = spark.range(25_000).select(
        F.lit("C1000").alias("customer_id"),
        F.concat(F.lit("m-"), F.col("id").cast("string")).alias("message_id"),
        F.lit("Maria Silva").alias("customer_name"),
        F.lit("whatsapp").alias("channel"),
        F.lit("oi").alias("payload"),
        F.timestamp_seconds(F.lit(1_580_688_000) + F.col("id")).alias("event_datetime"),  # from 2020-02-03
    )
    got = notifications_gold.daily_billing(many, tariff.DEFAULT_TARIFF)
    want = spark.createDataFrame(
        [("C1000", "Maria Silva", "whatsapp", date(2020, 2, 3), 25_000, Decimal("0.0400"), Decimal("1000.00"))],
        BILLING_DDL,
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_billing_date_is_the_utc_day_whatever_the_session_time_zone(spark):
    rows = [("C1000", "m-1", "Maria Silva", "whatsapp", "a", utc(2020, 2, 4, 1, 30))]  # 22:30 on 3 Feb in São Paulo
    spark.conf.set("spark.sql.session.timeZone", "America/Sao_Paulo")
    try:
        got = notifications_gold.daily_billing(silver(spark, rows), tariff.DEFAULT_TARIFF).select("billing_date")
        days = [row.billing_date for row in got.collect()]
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    assert days == [date(2020, 2, 4)]


def test_a_channel_without_tariff_is_billed_with_null_price_and_amount(spark):
    rows = [("C1000", "m-1", "Maria Silva", "email", "a", utc(2020, 2, 3, 14, 0))]
    got = notifications_gold.daily_billing(silver(spark, rows), {"whatsapp": Decimal("0.04")})
    want = spark.createDataFrame([("C1000", "Maria Silva", "email", date(2020, 2, 3), 1, None, None)], BILLING_DDL)
    assert_df_equality(got, want, ignore_nullable=True)


def test_amount_is_rounded_half_up_to_cents(spark):
    rows = [("C1000", f"m-{i}", "Maria Silva", "sms", "a", utc(2020, 2, 3, 14, 0, i)) for i in range(3)]
    got = notifications_gold.daily_billing(silver(spark, rows), {"sms": Decimal("0.015")})
    want = spark.createDataFrame(
        [("C1000", "Maria Silva", "sms", date(2020, 2, 3), 3, Decimal("0.0150"), Decimal("0.05"))], BILLING_DDL
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_a_renamed_customer_is_billed_once_a_day_under_the_latest_name(spark):
    rows = [
        ("C1000", "m-1", "Maria", "whatsapp", "a", utc(2020, 2, 3, 9, 0)),
        ("C1000", "m-2", "Maria Silva", "whatsapp", "b", utc(2020, 2, 3, 10, 0)),
    ]
    got = notifications_gold.daily_billing(silver(spark, rows), tariff.DEFAULT_TARIFF)
    want = spark.createDataFrame(
        [("C1000", "Maria Silva", "whatsapp", date(2020, 2, 3), 2, Decimal("0.0400"), Decimal("0.08"))],
        BILLING_DDL,
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_parse_tariff_reads_the_configuration_string():
    got = tariff.parse_tariff(" WhatsApp=0.04, sms = 0.05 ,")
    assert got == {"whatsapp": Decimal("0.04"), "sms": Decimal("0.05")}


@pytest.mark.parametrize(
    "text", ["whatsapp", "whatsapp=", "whatsapp=abc", "whatsapp=-0.01", "whatsapp=0.00001", "sms=1,sms=2"]
)
def test_parse_tariff_refuses_what_it_cannot_bill_exactly(text):
    with pytest.raises(ValueError):
        tariff.parse_tariff(text)


def test_an_instant_outside_the_years_1_to_9999_is_unparsable(spark):
    """Year 0 (through an offset) and year 10000 exist for Spark, not for Python, JDBC or BI tools."""
    got = failed(
        spark,
        event(event_datetime="0001-01-01T00:00:00+14:00"),
        event(event_datetime="9999-12-31T23:59:59-12:00"),
    )
    assert got == [["event_datetime_parsable"]] * 2
    assert failed(spark, event(event_datetime="0001-01-01T00:00:00+00:00")) == []
