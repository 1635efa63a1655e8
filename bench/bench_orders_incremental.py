"""Benchmark: what an incremental run of the orders pipeline costs next to a full refresh.

The lakehouse's promise is that a run processes only new input. This measures it end to end on
the local engine (real spark-pipelines, Delta, the three layers) in ONE session of the machine,
and reports ratios, since absolute seconds on a shared 2-core machine mean little:

    uv run python bench/bench_orders_incremental.py [--events 20000] [--new 1000]

Steps: a first run over N events, an incremental run after adding M new events, and a
``--full-refresh`` run over all N+M. Prints seconds per step and the ratios incremental/first,
incremental/full-refresh and the throughput of the first run.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from processes import LAKEHOUSE, timed

from lakehouse.produce.files import write_jsonl
from lakehouse.produce.orders_synthetic import synthetic_orders


def timed_run(home: Path, landing: Path, *extra: str) -> tuple[float, dict]:
    env = {**os.environ, "LAKEHOUSE_HOME": str(home)}
    seconds, _ = timed([LAKEHOUSE, "run", "orders", "--landing", str(landing), *extra], env)
    latest = max((home / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    return seconds, json.loads(latest.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--new", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home, landing = Path(tmp) / "home", Path(tmp) / "landing"
        write_jsonl(synthetic_orders(args.events, seed=1), landing / "orders", per_file=5_000)
        first, _ = timed_run(home, landing)
        write_jsonl(synthetic_orders(args.new, seed=2), landing / "orders", per_file=5_000)
        incremental, summary = timed_run(home, landing)
        full, _ = timed_run(home, landing, "--full-refresh")
    bronze = next(d["rows_written"] for d in summary["datasets"] if d["dataset"].endswith("orders_raw"))
    print(f"first run ({args.events} events):      {first:7.1f} s  ({args.events / first:,.0f} events/s end to end)")
    print(f"incremental run (+{args.new} events):   {incremental:7.1f} s  (bronze wrote {bronze} rows)")
    print(f"full refresh ({args.events + args.new} events): {full:7.1f} s")
    print(f"ratio incremental / first run:    {incremental / first:.2f}")
    print(f"ratio incremental / full refresh: {incremental / full:.2f}")


if __name__ == "__main__":
    main()
