"""fixtures/users: reproducible from the script, in the shape of real Debezium messages."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from lakehouse.cdc.envelope import messages, value_line
from lakehouse.produce.users import workload
from tests.cdc.topic import shape
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
CAPTURED = Path(__file__).with_name("data") / "debezium-usuarios-captured.jsonl"


def script() -> ModuleType:
    return load_script("make_users_fixtures")


def test_committed_fixtures_equal_what_the_script_writes(tmp_path: Path) -> None:
    written = script().write(tmp_path)
    committed = sorted((ROOT / "fixtures" / "users").glob("*.jsonl"))
    assert [p.name for p in written] == [p.name for p in committed]
    for new, old in zip(written, committed, strict=True):
        assert new.read_bytes() == old.read_bytes(), f"{old.name} is stale: rerun scripts/make_users_fixtures.py"
    assert not list(tmp_path.rglob(".*.tmp"))


def test_fixtures_hold_deletes_tombstones_restores_and_touches() -> None:
    values = [json.loads(line) for line in script().fixture_lines()]
    changes = [v for v in values if v is not None]
    assert len(changes) == 3000
    ops = [v["op"] for v in changes]
    assert values.count(None) == ops.count("d") > 100
    for index, value in enumerate(values):
        if value is not None and value["op"] == "d":
            assert values[index + 1] is None and value["before"]["id"] and value["after"] is None
    restores = [v for v in changes if v["op"] == "c" and v["after"]["created_at"] != v["after"]["updated_at"]]

    def only_updated_at(v: dict[str, dict[str, object]]) -> bool:
        return {k for k in v["after"] if v["after"][k] != v["before"][k]} == {"updated_at"}

    touches = [v for v in changes if v["op"] == "u" and only_updated_at(v)]
    assert len(restores) > 100 and len(touches) > 100
    lsns = [v["source"]["lsn"] for v in changes]
    assert lsns == sorted(set(lsns))


def test_edge_cases_break_one_thing_each() -> None:
    lines = [line for _, line in script().EDGE_CASES]
    parsed = []
    for line in lines[1:]:
        parsed.append(json.loads(line))
    try:
        json.loads(lines[0])
        raise AssertionError("the first edge case must be unparsable")
    except json.JSONDecodeError:
        pass
    assert parsed[0]["op"] == "x"
    assert "lsn" not in parsed[1]["source"]
    assert parsed[2]["source"]["table"] == "enderecos"


def test_generated_messages_have_the_shape_of_captured_real_ones() -> None:
    """Lines captured from the running stack (Debezium 3.4.3, this project's converter settings)."""
    real = [json.loads(line) for line in CAPTURED.read_text().splitlines()]
    generated = [value for _, value in messages(workload(500, seed=1))]
    real_shapes = {shape(v) for v in real}
    assert {shape(v) for v in generated} >= real_shapes  # every real shape is produced offline
    by_op = {(v or {}).get("op"): shape(v) for v in generated}
    for value in real:
        assert shape(value) in {shape(g) for g in generated if (g or {}).get("op") == (value or {}).get("op")}
    assert set(by_op) == {"c", "u", "d", None}
    assert [value_line(v) for v in real[:1]] == [CAPTURED.read_text().splitlines()[0]]  # same compact JSON
