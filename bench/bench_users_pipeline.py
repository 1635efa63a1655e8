"""Benchmark: a day of ``usuarios`` changes (150,000) through bronze -> silver (SCD1 + SCD2) -> gold.

The customer squad writes about 150,000 changes a day; the question is what one update over a whole
day of them costs next to the least any Spark job must pay to land the same bytes in Delta. Both
sides run in ONE session of the machine, each as its own process from a cold JVM, over the very same
files, and the ratio is the figure (absolute seconds on a shared 2-core machine mean little):

    uv run python bench/bench_users_pipeline.py [--changes 150000] [--seed 5] [--json FILE]

Steps: write the seeded workload's Debezium messages as JSON lines (``lakehouse.cdc.envelope``, the
shape ``tests/cdc`` checks against a running Debezium) into ``landing/users/``; time a bare copy of
those files into a Delta table (text source, no parsing); time ``lakehouse run users`` over them;
check the pipeline's ``silver.users`` row count against the workload's final table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from processes import BARE_COPY, LAKEHOUSE, rows_printed, table_rows, timed

from lakehouse.cdc.envelope import messages, value_line
from lakehouse.produce.files import write_jsonl
from lakehouse.produce.users import final_rows, workload

PER_FILE = 10_000
KEY = "benchmark-hash-key-0123456789abcdef"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    changes = list(workload(args.changes, seed=args.seed))
    lines = [value_line(value) for _, value in messages(changes, seed=args.seed)]
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        files = write_jsonl(lines, landing / "users", per_file=PER_FILE, prefix="users")
        size = sum(f.stat().st_size for f in (landing / "users").iterdir())
        copy_env = {**os.environ, "LAKEHOUSE_HOME": str(Path(tmp) / "copy-home")}
        copy_args = [sys.executable, "-c", BARE_COPY, str(landing / "users"), str(Path(tmp) / "copy")]
        copy_seconds, copy_out = timed(copy_args, copy_env)
        copied = rows_printed(copy_out)
        home = Path(tmp) / "home"
        run_env = {**os.environ, "LAKEHOUSE_HOME": str(home), "LAKEHOUSE_PII_HASH_KEY": KEY}
        run_seconds, _ = timed([LAKEHOUSE, "run", "users", "--landing", str(landing)], run_env)
        current = table_rows(home, "silver.users")
    expected = len(final_rows(changes))
    if copied != len(lines) or current != expected:
        raise SystemExit(f"wrong result: copied {copied} of {len(lines)} lines; silver.users {current} != {expected}")
    figures = {
        "changes": args.changes,
        "messages": len(lines),
        "megabytes": round(size / 1e6, 1),
        "bare_copy_seconds": round(copy_seconds, 1),
        "pipeline_seconds": round(run_seconds, 1),
        "ratio_pipeline_to_copy": round(run_seconds / copy_seconds, 2),
        "changes_per_second": round(args.changes / run_seconds),
        "silver_users": current,
    }
    print(f"{len(lines):,} messages ({args.changes:,} changes, {figures['megabytes']} MB) in {len(files)} files")
    print(f"bare Spark copy into Delta:        {copy_seconds:7.1f} s")
    print(f"lakehouse run users (bronze->gold): {run_seconds:7.1f} s  ({figures['changes_per_second']:,} changes/s)")
    print(f"ratio pipeline / bare copy:         {figures['ratio_pipeline_to_copy']:.2f}")
    print(f"silver.users = {current:,} rows = the workload's final table")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
