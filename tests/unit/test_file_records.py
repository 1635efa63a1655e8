"""A landed file is split into records by its own shape, and bronze numbers them (issue #14 item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import Column
from pyspark.sql import functions as F

from lakehouse import sources
from lakehouse.file_records import OBJECT_PROBE, csv_records, json_records
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


EDGES = r"^[\s\x{FEFF}]+|\s+$"


def plain_json_records(text: Column) -> Column:
    """The module's rules read plainly, one condition per shape, as the product computed them before
    it was made faster: trim the text, then tell its shape. The model ``json_records`` must agree with."""
    body = F.regexp_replace(text, EDGES, "")
    lines = F.filter(F.split(text, r"\r\n|\r|\n"), lambda line: line.rlike(r"\S"))
    first_line = F.regexp_replace(F.element_at(lines, 1), EDGES, "")
    one_document = (
        body.startswith("{")
        & (F.size(lines) > 1)
        & F.from_json(first_line, OBJECT_PROBE).isNull()
        & F.from_json(body, OBJECT_PROBE).isNotNull()
    )
    return (
        F.when(text.isNull() | (body == F.lit("")), F.array(F.lit("")))
        .when(body.startswith("["), F.coalesce(F.from_json(body, "array<string>"), F.array(text)))
        .when(one_document, F.array(body))
        .otherwise(lines)
    )


# What tells a file's shape apart: line breaks of three kinds, Java's whitespace and what is not
# whitespace to it (no-break space), byte-order marks, brackets, whole JSON values and broken ones.
FRAGMENTS = [
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "\x0b",
    "\f",
    "\u00a0",
    "\ufeff",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    '"a"',
    "7",
    "x",
    "é",
    '{"a":1}',
    '{"b": {"c": [2, 3]}}',
    '[{"a":1}, 2, "s"]',
    '{\n  "a": 1\n}',
]
FILE_TEXTS = st.one_of(st.none(), st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(FILE_TEXTS, min_size=1, max_size=25))
def test_json_records_agrees_with_the_plain_reading_of_its_rules(spark, texts):
    rows = (
        spark.createDataFrame([(t,) for t in texts], "value string")
        .select(
            F.col("value"),
            json_records(F.col("value")).alias("fast"),
            plain_json_records(F.col("value")).alias("plain"),
        )
        .collect()
    )
    assert [(row.value, row.fast) for row in rows] == [(row.value, row.plain) for row in rows]


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
