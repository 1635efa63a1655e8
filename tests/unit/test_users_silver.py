from __future__ import annotations

import json
from datetime import datetime

from chispa import assert_df_equality

from lakehouse.users import silver as users
from tests.unit.bronze import BRONZE_DDL, INGESTED
from tests.unit.debezium import change, line, user


def bronze(spark, *payloads: str | None, keys: list[str | None] | None = None):
    keys = keys or [None] * len(payloads)
    rows = [
        (p, k, "cdc.public.usuarios", 0, i, None, None, None, INGESTED)
        for i, (p, k) in enumerate(zip(payloads, keys, strict=True))
    ]
    return spark.createDataFrame(rows, BRONZE_DDL)


def parsed(spark, *payloads: str | None, keys: list[str | None] | None = None):
    return users.parse_user_changes(bronze(spark, *payloads, keys=keys))


CHANGE_DDL = (
    "id bigint, op string, lsn bigint, changed_at timestamp, nome string, email string, cpf string, "
    "telefone string, cidade string, estado string, status string, created_at timestamp, updated_at timestamp"
)
CREATED = datetime(2026, 12, 1, 21, 0, 0, 123456)


def expected_row(id, op, lsn, **overrides):
    row = {
        "id": id,
        "op": op,
        "lsn": lsn,
        "changed_at": datetime(2026, 12, 1, 21, 0, 0),
        "nome": "Maria Silva Oliveira",
        "email": "Maria.Silva@Example.com",
        "cpf": "123.456.789-40",
        "telefone": "+55 11 98765-4321",
        "cidade": "São Paulo",
        "estado": "SP",
        "status": "ativo",
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    row.update(overrides)
    return tuple(row.values())


def test_events_with_and_without_envelope_become_the_same_typed_change(spark):
    event = change("c", user(1), lsn=100, ts_ms=1_796_158_800_000)
    got = users.changes(parsed(spark, line(event), line(change("c", user(1), 100, envelope=True))))
    want = spark.createDataFrame([expected_row(1, "c", 100)] * 2, CHANGE_DDL)
    assert_df_equality(got, want, ignore_nullable=True)


def test_a_delete_takes_its_row_from_before_and_updates_from_after(spark):
    old = user(2, status="ativo")
    new = user(2, status="bloqueado", updated_at="2026-12-01T22:00:00Z")
    got = users.changes(
        parsed(
            spark,
            line(change("u", new, 200, before=old)),
            line(change("d", {"id": 2, **{c: None for c in list(old)[1:]}}, 300)),
        )
    )
    rows = got.orderBy("lsn").collect()
    assert [(r.id, r.op, r.status, r.updated_at) for r in rows] == [
        (2, "u", "bloqueado", datetime(2026, 12, 1, 22, 0)),
        (2, "d", None, None),
    ]


def test_the_order_is_source_lsn_and_changed_at_is_the_commit_time_not_the_event_ts_ms(spark):
    event = change("u", user(3), lsn=987_654_321_012, ts_ms=1_796_158_800_000)
    event["ts_ms"] = 1_896_158_800_000  # a replay processed much later
    row = users.changes(parsed(spark, line(event))).first()
    assert row.lsn == 987_654_321_012
    assert row.changed_at == datetime(2026, 12, 1, 21, 0, 0)


def test_a_commit_time_beyond_the_years_0001_to_9999_is_null_not_an_overflow(spark):
    """Found by test_users_properties: ``timestamp_millis`` raised ``long overflow`` on ts_ms 2**62."""
    events = [change("c", user(1), lsn, ts_ms) for lsn, ts_ms in ((1, 2**62), (2, 253_402_300_800_000), (3, -(2**63)))]
    events.append(change("c", user(1), 4, 1_796_158_800_000))
    got = users.changes(parsed(spark, *map(line, events))).select("lsn", "changed_at")
    want = spark.createDataFrame(
        [(1, None), (2, None), (3, None), (4, datetime(2026, 12, 1, 21, 0, 0))], "lsn bigint, changed_at timestamp"
    )
    assert_df_equality(got, want, ignore_nullable=True, ignore_row_order=True)


def test_tombstones_are_flagged_kept_out_of_changes_and_quarantine_and_recorded_with_their_key(spark):
    frame = parsed(
        spark,
        None,
        "null",
        line(change("d", user(4), 400)),
        keys=['{"id": 4}', None, '{"id": 4}'],
    )
    assert [r.is_tombstone for r in frame.collect()] == [True, True, False]
    assert users.changes(frame).count() == 1
    assert users.to_user_change_quarantine(frame).count() == 0
    tombstones = users.to_tombstones(frame).collect()
    assert [(t.key_id, t.offset) for t in tombstones] == [(4, 0), (None, 1)]


def test_an_enveloped_kafka_key_gives_the_tombstones_key(spark):
    key = json.dumps({"schema": {"type": "struct"}, "payload": {"id": 42}})
    assert users.to_tombstones(parsed(spark, None, keys=[key])).first().key_id == 42


def test_every_broken_message_is_quarantined_with_all_its_reasons(spark):
    no_lsn = change("u", user(5), lsn=None)
    other_table = change("c", user(6), lsn=600, table="condominios")
    unknown_op = change("t", user(7), lsn=700)
    no_key = change("c", user(None), lsn=800)
    frame = parsed(spark, "{not json", "[1, 2]", line(no_lsn), line(other_table), line(unknown_op), line(no_key))
    reasons = [set(r.failed_rules) for r in users.to_user_change_quarantine(frame).orderBy("offset").collect()]
    assert reasons[0] >= {"payload_parsable", "op_known", "key_present", "lsn_present", "table_is_usuarios"}
    assert "payload_parsable" in reasons[1]
    assert reasons[2:] == [{"lsn_present"}, {"table_is_usuarios"}, {"op_known"}, {"key_present"}]
    assert users.changes(frame).count() == 0


def test_a_replayed_change_is_one_row_in_the_change_table(spark):
    event = change("c", user(8), lsn=900)
    replay = dict(event, ts_ms=event["ts_ms"] + 60_000)  # re-emitted later: same change, new ts_ms
    frame = parsed(spark, line(event), line(replay), line(change("u", user(8, status="inativo"), 901)))
    assert users.to_user_changes(frame).count() == 2
