"""A 0-byte landed file becomes one bronze row with an empty payload, once, like any other record.

Spark's file stream alone gives it no row at all (the first test shows it), so bronze unions the
file stream with :mod:`lakehouse.empty_files`; the rows it adds look exactly like the file stream's
(same ``file:`` path form, same millisecond modification time), and a restart reads each once.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession

from lakehouse.empty_files import empty_files, listable
from lakehouse.settings import SourceSettings
from lakehouse.sources import read_bronze, register_file_readers
from tests.conftest import REMOTE
from tests.unit.streams import write_available

local_only = pytest.mark.skipif(REMOTE, reason="streams a local landing folder")


def land(folder: Path, name: str, text: str, mtime: float = 1_767_225_600.123456) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))
    return path


def test_only_visible_files_of_no_byte_are_listed(tmp_path: Path):
    land(tmp_path, "a.jsonl", '{"x": 1}\n')
    land(tmp_path, "blank.jsonl", "\n")  # not empty: the file stream reads it
    empty = land(tmp_path, "empty.jsonl", "")
    nested = land(tmp_path, "2026/01/empty.csv", "")
    land(tmp_path, ".in-progress.jsonl", "")
    land(tmp_path, "_temporary/part.jsonl", "")
    assert empty_files(str(tmp_path)) == sorted([str(empty), str(nested)])
    assert empty_files(f"file:{tmp_path}") == sorted([str(empty), str(nested)])


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("/tmp/landing/orders", True),
        ("landing/orders", True),
        ("file:/tmp/landing", True),
        ("/Volumes/main/raw/landing/orders", True),
        ("abfss://landing@account.dfs.core.windows.net/orders", False),
        ("s3://bucket/landing", False),
        ("dbfs:/landing", False),
    ],
)
def test_only_folders_the_driver_can_list_get_the_empty_file_stream(folder: str, expected: bool):
    assert listable(folder) is expected


def _run(spark: SparkSession, stream: DataFrame, root: Path) -> list[dict]:
    """One triggered update into a folder with its checkpoint; every row written so far."""
    write_available(stream, root / "out", root / "checkpoint")
    rows = spark.read.parquet(str(root / "out")).drop("ingested_at").collect()
    return sorted((row.asDict() for row in rows), key=lambda row: (row["file_path"], row["offset"] or 0))


@local_only
def test_an_empty_file_is_a_bronze_record_and_a_restart_reads_each_once(spark: SparkSession, tmp_path: Path):
    landing = tmp_path / "landing"
    land(landing / "orders", "a.jsonl", '{"x": 1}\n{"x": 2}\n')
    land(landing / "orders", "empty.jsonl", "")
    source = SourceSettings(kind="files", landing_path=str(landing))
    register_file_readers(spark, source)  # as a pipeline file does, outside the query function
    first = _run(spark, read_bronze(spark, source, "orders"), tmp_path)
    record = {"kafka_key": None, "topic": None, "partition": None, "kafka_timestamp": None}
    a, empty = f"file:{landing}/orders/a.jsonl", f"file:{landing}/orders/empty.jsonl"
    written = first[0]["file_modification_time"]
    assert first == [
        {"raw_payload": '{"x": 1}', **record, "offset": 0, "file_path": a, "file_modification_time": written},
        {"raw_payload": '{"x": 2}', **record, "offset": 1, "file_path": a, "file_modification_time": written},
        {"raw_payload": "", **record, "offset": 0, "file_path": empty, "file_modification_time": written},
    ]
    land(landing / "orders", "later-empty.jsonl", "")
    second = _run(spark, read_bronze(spark, source, "orders"), tmp_path)
    assert [row["file_path"] for row in second if row["raw_payload"] == ""] == [
        empty,
        f"file:{landing}/orders/later-empty.jsonl",
    ]


@local_only
def test_the_file_stream_alone_gives_an_empty_file_no_row(spark: SparkSession, tmp_path: Path):
    land(tmp_path / "landing", "empty.csv", "")
    land(tmp_path / "landing", "one.csv", "a,b\n")
    raw = spark.readStream.format("text").option("wholetext", "true").load(str(tmp_path / "landing"))
    files = _run(spark, raw.selectExpr("value AS raw_payload", "_metadata.file_path", "0 AS offset"), tmp_path)
    assert [row["file_path"].rsplit("/", 1)[1] for row in files] == ["one.csv"]


@local_only
def test_files_kept_whole_get_an_empty_record_without_position(spark: SparkSession, tmp_path: Path):
    land(tmp_path / "landing" / "condo" / "imoveis", "imoveis-2025-01-31.csv", "")
    source = SourceSettings(kind="files", landing_path=str(tmp_path / "landing"))
    register_file_readers(spark, source)
    rows = _run(spark, read_bronze(spark, source, "condo/imoveis", records=None), tmp_path)
    assert [(row["raw_payload"], row["offset"]) for row in rows] == [("", None)]
