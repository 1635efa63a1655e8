"""Snapshot CDC: the local result (newest snapshot) equals Databricks' in-order application, and a model.

The model is AUTO CDC FROM SNAPSHOT with SCD type 1 in plain Python: take the snapshots in version
order (one per version), and after each the target holds exactly that snapshot's rows by key (new keys
inserted, changed rows updated, missing keys deleted). Databricks calls :meth:`FileSnapshots.next_after`
with the last version it applied until it returns None; locally :meth:`FileSnapshots.latest` is the
whole result.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakehouse.condo.exports import file_lines
from lakehouse.snapshots import FileSnapshots
from tests.unit.bronze import BRONZE_DDL

BASE = datetime(2025, 1, 1, 0, 0)
views = count()

snapshot_files = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # modification time in seconds: ties happen
        st.lists(st.sampled_from(["Casa", "Apto", "Duplex"]), max_size=4),  # one line per row
    ),
    min_size=1,
    max_size=5,
)


def landed(spark, files):
    rows = []
    for index, (second, values) in enumerate(files):
        text = "\n".join(["tipo", *values])
        path = f"/landing/condo/imoveis/export-{index}.csv"
        rows.append((text, None, None, None, None, None, path, BASE + timedelta(seconds=second), BASE))
    view = f"landed_snapshots_{next(views)}"
    spark.createDataFrame(rows, BRONZE_DDL).createOrReplaceTempView(view)
    return FileSnapshots(spark, view, file_lines)


def model(files) -> dict[int, str]:
    """Apply the snapshots in (version, path descending) order, one per version, as SCD type 1."""
    target: dict[int, str] = {}
    applied: set[int] = set()
    ordered = sorted(enumerate(files), key=lambda f: (f[1][0], -f[0]))
    for _index, (second, values) in ordered:
        if second in applied:
            continue
        applied.add(second)
        target = {line: value for line, value in enumerate(values, start=1)}
    return target


def as_target(frame) -> dict[int, str]:
    return {r["line_number"]: r["raw_payload"] for r in frame.select("line_number", "raw_payload").collect()}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=snapshot_files)
def test_newest_snapshot_equals_applying_every_snapshot_in_order(spark, files):
    snapshots = landed(spark, files)
    applied: dict[int, str] = {}
    versions: list[int] = []
    step = snapshots.next_after(None)
    while step is not None:
        frame, version = step
        applied = as_target(frame)  # SCD type 1 from a full snapshot: the target becomes the snapshot
        versions.append(version)
        step = snapshots.next_after(version)
    assert versions == sorted(set(versions)), "versions must only grow"
    assert applied == model(files)
    assert as_target(snapshots.latest()) == model(files)


def test_a_later_export_replaces_rows_and_deletes_missing_ones(spark):
    snapshots = landed(spark, [(0, ["Casa", "Apto", "Duplex"]), (5, ["Casa", "Cobertura"])])
    assert as_target(snapshots.latest()) == {1: "Casa", 2: "Cobertura"}
    first, version = snapshots.next_after(None)
    assert as_target(first) == {1: "Casa", 2: "Apto", 3: "Duplex"}
    assert snapshots.next_after(version) is not None
    assert snapshots.next_after(version + 5_000) is None
