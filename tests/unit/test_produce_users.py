"""The usuarios workload generator: valid Brazilian data, a realistic mix, reproducible, SQL that fits."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from faker import Faker

from lakehouse.produce.users import (
    COLUMNS,
    STATUSES,
    UFS,
    cpf_check_digits,
    final_rows,
    format_cpf,
    is_valid_cpf,
    random_cpf,
    statement,
    workload,
)
from lakehouse.produce.users_db import WorkloadReport


@pytest.mark.parametrize(
    ("base", "digits"),
    [("111444777", "35"), ("529982247", "25"), ("123456789", "09"), ("000000001", "91"), ("935411347", "80")],
)
def test_cpf_check_digits_of_known_numbers(base: str, digits: str) -> None:
    assert cpf_check_digits(base) == digits


def test_cpf_check_digits_agree_with_fakers_cpfs() -> None:
    fake = Faker("pt_BR")
    fake.seed_instance(3)
    for _ in range(200):
        cpf = re.sub(r"\D", "", fake.cpf())
        assert cpf_check_digits(cpf[:9]) == cpf[9:]


def test_cpf_validation_rejects_wrong_digits_and_repeated_numbers() -> None:
    assert is_valid_cpf("111.444.777-35") and is_valid_cpf("11144477735")
    assert not is_valid_cpf("111.444.777-36")
    assert not is_valid_cpf("111.111.111-11")  # passes the arithmetic, invalid by rule
    assert not is_valid_cpf("1114447773")
    with pytest.raises(ValueError):
        cpf_check_digits("12345678")


def test_random_cpfs_are_valid_and_formatted() -> None:
    rng = random.Random(1)
    cpfs = [random_cpf(rng) for _ in range(500)]
    assert all(re.fullmatch(r"\d{3}\.\d{3}\.\d{3}-\d{2}", c) and is_valid_cpf(c) for c in cpfs)
    assert len(set(cpfs)) == 500
    assert format_cpf("11144477735") == "111.444.777-35"


def test_the_same_seed_gives_the_same_workload_and_another_seed_another() -> None:
    assert list(workload(300, seed=5)) == list(workload(300, seed=5))
    assert list(workload(300, seed=5)) != list(workload(300, seed=6))


def test_the_mix_has_every_kind_of_change_in_realistic_shares() -> None:
    changes = list(workload(3000, seed=1))
    kinds = Counter(c.kind for c in changes)
    assert set(kinds) == {"insert", "update", "touch", "delete", "reinsert"}
    assert 0.25 < kinds["insert"] / 3000 < 0.4
    assert 0.08 < kinds["touch"] / 3000 < 0.16
    assert 0.08 < kinds["delete"] / 3000 < 0.18


def test_changes_are_consistent_with_the_table_they_build() -> None:
    """Updates and deletes hit live ids, re-inserts reuse deleted ids, updated_at grows per id."""
    live: dict[int, dict[str, object]] = {}
    deleted: set[int] = set()
    last_at: dict[int, datetime] = {}
    for change in workload(2000, seed=2):
        if change.kind == "insert":
            assert change.id not in live and change.id not in deleted and change.id not in last_at
        elif change.kind == "reinsert":
            assert change.id in deleted
            deleted.discard(change.id)
        else:
            assert change.id in live
        if change.kind == "delete":
            deleted.add(change.id)
            live.pop(change.id)
            continue
        row = change.row
        assert row is not None and list(row) == list(COLUMNS)
        assert row["updated_at"] == change.at and change.at > last_at.get(change.id, datetime.min.replace(tzinfo=UTC))
        if change.kind == "touch":
            assert change.columns == ("updated_at",)
            assert {k: v for k, v in row.items() if k != "updated_at"} == {
                k: v for k, v in live[change.id].items() if k != "updated_at"
            }
        if change.kind == "update":
            assert change.columns[-1] == "updated_at" and 2 <= len(change.columns) <= 5
            changed = {c for c in COLUMNS if row[c] != live[change.id][c]}
            assert changed <= set(change.columns)
        assert row["estado"] in UFS and row["status"] in STATUSES and is_valid_cpf(str(row["cpf"]))
        assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.]+\.[a-z]+", str(row["email"]))
        assert row["telefone"] is None or re.fullmatch(r"\(\d{2}\) 9\d{4}-\d{4}", str(row["telefone"]))
        live[change.id] = dict(row)
        last_at[change.id] = change.at
    assert final_rows(workload(2000, seed=2)) == live


def test_a_workload_continues_from_existing_rows() -> None:
    first = list(workload(200, seed=3))
    rows = list(final_rows(first).values())
    more = list(workload(200, seed=4, existing=rows))
    assert min(c.id for c in more if c.kind == "insert") == max(r["id"] for r in rows) + 1
    assert any(c.kind in ("update", "delete") and c.id in {r["id"] for r in rows} for c in more)


def test_statements_are_parameterised_sql_for_each_kind() -> None:
    changes = {c.kind: c for c in workload(200, seed=7)}
    sql, params = statement(changes["insert"])
    assert sql.startswith("INSERT INTO public.usuarios (id, nome,") and len(params) == len(COLUMNS)
    sql, params = statement(changes["touch"])
    assert sql == "UPDATE public.usuarios SET updated_at = %s WHERE id = %s"
    assert params == (changes["touch"].at, changes["touch"].id)
    sql, params = statement(changes["delete"])
    assert sql == "DELETE FROM public.usuarios WHERE id = %s" and params == (changes["delete"].id,)


def test_report_percentiles_are_nearest_rank() -> None:
    report = WorkloadReport(latencies=[i / 1000 for i in range(1, 101)])
    assert report.percentile(99) == 0.099 and report.percentile(50) == 0.050 and report.percentile(100) == 0.1
    assert report.statements == 100
