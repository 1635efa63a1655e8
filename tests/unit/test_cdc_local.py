"""The local AUTO CDC equivalent: named cases with chispa, then property-based equality with the model."""

from __future__ import annotations

import random

import pytest
from chispa import assert_df_equality
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakehouse.cdc_local import END_AT, START_AT, scd1, scd2
from tests.unit import auto_cdc_model as model

SCHEMA = "id bigint, op string, lsn bigint, nome string, status string, updated_at int"
COLUMNS = ("id", "op", "lsn", "nome", "status", "updated_at")
CURRENT = "id bigint, nome string, status string, updated_at int"
HISTORY = f"{CURRENT}, {START_AT} bigint, {END_AT} bigint"
TARGET = ("id", "nome", "status", "updated_at")
DELETES = "op = 'd'"


def current(spark, rows):
    frame = spark.createDataFrame(rows, SCHEMA)
    return scd1(frame, ["id"], "lsn", DELETES, TARGET)


def history(spark, rows):
    frame = spark.createDataFrame(rows, SCHEMA)
    return scd2(frame, ["id"], "lsn", DELETES, TARGET, ["updated_at"])


def expect(spark, rows, schema):
    return spark.createDataFrame(rows, schema)


def check(actual, expected):
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_an_insert_opens_the_first_version(spark):
    rows = [(1, "c", 10, "Maria", "ativo", 1)]
    check(current(spark, rows), expect(spark, [(1, "Maria", "ativo", 1)], CURRENT))
    check(history(spark, rows), expect(spark, [(1, "Maria", "ativo", 1, 10, None)], HISTORY))


def test_an_update_replaces_the_row_and_closes_the_version_at_its_lsn(spark):
    rows = [(1, "c", 10, "Maria", "ativo", 1), (1, "u", 20, "Maria", "bloqueado", 2)]
    check(current(spark, rows), expect(spark, [(1, "Maria", "bloqueado", 2)], CURRENT))
    want = [(1, "Maria", "ativo", 1, 10, 20), (1, "Maria", "bloqueado", 2, 20, None)]
    check(history(spark, rows), expect(spark, want, HISTORY))


def test_an_updated_at_only_change_updates_the_current_version_in_place(spark):
    rows = [(1, "c", 10, "Maria", "ativo", 1), (1, "u", 20, "Maria", "ativo", 2), (1, "u", 30, "Maria", "ativo", 3)]
    check(current(spark, rows), expect(spark, [(1, "Maria", "ativo", 3)], CURRENT))
    check(history(spark, rows), expect(spark, [(1, "Maria", "ativo", 3, 10, None)], HISTORY))


def test_a_delete_removes_the_row_and_closes_the_version_without_opening_one(spark):
    rows = [(1, "c", 10, "Maria", "ativo", 1), (1, "d", 20, None, None, None), (2, "r", 5, "João", "ativo", 1)]
    check(current(spark, rows), expect(spark, [(2, "João", "ativo", 1)], CURRENT))
    want = [(1, "Maria", "ativo", 1, 10, 20), (2, "João", "ativo", 1, 5, None)]
    check(history(spark, rows), expect(spark, want, HISTORY))


def test_a_re_insert_after_a_delete_opens_a_new_version(spark):
    rows = [(1, "c", 10, "Maria", "ativo", 1), (1, "d", 20, "Maria", "ativo", 1), (1, "c", 30, "Maria", "ativo", 1)]
    check(current(spark, rows), expect(spark, [(1, "Maria", "ativo", 1)], CURRENT))
    want = [(1, "Maria", "ativo", 1, 10, 20), (1, "Maria", "ativo", 1, 30, None)]
    check(history(spark, rows), expect(spark, want, HISTORY))


def test_arrival_order_does_not_matter_only_the_lsn(spark):
    in_order = [
        (1, "c", 10, "Maria", "ativo", 1),
        (1, "u", 20, "Maria", "inativo", 2),
        (1, "u", 30, "Maria", "inativo", 3),
        (1, "u", 40, "Maria S", "ativo", 4),
    ]
    late_first = [in_order[3], in_order[1], in_order[0], in_order[2]]
    check(current(spark, late_first), current(spark, in_order))
    check(history(spark, late_first), history(spark, in_order))
    want = [(1, "Maria", "ativo", 1, 10, 20), (1, "Maria", "inativo", 3, 20, 40), (1, "Maria S", "ativo", 4, 40, None)]
    check(history(spark, late_first), expect(spark, want, HISTORY))


def test_a_replayed_change_counts_once(spark):
    rows = [(1, "c", 10, "Maria", "ativo", 1), (1, "u", 20, "Maria", "inativo", 2)]
    replayed = rows + rows + [rows[0]]
    check(current(spark, replayed), current(spark, rows))
    check(history(spark, replayed), history(spark, rows))


