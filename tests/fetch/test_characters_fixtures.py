"""The characters fixtures are generated: regenerating them must give the committed files byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from lakehouse.produce.characters import api_page, synthetic_characters
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "make_characters_fixtures.py"


def generator() -> ModuleType:
    return load_script("make_characters_fixtures")


def test_regenerated_fixtures_equal_the_committed_ones(tmp_path):
    for path in generator().write_all(tmp_path):
        committed = ROOT / "fixtures" / path.relative_to(tmp_path)
        assert committed.exists(), f"{committed} missing: run `uv run python {SCRIPT.relative_to(ROOT)}`"
        assert committed.read_bytes() == path.read_bytes(), f"{committed} drifted: rerun the generator"
    committed_pages = {p.name for p in (ROOT / "fixtures" / "characters").iterdir()}
    assert committed_pages == {p.name for p in (tmp_path / "characters").iterdir()}


def test_the_dataset_has_the_shapes_the_tests_rely_on():
    found = json.loads((ROOT / "fixtures" / "characters_api" / "characters.json").read_text(encoding="utf-8"))
    characters = found["characters"]
    assert len(characters) == 201 and len(characters) % 50 == 1, "the last page holds one object"
    ids = [c.get("_id") for c in characters]
    assert ids[-1] == 197 and ids.count(7) == 2 and None in ids
    assert {u["_id"] for u in found["updates"]} <= set(ids)


def test_api_pages_have_the_quirks_of_the_real_api():
    characters = synthetic_characters(3, seed=1)
    last = api_page(characters, 2, 2, "http://x")
    assert isinstance(last["data"], dict) and last["info"] == {
        "count": 1,
        "totalPages": 2,
        "previousPage": "http://x/character?page=1&pageSize=2",
        "nextPage": None,
    }
    empty = api_page(characters, 1, 2, "http://x", {"name": "nobody"})
    assert empty["data"] == [] and empty["info"]["totalPages"] == 0 and empty["info"]["nextPage"] is None
    assert api_page(characters, 1, 2, "http://x")["info"]["nextPage"] == "http://x/character?page=2&pageSize=2"
