"""The orders quarantine: why each rejected event was refused, and conflicting duplicates.

Two sources of rejected events, one table: records that fail a rule (:func:`to_order_line_quarantine`,
with the real causes, :func:`quarantine_rules`) and valid events whose ``event_id`` silver already holds
with other content (:func:`to_conflicting_duplicates`, :mod:`lakehouse.duplicates`).
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from lakehouse import payload
from lakehouse.duplicates import conflicting_duplicates
from lakehouse.orders.silver import ORDER_LINE_COLUMNS, ORDER_LINE_RULES, REASON_FORMS, VALUE_RULES
from lakehouse.quality import keep_valid
from lakehouse.quarantine import to_quarantine


def to_conflicting_duplicates(parsed: DataFrame, order_lines: DataFrame) -> DataFrame:
    """Valid events whose ``event_id`` silver holds with other content (:mod:`lakehouse.duplicates`),
    in the quarantine's shape. ``order_lines`` is the silver table (read as a table, not a stream)."""
    valid = keep_valid(parsed, ORDER_LINE_RULES)
    return conflicting_duplicates(valid, order_lines, "event_id", ORDER_LINE_COLUMNS, ("event_id",))


def quarantine_rules() -> dict[str, str]:
    """The rules whose failures a quarantined record lists: the real causes, not their echoes.

    Accepts exactly the records :data:`ORDER_LINE_RULES` accepts: each value rule fails only when a
    typed column is NULL (which fails a silver rule), and each reason form relaxes a silver rule only
    where another rule already fails.
    """
    record = {**VALUE_RULES, **{name: REASON_FORMS.get(name, expr) for name, expr in ORDER_LINE_RULES.items()}}
    return payload.quarantine_rules(record)


def to_order_line_quarantine(parsed: DataFrame) -> DataFrame:
    """Rejected records: the raw payload, the names of the failed rules, the event id and the source."""
    return to_quarantine(parsed, quarantine_rules(), identifiers=("event_id",))
