"""Benchmark (issue #12, goal 3): a minute-fresh panel under 10x WhatsApp traffic, locally.

A producer writes notification events at ``--rate`` events/s (11,570 = ten times 100 million a
day) for ``--minutes`` minutes, one JSON-lines file every ``--batch`` seconds, each written under a
temporary name and renamed into the landing folder (the landing contract). Each event's
``event_datetime`` is the wall-clock second it is produced in, so a minute of event time closes as
the clock passes it. Meanwhile ``lakehouse run notifications --every 60s`` runs one update a minute
in one Spark session.

Measured, from the run's own Delta log (no Spark): for every closed minute, the lag between the
minute's end and the commit of ``gold.notifications_per_minute`` that first holds it (goal: within
60 s + the panel watermark), and what it is made of beyond the watermark: the wait from the landing
of the file that closes the minute to the start of the next update (it depends on where the
trigger falls against the minute, so it differs from run to run), and that update's time until the
panel's commit; each update's seconds per flow (from the run's progress lines), which shows the
flows that grow with the tables they read; the pipeline JVM's resident memory every 10 s (goal:
flat); and at the end, that gold holds every valid event produced exactly once
(``notifications_detail`` rows and distinct ids = produced; per-minute counts of closed minutes =
produced in those minutes).

    uv run python bench/bench_continuous.py [--rate 11570] [--minutes 10] [--json FILE] [--log FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from processes import LAKEHOUSE, ROOT

from lakehouse.local import delta_log
from lakehouse.local.progress import UPDATE_DONE
from lakehouse.produce.communication import synthetic_notifications

PANEL = "gold.notifications_per_minute"
DETAIL = "gold.notifications_detail"
PANEL_WATERMARK = timedelta(minutes=2)  # the pipeline's default lakehouse.notifications.panel_watermark
SPOILED_CHANNEL = "Pigeon"
BRONZE_GAIN = re.compile(r"bronze\.notifications_raw \+([\d,]+)")
# A completed flow's progress line with its own time (:mod:`lakehouse.local.progress`).
FLOW_TIME = re.compile(r"Flow (?:spark_catalog\.)?\w+\.(?P<table>\w+) has COMPLETED\. \(.*flow (?P<seconds>[\d.]+) s")


def is_valid(event: dict[str, Any]) -> bool:
    """Whether silver takes the event (the generator's three ways of spoiling one, undone)."""
    return bool(event.get("message_id")) and event["channel"] != SPOILED_CHANNEL and len(event["event_datetime"]) > 19


class Producer:
    """Writes ``rate`` events/s in files of ``batch`` seconds, re-timed to the wall clock.

    One minute of events is generated up front (Faker is too slow to keep up at this rate on two
    cores shared with Spark) and replayed with fresh ids per replay; a transport duplicate keeps
    its original's id and time, so it stays an exact copy.
    """

    def __init__(self, landing: Path, rate: int, batch: float, seed: int) -> None:
        self.landing, self.rate, self.batch = landing, rate, batch
        start = datetime(2026, 1, 1, tzinfo=UTC)
        self.template = list(synthetic_notifications(rate * 60, customers=2_000, seed=seed, start=start))
        # ids and times given to the events of the last two batches: a copy keeps its original's
        self.assigned: tuple[dict[str, tuple[str, datetime]], dict[str, tuple[str, datetime]]] = ({}, {})
        self.valid_per_minute: Counter[datetime] = Counter()
        self.valid_ids: set[str] = set()
        self.written = 0
        self.last_event: datetime | None = None
        self.finished_at: float | None = None  # monotonic time the last file landed
        self.landed: list[tuple[datetime, float]] = []  # (a file's last event time, monotonic time it landed)

    def write_batch(self, number: int, at: datetime) -> None:
        size = int(self.rate * self.batch)
        previous, _ = self.assigned
        current: dict[str, tuple[str, datetime]] = {}
        self.assigned = (current, previous)
        lines = []
        for index in range(size):
            position = number * size + index
            event = dict(self.template[position % len(self.template)])
            moment = at + timedelta(seconds=self.batch * index / size)
            if event.get("message_id"):
                key = f"{event['message_id']}-{position // len(self.template)}"
                event["message_id"], moment = current.get(key) or previous.get(key) or (key, moment)
                current[key] = (event["message_id"], moment)
            text = moment.isoformat(timespec="milliseconds")
            event["event_datetime"] = text if len(event["event_datetime"]) > 19 else text[:19]
            if is_valid(event) and event["message_id"] not in self.valid_ids:
                self.valid_ids.add(event["message_id"])
                self.valid_per_minute[moment.replace(second=0, microsecond=0)] += 1
            lines.append(json.dumps(event))
        pending = self.landing / f".notifications-{number:06d}.jsonl.tmp"
        pending.write_text("\n".join(lines) + "\n")
        pending.rename(self.landing / f"notifications-{number:06d}.jsonl")
        self.landed.append((at + timedelta(seconds=self.batch * (size - 1) / size), time.monotonic()))
        self.written += size
        self.last_event = at + timedelta(seconds=self.batch)

    def run(self, minutes: float) -> None:
        started = time.monotonic()
        batches = int(minutes * 60 / self.batch)
        for number in range(batches):
            due = started + number * self.batch
            time.sleep(max(0.0, due - time.monotonic()))
            self.write_batch(number, datetime.now(UTC))
        self.finished_at = time.monotonic()


def jvm_rss_mib(group: int) -> float | None:
    """Resident memory of the Spark JVM in a process group, MiB."""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if os.getpgid(int(proc.name)) != group or b"java" not in (proc / "cmdline").read_bytes()[:200]:
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except (OSError, ProcessLookupError):
            continue
    return None


def nearest_rank(values: list[float], share: float) -> float | None:
    """The smallest value at least ``share`` of the values are at or below (never interpolated)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)


def is_update_done(line: str) -> bool:
    return UPDATE_DONE.match(line) is not None


def flow_seconds(output: list[tuple[float, str]]) -> list[dict[str, float]]:
    """Each update's flows with their own seconds, in update order: where an update's time goes,
    and which flow grows with the tables it reads."""
    updates: list[dict[str, float]] = []
    current: dict[str, float] = {}
    for _, line in output:
        found = FLOW_TIME.search(line)
        if found is not None:
            current[found.group("table")] = float(found.group("seconds"))
        elif is_update_done(line):
            updates.append(current)
            current = {}
    return updates


def flow_table(updates: list[dict[str, float]]) -> list[str]:
    """:func:`flow_seconds` as a table, one row per update that ran a flow."""
    names = list(dict.fromkeys(name for update in updates for name in update))
    rows = ["update  " + "  ".join(names)]
    for number, update in enumerate(updates, start=1):
        if update:
            cells = (f"{update[name]:.1f}" if name in update else "-" for name in names)
            rows.append(
                f"{number:>6}  " + "  ".join(cell.rjust(len(name)) for cell, name in zip(cells, names, strict=True))
            )
    return rows


def tail_read(output: list[tuple[float, str]], producer: Producer) -> bool:
    """Whether an update that started after the last file landed has finished (so it read them all):
    the second update to finish after the producer stopped."""
    done = producer.finished_at
    return done is not None and sum(1 for at, line in output if at > done and is_update_done(line)) >= 2


def update_starts(output: list[tuple[float, str]]) -> list[float]:
    """Monotonic times the updates began their bronze layer (run or found up to date)."""
    markers = ("lakehouse: running layer bronze", "lakehouse: layer bronze")
    return [at for at, line in output if line.startswith(markers)]


def lag_parts(
    minute: datetime, committed: datetime, producer: Producer, starts: list[float], clock: float
) -> tuple[float, float] | None:
    """A closed minute's lag beyond the watermark, in two parts: the wait from the landing of the
    file that closes it (its first event at or past the minute's end + the watermark) to the start
    of the next update, and that update's time until the panel's commit. ``clock`` turns a monotonic
    time into epoch seconds. None when the file or the update is not found."""
    closing = minute + timedelta(minutes=1) + PANEL_WATERMARK
    landed = next((at for last, at in producer.landed if last >= closing), None)
    if landed is None:
        return None
    start = next((at for at in starts if at >= landed), None)
    if start is None:
        return None
    return start - landed, committed.timestamp() - (start + clock)


def first_commit_per_minute(warehouse: Path) -> dict[datetime, datetime]:
    """For each window of the panel, when the commit that first wrote it was made."""
    folder = delta_log.table_folder(warehouse, PANEL)
    seen: dict[datetime, datetime] = {}
    for version in delta_log.versions(folder):
        text = (folder / delta_log.LOG_FOLDER / f"{version:020d}.json").read_text()
        actions = [json.loads(line) for line in text.splitlines() if line.strip()]
        stamp = next(a["commitInfo"]["timestamp"] for a in actions if "commitInfo" in a)
        committed = datetime.fromtimestamp(stamp / 1000, UTC)
        for added in delta_log.added_files(warehouse, PANEL, version - 1, version) or []:
            for window in pq.read_table(added, columns=["window_start"]).column(0).to_pylist():
                seen.setdefault(window.replace(tzinfo=UTC) if window.tzinfo is None else window, committed)
    return seen


def count_query(home: Path) -> dict[str, Any]:
    sql = (
        f"SELECT (SELECT count(*) FROM {DETAIL}) AS detail_rows, "
        f"(SELECT count(DISTINCT message_id) FROM {DETAIL}) AS detail_ids, "
        f"(SELECT to_json(map_from_entries(collect_list(struct(date_format(window_start, 'yyyy-MM-dd HH:mm'), n)))) "
        f"FROM (SELECT window_start, sum(notifications) AS n FROM {PANEL} GROUP BY window_start)) AS per_minute"
    )
    env = {**os.environ, "LAKEHOUSE_HOME": str(home)}
    done = subprocess.run(
        [LAKEHOUSE, "sql", sql, "--format", "json"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])  # JSON lines: the one row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=11_570, help="events per second")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the producer writes")
    parser.add_argument("--batch", type=float, default=5.0, help="seconds of events per landed file")
    parser.add_argument("--every", default="60s", help="the run's trigger interval")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--tail-limit", type=float, default=300.0, help="seconds to wait for the backlog after the producer ends"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--log", type=Path, help="also write the run's whole output (each flow's start and end) here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        landing, home = Path(tmp) / "landing", Path(tmp) / "home"
        (landing / "notifications").mkdir(parents=True)
        producer = Producer(landing / "notifications", args.rate, args.batch, args.seed)
        env = {**os.environ, "LAKEHOUSE_HOME": str(home), "PYTHONUNBUFFERED": "1"}
        command = [LAKEHOUSE, "run", "notifications", "--landing", str(landing), "--every", args.every]
        run = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        output: list[tuple[float, str]] = []  # (monotonic time, line)

        def read() -> None:
            for line in run.stdout or []:
                output.append((time.monotonic(), line))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        writer = threading.Thread(target=producer.run, args=(args.minutes,))
        started = time.monotonic()
        writer.start()
        memory: list[tuple[float, float]] = []
        try:
            while run.poll() is None and not tail_read(output, producer):
                if producer.finished_at and time.monotonic() > producer.finished_at + args.tail_limit:
                    break  # fell behind: the backlog would take longer than the limit to read
                rss = jvm_rss_mib(run.pid)
                if rss is not None and rss > 64:  # not a JVM starting or exiting
                    memory.append((round(time.monotonic() - started), round(rss)))
                time.sleep(10)
        finally:
            writer.join()
            alive = run.poll() is None
            if alive:
                os.killpg(run.pid, signal.SIGKILL)  # the long-running mode runs until stopped
                run.wait()
        reader.join(timeout=10)
        if not alive:
            raise SystemExit("the run ended on its own:\n" + "".join(line for _, line in output)[-4000:])
        lags = []
        committed = first_commit_per_minute(home / "warehouse")
        closed = sorted(
            m
            for m in producer.valid_per_minute
            if m + timedelta(minutes=1) + PANEL_WATERMARK <= (producer.last_event or m)
        )
        missing = [m for m in closed if m not in committed]
        clock = time.time() - time.monotonic()
        starts = update_starts(output)
        parts = []
        for minute in closed:
            if minute in committed:
                lags.append((committed[minute] - (minute + timedelta(minutes=1))).total_seconds())
                found = lag_parts(minute, committed[minute], producer, starts, clock)
                if found is not None:
                    parts.append(found)
        counts = count_query(home)
        per_minute = json.loads(counts["per_minute"] or "{}")
        wrong_minutes = [
            m.isoformat()
            for m in closed
            if per_minute.get(m.strftime("%Y-%m-%d %H:%M")) != producer.valid_per_minute[m]
        ]
        if args.log:
            args.log.write_text("".join(line for _, line in output))
        updates = [line.strip() for _, line in output if is_update_done(line)]
        flows = flow_seconds(output)
        read = sum(int(m.group(1).replace(",", "")) for u in updates if (m := BRONZE_GAIN.search(u)))
    figures = {
        "rate_events_per_second": args.rate,
        "minutes": args.minutes,
        "events_written": producer.written,
        "events_read_into_bronze": read,
        "kept_up": read == producer.written,
        "valid_events": len(producer.valid_ids),
        "updates": updates,
        "closed_minutes": len(closed),
        "closed_minutes_missing_in_gold": [m.isoformat() for m in missing],
        "lag_seconds_p50": round(statistics.median(lags), 1) if lags else None,
        "lag_seconds_p95": nearest_rank(lags, 0.95),
        "lag_seconds_max": round(max(lags), 1) if lags else None,
        "lag_goal_seconds": 60 + PANEL_WATERMARK.total_seconds(),
        "lag_wait_for_update_seconds": [round(wait, 1) for wait, _ in parts],
        "lag_update_until_commit_seconds": [round(work, 1) for _, work in parts],
        "flow_seconds_per_update": flows,
        "jvm_rss_mib_over_time": memory,
        "detail_rows": counts["detail_rows"],
        "detail_distinct_ids": counts["detail_ids"],
        "closed_minutes_with_wrong_count": wrong_minutes,
    }
    goals = {
        "kept up with the producer": read == producer.written,
        "every closed minute in gold within 60 s + watermark": bool(lags)
        and not missing
        and max(lags) <= figures["lag_goal_seconds"],
        "nothing lost or doubled": counts["detail_rows"] == counts["detail_ids"] == len(producer.valid_ids)
        and not wrong_minutes,
    }
    rss = [value for _, value in memory]
    print(
        f"{producer.written:,} events written ({len(producer.valid_ids):,} valid) in {args.minutes} min; {read:,} read"
    )
    for line in updates:
        print(f"  {line}")
    print("seconds per flow (the flows after silver run side by side):")
    for row in flow_table(flows):
        print(f"  {row}")
    if lags:
        print(f"panel lag over {len(lags)} closed minutes: p50 {figures['lag_seconds_p50']} s, "
              f"p95 {figures['lag_seconds_p95']} s, max {figures['lag_seconds_max']} s")  # fmt: skip
    if parts:
        waits, works = [w for w, _ in parts], [w for _, w in parts]
        print(f"  beyond the watermark: wait for the next update p50 {statistics.median(waits):.1f} s, "
              f"max {max(waits):.1f} s; the update until the panel's commit p50 {statistics.median(works):.1f} s, "
              f"max {max(works):.1f} s")  # fmt: skip
    if rss:
        print(f"JVM RSS MiB: first {rss[0]}, max {max(rss)}, last {rss[-1]}")
    print(f"gold detail rows {counts['detail_rows']:,}, distinct ids {counts['detail_ids']:,}")
    for goal, met in goals.items():
        print(f"goal {goal}: {'met' if met else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({**figures, "goals": goals}, indent=2, default=str) + "\n")


if __name__ == "__main__":
    sys.exit(main())
