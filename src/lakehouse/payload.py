"""Whether a record can be read at all, judged before any of its fields.

An empty record (an empty file lands as one) or one that is not a JSON object (a truncated line, an
array that did not parse, plain text) has no fields: judged field by field it would fail every rule
and the quarantine would list nine echoes of one cause. So a JSON pipeline's quarantine names the
cause once - ``payload_not_empty`` or else ``payload_is_json_object`` - and judges the fields only of
records it could read (:func:`quarantine_rules`).

The record is parsed once: ``from_json`` with a corrupt-record column tells an object (the column
is NULL) from everything else (it holds the text), and gives NULL for an empty or blank record.
Silver's own rules never see these columns; a record that is not an object has NULL fields, which
fail them, so silver and the quarantine still accept exactly the same records.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakehouse.quality import Rules

CORRUPT_RECORD = "_corrupt_record"
NOT_EMPTY = "payload_not_empty"
IS_JSON_OBJECT = "payload_is_json_object"

# The payload's own rules, in the order they explain a record: each passes when an earlier one fails.
PAYLOAD_RULES: dict[str, str] = {
    NOT_EMPTY: NOT_EMPTY,
    IS_JSON_OBJECT: f"NOT {NOT_EMPTY} OR {IS_JSON_OBJECT}",
}


# Strict JSON: ``NaN`` and ``Infinity`` are not JSON numbers, so a record holding one is not read.
JSON_OPTIONS = {"columnNameOfCorruptRecord": CORRUPT_RECORD, "allowNonNumericNumbers": "false"}


def parse_json_object(raw: Column, schema: str) -> Column:
    """``raw`` parsed with ``schema`` (a DDL string), NULL unless it is a JSON object."""
    parsed = F.from_json(raw, f"{schema}, {CORRUPT_RECORD} string", JSON_OPTIONS)
    return F.when(parsed.isNotNull() & parsed[CORRUPT_RECORD].isNull(), parsed.dropFields(CORRUPT_RECORD))


def not_empty(raw: Column) -> Column:
    """True when the record holds a visible character (never NULL: a Kafka tombstone is empty)."""
    return F.coalesce(raw.rlike(r"\S"), F.lit(False))


def payload_columns(raw: Column, event: Column) -> list[Column]:
    """The two columns :data:`PAYLOAD_RULES` read; ``event`` is :func:`parse_json_object` of ``raw``."""
    return [not_empty(raw).alias(NOT_EMPTY), event.isNotNull().alias(IS_JSON_OBJECT)]


def quarantine_rules(record_rules: Rules) -> dict[str, str]:
    """The payload rules, then ``record_rules`` judged only on records that could be read."""
    return {**PAYLOAD_RULES, **{name: f"NOT {IS_JSON_OBJECT} OR ({expr})" for name, expr in record_rules.items()}}
