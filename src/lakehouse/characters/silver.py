"""Landed API pages -> one typed row per character version -> the latest version of each character.

A bronze row is one page file: the API's body (``info``, ``data``) plus ``page``, ``fetched_at`` and
``run_id`` added by the fetcher. ``data`` is a list of characters, except that the API sends a single
character as an **object** and an empty result as ``[]``; :func:`page_elements` turns all three into
an array, and a page that cannot be read at all into one NULL element, so it is quarantined with its
text instead of vanishing.

Every field is read as text and typed with total functions (``try_cast``, ``try_to_timestamp``): a
bad value becomes NULL and fails a named rule. The same character is seen once per poll (every five
minutes) and sometimes twice in one poll (the API's order shifts while paging); silver keeps every
valid version (``character_versions``) and, in ``characters``, the latest one per ``character_id``:
the greatest ``updated_at``, then the latest ``fetched_at``, then the file name, so reruns agree.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.columns import SOURCE_COLUMNS
from lakehouse.instants import parse_iso_instant
from lakehouse.quarantine import to_quarantine

PAGE_SCHEMA = "page string, fetched_at string, run_id string, data string"

# The API's fields verbatim; scalars as text on purpose (see the module docstring).
CHARACTER_SCHEMA = (
    "_id string, name string, url string, sourceUrl string, imageUrl string, films array<string>, "
    "shortFilms array<string>, tvShows array<string>, videoGames array<string>, "
    "parkAttractions array<string>, allies array<string>, enemies array<string>, alignment string, "
    "createdAt string, updatedAt string, __v string"
)

# API array field -> silver column. A missing array is an empty one, so counts are never NULL.
ARRAY_COLUMNS: dict[str, str] = {
    "films": "films",
    "shortFilms": "short_films",
    "tvShows": "tv_shows",
    "videoGames": "video_games",
    "parkAttractions": "park_attractions",
    "allies": "allies",
    "enemies": "enemies",
}

# Rules on silver columns: the table's expectations, the local filter and the quarantine reasons.
CHARACTER_RULES: dict[str, str] = {
    "character_id_present": "character_id IS NOT NULL",
    "name_present": "name IS NOT NULL AND trim(name) <> ''",
    "updated_at_parsable": "updated_at IS NOT NULL",
}

# Rules that need what only parsing sees (the element's text, the raw createdAt).
PARSE_RULES: dict[str, str] = {
    "record_is_json_object": "record_is_json_object",
    "created_at_parsable": "created_at_text IS NULL OR created_at IS NOT NULL",
}

CHARACTER_COLUMNS = (
    "character_id",
    "name",
    "url",
    "source_url",
    "image_url",
    *ARRAY_COLUMNS.values(),
    "alignment",
    "created_at",
    "updated_at",
    "version",
    "appearances",
    "first_film",
)

VERSION_COLUMNS = (*CHARACTER_COLUMNS, "page", "run_id", "fetched_at", "file_path", "ingested_at")

LATEST_COLUMNS = (*CHARACTER_COLUMNS, "page", "run_id", "fetched_at", "file_path")


def page_elements(data: Column) -> Column:
    """The JSON texts of a page's characters as ``array<string>``: object -> one, ``[]`` -> none.

    A page whose ``data`` is missing or unreadable becomes ``[NULL]``: one element to quarantine.
    """
    trimmed = F.trim(data)
    unreadable = F.array(F.lit(None).cast("string"))
    return (
        F.when(trimmed.startswith("{"), F.array(trimmed))
        .when(trimmed.startswith("["), F.coalesce(F.from_json(trimmed, "array<string>"), unreadable))
        .otherwise(unreadable)
    )


def appearances(films: Column, tv_shows: Column) -> Column:
    """The derived field: films plus TV shows a character appears in."""
    return F.size(films) + F.size(tv_shows)


def first_film(films: Column) -> Column:
    """The first film listed by the API, NULL when there is none (``get`` never fails out of range)."""
    return F.get(films, 0)


def _array(col: Column) -> Column:
    return F.coalesce(col, F.array().cast("array<string>"))


def parse_character_pages(bronze: DataFrame) -> DataFrame:
    """One row per character element of every page, typed (NULL where unparsable), with its source.

    ``raw_payload`` becomes the element's own JSON text (the whole file for an unreadable page), so
    a quarantined row shows the character that failed; ``file_path`` names its page file.
    """
    metadata = [F.col(c) for c in SOURCE_COLUMNS if c != "raw_payload"]
    page = F.from_json(F.col("raw_payload"), PAGE_SCHEMA)
    elements = bronze.select(F.col("raw_payload").alias("file_text"), page.alias("p"), *metadata).select(
        F.explode(page_elements(F.col("p.data"))).alias("element"),
        F.col("file_text"),
        F.expr("try_cast(p.page AS int)").alias("page"),
        F.col("p.run_id").alias("run_id"),
        parse_iso_instant(F.col("p.fetched_at")).alias("fetched_at"),
        *metadata,
    )
    c = F.from_json(F.col("element"), CHARACTER_SCHEMA)
    typed = elements.select(
        F.coalesce(F.col("element"), F.col("file_text")).alias("raw_payload"),
        (F.col("element").isNotNull() & F.col("element").startswith("{")).alias("record_is_json_object"),
        c.alias("c"),
        F.col("page"),
        F.col("run_id"),
        F.col("fetched_at"),
        *metadata,
    )
    films, tv_shows = _array(F.col("c.films")), _array(F.col("c.tvShows"))
    return typed.select(
        *[F.col(name) for name in SOURCE_COLUMNS],
        F.col("record_is_json_object"),
        F.expr("try_cast(c._id AS bigint)").alias("character_id"),
        F.col("c.name").alias("name"),
        F.col("c.url").alias("url"),
        F.col("c.sourceUrl").alias("source_url"),
        F.col("c.imageUrl").alias("image_url"),
        *[_array(F.col(f"c.{field}")).alias(column) for field, column in ARRAY_COLUMNS.items()],
        F.col("c.alignment").alias("alignment"),
        F.col("c.createdAt").alias("created_at_text"),
        parse_iso_instant(F.col("c.createdAt")).alias("created_at"),
        parse_iso_instant(F.col("c.updatedAt")).alias("updated_at"),
        F.expr("try_cast(c.__v AS int)").alias("version"),
        appearances(films, tv_shows).alias("appearances"),
        first_film(films).alias("first_film"),
        F.col("page"),
        F.col("run_id"),
        F.col("fetched_at"),
    )


def all_rules() -> dict[str, str]:
    return {**PARSE_RULES, **CHARACTER_RULES}


def to_character_versions(valid: DataFrame) -> DataFrame:
    """Silver ``character_versions``: every valid version of every character, one row per sighting."""
    return valid.select(*[F.col(c) for c in VERSION_COLUMNS])


def latest_characters(versions: DataFrame) -> DataFrame:
    """Silver ``characters``: one row per ``character_id``, its latest version (module docstring)."""
    newest = F.struct(F.col("updated_at"), F.col("fetched_at"), F.col("file_path"))
    row = F.struct(*[F.col(c) for c in LATEST_COLUMNS])
    return versions.groupBy("character_id").agg(F.max_by(row, newest).alias("latest")).select("latest.*")


def to_character_quarantine(parsed: DataFrame) -> DataFrame:
    """Rejected characters: their JSON text, the failed rules, the id when there is one, the source."""
    return to_quarantine(parsed, all_rules(), identifiers=("character_id",))
