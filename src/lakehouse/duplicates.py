"""Two records under one id: a transport copy is dropped and counted, a different content is quarantined.

A de-duplicating silver table keeps the first version of each id that arrives within its window
(``dropDuplicatesWithinWatermark`` on arrival time). Another record with that id is either a
*transport duplicate* - the same content sent twice, dropped and counted in the run summary
(:mod:`lakehouse.accounting`) - or a *conflicting duplicate*: the same id with other content, which
silver cannot hold next to the first and must not drop silently. :func:`conflicting_duplicates`
finds those and gives them to the quarantine as ``conflicting_duplicate``; the version silver kept
is found in silver under the same id, so both payloads stay findable.

Design: a valid record is a conflicting duplicate when silver holds its id but not its content. The
check reads silver's table as it is - a left-anti join on (id, fingerprint), then a left-semi join on
the id - so it agrees with silver's actual choice, whatever copy the de-duplication kept within a
micro-batch and however long it remembered the id (that depends on when later batches move its
watermark, not on a fixed arrival gap: a join bounded by arrival time would miss versions silver
still dropped). It keeps no streaming state. It runs after silver: locally as a layer of its own
(``quarantine.py``, :mod:`lakehouse.local.layers`), and on Databricks in the same update after silver,
as a triggered update runs flows in dependency order. In a continuous pipeline, where flows run
side by side, a version checked before silver committed its first version would not be flagged: the
run summary's accounting still counts it (``duplicates dropped``), so it is never silent.

Cost: each micro-batch of the check reads silver's ids and contents once per join, so it grows
with silver; ``bench/bench_notifications.py`` shows it next to the rest of the run.

The fingerprint is ``xxhash64`` of the typed silver columns, so two serialisations of one event
(key order, spacing) are one content; a 64-bit collision would hide a conflict, one in 2^64 pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.quality import FAILED_RULES
from lakehouse.quarantine import quarantine_shape

CONFLICTING_DUPLICATE = "conflicting_duplicate"


def fingerprint(columns: Sequence[str]) -> Column:
    """One number per content: equal for two copies of an event, different for two events."""
    return F.xxhash64(*[F.col(c) for c in columns])


def conflicting_duplicates(
    valid: DataFrame,
    silver: DataFrame,
    key: str,
    content: Sequence[str],
    identifiers: Sequence[str] = (),
) -> DataFrame:
    """Valid records whose id silver holds with other content, in the quarantine's shape.

    ``valid``: the records that passed every rule, with their bronze source columns (a stream).
    ``silver``: the silver table, read as a table (not a stream). ``content``: the silver columns
    that make a record's content. ``identifiers``: the columns the pipeline's quarantine keeps
    besides the source (:func:`lakehouse.quarantine.to_quarantine`).
    """
    records = valid.select("*", fingerprint(content).alias("_fingerprint"))
    kept = silver.select(F.col(key).alias("_kept_key"), fingerprint(content).alias("_kept_fingerprint"))
    same_content = (F.col(key) == F.col("_kept_key")) & (F.col("_fingerprint") == F.col("_kept_fingerprint"))
    not_kept = records.join(kept, same_content, "left_anti")
    conflicts = not_kept.join(kept.select("_kept_key"), F.col(key) == F.col("_kept_key"), "left_semi")
    return quarantine_shape(
        conflicts.select("*", F.array(F.lit(CONFLICTING_DUPLICATE)).alias(FAILED_RULES)), identifiers
    )
