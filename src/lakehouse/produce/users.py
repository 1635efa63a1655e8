"""An application-like workload on ``public.usuarios``: the changes a user-account service makes.

Pure and seeded: :func:`workload` yields :class:`Change` objects (no database involved), so the same
seed gives the same statements, which the fixtures generator, the unit tests and the benchmark
(CDC on vs off, same statements) rely on. :func:`statement` turns a change into SQL; the database
runner is ``lakehouse.produce.users_db``.

What it does, as such a service would: sign-ups (inserts), profile edits of one to three columns
(always bumping ``updated_at``), "touches" that change ``updated_at`` only (a re-saved form, a
login stamp), deletions, and restores of deleted accounts (a re-insert of the same id). Data is
Brazilian: names from Faker ``pt_BR``, e-mails derived from the name, CPFs with valid check digits,
phones with the state's area code, UF codes weighted roughly by population.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from faker import Faker

Kind = Literal["insert", "update", "touch", "delete", "reinsert"]
STATUSES = ("ativo", "inativo", "bloqueado")
COLUMNS = ("id", "nome", "email", "cpf", "telefone", "cidade", "estado", "status", "created_at", "updated_at")

# UF -> (capital, area code, weight ~ population in millions).
UFS: dict[str, tuple[str, int, int]] = {
    "SP": ("São Paulo", 11, 46),
    "MG": ("Belo Horizonte", 31, 21),
    "RJ": ("Rio de Janeiro", 21, 17),
    "BA": ("Salvador", 71, 15),
    "PR": ("Curitiba", 41, 12),
    "RS": ("Porto Alegre", 51, 11),
    "PE": ("Recife", 81, 9),
    "CE": ("Fortaleza", 85, 9),
    "PA": ("Belém", 91, 8),
    "SC": ("Florianópolis", 48, 8),
    "GO": ("Goiânia", 62, 7),
    "MA": ("São Luís", 98, 7),
    "AM": ("Manaus", 92, 4),
    "ES": ("Vitória", 27, 4),
    "PB": ("João Pessoa", 83, 4),
    "RN": ("Natal", 84, 3),
    "MT": ("Cuiabá", 65, 4),
    "AL": ("Maceió", 82, 3),
    "PI": ("Teresina", 86, 3),
    "DF": ("Brasília", 61, 3),
    "MS": ("Campo Grande", 67, 3),
    "SE": ("Aracaju", 79, 2),
    "RO": ("Porto Velho", 69, 2),
    "TO": ("Palmas", 63, 2),
    "AC": ("Rio Branco", 68, 1),
    "AP": ("Macapá", 96, 1),
    "RR": ("Boa Vista", 95, 1),
}

# Share of each kind of change once the table has rows (a restore needs a deleted id).
MIX: dict[Kind, float] = {"insert": 0.30, "update": 0.35, "touch": 0.12, "delete": 0.13, "reinsert": 0.10}
EDITABLE = ("email", "telefone", "endereco", "status", "nome")


# --------------------------------------------------------------------------- CPF


def cpf_check_digits(first_nine: str) -> str:
    """The two check digits of a CPF (modulo 11, weights 10..2 then 11..2; remainder 10 gives 0)."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError(f"a CPF's base is 9 digits, got {first_nine!r}")
    digits = [int(ch) for ch in first_nine]
    for _ in range(2):
        weight = len(digits) + 1
        total = sum(d * (weight - i) for i, d in enumerate(digits))
        digits.append((total * 10) % 11 % 10)
    return f"{digits[9]}{digits[10]}"


def format_cpf(digits: str) -> str:
    """``12345678909`` -> ``123.456.789-09``, the form people type and systems store."""
    return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"


def is_valid_cpf(text: str) -> bool:
    """True for 11 digits (punctuation allowed) with correct check digits, not all the same digit."""
    digits = re.sub(r"[.\-\s]", "", text)
    if len(digits) != 11 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    return cpf_check_digits(digits[:9]) == digits[9:]


def random_cpf(rng: random.Random) -> str:
    """A formatted CPF with valid check digits (never the invalid repeated-digit ones)."""
    while True:
        base = "".join(str(rng.randrange(10)) for _ in range(9))
        if len(set(base)) > 1:
            return format_cpf(base + cpf_check_digits(base))


# --------------------------------------------------------------------------- people


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", ".", folded.lower()).strip(".")


@dataclass
class _People:
    """Seeded generators of names, e-mails, phones and places."""

    rng: random.Random
    fake: Faker = field(init=False)

    def __post_init__(self) -> None:
        self.fake = Faker("pt_BR")
        self.fake.seed_instance(self.rng.getrandbits(32))

    def name(self) -> str:
        surnames = [self.fake.last_name() for _ in range(self.rng.choice((1, 2, 2)))]
        return " ".join([self.fake.first_name(), *surnames])

    def email(self, nome: str) -> str:
        parts = _ascii(nome).split(".")
        local = f"{parts[0]}.{parts[-1]}" if len(parts) > 1 else parts[0]
        if self.rng.random() < 0.6:
            local += str(self.rng.randrange(1, 999))
        return f"{local}@{self.fake.free_email_domain()}"

    def place(self) -> tuple[str, str]:
        estado = self.rng.choices(list(UFS), weights=[w for _, _, w in UFS.values()])[0]
        cidade = UFS[estado][0] if self.rng.random() < 0.6 else self.fake.city()
        return cidade, estado

    def phone(self, estado: str) -> str | None:
        if self.rng.random() < 0.08:
            return None
        ddd = UFS[estado][1]
        number = f"9{self.rng.randrange(10**8):08d}"
        return f"({ddd}) {number[:5]}-{number[5:]}"


