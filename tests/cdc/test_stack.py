"""The users CDC stack end to end: a workload on a real PostgreSQL, read back from Debezium's topic.

One stack per session (``cdc_stack``); the workload runs through the real CLI (``lakehouse produce
users``), and every assertion is on what really arrived in Kafka or is really in the table.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lakehouse.cdc import connect
from lakehouse.cdc.envelope import OPS, messages
from lakehouse.produce.users import COLUMNS, Change, workload
from lakehouse.produce.users_db import current_rows
from tests.cdc.conftest import CdcStack
from tests.cdc.topic import Record, last_images, read_topic, shape, table_rows

pytestmark = [pytest.mark.cdc, pytest.mark.kafka, pytest.mark.timeout(300)]

LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")
SEED = 11
CHANGES = 400


def lakehouse(stack: CdcStack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAKEHOUSE, *args], env=stack.env(), capture_output=True, text=True, timeout=120)


@dataclass(frozen=True)
class Phase:
    """The topic after a workload: every message, those the workload caused, and what it ran on."""

    records: list[Record]  # every message of the topic, in partition/offset order
    new: list[Record]  # those that were not there before the workload ran
    existing: list[dict[str, Any]]  # the table's rows before the workload
    output: str

    @property
    def changes(self) -> list[Record]:
        return [r for r in self.new if r.value is not None]

    def workload(self) -> list[Change]:
        """The changes the CLI ran (the same seed on the same rows; only the clock differs)."""
        return list(workload(CHANGES, seed=SEED, existing=self.existing))


def positions(records: list[Record]) -> set[tuple[int, int]]:
    return {(r.partition, r.offset) for r in records}


@pytest.fixture(scope="module")
def first(cdc_stack: CdcStack) -> Phase:
    """The seeded workload through the CLI. Other tests of the session may have changed rows before
    (the table and topic are shared), so the phase keeps what it started from."""
    seen = positions(read_topic(cdc_stack.bootstrap, cdc_stack.topic, until=0))
    existing = current_rows(cdc_stack.dsn)
    done = lakehouse(cdc_stack, "produce", "users", "--changes", str(CHANGES), "--seed", str(SEED))
    assert done.returncode == 0, done.stderr
    deletes = sum(c.kind == "delete" for c in workload(CHANGES, seed=SEED, existing=existing))
    records = read_topic(cdc_stack.bootstrap, cdc_stack.topic, until=len(seen) + CHANGES + deletes)
    return Phase(records, [r for r in records if (r.partition, r.offset) not in seen], existing, done.stdout)


def test_status_exits_zero_when_up_and_one_when_down(cdc_stack: CdcStack, tmp_path: Path) -> None:
    up = lakehouse(cdc_stack, "cdc", "status")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "connector usuarios RUNNING (task RUNNING)" in up.stdout
    assert f"-> topic {cdc_stack.topic}" in up.stdout
    down = subprocess.run(
        [LAKEHOUSE, "cdc", "status"],
        env={**cdc_stack.env(), "LAKEHOUSE_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 1
    assert "postgres is not running" in down.stdout
    assert "connector is not running" in down.stdout


def test_every_committed_change_arrives_once_with_its_kind(first: Phase) -> None:
    kinds = Counter(c.kind for c in first.workload())
    assert f"ran {CHANGES} statements" in first.output
    ops = Counter(r.value["op"] for r in first.changes if r.value is not None)
    expected = Counter()
    for kind, count in kinds.items():
        expected[OPS[kind]] += count
    assert ops == expected
    lsns = [r.lsn for r in first.changes]
    assert len(lsns) == len(set(lsns)) == CHANGES


def test_per_key_order_is_lsn_order(first: Phase) -> None:
    by_key: dict[int, list[Record]] = defaultdict(list)
    partitions: dict[int, set[int]] = defaultdict(set)
    for record in first.new:  # in partition/offset order
        by_key[record.key["id"]].append(record)
        partitions[record.key["id"]].add(record.partition)
    assert all(len(found) == 1 for found in partitions.values()), "a key was spread over partitions"
    for records in by_key.values():
        ordered = sorted(records, key=lambda r: r.offset)
        lsns = [r.lsn for r in ordered if r.value is not None]
        assert lsns == sorted(lsns) and len(lsns) == len(set(lsns))


def test_deletes_carry_the_old_row_and_are_followed_by_a_tombstone(first: Phase) -> None:
    by_position = {(r.partition, r.offset): r for r in first.new}
    deletes = [r for r in first.changes if r.value is not None and r.value["op"] == "d"]
    assert deletes
    for record in deletes:
        value = record.value
        assert value is not None and value["after"] is None
        assert value["before"]["id"] == record.key["id"]
        assert list(value["before"]) == list(COLUMNS)  # REPLICA IDENTITY FULL: the whole old row
        assert all(value["before"][c] is not None for c in COLUMNS if c != "telefone")
        tombstone = by_position.get((record.partition, record.offset + 1))
        assert tombstone is not None and tombstone.value is None and tombstone.key == record.key


def test_updates_carry_before_and_some_only_bump_updated_at(first: Phase) -> None:
    updates = [r.value for r in first.changes if r.value is not None and r.value["op"] == "u"]
    assert updates and all(u["before"] is not None for u in updates)
    changed = [{c for c in COLUMNS if u["before"][c] != u["after"][c]} for u in updates]
    assert all("updated_at" in columns for columns in changed)
    assert sum(columns == {"updated_at"} for columns in changed) >= 10
    for u in updates:
        assert u["after"]["updated_at"] > u["before"]["updated_at"]


def test_last_image_per_id_equals_the_table(cdc_stack: CdcStack, first: Phase) -> None:
    """Replaying the whole topic (every test's changes) in LSN order gives the table."""
    assert last_images(first.records) == table_rows(cdc_stack.dsn)


def test_offline_messages_have_the_shape_of_real_ones(first: Phase) -> None:
    """The fixtures' generator (``lakehouse.cdc.envelope``) against what Debezium really wrote, for
    the same workload: the same set of shapes (keys in order, JSON types) per op, and keys alike."""
    offline = list(messages(first.workload(), existing=first.existing))
    real: dict[str | None, set[object]] = defaultdict(set)
    for record in first.new:
        real[(record.value or {}).get("op")].add(shape(record.value))
    generated: dict[str | None, set[object]] = defaultdict(set)
    for _, value in offline:
        generated[(value or {}).get("op")].add(shape(value))
    assert generated == real
    assert {shape(k) for k, _ in offline} == {shape(r.key) for r in first.new}


def test_a_restarted_connector_resumes_without_re_emitting(cdc_stack: CdcStack, first: Phase) -> None:
    """Stop the worker cleanly, change rows while it is down, start it again: the changes made
    meanwhile arrive (the slot kept them), each once, and nothing already sent comes again."""
    seen = positions(first.records)
    old_lsns = {r.lsn for r in first.records if r.value is not None}
    assert connect.stop(cdc_stack.home)
    down = lakehouse(cdc_stack, "cdc", "status")
    assert down.returncode == 1 and "connector is not running" in down.stdout
    produced = lakehouse(cdc_stack, "produce", "users", "--changes", "100", "--seed", "12")
    assert produced.returncode == 0, produced.stderr
    started = time.monotonic()
    restarted = lakehouse(cdc_stack, "cdc", "start", "--bootstrap", cdc_stack.bootstrap)
    restart_seconds = time.monotonic() - started
    assert restarted.returncode == 0, restarted.stderr
    records = read_topic(cdc_stack.bootstrap, cdc_stack.topic, until=len(seen) + 100)
    new = [r for r in records if (r.partition, r.offset) not in seen]
    new_changes = [r for r in new if r.value is not None]
    assert not {r.lsn for r in new_changes} & old_lsns, "a change sent before the restart was sent again"
    assert len(new_changes) == len({r.lsn for r in new_changes}) == 100
    assert len(new) - len(new_changes) == sum(r.value["op"] == "d" for r in new_changes if r.value)  # tombstones
    assert last_images(records) == table_rows(cdc_stack.dsn)
    print(f"connector restart took {restart_seconds:.1f}s")


def test_after_a_crash_replays_are_identical_by_lsn(cdc_stack: CdcStack, first: Phase) -> None:
    """At-least-once: SIGKILL the worker while it is sending (offsets not flushed), restart it. Changes
    since the last flushed offset may come again; each replay equals the first copy (same LSN, same
    rows), so a consumer that keeps one message per LSN sees every change exactly once."""
    before = read_topic(cdc_stack.bootstrap, cdc_stack.topic, until=0)
    produced = lakehouse(cdc_stack, "produce", "users", "--changes", "200", "--seed", "13")
    assert produced.returncode == 0, produced.stderr
    assert connect.kill(cdc_stack.home)
    restarted = lakehouse(cdc_stack, "cdc", "start", "--bootstrap", cdc_stack.bootstrap)
    assert restarted.returncode == 0, restarted.stderr
    records = read_topic(cdc_stack.bootstrap, cdc_stack.topic, until=len(before) + 200)
    old_lsns = {r.lsn for r in before if r.value is not None}
    first_copy: dict[int, dict[str, Any]] = {}
    replays = 0
    for record in sorted((r for r in records if r.value is not None), key=lambda r: (r.partition, r.offset)):
        value = record.value
        assert value is not None
        if record.lsn in first_copy:
            replays += 1
            original = first_copy[record.lsn]
            assert {k: value[k] for k in ("before", "after", "source", "op")} == {
                k: original[k] for k in ("before", "after", "source", "op")
            }
        else:
            first_copy[record.lsn] = value
    assert len(set(first_copy) - old_lsns) == 200  # every new change, whatever was replayed
    assert last_images(records) == table_rows(cdc_stack.dsn)
    print(f"replayed after SIGKILL: {replays}")
