"""Exactly-once from a real Kafka broker to gold: `lakehouse run orders --source kafka`.

Four scenarios share as few pipeline runs as possible (each costs 1.5-2.5 minutes):

1. a topic with order events, malformed messages and transport duplicates -> one run; bronze, the
   quarantine, silver and gold are checked against what was sent (gold: figures computed in Python);
2. more events on that topic -> a second run processes exactly those;
3. the same messages as in 1 on a new topic, read by a new home whose runs are SIGKILLed mid-silver
   and mid-gold before one completes: all four gold tables equal those of the clean run in 1;
4. before 3, a run of that home against a port where no broker listens fails cleanly and writes
   nothing; the runs of 3 then show that the home works once the broker is there.
"""

from __future__ import annotations

import re
import signal
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Message

from lakehouse.kafka import BrokerStatus
from tests.kafka.orders_scenario import (
    GOLD_TABLES,
    broken_payloads,
    dead_port,
    expected_lines,
    first_messages,
    payload,
    produce,
    run_args,
    second_messages,
    snapshot_queries,
)
from tests.killable import (
    ProcessGroups,
    Run,
    explain,
    flow_completed,
    flow_running,
    run_lakehouse,
    sorted_rows,
)
from tests.pipeline import expected_orders as expected
from tests.pipeline.local import query

pytestmark = [pytest.mark.kafka, pytest.mark.pipeline]

Tables = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Scenario:
    home: Path
    topic: str
    run: Run
    tables: Tables


@dataclass(frozen=True)
class BrokerDown:
    run: Run
    port: int
    warehouse: list[str]  # what the home's warehouse held right after the failed run


@dataclass(frozen=True)
class Crash:
    killed: list[Run]
    final: Run
    tables: Tables


def fresh_topic(label: str) -> str:
    return f"orders-{label}-{uuid.uuid4().hex[:10]}"


def completed(groups: ProcessGroups, home: Path, args: list[str]) -> Run:
    run = run_lakehouse(groups, home, args)
    assert run.returncode == 0, explain(run)
    return run


@pytest.fixture(scope="module")
def groups() -> Iterator[ProcessGroups]:
    """Every run's process group; whatever is still alive at the end is killed (no stray JVMs)."""
    tracked = ProcessGroups()
    yield tracked
    tracked.kill_all()


# --------------------------------------------------------------------------------------------------
# 1. one run over events, malformed messages and duplicates
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first(kafka_broker: BrokerStatus, tmp_path_factory: pytest.TempPathFactory, groups: ProcessGroups) -> Scenario:
    topic = fresh_topic("first")
    produce(kafka_broker.bootstrap, topic, first_messages())
    home = tmp_path_factory.mktemp("home-first")
    run = completed(groups, home, run_args(kafka_broker.bootstrap, topic))
    # Read now: the second scenario adds to this home, and the crash scenario compares with this state.
    return Scenario(home, topic, run, query(home, **snapshot_queries()))


@pytest.fixture(scope="module")
def first_on_the_wire(first: Scenario, consume: Callable[..., list[Message]]) -> Counter:
    """(partition, offset, payload) of every message of the first topic, as the broker holds them."""
    messages = consume(first.topic, len(first_messages()))
    return Counter((m.partition(), m.offset(), m.value().decode()) for m in messages)


def test_bronze_holds_every_message_once_with_its_kafka_coordinates(first: Scenario, first_on_the_wire: Counter):
    assert sum(first_on_the_wire.values()) == len(first_messages())
    assert {row["topic"] for row in first.tables["bronze"]} == {first.topic}
    bronze = Counter((row["partition"], row["offset"], row["raw_payload"]) for row in first.tables["bronze"])
    assert bronze == first_on_the_wire


