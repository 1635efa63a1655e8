"""What a local run did, per dataset: rows written, rows quarantined, failures per rule.

Figures come from the Delta tables themselves (commit history and time travel), not from counters
kept by the runner, so they are true even for a run that resumed after a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyspark.sql import SparkSession

from lakehouse.quality import FAILED_RULES, null_safe

QUARANTINE_SUFFIX = "_quarantine"


def quoted(name: str) -> str:
    return ".".join(f"`{part}`" for part in name.split("."))


def latest_version(spark: SparkSession, table: str) -> int:
    """The table's latest Delta version, or -1 when it does not exist yet."""
    if not spark.catalog.tableExists(table):
        return -1
    rows = spark.sql(f"DESCRIBE HISTORY {quoted(table)} LIMIT 1").select("version").collect()
    return int(rows[0][0]) if rows else -1


def table_versions(spark: SparkSession, tables: Iterable[str]) -> dict[str, int]:
    return {table: latest_version(spark, table) for table in tables}


def existing_tables(spark: SparkSession, schemas: Iterable[str]) -> list[str]:
    found: list[str] = []
    for schema in schemas:
        if spark.catalog.databaseExists(schema):
            found += [f"{schema}.{t.name}" for t in spark.catalog.listTables(schema) if t.tableType != "VIEW"]
    return found


def rows_written(spark: SparkSession, table: str, since: int) -> int:
    """Rows the commits after version ``since`` wrote (appends, merges and full recomputes alike)."""
    history = spark.sql(f"DESCRIBE HISTORY {quoted(table)}").where(f"version > {since}")
    total = 0
    for row in history.select("operationMetrics").collect():
        metrics = row[0] or {}
        total += int(metrics.get("numOutputRows", metrics.get("numTargetRowsInserted", 0)) or 0)
    return total


REWRITES = ("TRUNCATE", "CREATE OR REPLACE TABLE AS SELECT", "REPLACE TABLE AS SELECT")


def counted_from(spark: SparkSession, table: str, since: int) -> int:
    """The version this run's rows are counted after: ``since``, or -1 when the run rewrote the table.

    A materialized view is recomputed whole (TRUNCATE, then WRITE): its rows are all this run's, and
    a difference with the previous version would count only the rows that changed.
    """
    history = spark.sql(f"DESCRIBE HISTORY {quoted(table)}").where(f"version > {since}")
    for row in history.select("operation", "operationParameters").collect():
        if row["operation"] in REWRITES or (row["operationParameters"] or {}).get("mode") == "Overwrite":
            return -1
    return since


def _between(table: str, before: int, after: int) -> str:
    """Rows added between two versions of an append-only table, as SQL."""
    added = f"SELECT * FROM {quoted(table)} VERSION AS OF {after}"
    if before < 0:
        return added
    return f"{added} EXCEPT ALL SELECT * FROM {quoted(table)} VERSION AS OF {before}"


def rule_failures(spark: SparkSession, table: str, before: int, after: int) -> dict[str, int]:
    """Failures per rule among the quarantine rows this run added."""
    rows = spark.sql(
        f"SELECT rule, count(*) AS n FROM ({_between(table, before, after)}) "
        f"LATERAL VIEW explode({FAILED_RULES}) AS rule GROUP BY rule ORDER BY rule"
    ).collect()
    return {row["rule"]: int(row["n"]) for row in rows}


def warning_counts(
    spark: SparkSession, table: str, warnings: Mapping[str, str], before: int, after: int
) -> dict[str, int]:
    """Rows kept despite a warning rule (on Databricks the event log shows these)."""
    if not warnings:
        return {}
    counts = ", ".join(f"count_if(NOT {null_safe(expr)}) AS `{name}`" for name, expr in warnings.items())
    row = spark.sql(f"SELECT {counts} FROM ({_between(table, before, after)})").collect()[0]
    return {name: int(row[name]) for name in warnings}


def collect_summary(
    spark: SparkSession,
    pipeline: str,
    outputs: Iterable[str],
    before: Mapping[str, int],
    warnings: Mapping[str, Mapping[str, str]],
    seconds: float,
) -> dict[str, Any]:
    datasets = []
    for name in outputs:
        table = name.removeprefix("spark_catalog.")
        since = before.get(table, -1)
        after = latest_version(spark, table)
        entry: dict[str, Any] = {"dataset": table, "rows_written": rows_written(spark, table, since)}
        table_warnings = warnings.get(name) or warnings.get(table) or {}
        checked = table.endswith(QUARANTINE_SUFFIX) or bool(table_warnings)
        start = counted_from(spark, table, since) if checked and after > since else since
        if table.endswith(QUARANTINE_SUFFIX):
            entry["rule_failures"] = rule_failures(spark, table, start, after) if after > since else {}
        if table_warnings and after > since:
            entry["warnings"] = warning_counts(spark, table, table_warnings, start, after)
        datasets.append(entry)
    quarantined = sum(d["rows_written"] for d in datasets if d["dataset"].endswith(QUARANTINE_SUFFIX))
    return {
        "pipeline": pipeline,
        "seconds": round(seconds, 1),
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
