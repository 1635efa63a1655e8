"""Regenerate the characters fixtures: the API dataset the test server serves, and landed pages.

Writes

* ``fixtures/characters_api/characters.json``: ``{"characters": [...], "updates": [...]}``, the
  dataset in the API's order (201 characters: four full pages of 50 and a last page holding one
  object, with the hand-written edge cases below among them) and the newer versions a later poll
  sees;
* ``fixtures/characters/``: what ``lakehouse fetch characters`` lands for that dataset (run
  ``fixture-1``), a filter that matched nothing (run ``fixture-empty``) and a broken file, so that
  ``lakehouse run characters`` works on the bundled files.

Everything is seeded; ``tests/unit/test_characters_fixtures.py`` regenerates into a temporary folder
and fails if the committed files differ.

    uv run python scripts/make_characters_fixtures.py            # rewrites fixtures/
    uv run python scripts/make_characters_fixtures.py --root DIR  # writes under DIR instead
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lakehouse.fetch.characters import DEFAULT_BASE_URL, iso_millis, page_path, write_atomically
from lakehouse.produce.characters import api_page, api_time, synthetic_characters, updated_versions

SEED = 9
GENERATED = 197
PAGE_SIZE = 50
EDGE_CASES_AFTER = 120  # the edge cases sit mid-dataset, so the last page holds a valid character
UPDATED_IDS = (3, 7, 50, 51, 120, 197)  # 197 is the single object on the last page
LATER = timedelta(days=30)
FETCHED_AT = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
RUN_ID = "fixture-1"
EMPTY_RUN_ID = "fixture-empty"
EMPTY_FILTER = {"name": "no character is called this"}
BROKEN_FILE = "characters-broken-p00001.json"
BROKEN_TEXT = '{"info": {"count": 50, "totalPages": 5}, "data": [{"_id": 1, "name": "Tru\n'


def edge_cases(characters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the pipeline must quarantine or resolve, shaped like real characters (ids 9001+)."""
    template = {
        "films": ["The Quarantine Story"],
        "shortFilms": [],
        "tvShows": [],
        "videoGames": [],
        "parkAttractions": [],
        "allies": [],
        "enemies": [],
        "createdAt": "2021-04-12T01:33:00.000Z",
        "updatedAt": "2021-12-20T20:40:00.000Z",
        "__v": 0,
    }

    def case(character_id: int | None, name: str | None, **changes: Any) -> dict[str, Any]:
        found: dict[str, Any] = {**template, **changes}
        if character_id is not None:
            found["_id"] = character_id
            found["url"] = f"https://api.disneyapi.dev/characters/{character_id}"
        if name is not None:
            found["name"] = name
            found["sourceUrl"] = f"https://disney.fandom.com/wiki/{name.replace(' ', '_')}"
        return found

    seven = next(c for c in characters if c["_id"] == 7)
    older = datetime.fromisoformat(seven["updatedAt"].replace("Z", "+00:00")) - timedelta(days=90)
    return [
        case(None, "Edge Without Id"),  # quarantined: character_id_present
        case(9002, None),  # quarantined: name_present
        case(9003, "Edge Bad Timestamp", updatedAt="last Tuesday"),  # quarantined: updated_at_parsable
        # The same character again, an older version, as when the API's order shifts while paging:
        # silver keeps the newer one, wherever it was seen.
        {**seven, "films": ["The Outdated Copy"], "updatedAt": api_time(older)},
    ]


def dataset() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    generated = synthetic_characters(GENERATED, seed=SEED)
    characters = generated[:EDGE_CASES_AFTER] + edge_cases(generated) + generated[EDGE_CASES_AFTER:]
    return characters, updated_versions(generated, UPDATED_IDS, LATER)


def land_pages(
    folder: Path,
    characters: list[dict[str, Any]],
    run_id: str,
    fetched_at: datetime,
    filters: dict[str, str] | None = None,
) -> list[Path]:
    """The files ``lakehouse fetch characters`` writes for ``characters``, without the network."""
    written = []
    page = 1
    while True:
        body = api_page(characters, page, PAGE_SIZE, DEFAULT_BASE_URL, filters)
        query = "&".join(f"{k}={v}" for k, v in {**(filters or {}), "page": page, "pageSize": PAGE_SIZE}.items())
        stamp = {
            "page": page,
            "fetched_at": iso_millis(fetched_at + timedelta(seconds=page)),
            "run_id": run_id,
            "request_url": f"{DEFAULT_BASE_URL}/character?{query.replace(' ', '+')}",
        }
        path = page_path(folder, run_id, page)
        write_atomically(path, {**body, **stamp})
        written.append(path)
        if not body["info"]["nextPage"]:
            return written
        page += 1


def write_all(root: Path) -> list[Path]:
    characters, updates = dataset()
    api = root / "characters_api"
    api.mkdir(parents=True, exist_ok=True)
    dataset_file = api / "characters.json"
    dataset_file.write_text(
        json.dumps({"characters": characters, "updates": updates}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    landing = root / "characters"
    written = [dataset_file]
    written += land_pages(landing, characters, RUN_ID, FETCHED_AT)
    written += land_pages(landing, characters, EMPTY_RUN_ID, FETCHED_AT, EMPTY_FILTER)
    (landing / BROKEN_FILE).write_text(BROKEN_TEXT, encoding="utf-8")
    return [*written, landing / BROKEN_FILE]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1] / "fixtures")
    args = parser.parse_args()
    for path in write_all(args.root):
        print(path)


if __name__ == "__main__":
    main()
