"""Benchmark: what capturing ``usuarios`` with Debezium costs the application, as p99 statement latency.

Logical decoding reads the WAL the server writes anyway, but a replication slot and a walsender add
work on every commit; the question a DBA asks is "how much slower do the application's writes get".
This runs the same seeded workload (``lakehouse.produce.users``: inserts, edits, touches, deletes,
restores; one statement per transaction) twice on ONE throwaway PostgreSQL, in one run of the
machine, and prints the ratio, since absolute milliseconds on a shared 2-core machine mean little:

    uv run python bench/bench_users_workload.py [--changes 5000] [--seed 42] [--json FILE]

Steps: start a Kafka broker and PostgreSQL in a temporary home; a warm-up of 500 statements; CDC
off (no connector, no slot); empty the table; start the Debezium connector (CDC on) and run the
very same statements; wait until every change reached Kafka and report the capture lag too.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from lakehouse.cdc import connect, postgres
from lakehouse.kafka import broker
from lakehouse.machine import free_port
from lakehouse.produce import users_db
from lakehouse.produce.users import workload

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def run_phase(dsn: str, changes: int, seed: int) -> users_db.WorkloadReport:
    return users_db.run(dsn, workload(changes, seed=seed, start=START))


def empty_table(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE public.usuarios")


def capture_lags(bootstrap: str, topic: str, expected: int, timeout: float = 120.0) -> list[float]:
    """Seconds from commit (``source.ts_us``) to the broker's append time, per change event."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench", "enable.auto.commit": False})
    try:
        meta = consumer.list_topics(topic, timeout=30).topics[topic]
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in meta.partitions])
        lags: list[float] = []
        deadline = time.monotonic() + timeout
        while len(lags) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error() is not None or msg.value() is None:
                continue
            value = json.loads(msg.value())
            lags.append(msg.timestamp()[1] / 1000 - value["source"]["ts_us"] / 1e6)
        return lags
    finally:
        consumer.close()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-users-") as tmp:
        home = Path(tmp) / "home"
        started = time.monotonic()
        kafka = broker.start(home, free_port())
        broker_s = time.monotonic() - started
        try:
            started = time.monotonic()
            pg = postgres.start(home)
            postgres_s = time.monotonic() - started
            run_phase(pg.dsn, 500, args.seed + 1000)  # warm-up: caches, plans, WAL segments
            empty_table(pg.dsn)
            off = run_phase(pg.dsn, args.changes, args.seed)
            empty_table(pg.dsn)
            started = time.monotonic()
            worker = connect.start(home, kafka.bootstrap)
            connect_s = time.monotonic() - started
            on = run_phase(pg.dsn, args.changes, args.seed)
            lags = sorted(capture_lags(kafka.bootstrap, worker.topic, args.changes))
        finally:
            connect.stop(home)
            postgres.stop(home)
            broker.stop(home)

    kinds = Counter(c.kind for c in workload(args.changes, seed=args.seed))
    figures = {
        "statements": args.changes,
        "kinds": dict(kinds),
        "startup_seconds": {"kafka": broker_s, "postgres": postgres_s, "connect": connect_s},
        "off": {"p50": off.percentile(50), "p99": off.percentile(99), "elapsed": off.elapsed},
        "on": {"p50": on.percentile(50), "p99": on.percentile(99), "elapsed": on.elapsed},
        "p99_ratio_on_off": on.percentile(99) / off.percentile(99),
        "captured": len(lags),
        "capture_lag_p50": lags[len(lags) // 2] if lags else None,
        "capture_lag_p99": lags[max(0, int(len(lags) * 0.99) - 1)] if lags else None,
    }
    print(f"workload: {args.changes} statements, seed {args.seed} ({', '.join(f'{v} {k}' for k, v in kinds.items())})")
    print(f"start-up: kafka {broker_s:.1f}s, postgres {postgres_s:.1f}s, debezium connector {connect_s:.1f}s")
    print(f"CDC off: p50 {ms(off.percentile(50))}, p99 {ms(off.percentile(99))}, {off.elapsed:.1f}s in all")
    print(f"CDC on:  p50 {ms(on.percentile(50))}, p99 {ms(on.percentile(99))}, {on.elapsed:.1f}s in all")
    print(f"p99 ratio on/off: {figures['p99_ratio_on_off']:.2f}")
    if lags:
        print(f"capture lag (commit -> Kafka): p50 {ms(lags[len(lags) // 2])}, p99 {ms(figures['capture_lag_p99'])}")
    if len(lags) != args.changes:
        print(f"warning: only {len(lags)} of {args.changes} changes reached Kafka", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
