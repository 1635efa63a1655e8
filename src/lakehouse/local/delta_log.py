"""A local Delta table's commit history, read straight from its ``_delta_log`` folder.

The run summary needs, per table, the latest version before the run and what each commit after it
wrote. ``DESCRIBE HISTORY`` answers that through Spark - one catalog lookup and one job per table,
about half a second each, so 6-10 s of every run even when nothing changed. The same facts are in
the commit files themselves (``<version>.json``, one ``commitInfo`` action each), which the Delta
protocol specifies and which this module reads with plain Python.

Only the local engine uses it: its tables are managed tables of the Hive warehouse, one folder each
(``<warehouse>/<schema>.db/<table>``). A version whose commit file is gone (log clean-up after a
checkpoint) makes :func:`commits` return ``None``, and the caller asks Spark instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

LOG_FOLDER = "_delta_log"


@dataclass(frozen=True)
class Commit:
    """One ``commitInfo`` action: what ``DESCRIBE HISTORY`` shows as one row."""

    version: int
    operation: str
    parameters: dict[str, str]
    metrics: dict[str, str]


def table_folder(warehouse: Path, table: str) -> Path:
    """Where the Hive warehouse keeps a managed table (names are stored lower-case)."""
    schema, _, name = table.lower().removeprefix("spark_catalog.").rpartition(".")
    return warehouse / name if schema in ("", "default") else warehouse / f"{schema}.db" / name


def versions(folder: Path) -> list[int]:
    """The versions whose commit files are present, in order."""
    log = folder / LOG_FOLDER
    if not log.is_dir():
        return []
    return sorted(int(path.stem) for path in log.glob("*.json") if path.stem.isdigit())


def latest_version(warehouse: Path, table: str) -> int:
    """The table's latest version, or -1 when it has no commit yet (or does not exist)."""
    found = versions(table_folder(warehouse, table))
    return found[-1] if found else -1


def existing_tables(warehouse: Path, schemas: Iterable[str]) -> list[str]:
    """Every Delta table in the given schemas (views have no folder)."""
    found: list[str] = []
    for schema in schemas:
        folder = warehouse / f"{schema.lower()}.db"
        if folder.is_dir():
            found += sorted(f"{schema}.{t.name}" for t in folder.iterdir() if (t / LOG_FOLDER).is_dir())
    return found


def table_versions(warehouse: Path, schemas: Iterable[str]) -> dict[str, int]:
    """The latest version of every Delta table in the given schemas."""
    return {table: latest_version(warehouse, table) for table in existing_tables(warehouse, schemas)}


def read_commit(path: Path, version: int) -> Commit:
    for line in path.read_text().splitlines():
        action: dict[str, Any] = json.loads(line) if line.strip() else {}
        info = action.get("commitInfo")
        if info is not None:
            return Commit(
                version=version,
                operation=str(info.get("operation", "")),
                parameters={k: str(v) for k, v in (info.get("operationParameters") or {}).items()},
                metrics={k: str(v) for k, v in (info.get("operationMetrics") or {}).items()},
            )
    return Commit(version=version, operation="", parameters={}, metrics={})


def commits(warehouse: Path, table: str, since: int) -> list[Commit] | None:
    """The commits after version ``since``, oldest first; ``None`` when one of them is not on disk."""
    folder = table_folder(warehouse, table)
    present = [v for v in versions(folder) if v > since]
    expected_first = since + 1 if since >= 0 else 0
    if present and (present[0] != expected_first or present[-1] - present[0] + 1 != len(present)):
        return None
    return [read_commit(folder / LOG_FOLDER / f"{v:020d}.json", v) for v in present]


def rows_written(found: Iterable[Commit]) -> int:
    """Rows the commits wrote: appends, streaming batches and full recomputes (``numOutputRows``),
    merges (their inserted rows when the output count is absent)."""
    total = 0
    for commit in found:
        total += int(commit.metrics.get("numOutputRows", commit.metrics.get("numTargetRowsInserted", 0)) or 0)
    return total


def added_files(warehouse: Path, table: str, since: int, until: int) -> list[Path] | None:
    """The data files the commits after ``since`` up to ``until`` added, when those commits only
    appended plain files; ``None`` otherwise (a removed file, a deletion vector, column mapping or a
    commit file no longer on disk), and the caller asks Delta for the difference of two versions.

    A streaming table only ever appends, so its rows of a run are exactly the rows of these files:
    reading them costs what the run wrote, where ``EXCEPT ALL`` of two versions reads the whole table
    twice.
    """
    folder = table_folder(warehouse, table)
    found: list[Path] = []
    for version in range(since + 1, until + 1):
        path = folder / LOG_FOLDER / f"{version:020d}.json"
        if not path.is_file():
            return None
        for line in path.read_text().splitlines():
            action: dict[str, Any] = json.loads(line) if line.strip() else {}
            configuration = (action.get("metaData") or {}).get("configuration") or {}
            if "remove" in action or configuration.get("delta.columnMapping.mode", "none") != "none":
                return None
            added = action.get("add")
            if added is not None:
                if added.get("deletionVector"):
                    return None
                found.append(folder / unquote(added["path"]))
    return found
