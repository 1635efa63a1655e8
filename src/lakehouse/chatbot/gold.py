"""Chatbot sessions (one row per conversation, latest valid answer per key) and one flat view per flow."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.chatbot.flows import check_view_keys

SESSION_KEYS = ("customer", "flow", "session")


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
    check_view_keys(flow, keys)
    return sessions.filter(F.col("flow") == F.lit(flow)).select(
        F.col("customer"),
        F.col("session"),
        *[F.col("answers")[key].alias(key) for key in keys],
        F.col("first_answer_dt"),
        F.col("last_answer_dt"),
    )
