"""Benchmark (issue #12, goals 1 and 2): one minute of 10x WhatsApp traffic through the notifications pipeline.

694,000 notification events (1 % bad, 2 % transport duplicates, seeded) are written as JSON lines;
then, in ONE session of the machine, each step as its own process from a cold JVM, over the very same
files:

1. a bare Spark copy of the files into Delta (the floor: no parsing at all);
2. a hand-written single batch job doing the same work with the project's own pure functions - bronze,
   parse, rules, quarantine, de-duplication by ``message_id``, the per-minute counts, the detail and
   the daily bill, each written to Delta - with no streaming, checkpoints or pipeline graph;
3. ``lakehouse run notifications`` (first run), then again after 10 % more events land (incremental),
   then once more with nothing new (no-op);
4. the same first run and 10 % update in the long-running mode (``--every``): one Spark session, the
   10 % landing once its first update is done, so the update runs on a warm JVM with no start-up.

It prints seconds, events/s and the ratios the issue's goals are stated in, and checks that the
pipeline's silver equals the baseline's (same rows: nothing lost or doubled).

    uv run python bench/bench_notifications.py [--events 694000] [--seed 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from processes import BARE_COPY, LAKEHOUSE, ROOT, class_archive_recorded, rows_printed, table_rows, timed

from lakehouse.produce.communication import synthetic_notifications
from lakehouse.produce.files import write_jsonl

PER_FILE = 50_000
UPDATE_DONE = re.compile(r"lakehouse: update (\d+) done in ([\d.]+) s(?: \(summary [\d.]+ s\))?: (.*)")
BRONZE_GAIN = re.compile(r"bronze\.notifications_raw \+([\d,]+)")
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


def warm_updates(base: list[Path], extra: Path, tmp: Path) -> tuple[float, float]:
    """Seconds of the first update and of the 10 % update in one long-running session.

    The 10 % is one file, renamed into the landing folder when the first update is done: an update
    sees all of it or none of it. If the second update started before the rename, it found nothing
    new and the third reads the file; the update whose bronze gained the 10 % is the one measured.
    Each figure is the update's own time as the run prints it (layers and summary, no JVM start).
    """
    landing = tmp / "warm-landing" / "notifications"
    landing.mkdir(parents=True)
    for path in base:
        os.link(path, landing / path.name)
    env = {**os.environ, "LAKEHOUSE_HOME": str(tmp / "warm-home")}
    command = [LAKEHOUSE, "run", "notifications", "--landing", str(landing.parent), "--every", "10", "--triggers", "3"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    seconds: dict[int, tuple[float, int]] = {}
    output: list[str] = []
    for line in process.stdout:
        output.append(line)
        done = UPDATE_DONE.search(line)
        if done is None:
            continue
        gain = BRONZE_GAIN.search(done.group(3))
        seconds[int(done.group(1))] = (float(done.group(2)), int(gain.group(1).replace(",", "")) if gain else 0)
        if done.group(1) == "1":
            extra.rename(landing / extra.name)
    if process.wait() != 0 or 1 not in seconds:
        raise SystemExit("".join(output[-40:]))
    increments = [s for number, (s, rows) in sorted(seconds.items()) if number > 1 and rows > 0]
    if len(increments) != 1:
        raise SystemExit(f"the 10 % was not read by exactly one update: {seconds}")
    return seconds[1][0], increments[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=694_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    class_archive_recorded()
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
        first_files = sorted((base / "notifications").iterdir())
        write_jsonl(events[args.events :], later, per_file=extra, prefix="notifications-later")
        (extra_file,) = later.iterdir()
        os.link(extra_file, base / "notifications" / extra_file.name)
        incremental_seconds, _ = timed(run, run_env)
        noop_seconds, _ = timed(run, run_env)
        warm_first_seconds, warm_incremental_seconds = warm_updates(first_files, extra_file, Path(tmp))
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
        "warm_first_seconds": warm_first_seconds,
        "warm_incremental_10pct_seconds": warm_incremental_seconds,
        "throughput_vs_hand_written": round(hand_seconds / first_seconds, 2),
        "incremental_share_of_first": round(incremental_seconds / first_seconds, 2),
        "warm_incremental_share_of_first": round(warm_incremental_seconds / first_seconds, 2),
        "silver_rows": first_silver,
    }
    goals = {
        "first run < 45 s": first_seconds < 45,
        ">= 0.8x hand-written throughput": figures["throughput_vs_hand_written"] >= 0.8,
        "10 % update <= 25 % of first": figures["incremental_share_of_first"] <= 0.25,
        "10 % update <= 25 % of first, long-running mode": figures["warm_incremental_share_of_first"] <= 0.25,
        "no-op update < 15 s": noop_seconds < 15,
    }
    print(f"{args.events:,} events ({figures['megabytes']} MB), silver {first_silver:,} rows in both")
    for name in ("bare_copy", "hand_written", "first_run", "incremental_10pct", "noop"):
        print(f"{name.replace('_', ' '):<22} {figures[name + '_seconds']:7.1f} s")
    print(f"long-running mode: first update {warm_first_seconds:.1f} s, 10 % update {warm_incremental_seconds:.1f} s")
    print(f"throughput vs hand-written: {figures['throughput_vs_hand_written']:.2f}x")
    print(f"incremental / first run:    {figures['incremental_share_of_first']:.2f}")
    print(f"long-running 10 % update / first run: {figures['warm_incremental_share_of_first']:.2f}")
    for goal, met in goals.items():
        print(f"goal {goal}: {'met' if met else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({**figures, "goals": goals}, indent=2) + "\n")


if __name__ == "__main__":
    main()
