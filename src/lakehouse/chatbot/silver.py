"""Chatbot answer files -> one typed silver row per answer, with the rules that guard them.

An answer event looks like::

    {"customer": "C1000", "flow": "F1000", "session": "S2000",
     "timestamp": "2019-12-16T13:59:59+00:00", "content": {"cpf": "733.600.420-26"}}

A file holds either a JSON array of events (what the chatbot exports today, one file per hour) or
JSON lines; bronze splits it into one row per event (:mod:`lakehouse.file_records`). A record that
still holds several (a Kafka message carrying an array) is split here the same way. Each element
becomes at least one row, so an element that is not an event (``42``, ``"x"``, a broken file) is
quarantined with its text instead of vanishing. ``content`` normally has one key; every key it holds
is an answer.

A customer may answer the same question again (an empty answer replaced a second later, a corrected
document number): the session keeps the latest valid answer per key.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse import payload
from lakehouse.columns import SOURCE_COLUMNS
from lakehouse.file_records import json_records
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

# What a quarantined row lists: why its element could not be read (an empty file, something that is
# not an event object), or which of :data:`CHATBOT_RULES` its answer failed.
QUARANTINE_RULES: dict[str, str] = payload.quarantine_rules(CHATBOT_RULES)


def parse_chatbot_files(bronze: DataFrame) -> DataFrame:
    """One row per answer in every file, typed (NULL where unparsable), with its source metadata.

    ``raw_payload`` becomes the element's own JSON text (the whole file only for an unreadable
    array), so a quarantined row shows the answer that failed; ``file_path`` names its file.
    """
    metadata = [F.col(c) for c in SOURCE_COLUMNS if c != "raw_payload"]
    elements = bronze.select(
        F.explode(json_records(F.col("raw_payload"))).alias("element"),
        *metadata,
    )
    events = elements.select(
        payload.parse_json_object(F.col("element"), EVENT_SCHEMA).alias("event"),
        F.col("element").alias("raw_payload"),
        *metadata,
    )
    answers = events.select(
        F.col("event.customer").alias("customer"),
        F.col("event.flow").alias("flow"),
        F.col("event.session").alias("session"),
        F.col("event.timestamp").alias("timestamp"),
        F.explode_outer(F.col("event.content")).alias("key", "value"),
        *[F.col(c) for c in SOURCE_COLUMNS],
        *payload.payload_columns(F.col("raw_payload"), F.col("event")),
    )
    return answers.select(
        F.col("customer"),
        F.col("flow"),
        F.col("session"),
        F.col("key"),
        F.col("value"),
        parse_iso_instant(F.col("timestamp")).alias("answered_at"),
        *[F.col(c) for c in SOURCE_COLUMNS],
        F.col(payload.NOT_EMPTY),
        F.col(payload.IS_JSON_OBJECT),
    )


def to_answers(valid: DataFrame) -> DataFrame:
    """Silver ``chatbot_answers``: every valid answer, superseded ones included."""
    return valid.select(*[F.col(c) for c in ANSWER_COLUMNS])
