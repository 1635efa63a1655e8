"""Debezium PostgreSQL JSON change events of ``public.usuarios``, built the way the connector writes them.

Shared by the transform tests and the pipeline test's landing generator. Timestamps are Debezium
``ZonedTimestamp`` strings; ``lsn`` is an integer, ``sequence`` a JSON array in a string.
"""

from __future__ import annotations

import json
from typing import Any

Row = dict[str, Any]

ROW_COLUMNS = ("id", "nome", "email", "cpf", "telefone", "cidade", "estado", "status", "created_at", "updated_at")


def user(id: int, **overrides: Any) -> Row:
    row: Row = {
        "id": id,
        "nome": "Maria Silva Oliveira",
        "email": "Maria.Silva@Example.com",
        "cpf": "123.456.789-40",
        "telefone": "+55 11 98765-4321",
        "cidade": "São Paulo",
        "estado": "SP",
        "status": "ativo",
        "created_at": "2026-12-01T21:00:00.123456Z",
        "updated_at": "2026-12-01T21:00:00.123456Z",
    }
    row.update(overrides)
    return row


def change(
    op: str,
    row: Row,
    lsn: int | None,
    ts_ms: int = 1_796_158_800_000,
    *,
    before: Row | None = None,
    table: str = "usuarios",
    envelope: bool = False,
) -> dict[str, Any]:
    """The payload of one change; a delete carries ``row`` as its ``before`` image."""
    source = {
        "version": "3.0.0.Final",
        "connector": "postgresql",
        "name": "cdc",
        "ts_ms": ts_ms,
        "snapshot": "true" if op == "r" else "false",
        "db": "condomanage",
        "sequence": json.dumps([str(lsn - 8 if lsn else 0), str(lsn or 0)]),
        "schema": "public",
        "table": table,
        "txId": 1000,
        "lsn": lsn,
        "xmin": None,
    }
    payload = {
        "before": row if op == "d" else before,
        "after": None if op == "d" else row,
        "source": source,
        "op": op,
        "ts_ms": ts_ms + 250,
        "transaction": None,
    }
    return (
        {"schema": {"type": "struct", "name": "cdc.public.usuarios.Envelope"}, "payload": payload}
        if envelope
        else payload
    )


def line(event: dict[str, Any] | None) -> str:
    """One landing-file line: the event's JSON, or ``null`` for a tombstone."""
    return json.dumps(event, ensure_ascii=False)
