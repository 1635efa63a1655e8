"""Debezium change events of ``public.usuarios`` -> one typed row per change, with the rules that guard it.

A message is a Debezium PostgreSQL JSON change event, with or without the ``{"schema", "payload"}``
envelope (the JSON converter's ``schemas.enable``). The row image is ``after`` for inserts (``c``),
updates (``u``) and snapshot reads (``r``), and ``before`` for deletes (``d``). With PostgreSQL's
default ``REPLICA IDENTITY`` a delete's ``before`` holds only the key; its other columns are NULL.

Ordering is ``source.lsn`` (the WAL position of the change), never the event's ``ts_ms`` (when the
connector processed it, which a replay changes). ``changed_at`` is ``source.ts_ms``, the commit time
in the database, kept for reporting only.

Tombstones (a null Kafka value, or the line ``null`` in a landing file) follow every delete so that
log compaction can drop the key; they carry no change. They stay in bronze, are left out of the
change table by the explicit flag ``is_tombstone`` (never a quarantine reason, since they are not
errors) and are recorded, counted per run, in ``users_tombstones``.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.columns import SOURCE_COLUMNS
from lakehouse.instants import parse_iso_instant, representable
from lakehouse.quality import keep_valid
from lakehouse.quarantine import to_quarantine

SOURCE_TABLE = "usuarios"

# Strings on purpose: a malformed value becomes NULL and fails a rule instead of failing the stream.
_ROW = (
    "id string, nome string, email string, cpf string, telefone string, cidade string, estado string, "
    "status string, created_at string, updated_at string"
)
EVENT_SCHEMA = (
    f"before struct<{_ROW}>, after struct<{_ROW}>, op string, ts_ms string, "
    "source struct<connector string, db string, schema string, table string, lsn string, ts_ms string, "
    "snapshot string, txId string>"
)

ROW_COLUMNS = ("nome", "email", "cpf", "telefone", "cidade", "estado", "status", "created_at", "updated_at")
CHANGE_COLUMNS = ("id", "op", "lsn", "changed_at", *ROW_COLUMNS)
# What the SCD tables keep of a change: the row, without the change's own bookkeeping (op, lsn, changed_at).
USER_COLUMNS = ("id", *ROW_COLUMNS)
OPS = ("c", "u", "d", "r")

# Evaluated on the change table's own columns: they are also its expectations.
CHANGE_RULES: dict[str, str] = {
    "op_known": f"op IN ({', '.join(repr(op) for op in OPS)})",
    "key_present": "id IS NOT NULL",
    "lsn_present": "lsn IS NOT NULL",
}
# Only the quarantine can see these: they name why a message is no change of usuarios at all.
PAYLOAD_RULES: dict[str, str] = {
    "payload_parsable": "payload_is_json_object",
    "table_is_usuarios": f"source_table = '{SOURCE_TABLE}'",
}

TOMBSTONE_COLUMNS = ("key_id", *SOURCE_COLUMNS[1:])


def is_tombstone(raw_payload: Column) -> Column:
    """A null Kafka value, or the JSON text ``null`` (how a landing file writes one)."""
    return raw_payload.isNull() | (F.trim(raw_payload) == F.lit("null"))


def unwrap_envelope(raw_payload: Column) -> Column:
    """The event's JSON text: ``payload`` of an enveloped message, the message itself otherwise."""
    payload = F.get_json_object(raw_payload, "$.payload")
    return F.when(payload.isNotNull(), payload).otherwise(raw_payload)


def key_id(kafka_key: Column) -> Column:
    """The ``id`` of a Kafka key ``{"id": N}`` (or its enveloped form); NULL for files or bad keys."""
    found = F.coalesce(F.get_json_object(kafka_key, "$.payload.id"), F.get_json_object(kafka_key, "$.id"))
    return found.try_cast("bigint")


def commit_time(ts_ms: Column) -> Column:
    """``source.ts_ms`` (milliseconds since the epoch) as a timestamp; NULL when unreadable or out of range.

    Not ``timestamp_millis``: it multiplies by 1000 exactly and raises ``long overflow`` for a
    ``ts_ms`` more than about 292,000 years from 1970, ANSI mode or not, so one such message would
    fail every retry of the stream. ``try_multiply`` makes that NULL instead, and :func:`representable`
    keeps only the years 0001-9999 that Python and BI tools can read (:mod:`lakehouse.instants`).
    ``changed_at`` is for reporting only, so a NULL is no rule failure.
    """
    micros = F.try_multiply(ts_ms.try_cast("bigint"), F.lit(1000))
    return representable(F.timestamp_micros(micros))


def parse_user_changes(bronze: DataFrame) -> DataFrame:
    """Every bronze record with typed change columns (NULL where unparsable) and its source metadata."""
    text = unwrap_envelope(F.col("raw_payload"))
    parsable = F.expr("try_parse_json(event_text) IS NOT NULL AND startswith(ltrim(event_text), '{')")
    event = bronze.select(
        *[F.col(c) for c in SOURCE_COLUMNS],
        is_tombstone(F.col("raw_payload")).alias("is_tombstone"),
        text.alias("event_text"),
    ).select(
        "*",
        F.coalesce(parsable, F.lit(False)).alias("payload_is_json_object"),
        F.from_json(F.col("event_text"), EVENT_SCHEMA).alias("event"),
    )
    op = F.col("event.op")
    image = F.when(op == F.lit("d"), F.col("event.before")).otherwise(F.col("event.after"))
    return event.select(
        *[F.col(c) for c in SOURCE_COLUMNS],
        "is_tombstone",
        "payload_is_json_object",
        F.col("event.source.table").alias("source_table"),
        image.id.try_cast("bigint").alias("id"),
        op.alias("op"),
        F.col("event.source.lsn").try_cast("bigint").alias("lsn"),
        commit_time(F.col("event.source.ts_ms")).alias("changed_at"),
        *[image[c].alias(c) for c in ROW_COLUMNS[:-2]],
        parse_iso_instant(image.created_at).alias("created_at"),
        parse_iso_instant(image.updated_at).alias("updated_at"),
    )


def all_rules() -> dict[str, str]:
    return {**PAYLOAD_RULES, **CHANGE_RULES}


def changes(parsed: DataFrame) -> DataFrame:
    """Valid changes, not tombstones, with only the change table's columns (may still hold replays)."""
    valid = keep_valid(parsed.filter(~F.col("is_tombstone")), all_rules())
    return valid.select(*[F.col(c) for c in CHANGE_COLUMNS])


def to_user_changes(parsed: DataFrame) -> DataFrame:
    """The change table: each change once, however often it was delivered (replays, retries).

    A change is identified by its content - key, lsn, op and row image - so a replay is dropped
    wherever and whenever it arrives (no watermark: a replay of the whole topic may come days later).
    The ``op`` is part of it: a delete and an upsert never collapse into one.
    """
    return changes(parsed).dropDuplicates(list(CHANGE_COLUMNS))


def to_user_change_quarantine(parsed: DataFrame) -> DataFrame:
    """Rejected messages (never tombstones): raw payload, failed rule names, id and lsn, source."""
    return to_quarantine(parsed.filter(~F.col("is_tombstone")), all_rules(), identifiers=("id", "lsn"))


def to_tombstones(parsed: DataFrame) -> DataFrame:
    """Tombstones as received, with the key they mark (from the Kafka key, where there is one)."""
    return parsed.filter(F.col("is_tombstone")).select(
        key_id(F.col("kafka_key")).alias("key_id"), *[F.col(c) for c in SOURCE_COLUMNS[1:]]
    )
