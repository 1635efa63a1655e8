"""CondoManage exports as the source system writes them: seeded tables, then CSV text per table.

:func:`synthetic_condo` builds the four tables (Faker ``pt_BR``, seeded) with hand-written edge cases
appended, each one named by what it tests; :func:`export_text` writes a table the way the real export
does - no quotes around ``endereco`` even when it holds commas, ids only when asked, and the byte-level
variants (BOM, CRLF, no trailing newline) the pipeline must read.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

Row = dict[str, str]

TIPOS = ("Apartamento", "Apartamento", "Apartamento", "Casa", "Duplex", "Cobertura")
FIRST_DAY = date(2024, 1, 1)


@dataclass
class Table:
    """Rows in id order (the id of row ``i`` is ``first_id + i``); ``quoted`` rows quote their last field."""

    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    first_id: int = 1
    quoted: set[int] = field(default_factory=set)

    def add(self, row: Row, *, quote_last: bool = False) -> int:
        self.rows.append(row)
        if quote_last:
            self.quoted.add(len(self.rows) - 1)
        return self.first_id + len(self.rows) - 1


@dataclass
class CondoTables:
    condominios: Table
    imoveis: Table
    moradores: Table
    transacoes: Table


def synthetic_condo(seed: int = 11, condominios: int = 4, transacoes: int = 160) -> CondoTables:
    """Valid generated rows first, then the edge cases; ids of ``imoveis`` start at 101 (its export has them)."""
    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    tables = CondoTables(
        condominios=Table(("nome", "endereco")),
        imoveis=Table(("tipo", "condominio_id", "valor"), first_id=101),
        moradores=Table(("nome", "condominio_id", "data_registro")),
        transacoes=Table(("imovel_id", "morador_id", "data_transacao", "valor_transacao")),
    )
    condo_ids = [
        tables.condominios.add({"nome": f"Condomínio {fake.last_name()}", "endereco": _address(fake)})
        for _ in range(condominios)
    ]
    property_ids = [
        tables.imoveis.add({"tipo": rng.choice(TIPOS), "condominio_id": str(c), "valor": _money(rng, 300_000)})
        for c in condo_ids
        for _ in range(rng.randint(8, 14))
    ]
    resident_ids = [
        tables.moradores.add({"nome": fake.name(), "condominio_id": str(c), "data_registro": _day(rng, 0, 300)})
        for c in condo_ids
        for _ in range(rng.randint(10, 16))
    ]
    for _ in range(transacoes):
        tables.transacoes.add(
            {
                "imovel_id": str(rng.choice(property_ids)),
                "morador_id": str(rng.choice(resident_ids)),
                "data_transacao": _day(rng, 30, 365),
                "valor_transacao": _money(rng, 250_000),
            }
        )
    _edge_cases(tables, property_ids)
    return tables


def _edge_cases(tables: CondoTables, property_ids: Sequence[int]) -> None:
    t = tables
    t.condominios.add({"nome": "Residencial Aurora", "endereco": "Rua do Porto, 45, Centro"}, quote_last=True)
    no_address = t.condominios.add({"nome": "Edifício Sem Endereço", "endereco": ""})
    aurora = no_address - 1
    casa_a = t.imoveis.add({"tipo": "Casa", "condominio_id": str(aurora), "valor": "820000.00"})
    casa_b = t.imoveis.add({"tipo": "Casa", "condominio_id": str(aurora), "valor": "790000.50"})
    t.imoveis.add({"tipo": "Casa", "condominio_id": str(no_address), "valor": "500000.00"})  # parent rejected
    negative = t.imoveis.add({"tipo": "Apartamento", "condominio_id": "1", "valor": "-1000.00"})
    t.imoveis.add({"tipo": "Apartamento", "condominio_id": "99", "valor": "610000.00"})  # orphan condominium
    joao_1 = t.moradores.add({"nome": "João Silva", "condominio_id": "1", "data_registro": "2024-01-02"})
    joao_aurora = t.moradores.add({"nome": "João Silva", "condominio_id": str(aurora), "data_registro": "2024-01-03"})
    bad_date = t.moradores.add({"nome": "Paula Datas", "condominio_id": "2", "data_registro": "2024-02-30"})
    # Two transactions of one type on one day (both houses of Residencial Aurora), one per homonym.
    t.transacoes.add({"imovel_id": str(casa_a), "morador_id": str(joao_aurora), "data_transacao": "2024-11-05",
                      "valor_transacao": "410000.00"})  # fmt: skip
    t.transacoes.add({"imovel_id": str(casa_b), "morador_id": str(joao_1), "data_transacao": "2024-11-05",
                      "valor_transacao": "395000.25"})  # fmt: skip
    t.transacoes.add({"imovel_id": "9999", "morador_id": str(joao_1), "data_transacao": "2024-06-01",
                      "valor_transacao": "100000.00"})  # fmt: skip
    t.transacoes.add({"imovel_id": str(property_ids[0]), "morador_id": str(joao_1), "data_transacao": "2024-13-01",
                      "valor_transacao": "100000.00"})  # fmt: skip
    t.transacoes.add({"imovel_id": str(property_ids[1]), "morador_id": str(joao_1), "data_transacao": "2024-07-01",
                      "valor_transacao": "-5.00"})  # fmt: skip
    t.transacoes.add({"imovel_id": str(property_ids[2]), "morador_id": str(bad_date), "data_transacao": "2024-07-02",
                      "valor_transacao": "200000.00"})  # fmt: skip
    t.transacoes.add({"imovel_id": str(negative), "morador_id": str(joao_1), "data_transacao": "2024-07-03",
                      "valor_transacao": "300000.00"})  # fmt: skip


def _address(fake: Faker) -> str:
    return f"{fake.street_name()}, {fake.building_number()}, {fake.bairro()}"


def _money(rng: random.Random, low: int) -> str:
    return f"{rng.randint(low, low * 4)}.{rng.randint(0, 99):02d}"


def _day(rng: random.Random, first: int, last: int) -> str:
    return (FIRST_DAY + timedelta(days=rng.randint(first, last))).isoformat()


def _field(value: str, last: bool, quote: bool) -> str:
    """Quoted only when it must be (or the row asks for it); the last field keeps its commas bare."""
    if quote or '"' in value or ("," in value and not last):
        return '"' + value.replace('"', '""') + '"'
    return value


def export_text(
    table: Table,
    *,
    id_column: str | None = None,
    bom: bool = False,
    crlf: bool = False,
    trailing_newline: bool = True,
) -> str:
    """The export file of ``table``: a header, then one line per row; ``id_column`` writes ids first."""
    header = ([id_column] if id_column else []) + list(table.columns)
    lines = [",".join(header)]
    for index, row in enumerate(table.rows):
        values = [row[c] for c in table.columns]
        fields = [_field(v, i == len(values) - 1, index in table.quoted and i == len(values) - 1)
                  for i, v in enumerate(values)]  # fmt: skip
        lines.append(",".join(([str(table.first_id + index)] if id_column else []) + fields))
    newline = "\r\n" if crlf else "\n"
    return ("\ufeff" if bom else "") + newline.join(lines) + (newline if trailing_newline else "")
