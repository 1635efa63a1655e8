"""End to end: ``lakehouse run condo`` on the bundled exports, then again after a new ``imoveis`` export.

One module fixture runs the pipeline twice into one home: first over a copy of ``fixtures/condo``,
then after a second ``imoveis`` export lands in which one property changed type and condominium.
Expected rows come from :mod:`tests.pipeline.expected_condo`, plain Python over the same files.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tests.pipeline.expected_condo import Expected, expected, newest_export
from tests.pipeline.local import PROJECT_ROOT, lakehouse, query

pytestmark = pytest.mark.pipeline

CHANGED_ID = 101  # the first property of the first condominium: it becomes a Cobertura of condominium 2
QUERIES = {
    "bronze_imoveis": "SELECT file_path FROM bronze.condo_imoveis_files",
    "condominios": "SELECT condominio_id, nome, endereco FROM silver.condo_condominios",
    "imoveis": "SELECT imovel_id, tipo, condominio_id, valor FROM silver.condo_imoveis",
    "moradores": "SELECT morador_id, nome, condominio_id, data_registro FROM silver.condo_moradores",
    "transacoes": "SELECT transacao_id, valor_transacao FROM silver.condo_transacoes",
    "quarantine": "SELECT export, line_number, record_id, failed_rules, raw_payload FROM silver.condo_quarantine",
    "by_condominium": "SELECT * FROM gold.condo_transactions_by_condominium ORDER BY condominio_id",
    "by_resident": "SELECT * FROM gold.condo_transactions_by_resident ORDER BY morador_id",
    "daily": "SELECT * FROM gold.condo_daily_transactions_by_property_type ORDER BY transaction_date, tipo",
    "money_types": "SELECT typeof(total_value) AS t FROM gold.condo_transactions_by_condominium LIMIT 1",
}


@dataclass(frozen=True)
class Run:
    expected: Expected
    tables: dict
    summary: dict


def run_once(home: Path, landing: Path) -> Run:
    done = lakehouse(home, "run", "condo", "--landing", str(landing))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(max((home / "runs").glob("condo-*.json"), key=lambda p: p.stat().st_mtime).read_text())
    return Run(expected(landing), query(home, **QUERIES), summary)


def second_imoveis_export(landing: Path) -> Path:
    first = newest_export(landing / "condo" / "imoveis")
    lines = first.read_text().splitlines(keepends=True)
    new_row = f"{CHANGED_ID},Cobertura,2,1500000.00\n"
    changed = [new_row if line.startswith(f"{CHANGED_ID},") else line for line in lines]
    assert changed != lines
    second = first.with_name("imoveis-2025-02-28.csv")
    second.write_text("".join(changed))
    later = first.stat().st_mtime + 60
    os.utime(second, (later, later))
    return second


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    home = tmp_path_factory.mktemp("condo-home")
    landing = tmp_path_factory.mktemp("condo-landing")
    shutil.copytree(PROJECT_ROOT / "fixtures" / "condo", landing / "condo")
    first = run_once(home, landing)
    second_imoveis_export(landing)
    return first, run_once(home, landing)


def rows(run: Run, name: str) -> list[tuple]:
    return [tuple(row.values()) for row in run.tables[name]]


def money(value: object) -> Decimal:
    return Decimal(str(value))


def silver_as_expected(run: Run) -> None:
    exp = run.expected
    assert {r["condominio_id"]: {"nome": r["nome"], "endereco": r["endereco"]} for r in run.tables["condominios"]} == (
        exp.condominios
    )
    got_imoveis = {
        r["imovel_id"]: {"tipo": r["tipo"], "condominio_id": r["condominio_id"], "valor": money(r["valor"])}
        for r in run.tables["imoveis"]
    }
    assert got_imoveis == exp.imoveis
    assert {r["morador_id"]: r["nome"] for r in run.tables["moradores"]} == {
        i: m["nome"] for i, m in exp.moradores.items()
    }
    assert {r["transacao_id"]: money(r["valor_transacao"]) for r in run.tables["transacoes"]} == {
        i: t["valor_transacao"] for i, t in exp.transacoes.items()
    }
    assert {(r["export"], r["line_number"]) for r in run.tables["quarantine"]} == exp.rejected


def gold_as_expected(run: Run) -> None:
    exp = run.expected
    by_condominium = [(r[0], r[1], money(r[2]), r[3]) for r in rows(run, "by_condominium")]
    assert by_condominium == exp.by_condominium()
    assert [(r[0], r[1], r[2], money(r[3]), r[4]) for r in rows(run, "by_resident")] == exp.by_resident()
    daily = [(r[0], r[1], money(r[2]), r[3]) for r in rows(run, "daily")]
    assert daily == [(str(d), t, v, n) for d, t, v, n in exp.daily_by_type()]
    assert run.tables["money_types"] == [{"t": "decimal(18,2)"}]


def test_first_run_silver_and_quarantine_match_the_exports(runs):
    first, _ = runs
    silver_as_expected(first)
    reasons = {(r["export"], r["record_id"]): r["failed_rules"] for r in first.tables["quarantine"]}
    assert reasons[("condominios", 6)] == ["endereco_present"]
    assert reasons[("imoveis", 145)] == ["condominio_exists"]  # its condominium was itself rejected
    assert reasons[("imoveis", 147)] == ["condominio_exists"]  # orphan key
    assert reasons[("moradores", 56)] == ["data_registro_is_date"]  # 2024-02-30
    assert "valor_transacao_not_negative" in reasons[("transacoes", 165)]
    assert reasons[("transacoes", 166)] == ["morador_exists"]  # the resident with the bad date


def test_first_run_reports_match_the_exports(runs):
    first, _ = runs
    gold_as_expected(first)
    homonyms = [r for r in first.tables["by_resident"] if r["nome"] == "João Silva"]
    assert len(homonyms) == 2 and len({r["morador_id"] for r in homonyms}) == 2
    assert any(r["transactions"] >= 2 for r in first.tables["daily"])  # two of one type on one day


def test_the_summary_counts_warnings_and_quarantine(runs):
    for run in runs:  # the second run recomputes silver: its counts cover the whole table again
        datasets = {d["dataset"]: d for d in run.summary["datasets"]}
        assert datasets["silver.condo_transacoes"]["warnings"] == run.expected.warnings()
        assert sum(datasets["silver.condo_quarantine"]["rule_failures"].values()) >= len(run.expected.rejected)
        assert run.summary["quarantined"] == len(run.expected.rejected)


def test_a_second_imoveis_export_replaces_the_first_in_silver_and_gold(runs):
    first, second = runs
    assert len(first.tables["bronze_imoveis"]) == 1 and len(second.tables["bronze_imoveis"]) == 2  # bronze keeps both
    changed = {r["imovel_id"]: r for r in second.tables["imoveis"]}[CHANGED_ID]
    assert (changed["tipo"], changed["condominio_id"]) == ("Cobertura", 2)
    assert money(changed["valor"]) == Decimal("1500000.00")
    silver_as_expected(second)
    gold_as_expected(second)
    assert second.expected.by_condominium() != first.expected.by_condominium()
