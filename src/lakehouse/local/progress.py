"""Progress lines of a local run: each completed flow with the rows it wrote and how long it took.

Spark's pipeline events say only which state a flow is in. When a flow completes, its table's
Delta log on disk already holds the commits it made, so the count costs a few file reads and no
Spark query, and the user sees figures as the run goes instead of waiting for the summary. The
flow's own time (from RUNNING to COMPLETED) shows where an update's time goes, which flows of a
stage run side by side; in a long-running run (``--every``) both figures start again with each
update, so they describe that update and not the run so far.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from pathlib import Path

from lakehouse.local import delta_log

RUNNING = re.compile(r"Flow (?:spark_catalog\.)?(?P<table>[\w.]+) is RUNNING")
COMPLETED = re.compile(r"Flow (?:spark_catalog\.)?(?P<table>[\w.]+) has COMPLETED")
# The line a long-running run prints when an update (layers and summary) is done.
UPDATE_DONE = re.compile(r"^lakehouse: update \d+ done")


class Progress:
    """Remembers every table's version at the start, then annotates the lines the run prints."""

    def __init__(self, warehouse: Path, schemas: Iterable[str], started: float | None = None) -> None:
        self.warehouse = warehouse
        self.schemas = list(schemas)
        self.running: dict[str, float] = {}
        self.next_update(started)

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.1f} s"

    def annotate(self, line: str) -> str:
        running = RUNNING.search(line)
        if running is not None:
            self.running.setdefault(running.group("table"), time.monotonic())
            return line
        completed = COMPLETED.search(line)
        if completed is not None:
            table = completed.group("table")
            found = delta_log.commits(self.warehouse, table, self.before.get(table, -1))
            written = f"{delta_log.rows_written(found)} rows written, " if found is not None else ""
            began = self.running.pop(table, None)
            took = f"flow {time.monotonic() - began:.1f} s, " if began is not None else ""
            return f"{line} ({written}{took}total {self.elapsed()})"
        if "Run is COMPLETED" in line:
            return f"{line} ({self.elapsed()})"
        if UPDATE_DONE.match(line):
            self.next_update()
        return line

    def next_update(self, started: float | None = None) -> None:
        """Count the rows and time of the (next) update from ``started``, by default now: the run's
        start, then each update of a long-running run."""
        self.started = time.monotonic() if started is None else started
        self.before = delta_log.table_versions(self.warehouse, self.schemas)
        self.running.clear()
