"""Two records under one id: a transport copy is dropped and counted, a different content is quarantined.

A de-duplicating silver table keeps the first version of each id that arrives within its window
(``dropDuplicatesWithinWatermark`` on arrival time). Another record with that id is either a
*transport duplicate* - the same content sent twice, dropped and counted in the run summary
(:mod:`lakehouse.accounting`) - or a *conflicting duplicate*: the same id with other content, which
silver cannot hold next to the first and must not drop silently. :func:`quarantine_with_conflicts`
gives those to the quarantine as ``conflicting_duplicate``; the version silver kept is found in
silver under the same id, so both payloads stay findable.

Design: a record that passed every rule is a conflicting duplicate when silver holds its id but not
its content. The check reads silver's table as it is - each kept id with the set of its contents,
joined to the records on the id - so it agrees with silver's actual choice, whatever copy the
de-duplication kept within a micro-batch and however long it remembered the id (that depends on when
later batches move its watermark, not on a fixed arrival gap: a join bounded by arrival time would
miss versions silver still dropped). It keeps no streaming state. It runs after silver: locally in
the stage after silver's (:mod:`lakehouse.local.layers`), and on Databricks in the same update after
silver, as a triggered update runs flows in dependency order. In a continuous pipeline, where flows
run side by side, a version checked before silver committed its first version would not be flagged:
the run summary's accounting still counts it (``duplicates dropped``), so it is never silent.

One pass: :func:`quarantine_with_conflicts` judges the rules and the conflict in the same flow, so
bronze is read and its payloads parsed once for the whole quarantine. Two flows, one per cause, made
the stage after silver 2-4 s longer on 694,000 events (29.7 and 30.2 s against 27.6 and 25.7 s, cold
runs taken in turn). Each micro-batch reads silver's ids and contents once, so the check grows with
silver.

The fingerprint is ``xxhash64`` of the typed silver columns, so two serialisations of one event
(key order, spacing) are one content; a 64-bit collision would hide a conflict, one in 2^64 pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.quality import FAILED_RULES, Rules, failed_rules
from lakehouse.quarantine import quarantine_shape

CONFLICTING_DUPLICATE = "conflicting_duplicate"

# The settings of a flow that runs :func:`quarantine_with_conflicts` (``spark_conf`` of its table).
# Grouping silver by id with ``collect_set`` is an object aggregate; Spark's hash variant of it
# gives up after 128 keys per task and sorts its object buffers, slower than the plain sort-based
# aggregate. On 6.4 million silver ids (a long-running run's tenth minute at 10x) the check took
# 14.6-17.1 s with the default and 11.0-11.7 s with this (local Spark, batch replay). Set on the
# flow, so no other query changes.
CONFLICT_CHECK_CONF = {"spark.sql.execution.useObjectHashAggregateExec": "false"}
_KEPT_KEY, _KEPT, _RULES_FAILED = "_kept_key", "_kept_fingerprints", "_rules_failed"


def fingerprint(columns: Sequence[str]) -> Column:
    """One number per content: equal for two copies of an event, different for two events."""
    return F.xxhash64(*[F.col(c) for c in columns])


def quarantine_with_conflicts(
    parsed: DataFrame,
    rules: Rules,
    silver: DataFrame,
    key: str,
    content: Sequence[str],
    identifiers: Sequence[str] = (),
) -> DataFrame:
    """Every record silver refused, in the quarantine's shape: the rules it failed, or
    ``conflicting_duplicate`` when it failed none but silver holds its id with other content.

    ``parsed``: bronze records with their typed columns and source columns (a stream). ``rules``: the
    quarantine's rules, accepting exactly what silver's rules accept. ``silver``: the silver table,
    read as a table (not a stream). ``content``: the silver columns that make a record's content.
    ``identifiers``: the columns the pipeline's quarantine keeps besides the source
    (:func:`lakehouse.quarantine.to_quarantine`).

    Builds the plan without analysing it (no ``.columns``): pipeline query functions may not.
    """
    kept = silver.groupBy(F.col(key).alias(_KEPT_KEY)).agg(F.collect_set(fingerprint(content)).alias(_KEPT))
    judged = parsed.select("*", failed_rules(rules).alias(_RULES_FAILED))
    checked = judged.join(kept, F.col(key) == F.col(_KEPT_KEY), "left")
    conflicting = (
        (F.size(F.col(_RULES_FAILED)) == 0)
        & F.col(_KEPT).isNotNull()
        & ~F.array_contains(F.col(_KEPT), fingerprint(content))
    )
    reasons = F.when(conflicting, F.array(F.lit(CONFLICTING_DUPLICATE))).otherwise(F.col(_RULES_FAILED))
    refused = checked.select("*", reasons.alias(FAILED_RULES))
    return quarantine_shape(refused.filter(F.size(F.col(FAILED_RULES)) > 0), identifiers)
