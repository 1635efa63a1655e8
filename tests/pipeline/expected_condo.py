"""What the condo pipeline must produce from a landing folder, computed in plain Python.

An oracle independent of the Spark code: Python's ``csv`` module reads each line, the last column
takes what is left after the others (``endereco``'s bare commas), ``date.fromisoformat`` and
``Decimal`` type the fields, and the foreign keys resolve against the valid parents only.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

COLUMNS = {
    "condominios": ("condominio_id", ("nome", "endereco")),
    "imoveis": ("imovel_id", ("tipo", "condominio_id", "valor")),
    "moradores": ("morador_id", ("nome", "condominio_id", "data_registro")),
    "transacoes": ("transacao_id", ("imovel_id", "morador_id", "data_transacao", "valor_transacao")),
}
MONEY = re.compile(r"^-?\d{1,13}(\.\d{1,2})?$")


def newest_export(folder: Path) -> Path:
    return max(folder.glob("*.csv"), key=lambda p: (p.stat().st_mtime_ns, str(p)))


def read_export(path: Path, table: str) -> dict[int, tuple[int, dict[str, str]]]:
    """id -> (line number, fields) of one export file."""
    id_column, columns = COLUMNS[table]
    lines = [line for line in path.read_bytes().decode("utf-8-sig").splitlines() if line.strip()]
    has_id = lines[0].split(",")[0] == id_column
    rows = {}
    for number, line in enumerate(lines[1:], start=1):
        fields = next(csv.reader([line]))
        if has_id:
            record_id, fields = int(fields[0]), fields[1:]
        else:
            record_id = number
        values = [*fields[: len(columns) - 1], ",".join(fields[len(columns) - 1 :])]
        rows[record_id] = (number, dict(zip(columns, [v.strip() for v in values], strict=True)))
    return rows


def as_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def as_money(text: str) -> Decimal | None:
    return Decimal(text) if MONEY.fullmatch(text) else None


@dataclass
class Expected:
    condominios: dict[int, dict] = field(default_factory=dict)
    imoveis: dict[int, dict] = field(default_factory=dict)
    moradores: dict[int, dict] = field(default_factory=dict)
    transacoes: dict[int, dict] = field(default_factory=dict)
    rejected: set[tuple[str, int]] = field(default_factory=set)  # (export, line_number)

    def warnings(self) -> dict[str, int]:
        other_condo = sum(
            self.moradores[t["morador_id"]]["condominio_id"] != self.imoveis[t["imovel_id"]]["condominio_id"]
            for t in self.transacoes.values()
        )
        before = sum(
            t["data_transacao"] < self.moradores[t["morador_id"]]["data_registro"] for t in self.transacoes.values()
        )
        return {
            "resident_lives_in_property_condominium": other_condo,
            "dated_on_or_after_resident_registration": before,
        }

    def by_condominium(self) -> list[tuple]:
        totals: dict[int, list] = defaultdict(lambda: [Decimal("0.00"), 0])
        for t in self.transacoes.values():
            entry = totals[self.imoveis[t["imovel_id"]]["condominio_id"]]
            entry[0] += t["valor_transacao"]
            entry[1] += 1
        return [(i, c["nome"], *totals[i]) for i, c in sorted(self.condominios.items())]

    def by_resident(self) -> list[tuple]:
        totals: dict[int, list] = defaultdict(lambda: [Decimal("0.00"), 0])
        for t in self.transacoes.values():
            totals[t["morador_id"]][0] += t["valor_transacao"]
            totals[t["morador_id"]][1] += 1
        return [(i, self.moradores[i]["nome"], self.moradores[i]["condominio_id"], *totals[i]) for i in sorted(totals)]

    def daily_by_type(self) -> list[tuple]:
        totals: dict[tuple, list] = defaultdict(lambda: [Decimal("0.00"), 0])
        for t in self.transacoes.values():
            entry = totals[(t["data_transacao"], self.imoveis[t["imovel_id"]]["tipo"])]
            entry[0] += t["valor_transacao"]
            entry[1] += 1
        return [(*key, *totals[key]) for key in sorted(totals)]


def expected(landing: Path) -> Expected:
    """Silver and gold for the newest export of each table under ``landing/condo``."""
    exports = {table: read_export(newest_export(landing / "condo" / table), table) for table in COLUMNS}
    out = Expected()
    for i, (line, row) in exports["condominios"].items():
        if row["nome"] and row["endereco"]:
            out.condominios[i] = row
        else:
            out.rejected.add(("condominios", line))
    for i, (line, row) in exports["imoveis"].items():
        valor = as_money(row["valor"])
        condo = int(row["condominio_id"]) if row["condominio_id"].isdigit() else None
        if row["tipo"] and condo in out.condominios and valor is not None and valor >= 0:
            out.imoveis[i] = {"tipo": row["tipo"], "condominio_id": condo, "valor": valor}
        else:
            out.rejected.add(("imoveis", line))
    for i, (line, row) in exports["moradores"].items():
        registered = as_date(row["data_registro"])
        condo = int(row["condominio_id"]) if row["condominio_id"].isdigit() else None
        if row["nome"] and condo in out.condominios and registered is not None:
            out.moradores[i] = {"nome": row["nome"], "condominio_id": condo, "data_registro": registered}
        else:
            out.rejected.add(("moradores", line))
    for i, (line, row) in exports["transacoes"].items():
        day, value = as_date(row["data_transacao"]), as_money(row["valor_transacao"])
        imovel = int(row["imovel_id"]) if row["imovel_id"].isdigit() else None
        morador = int(row["morador_id"]) if row["morador_id"].isdigit() else None
        if imovel in out.imoveis and morador in out.moradores and day and value is not None and value >= 0:
            out.transacoes[i] = {"imovel_id": imovel, "morador_id": morador, "data_transacao": day,
                                 "valor_transacao": value}  # fmt: skip
        else:
            out.rejected.add(("transacoes", line))
    return out
