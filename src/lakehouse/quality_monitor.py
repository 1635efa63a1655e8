"""Data-quality figures per rule and the threshold that turns them into an alert.

On Databricks, expectation metrics live in each pipeline's event log: every ``flow_progress`` event
carries ``details.flow_progress.data_quality.expectations``, a JSON array of
``{name, dataset, passed_records, failed_records}``. :func:`expectation_metrics` turns event-log rows
into rows passed and failed per rule per update (the same query as
``src/sql/quality/expectations.sql``, checked against it in a test); the quality job
(``resources/quality.job.yml``, notebook ``src/notebooks/quality_check.py``) fails - and so notifies
- when a rule's failure rate in the latest update exceeds ``quality_max_failure_rate``.

Locally the same figures come from the run summaries (``lakehouse run`` writes one per run under
``LAKEHOUSE_HOME/runs``, computed from Delta history); :func:`figures_from_summary` reads them and
``lakehouse quality`` prints them. Both sides meet in :class:`RuleFigures` and :func:`breaches`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakehouse.errors import LakehouseError, UserError

if TYPE_CHECKING:  # Spark is imported where it runs, so ``lakehouse quality`` starts without it
    from pyspark.sql import DataFrame

EXPECTATIONS_PATH = "$.flow_progress.data_quality.expectations"
EXPECTATIONS_TYPE = "array<struct<name: string, dataset: string, passed_records: bigint, failed_records: bigint>>"
QUARANTINE_SUFFIX = "_quarantine"
WARN_SUFFIX = " (warn)"
_PIPELINE_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class QualityThresholdExceeded(LakehouseError):
    """A rule rejected more rows than the configured share; the message lists every breach."""


@dataclass(frozen=True)
class RuleFigures:
    """Rows that passed and failed one rule in one update (Databricks) or run (local)."""

    pipeline: str
    update: str
    dataset: str
    rule: str
    passed: int
    failed: int

    @property
    def checked(self) -> int:
        return self.passed + self.failed

    @property
    def failure_rate(self) -> float:
        return self.failed / self.checked if self.checked else 0.0


def expectation_metrics(events: DataFrame) -> DataFrame:
    """Event-log rows -> ``update_id, update_time, dataset, rule, passed, failed, failure_rate``.

    ``details`` is the event log's JSON string; ``get_json_object`` + ``from_json`` read it on any
    Spark (Databricks SQL's ``details:flow_progress...`` path syntax is Databricks-only). Each
    ``flow_progress`` event reports the rows of its own batch, so figures are summed per update.
    """
    from pyspark.sql import functions as F

    expectations = F.from_json(F.get_json_object(F.col("details"), EXPECTATIONS_PATH), EXPECTATIONS_TYPE)
    exploded = events.where(F.col("event_type") == "flow_progress").select(
        F.col("origin.update_id").alias("update_id"),
        F.col("timestamp"),
        F.explode(expectations).alias("expectation"),
    )
    summed = exploded.groupBy(
        "update_id", F.col("expectation.dataset").alias("dataset"), F.col("expectation.name").alias("rule")
    ).agg(
        F.max("timestamp").alias("update_time"),
        F.coalesce(F.sum("expectation.passed_records"), F.lit(0)).cast("bigint").alias("passed"),
        F.coalesce(F.sum("expectation.failed_records"), F.lit(0)).cast("bigint").alias("failed"),
    )
    checked = F.col("passed") + F.col("failed")
    return summed.select(
        "update_id",
        "update_time",
        "dataset",
        "rule",
        "passed",
        "failed",
        F.when(checked > 0, F.round(F.col("failed") / checked, 6)).otherwise(F.lit(0.0)).alias("failure_rate"),
    )


def latest_update(metrics: DataFrame) -> DataFrame:
    """Only the rows of the most recent update (by its latest event) in ``metrics``."""
    from pyspark.sql import functions as F

    newest = metrics.agg(F.max("update_time").alias("newest"))
    latest_ids = metrics.join(newest, F.col("update_time") == F.col("newest")).select("update_id").distinct()
    return metrics.join(latest_ids, "update_id", "left_semi")


def figures_from_metrics(pipeline: str, rows: Iterable[Mapping[str, Any]]) -> list[RuleFigures]:
    return [
        RuleFigures(
            pipeline, str(r["update_id"]), str(r["dataset"]), str(r["rule"]), int(r["passed"]), int(r["failed"])
        )
        for r in rows
    ]


def figures_from_summary(
    summary: Mapping[str, Any], run: str, known_rules: Mapping[str, Iterable[str]] | None = None
) -> list[RuleFigures]:
    """Per-rule figures of one local run summary (``lakehouse run``'s JSON).

    A drop rule's rows checked are the rows the run wrote to the silver table plus those it wrote
    to its quarantine twin; a warning rule's are the silver rows. Transport duplicates removed after
    the checks are in neither. A summary names only the rules that failed some row; ``known_rules``
    (dataset -> rules, e.g. those seen in other runs) adds the others with zero failures.
    """
    pipeline = str(summary.get("pipeline", "?"))
    datasets = {entry["dataset"]: entry for entry in summary.get("datasets", [])}
    known = known_rules or {}
    figures: list[RuleFigures] = []
    for name, entry in datasets.items():
        written = int(entry.get("rows_written", 0))
        if name.endswith(QUARANTINE_SUFFIX) and "rule_failures" in entry:
            silver = name.removesuffix(QUARANTINE_SUFFIX)
            checked = written + int(datasets.get(silver, {}).get("rows_written", 0))
            failures = {rule: 0 for rule in known.get(silver, ()) if not rule.endswith(WARN_SUFFIX)}
            failures.update({rule: int(n) for rule, n in entry["rule_failures"].items()})
            for rule, failed in sorted(failures.items()):
                figures.append(RuleFigures(pipeline, run, silver, rule, checked - failed, failed))
        for rule, failed in sorted((entry.get("warnings") or {}).items()):
            figures.append(RuleFigures(pipeline, run, name, rule + WARN_SUFFIX, written - int(failed), int(failed)))
    return figures


def breaches(figures: Iterable[RuleFigures], max_failure_rate: float) -> list[RuleFigures]:
    """Rules whose failure rate is above the threshold (a rate equal to it is tolerated)."""
    if not 0.0 <= max_failure_rate <= 1.0:
        raise UserError(f"the maximum failure rate must be between 0 and 1, got {max_failure_rate}")
    return [f for f in figures if f.checked and f.failure_rate > max_failure_rate]


def check(figures: Iterable[RuleFigures], max_failure_rate: float) -> None:
    """Raise :class:`QualityThresholdExceeded` naming every rule above the threshold."""
    found = breaches(figures, max_failure_rate)
    if found:
        listed = "; ".join(
            f"{f.pipeline} {f.dataset} {f.rule}: {f.failed}/{f.checked} failed ({f.failure_rate:.1%})" for f in found
        )
        raise QualityThresholdExceeded(f"failure rate above {max_failure_rate:.1%}: {listed}")


def parse_failure_rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        raise UserError(f"max_failure_rate must be a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= rate <= 1.0:
        raise UserError(f"max_failure_rate must be between 0 and 1, got {text!r}")
    return rate


def parse_pipeline_ids(text: str) -> list[str]:
    """``'id1, id2'`` -> ids, each checked to be a pipeline UUID before it goes into SQL."""
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise UserError("pipeline_ids is empty: name at least one pipeline id")
    for pipeline_id in ids:
        if not _PIPELINE_ID.match(pipeline_id):
            raise UserError(f"{pipeline_id!r} is not a pipeline id (a UUID)")
    return ids
