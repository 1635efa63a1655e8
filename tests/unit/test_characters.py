"""The characters transforms on local PySpark: page quirks, typing, rules, latest version, masking."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from pathlib import Path

from chispa import assert_df_equality

from lakehouse.characters import gold, silver
from lakehouse.quality import keep_valid
from tests.unit.bronze import BRONZE_DDL

INGESTED = datetime(2026, 1, 1, 0, 0)
KEY = b"a-key-from-the-secret-scope"


def character(character_id: object = 1, name: object = "Ana Lima", **changes: object) -> dict:
    found = {
        "_id": character_id,
        "name": name,
        "url": f"https://api.disneyapi.dev/characters/{character_id}",
        "sourceUrl": f"https://disney.fandom.com/wiki/{str(name).replace(' ', '_')}",
        "imageUrl": "https://static.wikia.nocookie.net/disney/images/x.png",
        "films": ["The Silent Harbor", "The Long Road"],
        "shortFilms": [],
        "tvShows": ["Tales of Rain"],
        "videoGames": [],
        "parkAttractions": [],
        "allies": ["Bruno Costa"],
        "enemies": [],
        "alignment": "Good",
        "createdAt": "2021-04-12T01:31:30.547Z",
        "updatedAt": "2021-12-20T20:39:18.031Z",
        "__v": 0,
        **changes,
    }
    return {k: v for k, v in found.items() if v is not None or k in ("_id", "name")}


def page(data: object, number: int = 1, fetched_at: str = "2026-01-01T00:00:01.000Z", run: str = "r1") -> str:
    info = {"count": len(data) if isinstance(data, list) else 1, "totalPages": 1, "nextPage": None}
    return json.dumps({"info": info, "data": data, "page": number, "fetched_at": fetched_at, "run_id": run})


def bronze(spark, *files: str):
    rows = [
        (text, None, None, None, None, None, f"/landing/characters/p{i}.json", None, INGESTED)
        for i, text in enumerate(files)
    ]
    return spark.createDataFrame(rows, BRONZE_DDL)


def valid_rows(spark, *files: str):
    return silver.to_character_versions(
        keep_valid(silver.parse_character_pages(bronze(spark, *files)), silver.all_rules())
    )


def test_a_page_of_many_one_object_and_an_empty_page_give_every_character_once(spark):
    many = page([character(1, "Ana Lima"), character(2, "Bruno Costa")])
    one = page(character(3, "Carla Dias"), number=2)
    empty = page([], number=3)
    got = valid_rows(spark, many, one, empty).select("character_id", "name", "page").orderBy("character_id")
    want = spark.createDataFrame(
        [(1, "Ana Lima", 1), (2, "Bruno Costa", 1), (3, "Carla Dias", 2)], "character_id bigint, name string, page int"
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_columns_are_snake_case_typed_with_arrays_kept_and_the_derived_fields(spark):
    got = valid_rows(spark, page([character(7, "Ana Lima")]))
    assert got.columns == list(silver.VERSION_COLUMNS)
    row = got.first()
    assert row.character_id == 7 and row.version == 0
    assert row.films == ["The Silent Harbor", "The Long Road"] and row.tv_shows == ["Tales of Rain"]
    assert row.short_films == [] and row.allies == ["Bruno Costa"]
    assert row.created_at == datetime(2021, 4, 12, 1, 31, 30, 547000)
    assert row.updated_at == datetime(2021, 12, 20, 20, 39, 18, 31000)
    assert row.fetched_at == datetime(2026, 1, 1, 0, 0, 1) and row.run_id == "r1"
    assert (row.appearances, row.first_film) == (3, "The Silent Harbor")
    types = dict(got.dtypes)
    assert (
        types["character_id"] == "bigint" and types["updated_at"] == "timestamp" and types["films"] == "array<string>"
    )


def test_missing_arrays_are_empty_and_first_film_is_null_without_films(spark):
    bare = {"_id": 5, "name": "Dora", "updatedAt": "2021-12-20T20:39:18.031Z"}
    got = valid_rows(spark, page([bare])).select("films", "tv_shows", "appearances", "first_film", "alignment")
    want = spark.createDataFrame(
        [([], [], 0, None, None)],
        "films array<string>, tv_shows array<string>, appearances int, first_film string, alignment string",
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_broken_characters_and_pages_are_quarantined_with_their_reasons(spark):
    cases = [
        character(None, "No Id"),
        character(8, None),
        character(9, "Bad Time", updatedAt="last Tuesday"),
        character(10, "Bad Created", createdAt="2021-13-45T00:00:00Z"),
        character("abc", "Text Id"),
        42,
        character(11, "Fine"),
    ]
    broken_file = '{"info": {}, "data": [{"_id": 1, "name": "Tru'
    parsed = silver.parse_character_pages(bronze(spark, page(cases), broken_file))
    got = silver.to_character_quarantine(parsed).collect()

    def payload(text: str) -> object:
        return text if text == broken_file else json.loads(text)

    unreadable = ("record_is_json_object", "character_id_present", "name_present", "updated_at_parsable")
    found = sorted(((r.character_id, tuple(r.failed_rules), payload(r.raw_payload)) for r in got), key=str)
    assert found == sorted(
        [
            (None, ("character_id_present",), cases[0]),
            (8, ("name_present",), cases[1]),
            (9, ("updated_at_parsable",), cases[2]),
            (10, ("created_at_parsable",), cases[3]),
            (None, ("character_id_present",), cases[4]),
            (None, unreadable, 42),
            (None, unreadable, broken_file),
        ],
        key=str,
    )
    assert all(r.file_path.startswith("/landing/characters/") for r in got)
    assert [r.character_id for r in valid_rows(spark, page(cases), broken_file).collect()] == [11]


def test_the_latest_version_wins_by_updated_at_then_by_fetch_time(spark):
    old = page(
        [character(1, "Ana", updatedAt="2021-01-01T00:00:00.000Z", films=["The Old"])],
        fetched_at="2026-01-01T00:10:00.000Z",
    )
    new = page(
        [character(1, "Ana", updatedAt="2021-06-01T00:00:00.000Z", films=["The New"])],
        fetched_at="2026-01-01T00:05:00.000Z",
    )
    first = page([character(2, "Bia", films=["The First Fetch"])], fetched_at="2026-01-01T00:05:00.000Z", run="r1")
    again = page([character(2, "Bia", films=["The Second Fetch"])], fetched_at="2026-01-01T00:10:00.000Z", run="r2")
    latest = silver.latest_characters(valid_rows(spark, old, new, first, again))
    got = latest.select("character_id", "first_film", "run_id").orderBy("character_id")
    want = spark.createDataFrame(
        [(1, "The New", "r1"), (2, "The Second Fetch", "r2")], "character_id bigint, first_film string, run_id string"
    )
    assert_df_equality(got, want, ignore_nullable=True)
    assert latest.columns == list(silver.LATEST_COLUMNS)


def python_hmac(text: str) -> str:
    return hmac.new(KEY, text.encode(), hashlib.sha256).hexdigest()


def test_gold_masks_the_name_with_an_hmac_and_keeps_no_url_or_names_of_others(spark):
    latest = silver.latest_characters(
        valid_rows(spark, page([character(1, "Zoë O'Hara"), character(2, "Bruno Costa", films=[])]))
    )
    got = gold.mask_characters(latest, KEY).orderBy("character_id")
    assert got.columns == list(gold.GOLD_COLUMNS)
    rows = got.collect()
    assert [r.name_masked for r in rows] == [python_hmac("Zoë O'Hara"), python_hmac("Bruno Costa")]
    assert rows[0].name_masked != hashlib.sha256("Zoë O'Hara".encode()).hexdigest()
    assert [(r.appearances, r.first_film, r.films_count, r.tv_shows_count, r.allies_count) for r in rows] == [
        (3, "The Silent Harbor", 2, 1, 1),
        (1, None, 0, 1, 1),
    ]
    text = json.dumps([r.asDict() for r in rows], default=str)
    assert "Zoë" not in text and "Bruno" not in text and "http" not in text


def test_characters_per_film_counts_each_character_once_per_title(spark):
    rows = valid_rows(
        spark,
        page(
            [
                character(1, "Ana", films=["The A", "The B"]),
                character(2, "Bia", films=["The A"]),
                character(3, "Cy", films=[]),
            ]
        ),
        page([character(1, "Ana", films=["The A", "The B"])], fetched_at="2026-01-01T00:09:00.000Z"),
    )
    got = gold.characters_per_film(silver.latest_characters(rows)).orderBy("film")
    want = spark.createDataFrame([("The A", 2), ("The B", 1)], "film string, characters bigint")
    assert_df_equality(got, want, ignore_nullable=True)


def test_spark_file_streams_ignore_names_starting_with_a_dot_or_an_underscore(spark, tmp_path: Path):
    """Why the fetcher writes ``.<name>.partial`` first: a half-written page is never read."""
    folder = tmp_path / "characters"
    folder.mkdir()
    (folder / "characters-r1-p00001.json").write_text(page([character(1)]))
    (folder / ".characters-r1-p00002.json.1a2b3c4d.partial").write_text('{"data": [{"_id": 2')
    (folder / "_characters-r1-p00003.json").write_text(page([character(3)]))
    stream = spark.readStream.format("text").option("wholetext", "true").load(str(folder))
    query = stream.writeStream.format("memory").queryName("landed_pages").trigger(availableNow=True).start()
    query.awaitTermination(60)
    got = [row.value for row in spark.sql("SELECT value FROM landed_pages").collect()]
    assert got == [page([character(1)])]
