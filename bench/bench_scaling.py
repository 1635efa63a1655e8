"""Benchmark (issue #12, goals 4 and 5): how a first run's time grows with the events it reads.

For each size, in ONE session of the machine: the events are written as JSON lines (50,000 per
file), a bare Spark copy of the same files into Delta is timed (the floor, in the same conditions),
then ``lakehouse run <pipeline>`` from a cold JVM into a fresh home. A least-squares line through
the pipeline's points splits the time into a fixed cost (seconds at zero events) and a cost per
event, so it shows which of the two a change moves.

    uv run python bench/bench_scaling.py [--pipeline notifications|orders]
        [--sizes 100000,300000,694000,2000000] [--json FILE]

The full shop export is ``--pipeline orders --sizes 536350`` (goal 4: under 60 s). The bare copy must
read every line; silver's row count is printed beside each size.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from processes import BARE_COPY, LAKEHOUSE, class_archive_recorded, rows_printed, table_rows, timed

from lakehouse.produce.communication import synthetic_notifications
from lakehouse.produce.files import write_jsonl
from lakehouse.produce.orders_synthetic import synthetic_orders

PER_FILE = 50_000
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SILVER = {"notifications": "silver.notifications", "orders": "silver.order_lines"}
GOALS = {("orders", 536_350): 60.0, ("notifications", 694_000): 45.0}


def events(pipeline: str, count: int, seed: int) -> Iterable[dict[str, Any]]:
    if pipeline == "orders":
        return synthetic_orders(count, seed=seed)
    return synthetic_notifications(count, customers=2_000, seed=seed, start=START)


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares ``seconds = fixed + per_event * events``; (fixed, per_event)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0
    return mean_y - slope * mean_x, slope


def measure(pipeline: str, sizes: list[int], seed: int) -> Iterator[dict[str, Any]]:
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            landing = Path(tmp) / "landing"
            write_jsonl(events(pipeline, size, seed), landing / pipeline, per_file=PER_FILE, prefix=pipeline)
            env = {**os.environ, "LAKEHOUSE_HOME": str(Path(tmp) / "side-home")}
            copy_args = [sys.executable, "-c", BARE_COPY, str(landing / pipeline), f"{tmp}/copy"]
            copy_seconds, copy_out = timed(copy_args, env)
            if rows_printed(copy_out) != size:
                raise SystemExit(f"the bare copy read {rows_printed(copy_out)} lines of {size}")
            home = Path(tmp) / "home"
            run = [LAKEHOUSE, "run", pipeline, "--landing", str(landing)]
            seconds, _ = timed(run, {**os.environ, "LAKEHOUSE_HOME": str(home)})
            silver = table_rows(home, SILVER[pipeline])
        yield {
            "events": size,
            "seconds": round(seconds, 1),
            "events_per_second": round(size / seconds),
            "bare_copy_seconds": round(copy_seconds, 1),
            "silver_rows": silver,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipeline", choices=sorted(SILVER), default="notifications")
    parser.add_argument("--sizes", default="100000,300000,694000,2000000")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    class_archive_recorded()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"{args.pipeline}: events, first run s, events/s, bare copy s, silver rows")
    rows = []
    for row in measure(args.pipeline, sizes, args.seed):
        rows.append(row)
        print(
            f"{row['events']:>10,} {row['seconds']:8.1f} s {row['events_per_second']:>8,}/s "
            f"{row['bare_copy_seconds']:8.1f} s {row['silver_rows']:>10,}",
            flush=True,
        )
    figures: dict[str, Any] = {"pipeline": args.pipeline, "runs": rows}
    if len(rows) > 1:
        fixed, per_event = fit([(row["events"], row["seconds"]) for row in rows])
        figures["fixed_seconds"] = round(fixed, 1)
        figures["microseconds_per_event"] = round(per_event * 1e6, 1)
        print(f"fit: {fixed:.1f} s fixed + {per_event * 1e6:.1f} us per event ({1 / per_event:,.0f} events/s marginal)")
    for row in rows:
        limit = GOALS.get((args.pipeline, row["events"]))
        if limit is not None:
            met = row["seconds"] < limit
            figures[f"goal {row['events']:,} events < {limit:.0f} s"] = met
            print(f"goal {row['events']:,} {args.pipeline} events in < {limit:.0f} s: {'met' if met else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
