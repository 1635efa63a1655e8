"""Progress lines of a local run: each completed flow with the rows it wrote and the time so far.

Spark's pipeline events say only which state a flow is in. When a flow completes, its table's
Delta log on disk already holds the commits it made, so the count costs a few file reads and no
Spark query, and the user sees figures as the run goes instead of waiting for the summary.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from pathlib import Path

from lakehouse.local import delta_log

COMPLETED = re.compile(r"Flow (?:spark_catalog\.)?(?P<table>[\w.]+) has COMPLETED")


class Progress:
    """Remembers every table's version at the start, then annotates the lines the run prints."""

    def __init__(self, warehouse: Path, schemas: Iterable[str], started: float | None = None) -> None:
        self.warehouse = warehouse
        self.started = time.monotonic() if started is None else started
        self.before = delta_log.table_versions(warehouse, schemas)

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.1f} s"

    def annotate(self, line: str) -> str:
        completed = COMPLETED.search(line)
        if completed is not None:
            table = completed.group("table")
            found = delta_log.commits(self.warehouse, table, self.before.get(table, -1))
            written = f"{delta_log.rows_written(found)} rows written, " if found is not None else ""
            return f"{line} ({written}{self.elapsed()})"
        if "Run is COMPLETED" in line:
            return f"{line} ({self.elapsed()})"
        return line
