"""Benchmark (issue #12): what cutting landed files into records costs bronze, against bare Spark.

The file sources read each landed file whole and bronze cuts it into records by its shape
(:func:`lakehouse.file_records.json_records`), so that arrays, documents and empty files are
records too. On JSON lines that must cost about what Spark's own line reader costs. In ONE session,
over the same notification files, best of ``--repeat``:

1. bare Spark: ``spark.read.text`` line by line, blank lines dropped;
2. bronze's cut: the files read whole, ``posexplode(json_records(value))``.

Both count the records and sum their lengths, and must agree.

    uv run python bench/bench_file_records.py [--events 200000] [--repeat 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.file_records import json_records
from lakehouse.produce.communication import synthetic_notifications
from lakehouse.produce.files import write_jsonl

PER_FILE = 50_000


def best_of(repeat: int, query: Callable[[], DataFrame]) -> tuple[float, tuple[int, int]]:
    """The fastest of ``repeat`` runs of a query that returns one row (records, characters)."""
    timings, result = [], (0, 0)
    for _ in range(repeat):
        started = time.monotonic()
        row = query().first()
        timings.append(time.monotonic() - started)
        assert row is not None
        result = (int(row[0]), int(row[1]))
    return min(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    events = synthetic_notifications(args.events, customers=2_000, seed=3, start=start)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "notifications"
        write_jsonl(list(events), folder, per_file=PER_FILE, prefix="notifications")
        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")

        def counted(records: DataFrame) -> DataFrame:
            return records.agg(F.count(F.lit(1)), F.sum(F.length("record")))

        def lines() -> DataFrame:
            read = spark.read.text(str(folder)).where(F.col("value").rlike(r"\S"))
            return counted(read.select(F.col("value").alias("record")))

        def cut() -> DataFrame:
            files = spark.read.text(str(folder), wholetext=True)
            return counted(files.select(F.posexplode(json_records(F.col("value"))).alias("position", "record")))

        bare_seconds, bare = best_of(args.repeat, lines)
        cut_seconds, records = best_of(args.repeat, cut)
        spark.stop()
    if bare != records:
        raise SystemExit(f"the two readings differ: lines {bare}, json_records {records}")
    figures = {
        "records": records[0],
        "bare_lines_seconds": round(bare_seconds, 2),
        "json_records_seconds": round(cut_seconds, 2),
        "ratio": round(cut_seconds / bare_seconds, 2),
    }
    print(f"{records[0]:,} records in {args.events // PER_FILE or 1} files, best of {args.repeat}")
    print(f"bare Spark line reader: {bare_seconds:6.2f} s")
    print(f"bronze json_records:    {cut_seconds:6.2f} s ({figures['ratio']:.2f}x the line reader)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
