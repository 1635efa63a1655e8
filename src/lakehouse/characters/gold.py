"""Gold for analysts: characters without their names, and how many characters each film has.

A character's name is PII-like (it identifies the row to anyone who knows the cast), so gold carries
``name_masked``, the HMAC-SHA256 of the name with a key from the secret scope
(:func:`lakehouse.masking.keyed_hash`): rows can be joined and counted by name without revealing it,
and without the key nobody can rebuild the hash from a list of guessed names, as they could with a
plain SHA-256. The API's URLs (``url``, ``sourceUrl``, ``imageUrl``) embed the name, and ``allies``
and ``enemies`` are other characters' names, so gold keeps none of them, only counts.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.characters.silver import ARRAY_COLUMNS
from lakehouse.masking import keyed_hash

GOLD_COLUMNS = (
    "character_id",
    "name_masked",
    "appearances",
    "first_film",
    "alignment",
    *[f"{column}_count" for column in ARRAY_COLUMNS.values()],
    "updated_at",
)


def mask_name(name: Column, key: bytes) -> Column:
    """The name as a keyed hash; the exact text is hashed, so one spelling is one identity."""
    return keyed_hash(name, key)


def mask_characters(characters: DataFrame, key: bytes) -> DataFrame:
    """Gold ``characters``: one row per character, no raw name and no URL that embeds it."""
    return characters.select(
        F.col("character_id"),
        mask_name(F.col("name"), key).alias("name_masked"),
        F.col("appearances"),
        F.col("first_film"),
        F.col("alignment"),
        *[F.size(F.col(column)).alias(f"{column}_count") for column in ARRAY_COLUMNS.values()],
        F.col("updated_at"),
    )


def characters_per_film(characters: DataFrame) -> DataFrame:
    """Gold ``characters_per_film``: one row per film title with the number of its characters."""
    films = characters.select(F.col("character_id"), F.explode(F.col("films")).alias("film"))
    return films.groupBy("film").agg(F.count_distinct(F.col("character_id")).alias("characters"))
