"""Chatbot conversations: answer files -> one silver row per answer -> sessions -> one view per flow.

An answer event looks like::

    {"customer": "C1000", "flow": "F1000", "session": "S2000",
     "timestamp": "2019-12-16T13:59:59+00:00", "content": {"cpf": "733.600.420-26"}}

A file holds either a JSON array of events (what the chatbot exports today, one file per hour) or
JSON lines; bronze keeps one row per file and :func:`parse_chatbot_files` accepts both. Each element
becomes at least one row, so an element that is not an event (``42``, ``"x"``, a broken file) is
quarantined with its text instead of vanishing. ``content`` normally has one key; every key it holds
is an answer.

A customer may answer the same question again (an empty answer replaced a second later, a corrected
document number): the session keeps the latest valid answer per key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.errors import SettingsError
from lakehouse.instants import parse_iso_instant

EVENT_SCHEMA = "customer string, flow string, session string, timestamp string, content map<string,string>"

# ISO-8601 with a mandatory offset; fractions of a second optional (up to microseconds).

SOURCE_COLUMNS = ("raw_payload", "topic", "partition", "offset", "file_path", "ingested_at")

ANSWER_COLUMNS = ("customer", "flow", "session", "key", "value", "answered_at")

SESSION_KEYS = ("customer", "flow", "session")

CHATBOT_RULES: dict[str, str] = {
    "customer_present": "customer IS NOT NULL AND trim(customer) <> ''",
    "flow_present": "flow IS NOT NULL AND trim(flow) <> ''",
    "session_present": "session IS NOT NULL AND trim(session) <> ''",
    "key_present": "key IS NOT NULL AND trim(key) <> ''",
    "answered_at_parsable": "answered_at IS NOT NULL",
    "value_present": "value IS NOT NULL",
    "value_not_blank": r"value RLIKE '\\S'",
}

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VIEW_FIXED_COLUMNS = ("customer", "session", "first_answer_dt", "last_answer_dt")


def file_elements(text: Column) -> Column:
    """The JSON texts of a file's events, as ``array<string>``.

    A file starting with ``[`` is a JSON array: each element is re-serialised compactly, whatever it
    is. Otherwise the file is JSON lines and blank lines are skipped. A file that cannot be read as
    an array becomes ``[NULL]``: one element to quarantine, not zero.
    """
    trimmed = F.trim(text)
    as_array = F.from_json(trimmed, "array<string>")
    as_lines = F.filter(F.split(trimmed, r"\r?\n"), lambda line: F.trim(line) != F.lit(""))
    return F.when(
        trimmed.startswith("["),
        F.coalesce(as_array, F.array(F.lit(None).cast("string"))),
    ).otherwise(as_lines)


def parse_chatbot_files(bronze: DataFrame) -> DataFrame:
    """One row per answer in every file, typed (NULL where unparsable), with its source metadata.

    ``raw_payload`` becomes the element's own JSON text (the whole file only for an unreadable
    array), so a quarantined row shows the answer that failed; ``file_path`` names its file.
    """
    metadata = [F.col(c) for c in SOURCE_COLUMNS if c != "raw_payload"]
    elements = bronze.select(
        F.explode(file_elements(F.col("raw_payload"))).alias("element"),
        F.col("raw_payload").alias("file_text"),
        *metadata,
    )
    events = elements.select(
        F.from_json(F.col("element"), EVENT_SCHEMA).alias("event"),
        F.coalesce(F.col("element"), F.col("file_text")).alias("raw_payload"),
        *metadata,
    )
    answers = events.select(
        F.col("event.customer").alias("customer"),
        F.col("event.flow").alias("flow"),
        F.col("event.session").alias("session"),
        F.col("event.timestamp").alias("timestamp"),
        F.explode_outer(F.col("event.content")).alias("key", "value"),
        *[F.col(c) for c in SOURCE_COLUMNS],
    )
    return answers.select(
        F.col("customer"),
        F.col("flow"),
        F.col("session"),
        F.col("key"),
        F.col("value"),
        parse_iso_instant(F.col("timestamp")).alias("answered_at"),
        *[F.col(c) for c in SOURCE_COLUMNS],
    )


def to_answers(valid: DataFrame) -> DataFrame:
    """Silver ``chatbot_answers``: every valid answer, superseded ones included."""
    return valid.select(*[F.col(c) for c in ANSWER_COLUMNS])


def chatbot_sessions(answers: DataFrame) -> DataFrame:
    """One row per (customer, flow, session): first and last answer time and the answers so far.

    ``answers`` maps each key to its latest valid value: a later answer to the same key replaces an
    earlier one; answers at the same instant are broken by the larger value, so reruns agree.
    Receiving the same answer twice changes nothing. Works for every flow alike.
    """
    per_key = answers.groupBy(*[F.col(c) for c in (*SESSION_KEYS, "key")]).agg(
        F.max(F.struct(F.col("answered_at"), F.col("value")))["value"].alias("value"),
        F.min(F.col("answered_at")).alias("first_answer_dt"),
        F.max(F.col("answered_at")).alias("last_answer_dt"),
    )
    return per_key.groupBy(*[F.col(c) for c in SESSION_KEYS]).agg(
        F.min(F.col("first_answer_dt")).alias("first_answer_dt"),
        F.max(F.col("last_answer_dt")).alias("last_answer_dt"),
        F.map_from_entries(F.array_sort(F.collect_list(F.struct(F.col("key"), F.col("value"))))).alias("answers"),
    )


def flow_view(sessions: DataFrame, flow: str, keys: Sequence[str]) -> DataFrame:
    """The sessions of one flow with a column per answer key (NULL while unanswered)."""
    _check_view_keys(flow, keys)
    return sessions.filter(F.col("flow") == F.lit(flow)).select(
        F.col("customer"),
        F.col("session"),
        *[F.col("answers")[key].alias(key) for key in keys],
        F.col("first_answer_dt"),
        F.col("last_answer_dt"),
    )


def parse_flow_views(text: str) -> dict[str, list[str]]:
    """``"F1000=name,cpf;F2000=nota"`` -> ``{"F1000": ["name", "cpf"], "F2000": ["nota"]}``."""
    views: dict[str, list[str]] = {}
    for entry in (part.strip() for part in text.split(";")):
        if not entry:
            continue
        flow, separator, listed = (piece.strip() for piece in entry.partition("="))
        keys = [key.strip() for key in listed.split(",") if key.strip()]
        if not separator or not flow or not keys:
            raise SettingsError(f"flow views look like 'FLOW=key1,key2', got {entry!r}")
        if flow in views:
            raise SettingsError(f"flow {flow!r} is listed twice in {text!r}")
        _check_view_keys(flow, keys)
        views[flow] = keys
    return views


def _check_view_keys(flow: str, keys: Sequence[str]) -> None:
    """Keys become column names: plain identifiers, unique, not clashing with the fixed columns."""
    if not keys:
        raise SettingsError(f"flow {flow!r} needs at least one answer key")
    invalid = [key for key in keys if not _IDENTIFIER.match(key)]
    if invalid:
        raise SettingsError(f"answer keys of flow {flow!r} must be identifiers: {invalid}")
    clashing = [key for key in keys if key in _VIEW_FIXED_COLUMNS]
    if clashing:
        raise SettingsError(f"answer keys of flow {flow!r} clash with fixed columns: {clashing}")
    if len(set(keys)) != len(keys):
        raise SettingsError(f"answer keys of flow {flow!r} are repeated: {list(keys)}")
