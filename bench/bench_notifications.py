"""Benchmark (issue #12, goals 1 and 2): one minute of 10x WhatsApp traffic through the notifications pipeline.

694,000 notification events (1 % bad, 2 % transport duplicates, seeded) are written as JSON lines;
then, in ONE session of the machine, each step as its own process from a cold JVM, over the very same
files:

1. a bare Spark copy of the files into Delta (the floor: no parsing at all);
2. a hand-written single batch job doing the same work with the project's own pure functions - bronze,
   parse, rules, quarantine, de-duplication by ``message_id``, the per-minute counts, the detail and
   the daily bill, each written to Delta - with no streaming, checkpoints or pipeline graph;
3. ``lakehouse run notifications`` (first run), then again after 10 % more events land (incremental),
   then once more with nothing new (no-op).

It prints seconds, events/s and the ratios the issue's goals are stated in, and checks that the
pipeline's silver equals the baseline's (same rows: nothing lost or doubled).

    uv run python bench/bench_notifications.py [--events 694000] [--seed 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from processes import BARE_COPY, LAKEHOUSE, rows_printed, table_rows, timed

from lakehouse.produce.communication import synthetic_notifications
from lakehouse.produce.files import write_jsonl

PER_FILE = 50_000
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

_HAND_WRITTEN = """
import sys
from pyspark.sql import functions as F
from lakehouse.local.warehouse import open_session
from lakehouse.notifications import gold, silver
from lakehouse.notifications.tariff import DEFAULT_TARIFF
from lakehouse.quality import keep_valid
from lakehouse.quarantine import to_quarantine
from lakehouse.sources import text_to_bronze

landing, out = sys.argv[1], sys.argv[2]
spark = open_session()
raw = spark.read.text(landing).select("value", "_metadata")
text_to_bronze(raw, F.current_timestamp()).write.format("delta").save(f"{out}/bronze")
bronze = spark.read.format("delta").load(f"{out}/bronze")
rules = silver.notification_rules()
parsed = silver.parse_notifications(bronze)
to_quarantine(parsed, rules).write.format("delta").save(f"{out}/quarantine")
valid = keep_valid(parsed, rules).select(*silver.NOTIFICATION_COLUMNS).dropDuplicates(["message_id"])
valid.write.format("delta").save(f"{out}/silver")
notifications = spark.read.format("delta").load(f"{out}/silver")
gold.notifications_per_minute(notifications, "2 minutes").write.format("delta").save(f"{out}/per_minute")
gold.notifications_detail(notifications).write.format("delta").save(f"{out}/detail")
gold.daily_billing(notifications, DEFAULT_TARIFF).write.format("delta").save(f"{out}/billing")
print("ROWS=" + str(notifications.count()))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=694_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    extra = args.events // 10
    events = list(synthetic_notifications(args.events + extra, customers=2_000, seed=args.seed, start=START))
    with tempfile.TemporaryDirectory() as tmp:
        base, later = Path(tmp) / "landing", Path(tmp) / "later"
        write_jsonl(events[: args.events], base / "notifications", per_file=PER_FILE, prefix="notifications")
        size = sum(f.stat().st_size for f in (base / "notifications").iterdir())
        env = {**os.environ, "LAKEHOUSE_HOME": str(Path(tmp) / "side-home")}
        folder = str(base / "notifications")
        copy_seconds, copy_out = timed([sys.executable, "-c", BARE_COPY, folder, f"{tmp}/copy"], env)
        hand_seconds, hand_out = timed([sys.executable, "-c", _HAND_WRITTEN, folder, f"{tmp}/hand"], env)
        home = Path(tmp) / "home"
        run_env = {**os.environ, "LAKEHOUSE_HOME": str(home)}
        run = [LAKEHOUSE, "run", "notifications", "--landing", str(base)]
        first_seconds, _ = timed(run, run_env)
        first_silver = table_rows(home, "silver.notifications")
        write_jsonl(events[args.events :], later, per_file=PER_FILE, prefix="notifications-later")
        for path in sorted(later.iterdir()):
            path.rename(base / "notifications" / path.name)
        incremental_seconds, _ = timed(run, run_env)
        noop_seconds, _ = timed(run, run_env)
    if rows_printed(copy_out) != args.events or rows_printed(hand_out) != first_silver:
        raise SystemExit(f"results differ: copy {copy_out[-200:]}, hand-written {hand_out[-200:]}, {first_silver}")
    figures = {
        "events": args.events,
        "megabytes": round(size / 1e6, 1),
        "bare_copy_seconds": round(copy_seconds, 1),
        "hand_written_seconds": round(hand_seconds, 1),
        "first_run_seconds": round(first_seconds, 1),
        "incremental_10pct_seconds": round(incremental_seconds, 1),
        "noop_seconds": round(noop_seconds, 1),
        "throughput_vs_hand_written": round(hand_seconds / first_seconds, 2),
        "incremental_share_of_first": round(incremental_seconds / first_seconds, 2),
        "silver_rows": first_silver,
    }
    goals = {
        "first run < 45 s": first_seconds < 45,
        ">= 0.8x hand-written throughput": figures["throughput_vs_hand_written"] >= 0.8,
        "10 % update <= 25 % of first": figures["incremental_share_of_first"] <= 0.25,
        "no-op update < 15 s": noop_seconds < 15,
    }
    print(f"{args.events:,} events ({figures['megabytes']} MB), silver {first_silver:,} rows in both")
    for name in ("bare_copy", "hand_written", "first_run", "incremental_10pct", "noop"):
        print(f"{name.replace('_', ' '):<22} {figures[name + '_seconds']:7.1f} s")
    print(f"throughput vs hand-written: {figures['throughput_vs_hand_written']:.2f}x")
    print(f"incremental / first run:    {figures['incremental_share_of_first']:.2f}")
    for goal, met in goals.items():
        print(f"goal {goal}: {'met' if met else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({**figures, "goals": goals}, indent=2) + "\n")


if __name__ == "__main__":
    main()
