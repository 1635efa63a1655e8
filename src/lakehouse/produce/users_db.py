"""Run the ``usuarios`` workload against a real PostgreSQL, timing every statement.

Each change is its own transaction in autocommit mode, as a web request of the service would be, so a
statement's latency includes its commit (the WAL flush): that is where logical decoding and a
replication slot cost something, which ``bench/bench_users_workload.py`` measures (p99, CDC on/off).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lakehouse.errors import SourceUnavailable
from lakehouse.produce.users import COLUMNS, Change, statement


@dataclass
class WorkloadReport:
    """What ran: counts per kind of change and each statement's latency in seconds (in order)."""

    kinds: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def statements(self) -> int:
        return len(self.latencies)

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile (``q`` in 0..100) of the latencies, in seconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        return ordered[rank - 1]


def current_rows(dsn: str) -> list[dict[str, Any]]:
    """The table's rows, so a new workload continues from them (updates and deletes hit real ids)."""
    with _connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM public.usuarios ORDER BY id")
        return [dict(zip(COLUMNS, row, strict=True)) for row in cur.fetchall()]


def run(dsn: str, changes: Iterable[Change], *, rate: float | None = None) -> WorkloadReport:
    """Execute ``changes`` one statement per transaction, paced at ``rate`` statements/s if given."""
    report = WorkloadReport()
    with _connect(dsn) as conn, conn.cursor() as cur:
        started = time.monotonic()
        for index, change in enumerate(changes):
            if rate:
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            sql, params = statement(change)
            before = time.perf_counter()
            cur.execute(sql, params)
            report.latencies.append(time.perf_counter() - before)
            report.kinds[change.kind] += 1
        report.elapsed = time.monotonic() - started
    return report


def _connect(dsn: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SourceUnavailable(f"cannot connect to PostgreSQL: {first}") from None
