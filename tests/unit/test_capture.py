"""Event Hubs Capture -> bronze: the exact Capture schema, its time format, the path convention."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import fastavro
from pyspark.sql import functions as F

from lakehouse import capture
from lakehouse.columns import BRONZE_COLUMNS
from lakehouse.local.engine import packages_for
from lakehouse.local.home import AVRO_PACKAGE, DELTA_PACKAGE
from lakehouse.settings import PipelineSettings
from tests.capture_files import capture_path, capture_time, write_capture_files

METADATA = "struct<file_path: string, file_modification_time: timestamp>"


def test_the_capture_schema_is_the_one_event_hubs_writes():
    schema = capture.CAPTURE_AVRO_SCHEMA
    assert (schema["namespace"], schema["name"]) == ("Microsoft.ServiceBus.Messaging", "EventData")
    assert [(f["name"], f["type"]) for f in schema["fields"]] == [
        ("SequenceNumber", "long"),
        ("Offset", "string"),
        ("EnqueuedTimeUtc", "string"),
        ("SystemProperties", {"type": "map", "values": ["long", "double", "string", "bytes"]}),
        ("Properties", {"type": "map", "values": ["long", "double", "string", "bytes"]}),
        ("Body", ["null", "bytes"]),
    ]
    assert json.loads(capture.avro_schema_json()) == schema


def test_capture_files_round_trip_through_fastavro(tmp_path):
    written = write_capture_files(['{"a": 1}', '{"a": 2}', '{"a": 3}'], tmp_path, partitions=2, per_file=1)
    files = sorted(tmp_path.rglob("*.avro"))
    assert len(files) == 5  # two windows for partition 0, one for partition 1, one empty window each
    read = [record for f in files for record in fastavro.reader(io.BytesIO(f.read_bytes()))]
    assert sorted(r["Body"] for r in read) == sorted(r["Body"] for r in written)
    times = {r["EnqueuedTimeUtc"] for r in read}
    assert times == {"12/1/2026 10:00:00 AM", "12/1/2026 10:00:01 AM", "12/1/2026 10:00:02 AM"}


def test_capture_time_is_written_the_way_capture_writes_it():
    assert capture_time(datetime(2026, 12, 1, 0, 5, 9, tzinfo=UTC)) == "12/1/2026 12:05:09 AM"
    assert capture_time(datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)) == "3/14/2026 3:09:26 PM"


def test_capture_records_map_to_the_fixed_bronze_schema(spark, tmp_path):
    path = capture_path(tmp_path, "shop-ns", "orders", 3, datetime(2026, 12, 1, 10, 0, 0))
    rows = [
        (
            7,
            "4096",
            "12/1/2026 1:02:03 PM",
            {"x-opt-partition-key": (None, None, "customer-9", None)},
            {},
            b'{"event_id": "e1"}',
            (f"file:{path}", datetime(2026, 12, 1, 13, 5, 0)),
        ),
        (8, "4608", "2026-12-01T13:02:04.1230000Z", {}, {}, None, ("file:/elsewhere/x.avro", None)),
    ]
    raw = spark.createDataFrame(rows, f"{capture.CAPTURE_SPARK_SCHEMA}, _metadata {METADATA}")
    bronze = capture.capture_to_bronze(raw, F.lit(datetime(2026, 12, 1, 14, 0, 0)))
    assert tuple(bronze.columns) == BRONZE_COLUMNS
    first, second = (row.asDict() for row in bronze.orderBy("offset").collect())
    assert first["raw_payload"] == '{"event_id": "e1"}'
    assert (first["kafka_key"], first["topic"], first["partition"], first["offset"]) == ("customer-9", "orders", 3, 7)
    assert first["kafka_timestamp"] == datetime(2026, 12, 1, 13, 2, 3)
    # a record without a body stays in bronze (silver quarantines it); a non-Capture path gives NULLs
    assert second["raw_payload"] is None and second["kafka_key"] is None
    assert (second["topic"], second["partition"]) == (None, None)
    assert second["kafka_timestamp"] == datetime(2026, 12, 1, 13, 2, 4, 123000)


def test_an_unknown_enqueued_time_is_null_not_an_error(spark):
    got = spark.range(1).select(capture.enqueued_time(F.lit("yesterday")).alias("t")).collect()[0]["t"]
    assert got is None


def test_capture_is_a_folder_source_that_brings_the_avro_package():
    conf = {"lakehouse.source": "eventhubs_capture", "lakehouse.landing_path": "/landing"}
    settings = PipelineSettings.from_conf(conf)  # type: ignore[arg-type]
    assert (settings.source.kind, settings.source.landing_path) == ("eventhubs_capture", "/landing")
    assert packages_for(conf) == [DELTA_PACKAGE, AVRO_PACKAGE]
    assert AVRO_PACKAGE.startswith("org.apache.spark:spark-avro_2.13:")


def test_autoloader_reads_capture_as_avro_with_the_capture_schema():
    options = capture.autoloader_capture_options("/Volumes/main/landing/raw/orders/_schemas")
    assert options["cloudFiles.format"] == "avro"
    assert options["cloudFiles.schemaLocation"] == "/Volumes/main/landing/raw/orders/_schemas"
    assert json.loads(options["avroSchema"]) == capture.CAPTURE_AVRO_SCHEMA
    assert capture.local_capture_options()["recursiveFileLookup"] == "true"
