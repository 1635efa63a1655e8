"""Regenerate ``fixtures/users/``: the Debezium topic ``cdc.public.usuarios`` as JSON lines, offline.

Each line is one Kafka message value exactly as the real stack writes it (``lakehouse.cdc.envelope``
reproduces the shape; ``tests/cdc`` checks it against messages captured from a running Debezium),
``null`` for a tombstone. The changes come from the seeded workload (``lakehouse.produce.users``), so
the files are reproducible; ``tests/unit/test_users_fixtures.py`` regenerates them and fails if the
committed files differ. Files are written under a temporary name and renamed, so a reader never sees
half a file.

    uv run python scripts/make_users_fixtures.py             # rewrites fixtures/users/
    uv run python scripts/make_users_fixtures.py --root DIR  # writes DIR/users/ instead
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path

from lakehouse.cdc.envelope import messages, value_line
from lakehouse.produce.users import workload

SEED = 8
CHANGES = 3_000
PER_FILE = 1_000
USERS_DIR = "users"
EDGE_CASES_FILE = "zz-edge-cases.jsonl"  # sorts last: read after the good changes, like late input

_SOURCE = (
    '"source":{{"version":"3.4.3.Final","connector":"postgresql","name":"cdc","ts_ms":1767700000000,'
    '"snapshot":"false","db":"lakehouse","sequence":"[null,\\"{lsn}\\"]","ts_us":1767700000000000,'
    '"ts_ns":1767700000000000000,"schema":"public","table":"{table}","txId":99001,{lsn_field}"xmin":null}}'
)
_ROW = (
    '{{"id":{id},"nome":"Caso de Teste","email":"caso.teste@example.com","cpf":"111.444.777-35",'
    '"telefone":null,"cidade":"Recife","estado":"PE","status":"ativo",'
    '"created_at":"2026-01-06T12:00:00.000000Z","updated_at":"2026-01-06T12:00:00.000000Z"}}'
)
_TAIL = ',"transaction":null,"op":"{op}","ts_ms":1767700000100,"ts_us":1767700000100000,"ts_ns":1767700000100000000}}'


def _edge(op: str, *, row_id: int, table: str = "usuarios", lsn: int | None = 999_000_000) -> str:
    lsn_field = "" if lsn is None else f'"lsn":{lsn},'
    source = _SOURCE.format(lsn=lsn or 0, table=table, lsn_field=lsn_field)
    return "{" + f'"before":null,"after":{_ROW.format(id=row_id)},{source}' + _TAIL.format(op=op)


# (case, line exactly as written). Ids 990001+ are apart from the generated ones (1 to ~1,300).
EDGE_CASES: tuple[tuple[str, str], ...] = (
    ("unparsable line (a message cut in the middle)", '{"before":null,"after":{"id":990001,"nome":"Caso'),
    ("unknown op 'x'", _edge("x", row_id=990002)),
    ("source.lsn missing", _edge("c", row_id=990003, lsn=None)),
    ("another table (source.table = 'enderecos')", _edge("c", row_id=990004, table="enderecos")),
)


def fixture_lines() -> list[str]:
    """The generated lines, in topic order (one partition's worth: the order of the changes)."""
    return [value_line(value) for _, value in messages(workload(CHANGES, seed=SEED), seed=SEED)]


def write_atomically(path: Path, lines: Iterable[str]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def write(root: Path) -> list[Path]:
    folder = root / USERS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    lines = fixture_lines()
    written = []
    for number, first in enumerate(range(0, len(lines), PER_FILE), start=1):
        path = folder / f"usuarios-{number:06d}.jsonl"
        write_atomically(path, lines[first : first + PER_FILE])
        written.append(path)
    edge = folder / EDGE_CASES_FILE
    write_atomically(edge, [line for _, line in EDGE_CASES])
    written.append(edge)
    for stale in set(folder.glob("usuarios-*.jsonl")) - set(written):
        stale.unlink()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1] / "fixtures")
    args = parser.parse_args()
    for path in write(args.root):
        print(path)


if __name__ == "__main__":
    main()
