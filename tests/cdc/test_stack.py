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

import pytest

from lakehouse.cdc import connect
from lakehouse.cdc.envelope import OPS, messages
from lakehouse.produce.users import COLUMNS, workload
from tests.cdc.conftest import CdcStack
from tests.cdc.topic import Record, current_lsn, last_images, read_topic, shape, table_rows

pytestmark = [pytest.mark.cdc, pytest.mark.kafka, pytest.mark.timeout(300)]

LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")
SEED = 11
CHANGES = 400


def lakehouse(stack: CdcStack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAKEHOUSE, *args], env=stack.env(), capture_output=True, text=True, timeout=120)


@dataclass(frozen=True)
class Phase:
    """Messages of the topic whose changes were committed after ``since`` (an LSN)."""

    since: int
    records: list[Record]  # every message of the topic, in partition/offset order
    output: str

    @property
    def changes(self) -> list[Record]:
        return [r for r in self.records if r.value is not None and r.lsn > self.since]


def expected_messages(changes: int, seed: int) -> int:
    """Change events plus one tombstone per delete, for a workload on an empty table."""
    kinds = Counter(c.kind for c in workload(changes, seed=seed))
    return changes + kinds["delete"]


@pytest.fixture(scope="module")
def first(cdc_stack: CdcStack) -> Phase:
    since = current_lsn(cdc_stack.dsn)
    done = lakehouse(cdc_stack, "produce", "users", "--changes", str(CHANGES), "--seed", str(SEED))
    assert done.returncode == 0, done.stderr
    records = read_topic(cdc_stack.bootstrap, cdc_stack.topic, until=expected_messages(CHANGES, SEED))
    return Phase(since, records, done.stdout)


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
    kinds = Counter(c.kind for c in workload(CHANGES, seed=SEED))
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
    for record in first.records:  # read in partition/offset order
        by_key[record.key["id"]].append(record)
        partitions[record.key["id"]].add(record.partition)
    assert all(len(found) == 1 for found in partitions.values()), "a key was spread over partitions"
    for records in by_key.values():
        ordered = sorted(records, key=lambda r: r.offset)
        lsns = [r.lsn for r in ordered if r.value is not None]
        assert lsns == sorted(lsns) and len(lsns) == len(set(lsns))


def test_deletes_carry_the_old_row_and_are_followed_by_a_tombstone(first: Phase) -> None:
    by_position = {(r.partition, r.offset): r for r in first.records}
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
    assert last_images(first.records) == table_rows(cdc_stack.dsn)


def test_offline_messages_have_the_shape_of_real_ones(first: Phase) -> None:
    """The fixtures' generator (``lakehouse.cdc.envelope``) against what Debezium really wrote, for
    the same workload: the same set of shapes (keys in order, JSON types) per op, and keys alike."""
    offline = list(messages(workload(CHANGES, seed=SEED)))
    real: dict[str | None, set[object]] = defaultdict(set)
    for record in first.records:
        real[(record.value or {}).get("op")].add(shape(record.value))
    generated: dict[str | None, set[object]] = defaultdict(set)
    for _, value in offline:
        generated[(value or {}).get("op")].add(shape(value))
    assert generated == real
    assert {shape(k) for k, _ in offline} == {shape(r.key) for r in first.records}


def test_a_restarted_connector_resumes_without_re_emitting(cdc_stack: CdcStack, first: Phase) -> None:
    """Stop the worker cleanly, change rows while it is down, start it again: the changes made
    meanwhile arrive (the slot kept them) and nothing already sent comes again."""
    before = {(r.partition, r.offset) for r in first.records}
    assert connect.stop(cdc_stack.home)
    down = lakehouse(cdc_stack, "cdc", "status")
    assert down.returncode == 1 and "connector is not running" in down.stdout
    since = current_lsn(cdc_stack.dsn)
    produced = lakehouse(cdc_stack, "produce", "users", "--changes", "100", "--seed", "12")
    assert produced.returncode == 0, produced.stderr
    started = time.monotonic()
    restarted = lakehouse(cdc_stack, "cdc", "start", "--bootstrap", cdc_stack.bootstrap)
    restart_seconds = time.monotonic() - started
    assert restarted.returncode == 0, restarted.stderr
    records = read_topic(cdc_stack.bootstrap, cdc_stack.topic, until=len(before) + 100)
    new = [r for r in records if (r.partition, r.offset) not in before]
    new_changes = [r for r in new if r.value is not None]
    assert all(r.lsn > since for r in new_changes), "a change sent before the restart was sent again"
    assert len(new_changes) == len({r.lsn for r in new_changes}) == 100
    assert len(new) - len(new_changes) == sum(r.value["op"] == "d" for r in new_changes if r.value)  # tombstones
    assert last_images(records) == table_rows(cdc_stack.dsn)
    print(f"connector restart took {restart_seconds:.1f}s")
