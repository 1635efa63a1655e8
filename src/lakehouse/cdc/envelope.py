"""Debezium change events for ``public.usuarios`` computed offline, in the shape the real stack emits.

The offline fixtures (``scripts/make_users_fixtures.py``) and unit tests need the topic's messages
without a database. This module turns the workload's changes into exactly what Debezium 3.4 writes
with this project's converter settings (``lakehouse.cdc.connect``: JSON, ``schemas.enable=false``,
REPLICA IDENTITY FULL, tombstones on): the same keys in the same order, the same types, timestamps
as ``ZonedTimestamp`` strings with six fraction digits. ``tests/cdc`` compares these against messages
captured from the running stack, so a Debezium upgrade that changes the shape fails a test.

What is simulated, not reproduced: LSNs grow by a realistic 200-400 bytes per single-statement
transaction, ``txId`` by one, and Debezium's processing time follows the commit by 20-150 ms.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from lakehouse.cdc import postgres
from lakehouse.cdc.connect import DEBEZIUM_VERSION, DEFAULT_PREFIX
from lakehouse.produce.users import COLUMNS, Change

OPS = {"insert": "c", "reinsert": "c", "update": "u", "touch": "u", "delete": "d"}
Message = tuple[dict[str, Any], dict[str, Any] | None]


def zoned_timestamp(moment: datetime) -> str:
    """A ``timestamptz`` as Debezium's ZonedTimestamp: UTC, ``Z``, always six fraction digits."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_image(row: dict[str, Any]) -> dict[str, Any]:
    """A row as it appears in ``before``/``after``: columns in table order, timestamps as strings."""
    return {c: zoned_timestamp(row[c]) if isinstance(row[c], datetime) else row[c] for c in COLUMNS}


def _micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def messages(
    changes: Iterable[Change],
    *,
    prefix: str = DEFAULT_PREFIX,
    seed: int = 42,
    existing: Iterable[dict[str, Any]] = (),
    first_lsn: int = 26_380_640,
    first_tx: int = 730,
) -> Iterator[Message]:
    """Yield ``(key, value)`` per Kafka message: one per change, plus a tombstone (value None) after
    each delete. ``existing`` rows give the first updates and deletes their ``before`` images."""
    rng = random.Random(seed)
    state = {row["id"]: dict(row) for row in existing}
    lsn, tx, step = first_lsn, first_tx, 0
    for change in changes:
        before = state.get(change.id)
        if change.row is None:
            state.pop(change.id, None)
        else:
            state[change.id] = dict(change.row)
        commit = _micros(change.at) + rng.randrange(200, 3_000)
        seen = commit + rng.randrange(20_000, 150_000)
        source = {
            "version": DEBEZIUM_VERSION,
            "connector": "postgresql",
            "name": prefix,
            "ts_ms": commit // 1000,
            "snapshot": "false",
            "db": postgres.DATABASE,
            "sequence": json.dumps([_last_commit(rng, lsn, step), str(lsn)], separators=(",", ":")),
            "ts_us": commit,
            "ts_ns": commit * 1000,
            "schema": "public",
            "table": "usuarios",
            "txId": tx,
            "lsn": lsn,
            "xmin": None,
        }
        value = {
            "before": row_image(before) if before is not None and change.kind not in ("insert", "reinsert") else None,
            "after": row_image(change.row) if change.row is not None else None,
            "source": source,
            "transaction": None,
            "op": OPS[change.kind],
            "ts_ms": seen // 1000,
            "ts_us": seen,
            "ts_ns": seen * 1000 + rng.randrange(1000),
        }
        key = {"id": change.id}
        yield key, value
        if change.kind == "delete":
            yield key, None
        step = rng.randrange(200, 400) // 8 * 8  # WAL records are 8-byte aligned
        lsn, tx = lsn + step, tx + 1


def _last_commit(rng: random.Random, lsn: int, step: int) -> str | None:
    """Debezium's ``sequence[0]``: the LSN of the last commit it saw. On a real server it mostly
    equals the event's own LSN for single-statement transactions, else lies just before it."""
    if step == 0:
        return None
    if rng.random() < 0.8:
        return str(lsn)
    return str(lsn - rng.randrange(1, step // 8) * 8)


def value_line(value: dict[str, Any] | None) -> str:
    """One fixture line: the value as the JSON converter writes it (compact), ``null`` for a tombstone."""
    return "null" if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
