"""Chatbot answer files -> one typed silver row per answer, with the rules that guard them.

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

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.columns import SOURCE_COLUMNS
from lakehouse.instants import parse_iso_instant

EVENT_SCHEMA = "customer string, flow string, session string, timestamp string, content map<string,string>"


ANSWER_COLUMNS = ("customer", "flow", "session", "key", "value", "answered_at")


CHATBOT_RULES: dict[str, str] = {
    "customer_present": "customer IS NOT NULL AND trim(customer) <> ''",
    "flow_present": "flow IS NOT NULL AND trim(flow) <> ''",
    "session_present": "session IS NOT NULL AND trim(session) <> ''",
    "key_present": "key IS NOT NULL AND trim(key) <> ''",
    "answered_at_parsable": "answered_at IS NOT NULL",
    "value_present": "value IS NOT NULL",
    "value_not_blank": r"value RLIKE '\\S'",
}


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
