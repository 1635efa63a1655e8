"""What a local run did, per dataset: rows written, rows quarantined, failures per rule.

Figures come from the Delta tables themselves (commit history and time travel), not from counters
kept by the runner, so they are true even for a run that resumed after a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from lakehouse.accounting import Accounting
from lakehouse.local import delta_log
from lakehouse.quality import FAILED_RULES, null_safe

QUARANTINE_SUFFIX = "_quarantine"


def quoted(name: str) -> str:
    return ".".join(f"`{part}`" for part in name.split("."))


REWRITES = ("TRUNCATE", "CREATE OR REPLACE TABLE AS SELECT", "REPLACE TABLE AS SELECT")


@dataclass(frozen=True)
class Commits:
    """What the commits after a version did, read from the table's log.

    ``rows``: the rows they wrote (appends, merges and full recomputes alike). ``rewritten``: one of
    them replaced the whole table - a materialized view is recomputed whole (TRUNCATE, then WRITE), so
    its rows are all this run's, and a difference with the previous version would count only the rows
    that changed. ``changed_data``: one of them added or removed a data file (not only table
    properties or an empty streaming batch), so counting rules over its rows can find anything.
    """

    latest: int
    rows: int
    rewritten: bool
    changed_data: bool

    def counted_from(self, since: int) -> int:
        """The version this run's rows are counted after: ``since``, or -1 when the run rewrote the table."""
        return -1 if self.rewritten else since


def commits_since(spark: SparkSession, warehouse: Path, table: str, since: int) -> Commits:
    """What the commits after ``since`` wrote: from the log on disk, or ``DESCRIBE HISTORY`` when a
    commit file has been cleaned up."""
    found = delta_log.commits(warehouse, table, since)
    if found is None:
        found = history_since(spark, table, since)
    rows = delta_log.rows_written(found)
    changed_data = any(touches_data(commit) for commit in found)
    rewritten = any(c.operation in REWRITES or c.parameters.get("mode") == "Overwrite" for c in found)
    latest = max((commit.version for commit in found), default=since)
    return Commits(latest=latest, rows=rows, rewritten=rewritten, changed_data=changed_data)


DATA_METRICS = ("numAddedFiles", "numRemovedFiles", "numFiles", "numOutputRows", "numDeletedRows")


def touches_data(commit: delta_log.Commit) -> bool:
    if commit.operation in REWRITES:
        return True
    return any(int(commit.metrics.get(name, "0") or 0) > 0 for name in DATA_METRICS) or any(
        name.startswith("numTargetRows") and int(value or 0) > 0 for name, value in commit.metrics.items()
    )


def history_since(spark: SparkSession, table: str, since: int) -> list[delta_log.Commit]:
    if not spark.catalog.tableExists(table):
        return []
    history = (
        spark.sql(f"DESCRIBE HISTORY {quoted(table)}")
        .where(f"version > {since}")
        .select("version", "operation", "operationParameters", "operationMetrics")
        .collect()
    )
    return [
        delta_log.Commit(
            version=int(row["version"]),
            operation=row["operation"],
            parameters=dict(row["operationParameters"] or {}),
            metrics=dict(row["operationMetrics"] or {}),
        )
        for row in history
    ]


def _between(table: str, before: int, after: int) -> str:
    """Rows added between two versions of an append-only table, as SQL (reads both versions)."""
    added = f"SELECT * FROM {quoted(table)} VERSION AS OF {after}"
    if before < 0:
        return added
    return f"{added} EXCEPT ALL SELECT * FROM {quoted(table)} VERSION AS OF {before}"


def added_rows(spark: SparkSession, warehouse: Path, table: str, before: int, after: int) -> str:
    """The rows the commits after ``before`` up to ``after`` added, as a temporary view's name: read
    from the data files those commits added (:func:`lakehouse.local.delta_log.added_files`), so the
    cost is what the run wrote, not the table's size; by the difference of two versions otherwise."""
    files = delta_log.added_files(warehouse, table, before, after) if after >= 0 else None
    if files is None:
        rows = spark.sql(_between(table, before, after))
    else:
        schema = spark.table(quoted(table)).schema
        rows = spark.read.schema(schema).parquet(*map(str, files)) if files else spark.createDataFrame([], schema)
    view = "added_" + "".join(c if c.isalnum() else "_" for c in table)
    rows.createOrReplaceTempView(view)
    return view


def rule_failures(spark: SparkSession, warehouse: Path, table: str, before: int, after: int) -> dict[str, int]:
    """Failures per rule among the quarantine rows this run added."""
    rows = spark.sql(
        f"SELECT rule, count(*) AS n FROM {added_rows(spark, warehouse, table, before, after)} "
        f"LATERAL VIEW explode({FAILED_RULES}) AS rule GROUP BY rule ORDER BY rule"
    ).collect()
    return {row["rule"]: int(row["n"]) for row in rows}


def warning_counts(
    spark: SparkSession, warehouse: Path, table: str, warnings: Mapping[str, str], before: int, after: int
) -> dict[str, int]:
    """Rows kept despite a warning rule (on Databricks the event log shows these)."""
    if not warnings:
        return {}
    counts = ", ".join(f"count_if(NOT {null_safe(expr)}) AS `{name}`" for name, expr in warnings.items())
    row = spark.sql(f"SELECT {counts} FROM {added_rows(spark, warehouse, table, before, after)}").collect()[0]
    return {name: int(row[name]) for name in warnings}