def test_every_broken_message_is_quarantined_with_its_failed_rules(first: Scenario):
    quarantine = first.tables["quarantine"]
    broken = broken_payloads()
    assert sorted(row["raw_payload"] for row in quarantine) == sorted(broken.values())
    for rule, text in broken.items():
        (row,) = [row for row in quarantine if row["raw_payload"] == text]
        assert rule in row["failed_rules"], row
        assert row["topic"] == first.topic and row["partition"] is not None and row["offset"] is not None, row
    bronze = {(row["partition"], row["offset"]): row["raw_payload"] for row in first.tables["bronze"]}
    assert all(bronze[(row["partition"], row["offset"])] == row["raw_payload"] for row in quarantine)


def test_silver_holds_each_valid_event_exactly_once(first: Scenario):
    want = Counter(line.event_id for line in expected_lines(first_messages()))
    assert set(want.values()) == {1}
    assert Counter(row["event_id"] for row in first.tables["silver"]) == want


def test_daily_sales_equal_an_independent_computation(first: Scenario):
    want = expected.daily_sales(expected_lines(first_messages()))
    assert expected.daily_sales_table(first.tables["daily_sales"]) == want


# --------------------------------------------------------------------------------------------------
# 2. more events, a second run
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def second(kafka_broker: BrokerStatus, first: Scenario, groups: ProcessGroups) -> Scenario:
    produce(kafka_broker.bootstrap, first.topic, second_messages())
    run = completed(groups, first.home, run_args(kafka_broker.bootstrap, first.topic))
    return Scenario(first.home, first.topic, run, query(first.home, **snapshot_queries()))


def test_the_second_run_adds_exactly_the_new_messages_to_bronze(first: Scenario, second: Scenario):
    before = Counter(row["raw_payload"] for row in first.tables["bronze"])
    after = Counter(row["raw_payload"] for row in second.tables["bronze"])
    assert len(second.tables["bronze"]) == len(first.tables["bronze"]) + len(second_messages())
    assert after - before == Counter(payload(m) for m in second_messages())
    assert not before - after


def test_the_second_run_summary_reports_only_the_new_bronze_rows(second: Scenario):
    written = re.search(r"bronze\.orders_raw\s*│\s*(\d+)", second.run.stdout)
    assert written, second.run.stdout
    assert int(written.group(1)) == len(second_messages())


def test_silver_holds_each_event_once_after_the_second_run(second: Scenario):
    want = Counter(line.event_id for line in expected_lines(first_messages() + second_messages()))
    assert Counter(row["event_id"] for row in second.tables["silver"]) == want


def test_daily_sales_after_the_second_run_cover_all_events(second: Scenario):
    want = expected.daily_sales(expected_lines(first_messages() + second_messages()))
    assert expected.daily_sales_table(second.tables["daily_sales"]) == want


# --------------------------------------------------------------------------------------------------
# 4 (first half). the broker is down
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crash_topic(kafka_broker: BrokerStatus) -> str:
    """The first scenario's messages again, on their own topic, for a home of their own."""
    topic = fresh_topic("crash")
    produce(kafka_broker.bootstrap, topic, first_messages())
    return topic


@pytest.fixture(scope="module")
def crash_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home-crash")


@pytest.fixture(scope="module")
def broker_down(crash_home: Path, crash_topic: str, groups: ProcessGroups) -> BrokerDown:
    with dead_port() as port:
        run = run_lakehouse(groups, crash_home, run_args(f"127.0.0.1:{port}", crash_topic), timeout=180)
    warehouse = crash_home / "warehouse"
    files = sorted(str(p.relative_to(warehouse)) for p in warehouse.rglob("*")) if warehouse.exists() else []
    return BrokerDown(run, port, files)


def test_a_run_without_broker_fails_with_one_clear_error_line(broker_down: BrokerDown):
    run = broker_down.run
    assert run.returncode == 1, explain(run)
    assert [line for line in run.stderr.splitlines() if line.strip()] == [
        f"error: Kafka is not reachable at 127.0.0.1:{broker_down.port}; start it (lakehouse kafka start) and run again"
    ], explain(run)
    assert "Traceback" not in run.stdout + run.stderr


def test_a_run_without_broker_writes_nothing(broker_down: BrokerDown):
    assert broker_down.warehouse == []  # no schema, no table: gold.db in particular