# --------------------------------------------------------------------------- workload


@dataclass(frozen=True)
class Change:
    """One statement of the workload, issued at ``at``: ``row`` is the full row after the change (None
    after a delete); ``columns`` names what an update sets (always ending with ``updated_at``)."""

    kind: Kind
    id: int
    at: datetime
    row: dict[str, Any] | None
    columns: tuple[str, ...] = ()


def workload(
    n: int,
    *,
    seed: int = 42,
    start: datetime | None = None,
    existing: Iterable[dict[str, Any]] = (),
    next_id: int | None = None,
) -> Iterator[Change]:
    """Yield ``n`` changes. ``existing`` rows (the table's current content) may be updated or deleted;
    new ids start at ``next_id`` (default: one past the largest existing id). Timestamps start at
    ``start`` (default 2026-01-05T09:00Z) and increase strictly, so ``updated_at`` grows per id."""
    if n < 0:
        raise ValueError("the number of changes cannot be negative")
    rng = random.Random(seed)
    people = _People(random.Random(rng.getrandbits(64)))
    live: dict[int, dict[str, Any]] = {row["id"]: dict(row) for row in existing}
    deleted: dict[int, dict[str, Any]] = {}
    clock = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    new_id = next_id if next_id is not None else max(live, default=0) + 1
    kinds = list(MIX)
    for _ in range(n):
        clock += timedelta(microseconds=rng.randrange(1_000, 2_000_000))
        kind: Kind = rng.choices(kinds, weights=list(MIX.values()))[0] if live else "insert"
        if kind == "reinsert" and not deleted:
            kind = "insert"
        if kind == "insert":
            row = _new_row(new_id, people, rng, clock)
            new_id += 1
            live[row["id"]] = row
            yield Change("insert", row["id"], clock, dict(row))
        elif kind == "reinsert":
            old = deleted.pop(rng.choice(sorted(deleted)))
            row = {**old, "status": "ativo", "updated_at": clock}
            live[row["id"]] = row
            yield Change("reinsert", row["id"], clock, dict(row))
        elif kind == "delete":
            victim = rng.choice(sorted(live))
            deleted[victim] = live.pop(victim)
            yield Change("delete", victim, clock, None)
        else:
            target = rng.choice(sorted(live))
            columns: tuple[str, ...] = ()
            values: dict[str, Any] = {}
            if kind == "update":
                columns, values = _edit(live[target], people, rng)
            live[target] = {**live[target], **values, "updated_at": clock}
            yield Change(kind, target, clock, dict(live[target]), (*columns, "updated_at"))


def _new_row(row_id: int, people: _People, rng: random.Random, clock: datetime) -> dict[str, Any]:
    nome = people.name()
    cidade, estado = people.place()
    return {
        "id": row_id,
        "nome": nome,
        "email": people.email(nome),
        "cpf": random_cpf(rng),
        "telefone": people.phone(estado),
        "cidade": cidade,
        "estado": estado,
        "status": rng.choices(STATUSES, weights=(85, 10, 5))[0],
        "created_at": clock,
        "updated_at": clock,
    }


def _edit(row: dict[str, Any], people: _People, rng: random.Random) -> tuple[tuple[str, ...], dict[str, Any]]:
    """One to three edited fields; a move changes city and state together."""
    chosen = rng.sample(EDITABLE, rng.choice((1, 1, 2, 3)))
    values: dict[str, Any] = {}
    for what in chosen:
        if what == "endereco":
            values["cidade"], values["estado"] = people.place()
        elif what == "status":
            values["status"] = rng.choice([s for s in STATUSES if s != row["status"]])
        elif what == "nome":
            values["nome"] = people.name()
        elif what == "email":
            values["email"] = people.email(values.get("nome", row["nome"]))
        else:
            values["telefone"] = people.phone(values.get("estado", row["estado"]))
    columns = tuple(c for c in COLUMNS if c in values)
    return columns, values


def statement(change: Change) -> tuple[str, tuple[Any, ...]]:
    """The SQL (psycopg placeholders) the application runs for ``change``."""
    if change.kind == "delete":
        return "DELETE FROM public.usuarios WHERE id = %s", (change.id,)
    assert change.row is not None
    if change.kind in ("insert", "reinsert"):
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        sql = f"INSERT INTO public.usuarios ({', '.join(COLUMNS)}) VALUES ({placeholders})"
        return sql, tuple(change.row[c] for c in COLUMNS)
    assignments = ", ".join(f"{c} = %s" for c in change.columns)
    return (
        f"UPDATE public.usuarios SET {assignments} WHERE id = %s",
        (*(change.row[c] for c in change.columns), change.id),
    )


def final_rows(changes: Iterable[Change], existing: Iterable[dict[str, Any]] = ()) -> dict[int, dict[str, Any]]:
    """The table's content after ``changes``: what ``SELECT * FROM usuarios`` must return."""
    rows = {row["id"]: dict(row) for row in existing}
    for change in changes:
        if change.row is None:
            rows.pop(change.id, None)
        else:
            rows[change.id] = dict(change.row)
    return rows