def test_a_late_insert_older_than_a_delete_does_not_resurrect_the_row(spark):
    """The delete at lsn 30 arrived first; the insert at lsn 10 arrives after it."""
    rows = [(1, "d", 30, None, None, None), (1, "c", 10, "Maria", "ativo", 1)]
    check(current(spark, rows), expect(spark, [], CURRENT))
    check(history(spark, rows), expect(spark, [(1, "Maria", "ativo", 1, 10, 30)], HISTORY))


def test_a_delete_of_an_unknown_key_changes_nothing(spark):
    rows = [(7, "d", 10, None, None, None)]
    check(current(spark, rows), expect(spark, [], CURRENT))
    check(history(spark, rows), expect(spark, [], HISTORY))


def test_two_different_changes_at_one_lsn_resolve_the_same_way_in_any_order(spark):
    rows = [(1, "u", 10, "Ana", "ativo", 1), (1, "u", 10, "Bia", "ativo", 1), (1, "c", 5, "Ana", "ativo", 0)]
    results = {tuple(current(spark, order).collect()) for order in (rows, rows[::-1], [rows[1], rows[2], rows[0]])}
    assert len(results) == 1


def test_a_column_list_without_the_key_is_refused(spark):
    frame = spark.createDataFrame([], SCHEMA)
    with pytest.raises(ValueError, match="key columns"):
        scd1(frame, ["id"], "lsn", DELETES, ("nome",))


# --- property-based: random change histories per key, delivered out of order and with replays ---

NAMES = st.sampled_from(["Ana", "Bia", None])
STATUSES = st.sampled_from(["ativo", "inativo"])


@st.composite
def key_history(draw: st.DrawFn, key: int) -> list[tuple]:
    """One key's changes in lsn order: inserts, tracked updates, updated_at-only updates, deletes."""
    steps = draw(st.integers(min_value=1, max_value=7))
    lsns = sorted(draw(st.lists(st.integers(1, 60), min_size=steps, max_size=steps, unique=True)))
    rows: list[tuple] = []
    nome, status, updated = draw(NAMES), draw(STATUSES), 0
    for lsn in lsns:
        kind = draw(st.sampled_from(["c", "r", "u", "u", "touch", "d"]))
        updated += 1
        if kind == "d":
            keeps_image = draw(st.booleans())  # REPLICA IDENTITY FULL or DEFAULT
            rows.append((key, "d", lsn, nome if keeps_image else None, status if keeps_image else None, None))
            continue
        if kind in ("u", "c", "r"):
            nome, status = draw(NAMES), draw(STATUSES)
        rows.append((key, "u" if kind == "touch" else kind, lsn, nome, status, updated))
    return rows


@st.composite
def change_feeds(draw: st.DrawFn) -> list[tuple]:
    """Many independent keys (one Spark job checks them all), replays added, arrival order shuffled."""
    keys = draw(st.integers(min_value=1, max_value=25))
    changes = [row for key in range(keys) for row in draw(key_history(key))]
    replays = draw(st.lists(st.sampled_from(changes), max_size=len(changes)))
    delivered = changes + replays
    random.Random(draw(st.integers(0, 2**32))).shuffle(delivered)
    return delivered


def as_dicts(rows: list[tuple]) -> list[dict]:
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def canonical(rows) -> list[tuple]:
    return sorted(
        (tuple(sorted(row.items())) for row in rows),
        key=lambda items: tuple((k, (v is None, v if v is not None else 0)) for k, v in items),
    )


def is_delete(row: dict) -> bool:
    return row["op"] == "d"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(feed=change_feeds())
def test_scd1_and_scd2_equal_the_auto_cdc_model(spark, feed):
    want_current = model.scd1(as_dicts(feed), ["id"], "lsn", is_delete, TARGET)
    want_history = model.scd2(as_dicts(feed), ["id"], "lsn", is_delete, TARGET, ["updated_at"])
    got_current = [row.asDict() for row in current(spark, feed).collect()]
    got_history = [row.asDict() for row in history(spark, feed).collect()]
    assert canonical(got_current) == canonical(want_current)
    assert canonical(got_history) == canonical(want_history)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(feed=change_feeds(), seed=st.integers(0, 2**32))
def test_any_arrival_order_and_a_second_full_replay_give_the_same_tables(spark, feed, seed):
    shuffled = feed + feed
    random.Random(seed).shuffle(shuffled)
    assert canonical(r.asDict() for r in history(spark, shuffled).collect()) == canonical(
        r.asDict() for r in history(spark, feed).collect()
    )
    assert canonical(r.asDict() for r in current(spark, shuffled).collect()) == canonical(
        r.asDict() for r in current(spark, feed).collect()
    )
