"""The orders quarantine: why each rejected event was refused, conflicting duplicates included.

Two causes, one table, judged in one pass over bronze (:func:`to_order_line_quarantine`): records that
fail a rule (with the real causes, :func:`quarantine_rules`) and valid events whose ``event_id`` silver
already holds with other content (:mod:`lakehouse.duplicates`).
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from lakehouse import payload
from lakehouse.duplicates import quarantine_with_conflicts
from lakehouse.orders.silver import ORDER_LINE_COLUMNS, ORDER_LINE_RULES, REASON_FORMS, VALUE_RULES


def quarantine_rules() -> dict[str, str]:
    """The rules whose failures a quarantined record lists: the real causes, not their echoes.

    Accepts exactly the records :data:`ORDER_LINE_RULES` accepts: each value rule fails only when a
    typed column is NULL (which fails a silver rule), and each reason form relaxes a silver rule only
    where another rule already fails.
    """
    record = {**VALUE_RULES, **{name: REASON_FORMS.get(name, expr) for name, expr in ORDER_LINE_RULES.items()}}
    return payload.quarantine_rules(record)


def to_order_line_quarantine(parsed: DataFrame, order_lines: DataFrame) -> DataFrame:
    """Rejected records: the raw payload, the names of the failed rules (or ``conflicting_duplicate``
    when silver holds the ``event_id`` with other content), the event id and the source.
    ``order_lines`` is the silver table (read as a table, not a stream)."""
    return quarantine_with_conflicts(
        parsed, quarantine_rules(), order_lines, "event_id", ORDER_LINE_COLUMNS, ("event_id",)
    )
