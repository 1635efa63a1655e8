"""Disney-API-shaped characters: a seeded synthetic dataset and the API's paging, quirks included.

The same two functions feed the bundled fixtures (``scripts/make_characters_fixtures.py``) and the
real HTTP server the tests start on 127.0.0.1, so the fetcher is always tested against pages shaped
exactly like the API's:

* ``GET /character?page=N&pageSize=S`` -> ``{"info": {"count", "totalPages", "previousPage",
  "nextPage"}, "data": [...]}``, where ``nextPage``/``previousPage`` are full URLs or ``null``;
* ``data`` is a JSON **object**, not a list, when exactly one character is on the page, and ``[]``
  when a filter matches nothing (``totalPages`` is then 0).

Names are generated with Faker in several locales (accents, apostrophes), and the URLs embed the
name as the real ``sourceUrl``/``imageUrl`` do: both matter for the masking tests.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from faker import Faker

Character = dict[str, Any]

ARRAY_FIELDS = ("films", "shortFilms", "tvShows", "videoGames", "parkAttractions", "allies", "enemies")
ALIGNMENTS = ("Good", "Bad", "Neutral")

_EPOCH = datetime(2021, 4, 12, 1, 30, tzinfo=UTC)
_LOCALES = ("en_US", "pt_BR", "fr_FR", "de_DE")


def api_time(moment: datetime) -> str:
    """``2021-04-12T01:31:30.547Z``: the API's ISO-8601 with milliseconds and ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _titles(fake: Faker, prefix: str, count: int) -> list[str]:
    """Distinct titles that never look like a person's name ("The Silent Harbor")."""
    titles: list[str] = []
    while len(titles) < count:
        title = f"{prefix}{fake.word().title()} {fake.word().title()}"
        if title not in titles:
            titles.append(title)
    return titles


def synthetic_characters(count: int, seed: int) -> list[Character]:
    """``count`` characters with ids ``1..count`` (as the API's ``_id``), deterministic for ``seed``."""
    fake = Faker(list(_LOCALES))
    fake.seed_instance(seed)
    rng = random.Random(seed)
    films = _titles(fake, "The ", 24)
    shows = _titles(fake, "Tales of ", 12)
    games = _titles(fake, "Quest: ", 8)
    rides = _titles(fake, "Ride: ", 6)
    names: list[str] = []
    while len(names) < count:
        name = fake.name()
        if name not in names:
            names.append(name)
    characters = []
    for index, name in enumerate(names, start=1):
        created = _EPOCH + timedelta(seconds=rng.randrange(0, 86_400), milliseconds=rng.randrange(1000))
        updated = created + timedelta(days=rng.randrange(0, 400), milliseconds=rng.randrange(1000))
        character: Character = {
            "_id": index,
            "films": rng.sample(films, rng.choice((0, 0, 1, 1, 2, 3))),
            "shortFilms": rng.sample(films, rng.choice((0, 0, 0, 1))),
            "tvShows": rng.sample(shows, rng.choice((0, 0, 1, 2))),
            "videoGames": rng.sample(games, rng.choice((0, 1, 2))),
            "parkAttractions": rng.sample(rides, rng.choice((0, 0, 1))),
            "allies": [],
            "enemies": [],
            "sourceUrl": f"https://disney.fandom.com/wiki/{name.replace(' ', '_')}",
            "name": name,
            "imageUrl": f"https://static.wikia.nocookie.net/disney/images/{name.replace(' ', '_')}.png",
            "createdAt": api_time(created),
            "updatedAt": api_time(updated),
            "url": f"https://api.disneyapi.dev/characters/{index}",
            "__v": 0,
        }
        if rng.random() < 0.6:
            character["alignment"] = rng.choice(ALIGNMENTS)
        characters.append(character)
    for character in characters:  # allies and enemies are other characters' names, as in the API
        character["allies"] = [c["name"] for c in rng.sample(characters, rng.choice((0, 0, 1, 2)))]
        character["enemies"] = [c["name"] for c in rng.sample(characters, rng.choice((0, 0, 1)))]
    return characters


def updated_versions(characters: Sequence[Character], ids: Sequence[int], later: timedelta) -> list[Character]:
    """New versions of some characters, as a later poll sees them: ``updatedAt`` moved on, one film more."""
    by_id = {c["_id"]: c for c in characters}
    versions = []
    for offset, character_id in enumerate(ids):
        old = by_id[character_id]
        moment = datetime.fromisoformat(old["updatedAt"].replace("Z", "+00:00")) + later
        versions.append(
            {
                **old,
                "films": [*old["films"], f"The Sequel Number {offset + 2}"],
                "updatedAt": api_time(moment),
                "__v": old["__v"] + 1,
            }
        )
    return versions


def apply_versions(characters: Sequence[Character], versions: Sequence[Character]) -> list[Character]:
    """The dataset after an update: same order (the API's order by id), changed characters replaced."""
    newer = {v["_id"]: v for v in versions}
    return [newer.get(c.get("_id"), c) for c in characters]


def filter_characters(characters: Sequence[Character], filters: Mapping[str, str]) -> list[Character]:
    """The API's filters: ``name=...`` matches a part of the name, case-insensitively."""
    found = list(characters)
    for field, wanted in filters.items():
        found = [c for c in found if wanted.lower() in str(c.get(field, "")).lower()]
    return found


def api_page(
    characters: Sequence[Character],
    page: int,
    page_size: int,
    base_url: str,
    filters: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The body the API answers for ``page`` (1-based), quirks included (see the module docstring)."""
    matching = filter_characters(characters, filters or {})
    total_pages = math.ceil(len(matching) / page_size)
    items = matching[(page - 1) * page_size : page * page_size]

    def link(number: int) -> str:
        query = urlencode({**(filters or {}), "page": number, "pageSize": page_size})
        return f"{base_url.rstrip('/')}/character?{query}"

    data: list[Character] | Character = items[0] if len(items) == 1 else items
    return {
        "info": {
            "count": len(items),
            "totalPages": total_pages,
            "previousPage": link(page - 1) if 1 < page <= total_pages + 1 else None,
            "nextPage": link(page + 1) if page < total_pages else None,
        },
        "data": data,
    }
