"""Data-quality rules as data, and the pure column logic that evaluates them.

A rule set is a plain mapping ``{rule_name: sql_boolean}`` declared next to the transform it guards
(``orders.silver.ORDER_LINE_RULES``). Keeping rules as data lets the same dict drive three things:
native Databricks expectations, the local open-source equivalent (:mod:`lakehouse.compat`), and the
quarantine table that records *which* rules each rejected row failed.

A rule that evaluates to NULL counts as failed: "we could not prove the row is valid" must never
let it through silently, on either engine.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

Rules = Mapping[str, str]

FAILED_RULES = "failed_rules"


def null_safe(expression: str) -> str:
    """Wrap a rule so NULL means failed, with the same meaning on Databricks and locally."""
    return f"coalesce(({expression}), false)"


def all_rules_pass(rules: Rules) -> Column:
    """One boolean column that is true only when every rule holds (NULL counts as a failure)."""
    if not rules:
        return F.lit(True)
    return F.expr(" AND ".join(null_safe(expr) for expr in rules.values()))


def failed_rules(rules: Rules) -> Column:
    """The names of the rules a row fails, as ``array<string>`` (empty when the row is valid).

    Built with ``filter`` over a literal array so that rows failing nothing get ``[]``, never NULL.
    """
    if not rules:
        return F.array().cast("array<string>")
    candidates = F.array(*[F.when(~F.expr(null_safe(expr)), F.lit(name)) for name, expr in rules.items()])
    return F.filter(candidates, lambda name: name.isNotNull())


def with_failed_rules(df: DataFrame, rules: Rules) -> DataFrame:
    """Add the ``failed_rules`` column; the quarantine and the run summary both read it.

    A ``select``, not ``withColumn``: the local engine registers flows that read tables of their own
    layer, and their plans must stay unanalysed until the graph runs.
    """
    return df.select("*", failed_rules(rules).alias(FAILED_RULES))


def keep_valid(df: DataFrame, rules: Rules) -> DataFrame:
    """Rows that pass every rule: what ``expect_all_or_drop`` keeps on Databricks."""
    return df.filter(all_rules_pass(rules))


def keep_rejected(df: DataFrame, rules: Rules) -> DataFrame:
    """Rows that fail at least one rule, with the names of the rules they failed."""
    return with_failed_rules(df, rules).filter(F.size(F.col(FAILED_RULES)) > 0)
