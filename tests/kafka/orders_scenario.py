"""Helpers for the Kafka-to-gold scenarios: the messages, killable `lakehouse run`s and table snapshots.

The message sets are deterministic (seeded), so the same messages can go to two topics and two homes
must then end with identical gold tables, however often one of them was killed on the way.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lakehouse.produce.kafka_sink import Event, encode, send
from lakehouse.produce.orders_synthetic import synthetic_orders
from tests.pipeline import expected_orders as expected
from tests.pipeline.local import LAKEHOUSE, PROJECT_ROOT

FIRST_SEED = 41
FIRST_EVENTS = 300
SECOND_SEED = 42
SECOND_EVENTS = 60
# The second batch starts days after the first one ends: its events are on time for both watermarks
# (silver's de-duplication, gold's per-minute panel), as new events from a live shop would be.
SECOND_START = date(2019, 12, 10)

MALFORMED_JSON = '{"event_id": "broken-json-1", "TransactionNo": "536999", "Date": '
MISSING_DATE_ID = "missing-date-1"
MISSING_TRANSACTION_ID = "missing-transaction-1"
# Positions (in the synthetic events) of the events the "network" delivers twice.
DUPLICATED = (0, 1, 57, 150, 299)

GOLD_TABLES = {
    "daily_sales": "gold.orders_daily_sales",
    "sales_per_minute": "gold.orders_sales_per_minute",
    "product_sales": "gold.orders_product_sales",
    "customer_summary": "gold.orders_customer_summary",
}


# --------------------------------------------------------------------------------------------------
# messages
# --------------------------------------------------------------------------------------------------


def first_messages() -> list[Event]:
    """300 valid order lines, 3 broken messages and 5 transport duplicates, in sending order."""
    events = list(synthetic_orders(FIRST_EVENTS, seed=FIRST_SEED))
    missing_date = {k: v for k, v in events[10].items() if k != "Date"} | {"event_id": MISSING_DATE_ID}
    missing_transaction = {k: v for k, v in events[20].items() if k != "TransactionNo"} | {
        "event_id": MISSING_TRANSACTION_ID
    }
    return [
        *events[:150],
        MALFORMED_JSON,
        events[57],  # a retry right after the original...
        *events[150:],
        missing_date,
        missing_transaction,
        *[events[i] for i in DUPLICATED if i != 57],  # ...and late redeliveries
    ]


def second_messages() -> list[Event]:
    return list(synthetic_orders(SECOND_EVENTS, seed=SECOND_SEED, start=SECOND_START))


def broken_payloads() -> dict[str, str]:
    """The payloads silver must reject, by the rule each one must at least fail."""
    by_id = {m["event_id"]: payload(m) for m in first_messages() if isinstance(m, dict)}
    return {
        "payload_is_json_object": MALFORMED_JSON,
        "order_date_parsable": by_id[MISSING_DATE_ID],
        "transaction_no_format": by_id[MISSING_TRANSACTION_ID],
    }


def payload(message: Event) -> str:
    """The message value exactly as the producer puts it on the wire."""
    return encode(message).decode()


def message_key(message: Event) -> str:
    """The contract's key (TransactionNo); fixed keys for the rest, so both topics get the same layout."""
    if isinstance(message, dict):
        return message.get("TransactionNo") or message["event_id"]
    return "malformed"


def produce(bootstrap: str, topic: str, messages: list[Event]) -> None:
    report = send(messages, f"kafka://{bootstrap}/{topic}", key=message_key, progress=False)
    assert (report.sent, report.failed) == (len(messages), 0), report


def expected_lines(messages: list[Event]) -> list[expected.Line]:
    lines, _ = expected.valid_lines([payload(m) for m in messages])
    return lines


# --------------------------------------------------------------------------------------------------
# runs
# --------------------------------------------------------------------------------------------------


def run_args(bootstrap: str, topic: str) -> list[str]:
    return [
        "run",
        "orders",
        "--source",
        "kafka",
        "--set",
        f"lakehouse.kafka.bootstrap_servers={bootstrap}",
        "--set",
        f"lakehouse.kafka.topic={topic}",
    ]


