"""Property: whatever bronze holds, the users silver queries run and account for every message once.

A message is a change (``users_changes``), a rejected message (``users_changes_quarantine``) or a
tombstone (``users_tombstones``: recorded and counted, never an error - the module docstring of
:mod:`lakehouse.users.silver`), each built by the pipeline's own function from the same parsed
frame, as ``pipelines/users/silver.py`` builds them. The parsed frame is computed whole and every
output column is evaluated (``to_json``), so a raising expression cannot hide behind column pruning.

The change table also drops replays (the same change delivered again), so it must hold exactly the
distinct valid changes: no valid change is lost, none is doubled.
"""

from __future__ import annotations

import json
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.compat import apply_local_expectations
from lakehouse.quality import keep_valid
from lakehouse.users import silver as users
from tests.unit.bronze import bronze_frame
from tests.unit.debezium import ROW_COLUMNS, change, user
from tests.unit.payloads import batches, extreme_numbers, not_json, numeric_text, objects, property_settings, union_all

INSTANTS = st.sampled_from(
    [
        "2026-12-01T21:00:00.123456Z",
        "2026-12-01T21:00:00+03:00",
        "2026-12-01T21:00:00",
        "0001-01-01T00:00:00+14:00",
        "+99999-01-01T00:00:00Z",
    ]
)

ROW_PLAUSIBLE = {
    "id": st.one_of(st.integers(min_value=1, max_value=5), numeric_text),
    "status": st.sampled_from(["ativo", "bloqueado", ""]),
    "created_at": INSTANTS,
    "updated_at": INSTANTS,
}
# Row images and source blocks as values (not text), so that they nest inside an event.
row_image = objects(ROW_COLUMNS, ROW_PLAUSIBLE).map(json.loads)

SOURCE_FIELDS = ("connector", "db", "schema", "table", "lsn", "ts_ms", "snapshot", "txId")
# ts_ms over the whole bigint range (most of it overflows once in microseconds), beyond it, and at
# the edges of the years 0001-9999: a commit time must never make the query raise.
millis = st.one_of(
    st.just(1_796_158_800_000),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([2**63 - 1, -(2**63), 2**63 // 1000 + 1, 253_402_300_800_000, -62_135_596_800_001]),
    st.integers(min_value=2**63 // 1000, max_value=2**63 - 1),
    extreme_numbers,
)
SOURCE_PLAUSIBLE = {
    "table": st.sampled_from(["usuarios", "condominios", "USUARIOS", " usuarios"]),
    "lsn": st.one_of(st.integers(min_value=0, max_value=2**64), numeric_text),
    "ts_ms": millis,
}
source = objects(SOURCE_FIELDS, SOURCE_PLAUSIBLE).map(json.loads)

EVENT_FIELDS = ("before", "after", "op", "ts_ms", "source")
EVENT_PLAUSIBLE = {
    "before": st.one_of(st.none(), row_image),
    "after": st.one_of(st.none(), row_image),
    "op": st.sampled_from(["c", "u", "d", "r", "t", "", " c", "C"]),
    "ts_ms": millis,
    "source": source,
}
event = objects(EVENT_FIELDS, EVENT_PLAUSIBLE)
# The JSON converter's schemas.enable form: the same event under "payload".
enveloped = event.map(lambda text: json.dumps({"schema": {"type": "struct"}, "payload": json.loads(text)}))
# Events as the connector writes them (tests/unit/debezium.py), with row values and source fields
# drawn wide: most reach the change rules, and many pass them, so silver's columns are computed too.
connector_events = st.builds(
    lambda op, row, lsn, ts_ms, table, envelope: json.dumps(
        change(op, {**user(1), **row}, lsn, ts_ms, table=table, envelope=envelope), allow_nan=True
    ),
    op=st.one_of(st.sampled_from(users.OPS), EVENT_PLAUSIBLE["op"]),
    row=row_image,
    lsn=st.one_of(st.integers(min_value=0, max_value=2**63 - 1), st.none(), st.integers(min_value=2**63)),
    ts_ms=millis,
    table=st.one_of(st.just(users.SOURCE_TABLE), SOURCE_PLAUSIBLE["table"]),
    envelope=st.booleans(),
)
# A null Kafka value, a landing file's "null" line, and near misses that are no tombstone.
tombstone_like = st.sampled_from([None, "null", "  null ", "NULL", "\tnull", '"null"'])

messages = st.one_of(event, enveloped, not_json, tombstone_like)
# Hypothesis draws short lists, and few of their elements from the richest branch: at least ten
# connector events per query, so that valid changes with extreme values are in every example.
users_batches = st.tuples(st.lists(connector_events, min_size=10, max_size=30), batches(messages, max_size=20)).map(
    lambda parts: parts[0] + parts[1]
)


def is_tombstone(payload: str | None) -> bool:
    """The tombstone test written again in Python (Spark's ``trim`` strips spaces only)."""
    return payload is None or payload.strip(" ") == "null"


def routed(parsed: DataFrame) -> DataFrame:
    """Every output of the users silver layer, tagged, as one query.

    ``change`` is what :func:`users.changes` keeps, with the bronze offset it came from (the change
    table has no offset); ``changes`` is that function itself, to check the two agree.
    """
    change_row = F.to_json(F.struct(*users.CHANGE_COLUMNS)).alias("row")
    no_offset = F.lit(None).cast("bigint").alias("offset")
    valid = keep_valid(parsed.filter(~F.col("is_tombstone")), users.all_rules())
    tagged = [
        valid.select("offset", F.lit("change").alias("where"), change_row),
        users.changes(parsed).select(no_offset, F.lit("changes").alias("where"), change_row),
        apply_local_expectations(users.to_user_changes(parsed), users.CHANGE_RULES, {}).select(
            no_offset, F.lit("silver").alias("where"), change_row
        ),
        users.to_user_change_quarantine(parsed).select(
            "offset", F.lit("quarantine").alias("where"), F.to_json(F.struct("*")).alias("row")
        ),
        users.to_tombstones(parsed).select(
            "offset", F.lit("tombstone").alias("where"), F.to_json(F.struct("*")).alias("row")
        ),
    ]
    return union_all(tagged)


@property_settings
@given(batch=users_batches)
def test_every_users_message_is_a_change_a_quarantined_message_or_a_tombstone_exactly_once(spark, batch):
    # Parsed once, every column computed (none pruned away), and each output read from that frame.
    parsed = users.parse_user_changes(bronze_frame(spark, batch)).localCheckpoint(eager=True)
    rows = routed(parsed).collect()
    by_place = {where: [r for r in rows if r.where == where] for where in ("change", "quarantine", "tombstone")}
    places = Counter(r.offset for found in by_place.values() for r in found)
    assert places == Counter(range(len(batch))), [(batch[o], n) for o, n in places.items() if n != 1]
    assert {r.offset for r in by_place["tombstone"]} == {i for i, p in enumerate(batch) if is_tombstone(p)}
    assert all('"failed_rules":[]' not in r.row for r in by_place["quarantine"])

    changes = Counter(r.row for r in by_place["change"])
    assert Counter(r.row for r in rows if r.where == "changes") == changes
    assert Counter(r.row for r in rows if r.where == "silver") == Counter(set(changes))
