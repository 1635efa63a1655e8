"""End to end: ``lakehouse fetch characters`` from a real local HTTP server, then ``lakehouse run characters``.

One module fixture does everything once: the bundled landing files plus a first poll (with a 429, a
503 and a page slower than the timeout) -> pipeline run 1; a second poll that sees newer versions
of some characters -> pipeline run 2 (incremental). Expected figures come from the fixture dataset
in plain Python.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from lakehouse.produce.characters import apply_versions
from tests.fetch.api_server import CharactersAPI, load_dataset
from tests.pipeline.local import PROJECT_ROOT, lakehouse, query

pytestmark = pytest.mark.pipeline

HASH_KEY = "e2e-test-hmac-key"
CHARACTERS, UPDATES = load_dataset()
FIXTURE_FILES = sorted((PROJECT_ROOT / "fixtures" / "characters").glob("*.json"))
UTC_TEXT = "'yyyy-MM-dd HH:mm:ss.SSS'"


def valid(character: dict) -> bool:
    try:
        datetime.fromisoformat(character["updatedAt"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return False
    return "_id" in character and bool(character.get("name"))


def newest_versions() -> dict[int, dict]:
    """What silver must hold: per id, the greatest updatedAt over everything the API ever served."""
    newest: dict[int, dict] = {}
    for character in [*CHARACTERS, *apply_versions(CHARACTERS, UPDATES)]:
        if valid(character) and character["updatedAt"] > newest.get(character["_id"], {}).get("updatedAt", ""):
            newest[character["_id"]] = character
    return newest


def api_time_as_utc_text(text: str) -> str:
    return text.replace("T", " ").removesuffix("Z")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("characters-home")
    landing = tmp_path_factory.mktemp("characters-landing")
    folder = landing / "characters"
    shutil.copytree(PROJECT_ROOT / "fixtures" / "characters", folder)
    previous = os.environ.get("LAKEHOUSE_PII_HASH_KEY")
    os.environ["LAKEHOUSE_PII_HASH_KEY"] = HASH_KEY
    try:
        with CharactersAPI(CHARACTERS).running() as api:
            api.faults.update({2: ["429"], 3: ["slow"], 4: ["503"]})

            def fetch(run_id: str) -> None:
                done = lakehouse(
                    home, "fetch", "characters", "--base-url", api.base_url, "--to-dir", str(folder),
                    "--run-id", run_id, "--timeout", "0.5", timeout=120,
                )  # fmt: skip
                assert done.returncode == 0, done.stderr[-3000:]

            fetch("e2e-1")
            first = lakehouse(home, "run", "characters", "--landing", str(landing))
            assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
            api.update(UPDATES)
            fetch("e2e-2")
            log = list(api.log)
        second = lakehouse(home, "run", "characters", "--landing", str(landing))
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    finally:
        if previous is None:
            os.environ.pop("LAKEHOUSE_PII_HASH_KEY", None)
        else:
            os.environ["LAKEHOUSE_PII_HASH_KEY"] = previous
    tables = query(
        home,
        bronze="SELECT file_path, raw_payload FROM bronze.characters_raw",
        versions="SELECT count(*) AS n FROM silver.character_versions",
        silver=f"""SELECT character_id, name, films, tv_shows, run_id, appearances, first_film,
                          date_format(updated_at, {UTC_TEXT}) AS updated_at FROM silver.characters""",
        quarantine="SELECT character_id, failed_rules, file_path FROM silver.characters_quarantine",
        gold=f"SELECT *, date_format(updated_at, {UTC_TEXT}) AS updated_at_text FROM gold.characters",
        per_film="SELECT film, characters FROM gold.characters_per_film",
    )
    return {"landing": folder, "log": log, "first": first.stdout, "second": second.stdout, **tables}


def test_every_landed_file_is_whole_and_in_bronze_once(runs):
    files = sorted(runs["landing"].iterdir())
    assert [p.name for p in files if p.name.startswith((".", "_"))] == [], "no partial file is left behind"
    fetched = [p for p in files if "-e2e-" in p.name]
    assert len(fetched) == 10 and all(json.loads(p.read_text())["run_id"] in ("e2e-1", "e2e-2") for p in fetched)
    bronze_files = Counter(Path(row["file_path"].removeprefix("file:")).name for row in runs["bronze"])
    assert bronze_files == Counter(p.name for p in [*FIXTURE_FILES, *fetched])


def test_the_first_poll_retried_the_429_the_slow_page_and_the_503(runs):
    outcomes = Counter(runs["log"])
    assert outcomes[(2, "429")] == outcomes[(3, "slow")] == outcomes[(4, "503")] == 1
    assert [page for page, outcome in runs["log"] if outcome == "ok"] == [1, 2, 3, 4, 5] * 2


def test_every_character_is_once_in_silver_with_its_newest_version(runs):
    newest = newest_versions()
    rows = runs["silver"]
    assert Counter(row["character_id"] for row in rows) == Counter(newest.keys())
    for row in rows:
        want = newest[row["character_id"]]
        assert row["updated_at"] == api_time_as_utc_text(want["updatedAt"])
        assert (row["name"], row["films"], row["tv_shows"]) == (want["name"], want["films"], want["tvShows"])
        assert row["appearances"] == len(want["films"]) + len(want["tvShows"])
        assert row["first_film"] == (want["films"][0] if want["films"] else None)
        assert row["run_id"] == "e2e-2", "equal updatedAt: the latest fetch wins"
    updated = {u["_id"] for u in UPDATES}
    assert all(newest[i]["__v"] == 1 for i in updated) and len(updated) == 6


def test_versions_and_quarantine_hold_every_sighting(runs):
    polls = 3  # the bundled fixture run and the two polls of this test
    assert runs["versions"] == [{"n": polls * (len(CHARACTERS) - 3)}]
    reasons = Counter((row["character_id"], tuple(row["failed_rules"])) for row in runs["quarantine"])
    unreadable = ("record_is_json_object", "character_id_present", "name_present", "updated_at_parsable")
    assert reasons == Counter(
        {
            (None, ("character_id_present",)): polls,
            (9002, ("name_present",)): polls,
            (9003, ("updated_at_parsable",)): polls,
            (None, unreadable): 1,  # fixtures/characters/characters-broken-p00001.json
        }
    )


def python_hmac(text: str) -> str:
    return hmac.new(HASH_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def test_gold_characters_are_masked_with_counts_and_no_url(runs):
    newest = newest_versions()
    rows = {row["character_id"]: row for row in runs["gold"]}
    assert set(rows) == set(newest)
    for character_id, want in newest.items():
        row = rows[character_id]
        assert row["name_masked"] == python_hmac(want["name"])
        assert (row["appearances"], row["first_film"], row["alignment"]) == (
            len(want["films"]) + len(want["tvShows"]),
            want["films"][0] if want["films"] else None,
            want.get("alignment"),
        )
        assert (row["films_count"], row["enemies_count"], row["park_attractions_count"]) == (
            len(want["films"]),
            len(want["enemies"]),
            len(want["parkAttractions"]),
        )
        assert row["updated_at_text"] == api_time_as_utc_text(want["updatedAt"])
    columns = set(next(iter(rows.values())))
    assert not columns & {"name", "url", "source_url", "image_url", "allies", "enemies"}


def test_no_raw_name_appears_anywhere_in_gold(runs):
    names = {c["name"] for c in CHARACTERS if c.get("name")} | {a for c in CHARACTERS for a in c["allies"]}
    texts = [str(value) for table in ("gold", "per_film") for row in runs[table] for value in row.values()]
    assert texts and not [t for t in texts if any(name in t for name in names)]
    assert not [t for t in texts if "http" in t or "wiki" in t]


def test_characters_per_film_has_one_row_per_title(runs):
    want = Counter(film for c in newest_versions().values() for film in set(c["films"]))
    assert {row["film"]: row["characters"] for row in runs["per_film"]} == dict(want)
    assert len(runs["per_film"]) == len(want)


def test_the_run_summaries_name_the_tables(runs):
    for output in (runs["first"], runs["second"]):
        assert "characters_quarantine" in output and "gold.characters_per_film" in output
