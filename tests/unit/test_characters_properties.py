"""Property: whatever page files bronze holds, the characters silver queries run and route every character once.

A bronze row is one page file; it fans out into one row per element of its ``data`` (the module
docstring of :mod:`lakehouse.characters.silver`): an array gives one row per element, a single
object one row, ``[]`` none, and a page whose ``data`` is missing or unreadable one row, so that it
is quarantined with its text. The test predicts that count per file in plain Python and checks that
``character_versions`` (the rows ``all_rules`` keeps, then the table's expectations) and the
quarantine together hold exactly the parsed rows, each once, as ``pipelines/characters/silver.py``
builds them. The latest-version view must hold each valid character once.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.characters import silver as characters
from lakehouse.compat import apply_local_expectations
from lakehouse.quality import keep_valid
from tests.unit.bronze import bronze_frame
from tests.unit.payloads import (
    keys_by_place,
    not_json,
    numeric_text,
    objects,
    odd_text,
    property_settings,
    union_all,
    wild_values,
)

# The API's field names, read off the schema silver parses them with.
FIELDS = tuple(field.split(" ")[0] for field in characters.CHARACTER_SCHEMA.split(", "))

INSTANTS = st.sampled_from(
    ["2021-12-20T20:39:18.031Z", "2021-12-20T20:39:18", "2021-13-45T00:00:00Z", "+99999-01-01T00:00:00Z"]
)
titles = st.lists(odd_text, max_size=3)

PLAUSIBLE = {
    "_id": st.one_of(st.integers(min_value=1, max_value=5), numeric_text),
    "name": st.one_of(st.sampled_from(["Ana Lima", " ", ""]), odd_text),
    "films": titles,
    "tvShows": titles,
    "createdAt": INSTANTS,
    "updatedAt": INSTANTS,
    "__v": st.one_of(st.integers(min_value=0, max_value=2**40), numeric_text),
}

# A complete character as the API sends it, some of its fields then replaced by plausible or wild
# values: most elements reach every rule and many pass them, so silver's columns are computed too.
COMPLETE = {
    "_id": 1,
    "name": "Ana Lima",
    "films": ["The Silent Harbor"],
    "tvShows": [],
    "createdAt": "2021-04-12T01:31:30.547Z",
    "updatedAt": "2021-12-20T20:39:18.031Z",
    "__v": 0,
}
api_character = objects(FIELDS, PLAUSIBLE).map(lambda text: {**COMPLETE, **json.loads(text)})
element = st.one_of(api_character, api_character, wild_values, st.just({}))
# A character that passes every rule, so that silver and the latest version per id are computed.
valid_character = st.fixed_dictionaries(
    {
        **{field: st.just(value) for field, value in COMPLETE.items()},
        "_id": st.integers(min_value=1, max_value=5),
        "name": st.sampled_from(["Ana Lima", "Bruno Costa"]),
        "films": titles,
        "tvShows": titles,
    }
)

data = st.one_of(
    st.lists(element, max_size=6),  # the usual page
    element,  # the API's single character as an object (or any other value)
    st.just([]),
    st.lists(element, max_size=3).map(lambda found: " " + json.dumps(found, allow_nan=True)),  # an array as text
    odd_text,
)
PAGE_OPTIONAL = {
    "info": wild_values,
    "page": st.one_of(st.integers(min_value=1, max_value=3), numeric_text, wild_values),
    "fetched_at": INSTANTS,
    "run_id": odd_text,
}
PAGE_VALID = {"page": st.integers(min_value=1, max_value=3), "fetched_at": st.just("2026-01-01T00:00:01.000Z")}
page = st.one_of(
    st.fixed_dictionaries({"data": data}, optional=PAGE_OPTIONAL),
    st.fixed_dictionaries({}, optional=PAGE_OPTIONAL),  # no data at all
)


def as_text(found: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """Pages as landed files: JSON with NaN/Infinity as Jackson reads them, ASCII-escaped or not."""
    return st.builds(lambda p, ascii_only: json.dumps(p, allow_nan=True, ensure_ascii=ascii_only), found, st.booleans())


page_text = as_text(page)
files = st.one_of(page_text, page_text, page_text.map(lambda text: text[:-3]), not_json)  # [:-3]: truncated
# Pages as the fetcher lands them, their characters mostly valid: Hypothesis draws short lists and
# simple elements, and an example without valid characters would leave silver's columns untested.
landed_page = as_text(
    st.fixed_dictionaries(
        {"data": st.lists(st.one_of(valid_character, valid_character, element), min_size=1, max_size=6), **PAGE_VALID}
    )
)
pages_batches = st.tuples(st.lists(landed_page, min_size=2, max_size=6), st.lists(files, min_size=1, max_size=8)).map(
    lambda parts: parts[0] + parts[1]
)


def elements_of_text(text: str) -> int:
    """How many elements :func:`characters.page_elements` makes of ``data``'s text (Spark trims spaces)."""
    trimmed = text.strip(" ")
    if trimmed.startswith("["):
        try:  # like Spark's reader, the first JSON value counts and anything after it is ignored
            found, _ = json.JSONDecoder().raw_decode(trimmed)
        except ValueError:
            return 1
        return len(found) if isinstance(found, list) else 1
    return 1


def expected_rows(file_text: str) -> int:
    """The rows a page file fans out into (see the module docstring), predicted in Python."""
    try:
        found: Any = json.loads(file_text)
    except ValueError:
        return 1
    value = found.get("data") if isinstance(found, dict) else None
    if isinstance(value, list):
        return len(value)
    if isinstance(value, str):
        return elements_of_text(value)
    return 1


KEY = ("offset", "raw_payload")


def routed(parsed: DataFrame) -> DataFrame:
    """Parsed rows, silver rows, quarantined rows and the latest versions, tagged, as one query."""
    valid = keep_valid(parsed, characters.all_rules())
    no_key = [F.lit(None).cast("bigint").alias("offset"), F.lit(None).cast("string").alias("raw_payload")]
    tagged = [
        parsed.select(*KEY, F.lit("parsed").alias("where"), F.lit("").alias("row")),
        apply_local_expectations(valid, characters.CHARACTER_RULES, {}).select(
            *KEY, F.lit("silver").alias("where"), F.to_json(F.struct(*characters.VERSION_COLUMNS)).alias("row")
        ),
        characters.to_character_quarantine(parsed).select(
            *KEY, F.lit("quarantine").alias("where"), F.to_json(F.struct("*")).alias("row")
        ),
        characters.latest_characters(characters.to_character_versions(valid)).select(
            *no_key, F.lit("latest").alias("where"), F.to_json(F.struct("*")).alias("row")
        ),
    ]
    return union_all(tagged)


@property_settings
@given(batch=pages_batches)
def test_every_character_ends_in_exactly_one_of_silver_or_quarantine(spark, batch):
    # Parsed once, every column computed (none pruned away), and each output read from that frame.
    parsed = characters.parse_character_pages(bronze_frame(spark, batch)).localCheckpoint(eager=True)
    rows = routed(parsed).collect()
    by_place = keys_by_place(rows, KEY)
    assert by_place["silver"] + by_place["quarantine"] == by_place["parsed"]
    per_file = Counter(r.offset for r in rows if r.where == "parsed")
    assert per_file == Counter({i: expected_rows(text) for i, text in enumerate(batch)})
    assert all('"failed_rules":[]' not in r.row for r in rows if r.where == "quarantine")

    ids = {json.loads(r.row)["character_id"] for r in rows if r.where == "silver"}
    latest = Counter(json.loads(r.row)["character_id"] for r in rows if r.where == "latest")
    assert latest == Counter(ids)