@contextmanager
def dead_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nobody else takes it) but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def flow_running(layer: str, table: str) -> Callable[[str], bool]:
    """Matches the pipeline event that says a flow of ``layer`` started processing."""
    return lambda line: f"{layer}.{table} is RUNNING" in line and "Flow " in line


def flow_completed(layer: str) -> Callable[[str], bool]:
    """Matches the pipeline event that says some flow of ``layer`` has written its result."""
    return lambda line: f".{layer}." in line and "has COMPLETED" in line and "Flow " in line


def live_members(pgid: int) -> list[int]:
    """Processes of a process group that still run (zombies, already dead, do not count)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, _ppid, group = text.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


class ProcessGroups:
    """Every `lakehouse run` started by the tests, each in its own session; kills whole groups."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[str]] = []

    def start(self, command: list[str], **kwargs: Any) -> subprocess.Popen[str]:
        process = subprocess.Popen(command, start_new_session=True, **kwargs)
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen[str], timeout: float = 60.0) -> None:
        """SIGKILL the process's whole group (CLI, spark-class, JVM, Python side) and wait until it is gone."""
        pgid = process.pid  # start_new_session: the leader's pid is the group id
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        process.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while (left := live_members(pgid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"processes {left} of group {pgid} survived SIGKILL"

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None or live_members(process.pid):
                self.kill(process)


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    killed_after: str | None = None  # the output line that triggered the kill


def run_lakehouse(
    groups: ProcessGroups,
    home: Path,
    args: list[str],
    *,
    kill_after: Callable[[str], bool] | None = None,
    delay: float = 0.0,
    timeout: float = 900.0,
) -> Run:
    """Run the `lakehouse` command as a user would, reading its output line by line as it comes.

    With ``kill_after``, the whole process group gets SIGKILL ``delay`` seconds after the first
    output line it accepts, as a power cut would; the call returns once every process is gone.
    """
    env = {**os.environ, "LAKEHOUSE_HOME": str(home), "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile("w+") as errors:
        process = groups.start(
            [LAKEHOUSE, *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            groups.kill(process)

        watchdog = threading.Timer(timeout, expire)
        watchdog.start()
        lines: list[str] = []
        trigger: str | None = None
        killer: threading.Timer | None = None
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if kill_after is not None and trigger is None and kill_after(line):
                    trigger = line.strip()
                    killer = threading.Timer(delay, groups.kill, args=(process,))
                    killer.start()
            process.wait()
        finally:
            watchdog.cancel()
            if killer is not None:
                killer.join()
            groups.kill(process)  # also reaps anything a finished run might have left behind
        errors.seek(0)
        stderr = errors.read()
    stdout = "".join(lines)
    if timed_out.is_set():
        raise AssertionError(f"lakehouse {' '.join(args)} took over {timeout:.0f} s:\n{stdout[-3000:]}")
    if trigger is None and kill_after is not None:
        raise AssertionError(f"the kill point was never reached:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    return Run(process.returncode, stdout, stderr, trigger)


def explain(run: Run) -> str:
    return f"exit {run.returncode}\n--- stdout\n{run.stdout[-4000:]}\n--- stderr\n{run.stderr[-4000:]}"


# --------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------


def snapshot_queries() -> dict[str, str]:
    """Everything the scenarios compare, read in one Spark session."""
    return {
        "bronze": "SELECT raw_payload, kafka_key, topic, partition, offset FROM bronze.orders_raw",
        "silver": "SELECT event_id FROM silver.order_lines",
        "quarantine": (
            "SELECT raw_payload, failed_rules, event_id, topic, partition, offset FROM silver.order_lines_quarantine"
        ),
        **{name: f"SELECT * FROM {table}" for name, table in GOLD_TABLES.items()},
    }


def sorted_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A table's full contents in a canonical order (a duplicated row stays visible)."""
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True, default=str))
