"""A landed file is split into records by its own shape, and bronze numbers them (issue #14 item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import functions as F

from lakehouse import sources
from lakehouse.file_records import csv_records, json_records
from lakehouse.settings import PipelineSettings

SHAPES = [
    ("lines", '{"a":1}\n{"a":2}\n\n{"a":3', ['{"a":1}', '{"a":2}', '{"a":3']),
    ("crlf with a byte-order mark", '\ufeff{"a":1}\r\n{"a":2}\r\n', ['\ufeff{"a":1}', '{"a":2}']),
    ("one line without newline", '{"a":1}', ['{"a":1}']),
    ("array", '[{"a":1},\n {"a": 2}, 7]\n', ['{"a":1}', '{"a":2}', "7"]),
    ("broken array", '[{"a":1},', ['[{"a":1},']),
    ("pretty-printed object", '{\n  "a": 1,\n  "b": {"c": 2}\n}\n', ['{\n  "a": 1,\n  "b": {"c": 2}\n}']),
    ("blank file", " \n\t\n", [""]),
    ("empty array", "[]", []),
    ("not json at all", "hello\nworld\n", ["hello", "world"]),
]


@pytest.mark.parametrize(("shape", "text", "records"), SHAPES, ids=[s[0] for s in SHAPES])
def test_each_file_shape_gives_its_records(spark, shape, text, records):
    row = spark.createDataFrame([(text,)], "value string").select(json_records(F.col("value")).alias("r")).first()
    assert row is not None and row.r == records


CSV_SHAPES = [
    ("lines", "h,a\r\n1,2\n\n3,4", ["h,a", "1,2", "3,4"]),
    (
        "a quoted field holding a line break",
        'C1,"A\n1",2019-12-01,5\nC2,A2,2019-12-01,6\n',
        ['C1,"A\n1",2019-12-01,5', "C2,A2,2019-12-01,6"],
    ),
    ("escaped quotes", 'a,"say ""hi""\nthere",b\n', ['a,"say ""hi""\nthere",b']),
    ("an unclosed quote ends with its line", 'a,"b,c\nd,e\n', ['a,"b,c', "d,e"]),
    ("an unclosed quote runs to the next quote", 'a,"b\nc,"d"\n', ['a,"b\nc,"d"']),
    ("empty file", "", [""]),
    ("blank file", "\n \n", [""]),
]


@pytest.mark.parametrize(("shape", "text", "records"), CSV_SHAPES, ids=[s[0] for s in CSV_SHAPES])
def test_csv_files_are_cut_at_line_breaks_outside_quotes(spark, shape, text, records):
    row = spark.createDataFrame([(text,)], "value string").select(csv_records(F.col("value")).alias("r")).first()
    assert row is not None and row.r == records


def test_cutting_a_large_csv_file_takes_linear_time(spark):
    """Possessive quantifiers: a 200,000-line file with quotes everywhere is cut in one pass."""
    text = "".join(f'C{n},"A {n}",2019-12-01,{n}\n' for n in range(200_000)) + 'broken,"unclosed\n'
    row = spark.createDataFrame([(text,)], "value string").select(F.size(csv_records(F.col("value"))).alias("n"))
    assert row.first() == (200_001,)


def test_bronze_numbers_each_record_of_a_file_and_keeps_its_file(spark, tmp_path: Path):
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "export.json").write_text('[\n  {"event_id": "e1"},\n  {"event_id": "e2"}\n]\n')
    (tmp_path / "orders" / "pretty.json").write_text('{\n  "event_id": "e3"\n}\n')
    settings = PipelineSettings.from_conf({"lakehouse.landing_path": str(tmp_path)})
    sources.register_file_readers(spark, settings.source)
    stream = sources.read_bronze(spark, settings.source, "orders")
    query = stream.writeStream.format("memory").queryName("bronze_shapes").trigger(availableNow=True).start()
    query.awaitTermination()
    rows = spark.table("bronze_shapes").orderBy("file_path", "offset").collect()
    assert [(Path(r.file_path).name, r.offset, r.raw_payload) for r in rows] == [
        ("export.json", 0, '{"event_id":"e1"}'),
        ("export.json", 1, '{"event_id":"e2"}'),
        ("pretty.json", 0, '{\n  "event_id": "e3"\n}'),
    ]
