"""A seeded simulation of ``public.usuarios`` as Debezium sees it, for the users pipeline test.

One WAL: every change gets the next, strictly increasing ``lsn``. :func:`simulate` returns the changes
in lsn order; the test then spreads them over landing files out of order, with replays, tombstones
and broken lines, and computes what silver and gold must hold with the AUTO CDC model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.unit.debezium import change, user

FIRST = ["Maria", "João", "Ana", "Pedro", "Lucas", "Juliana", "Carlos", "Fernanda", "Rafael", "Beatriz"]
LAST = ["Silva", "Santos", "Oliveira", "Souza", "Pereira", "Lima", "Costa", "Ribeiro", "Almeida", "Gomes"]
PLACES = [("São Paulo", "SP"), ("Campinas", "SP"), ("Rio de Janeiro", "RJ"), ("Belo Horizonte", "MG"), ("Recife", "PE")]
STATUSES = ["ativo", "ativo", "inativo", "bloqueado"]
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def zoned(at: datetime) -> str:
    """Debezium's ZonedTimestamp text."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Feed:
    rng: random.Random
    lsn: int = 22_000_000
    at: datetime = START
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1

    def _tick(self) -> None:
        self.lsn += self.rng.randint(8, 400)
        self.at += timedelta(minutes=self.rng.randint(1, 40), microseconds=self.rng.randint(0, 999_999))

    def _emit(self, op: str, row: dict[str, Any], before: dict[str, Any] | None = None) -> None:
        ts_ms = int(self.at.timestamp() * 1000)
        self.events.append(change(op, dict(row), self.lsn, ts_ms, before=before, envelope=self.rng.random() < 0.5))

    def new_user(self, op: str = "c") -> None:
        self._tick()
        first, last, other = self.rng.choice(FIRST), self.rng.choice(LAST), self.rng.choice(LAST)
        city, state = self.rng.choice(PLACES)
        uid = self.next_id
        self.next_id += 1
        row = user(
            uid,
            nome=f"{first} {last} {other}",
            email=f"{first.lower()}.{last.lower()}{uid}@example.com",
            cpf=".".join(str(self.rng.randint(100, 999)) for _ in range(3)) + f"-{uid % 100:02d}",
            telefone=f"+55 11 9{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}",
            cidade=city,
            estado=state,
            status=self.rng.choice(STATUSES),
            created_at=zoned(self.at),
            updated_at=zoned(self.at),
        )
        self.rows[uid] = row
        self._emit(op, row)

    def reinsert(self, row: dict[str, Any]) -> None:
        self._tick()
        row = {**row, "status": "ativo", "updated_at": zoned(self.at)}
        self.rows[row["id"]] = row
        self._emit("c", row)

    def step(self, deleted: dict[int, dict[str, Any]]) -> None:
        """One random change: mostly updates, some inserts, deletes and re-inserts."""
        roll = self.rng.random()
        if roll < 0.15 or not self.rows:
            self.new_user()
            return
        if roll < 0.2 and deleted:
            self.reinsert(deleted.pop(self.rng.choice(sorted(deleted))))
            return
        uid = self.rng.choice(sorted(self.rows))
        before = self.rows[uid]
        self._tick()
        if roll < 0.3:
            del self.rows[uid]
            deleted[uid] = before
            key_only = {c: (uid if c == "id" else None) for c in before}
            self._emit("d", key_only if self.rng.random() < 0.5 else before)
            return
        after = {**before, "updated_at": zoned(self.at)}
        if roll < 0.55:  # updated_at alone (a touch): no new version in the history
            pass
        elif roll < 0.8:
            after["status"] = self.rng.choice([s for s in STATUSES if s != before["status"]])
        else:
            after["cidade"], after["estado"] = self.rng.choice(PLACES)
            after["telefone"] = f"+55 21 9{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}"
        self.rows[uid] = after
        self._emit("u", after, before=before)


def simulate(seed: int, snapshot: int, changes: int, feed: Feed | None = None) -> Feed:
    """A snapshot of ``snapshot`` users (op ``r``) then ``changes`` changes; continues ``feed`` if given."""
    feed = feed or Feed(rng=random.Random(seed))
    deleted: dict[int, dict[str, Any]] = {}
    for _ in range(snapshot):
        feed.new_user("r")
    for _ in range(changes):
        feed.step(deleted)
    return feed


def payload(event: dict[str, Any]) -> dict[str, Any]:
    return event.get("payload", event)


def typed(event: dict[str, Any]) -> dict[str, Any]:
    """What silver.users_changes holds for a valid event (timestamps kept as their Debezium text)."""
    body = payload(event)
    image = body["before"] if body["op"] == "d" else body["after"]
    return {**image, "op": body["op"], "lsn": body["source"]["lsn"], "changed_at": body["source"]["ts_ms"]}