# Where a record came from, which a quarantine row keeps of its bronze record: a Kafka or Capture
# position, or a file and the record's place in it (:func:`lakehouse.sources.records_to_bronze`).
RECORD_IDENTITY = ("topic", "partition", "offset", "file_path", "ingested_at")


def duplicates_dropped(
    spark: SparkSession,
    warehouse: Path,
    silver: str,
    accounting: Accounting,
    before: Mapping[str, int],
    after: Mapping[str, int],
) -> dict[str, int]:
    """Records this run added to bronze, and how many of the valid ones repeated an id (see
    :mod:`lakehouse.accounting`). Ids already in silver before the run count as repeats too.

    A run that resumes after a crash may process bronze records an earlier run wrote: its figures
    count this run's bronze commits only.
    """
    versions = {
        t: (before.get(t, -1), after.get(t, before.get(t, -1))) for t in (accounting.bronze, accounting.quarantine)
    }
    bronze_new = added_rows(spark, warehouse, accounting.bronze, *versions[accounting.bronze])
    quarantine_new = added_rows(spark, warehouse, accounting.quarantine, *versions[accounting.quarantine])
    same_record = " AND ".join(f"b.`{c}` <=> q.`{c}`" for c in RECORD_IDENTITY)
    valid = f"SELECT b.raw_payload FROM {bronze_new} b LEFT ANTI JOIN {quarantine_new} q ON {same_record}"
    column = accounting.key.removeprefix("$.")
    run_ids = f"SELECT DISTINCT get_json_object(raw_payload, '{accounting.key}') AS id FROM ({valid})"
    # Ids silver held before the run, looked up by this run's ids: a semi-join that only scans
    # silver's id column, not de-duplicates it whole as an EXCEPT did: 3.4 s against 6.4-10.6 s on
    # 6.4 million ids (a batch replay, README issue #12). Spark broadcasts the run's ids while they
    # are under its 10 MB threshold; the 800,000 ids of a minute at 10x are joined by sort-merge
    # (seen in the plan). The run's ids appear twice; caching them saved 0.7 s of 8 s on 763,400
    # events, not worth a cache to manage.
    held = "0"
    if before.get(silver, -1) >= 0:
        held = (
            f"(SELECT count(DISTINCT `{column}`) FROM {quoted(silver)} VERSION AS OF {before[silver]} "
            f"WHERE `{column}` IN (SELECT id FROM ({run_ids})))"
        )
    row = spark.sql(
        f"SELECT (SELECT count(*) FROM {bronze_new}) AS bronze, (SELECT count(*) FROM ({valid})) AS valid, "
        f"(SELECT count(*) FROM ({run_ids})) - {held} AS ids"
    ).collect()[0]
    return {"bronze_read": int(row["bronze"]), "duplicates_dropped": int(row["valid"]) - int(row["ids"])}


def bronze_changed(accounting: Accounting, commits: Mapping[str, Commits]) -> bool:
    """Whether this run added records to the bronze table a silver table de-duplicates (a run also
    commits table properties, which add none; a bronze table this run did not write got none)."""
    found = commits.get(accounting.bronze)
    return found is not None and found.changed_data


def collect_summary(
    spark: SparkSession,
    warehouse: Path,
    outputs: Iterable[str],
    before: Mapping[str, int],
    warnings: Mapping[str, Mapping[str, str]],
    accounting: Mapping[str, Accounting] | None = None,
) -> dict[str, Any]:
    tables = {name: name.removeprefix("spark_catalog.") for name in outputs}
    commits = {table: commits_since(spark, warehouse, table, before.get(table, -1)) for table in tables.values()}
    after = {table: found.latest for table, found in commits.items()}
    datasets = []
    for name, table in tables.items():
        since, found = before.get(table, -1), commits[table]
        entry: dict[str, Any] = {"dataset": table, "rows_written": found.rows}
        table_warnings = warnings.get(name) or warnings.get(table) or {}
        start = found.counted_from(since)
        if table.endswith(QUARANTINE_SUFFIX):
            entry["rule_failures"] = (
                rule_failures(spark, warehouse, table, start, found.latest) if found.changed_data else {}
            )
        if table_warnings and found.latest > since:
            entry["warnings"] = (
                warning_counts(spark, warehouse, table, table_warnings, start, found.latest)
                if found.changed_data
                else dict.fromkeys(table_warnings, 0)
            )
        declared = (accounting or {}).get(name) or (accounting or {}).get(table)
        if declared is not None:
            entry.update(
                duplicates_dropped(spark, warehouse, table, declared, before, after)
                if bronze_changed(declared, commits)
                else {"bronze_read": 0, "duplicates_dropped": 0}
            )
        datasets.append(entry)
    quarantined = sum(d["rows_written"] for d in datasets if d["dataset"].endswith(QUARANTINE_SUFFIX))
    return {
        "quarantined": quarantined,
        "datasets": datasets,
    }


def user_message(error: BaseException) -> str:
    """One readable line for an error raised by Spark or by our own code (no JVM stack trace)."""
    text = str(error).strip()
    for marker in ("\n\nJVM stacktrace:", "\nJVM stacktrace:"):
        text = text.split(marker)[0]
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(error).__name__)
    return first if len(first) < 400 else first[:397] + "..."