# --------------------------------------------------------------------------------------------------
# 3. SIGKILL in silver and in gold, then a run to completion
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crash(
    kafka_broker: BrokerStatus, crash_home: Path, crash_topic: str, broker_down: BrokerDown, groups: ProcessGroups
) -> Crash:
    args = run_args(kafka_broker.bootstrap, crash_topic)
    killed = [
        # while silver's two streams process bronze (planned, not committed)
        run_lakehouse(groups, crash_home, args, kill_after=flow_running("silver", "order_lines"), delay=4),
        # once a gold flow has written its result, while the others (the streaming panel) still run
        run_lakehouse(groups, crash_home, args, kill_after=flow_completed("gold")),
    ]
    final = run_lakehouse(groups, crash_home, args)
    tables = query(crash_home, **snapshot_queries()) if final.returncode == 0 else {}
    return Crash(killed, final, tables)


def test_the_runs_were_killed_in_silver_and_in_gold(crash: Crash):
    in_silver, in_gold = crash.killed
    for run in crash.killed:
        assert run.returncode == -signal.SIGKILL, explain(run)
        assert "run summary" not in run.stdout, explain(run)
    # graphs completed before each kill: bronze's only, then every one before gold's (bronze, silver);
    # the quarantine runs in gold's graph (lakehouse.local.layers)
    assert in_silver.stdout.count("Run is COMPLETED") == 1, explain(in_silver)
    assert "running layer gold" not in in_silver.stdout, explain(in_silver)
    before_gold = in_gold.stdout.split("running layer gold")[0]
    assert "running layer silver" in before_gold and "running layer quarantine" in before_gold, explain(in_gold)
    graphs_before_gold = before_gold.count("Run is COMPLETED")
    assert graphs_before_gold >= 2, explain(in_gold)
    assert in_gold.stdout.count("Run is COMPLETED") == graphs_before_gold, explain(in_gold)
    assert flow_completed("gold")(in_gold.killed_after or ""), explain(in_gold)


def test_the_run_after_the_crashes_completes(crash: Crash):
    assert crash.final.returncode == 0, explain(crash.final)
    assert "run summary" in crash.final.stdout


@pytest.mark.parametrize("table", sorted(GOLD_TABLES))
def test_gold_after_the_crashes_equals_the_clean_run(crash: Crash, first: Scenario, table: str):
    assert crash.final.returncode == 0, explain(crash.final)
    assert first.tables[table], f"the clean run wrote no {GOLD_TABLES[table]}"
    assert sorted_rows(crash.tables[table]) == sorted_rows(first.tables[table])


def test_silver_has_no_event_twice_after_the_crashes(crash: Crash):
    assert crash.final.returncode == 0, explain(crash.final)
    want = Counter(line.event_id for line in expected_lines(first_messages()))
    assert Counter(row["event_id"] for row in crash.tables["silver"]) == want
    assert sorted(row["raw_payload"] for row in crash.tables["quarantine"]) == sorted(broken_payloads().values())


def test_bronze_has_no_message_twice_after_the_crashes(crash: Crash, crash_topic: str):
    assert crash.final.returncode == 0, explain(crash.final)
    coordinates = Counter((row["partition"], row["offset"]) for row in crash.tables["bronze"])
    assert len(coordinates) == len(first_messages())
    assert set(coordinates.values()) == {1}
    assert Counter(row["raw_payload"] for row in crash.tables["bronze"]) == Counter(map(payload, first_messages()))


# --------------------------------------------------------------------------------------------------
# 4 (second half). the broker is back
# --------------------------------------------------------------------------------------------------


def test_the_home_of_the_failed_run_works_once_the_broker_is_up(broker_down: BrokerDown, crash: Crash):
    assert broker_down.run.returncode != 0
    assert crash.final.returncode == 0, explain(crash.final)
    assert expected.daily_sales_table(crash.tables["daily_sales"]) == expected.daily_sales(
        expected_lines(first_messages())
    )
