"""Hypothesis strategies for hostile input: what a broken producer or a hand-edited file can send.

Values are drawn wide on purpose: integers far beyond any column type, floats including NaN and
Infinity (written as the JSON tokens ``NaN``/``Infinity`` that Jackson accepts), strings of odd
Unicode (combining marks, right-to-left, zero-width, escaped lone surrogates), deep lists and
objects, booleans and nulls, plus text that is not JSON at all. Field names are the pipeline's own,
so most examples reach the typing and the rules instead of failing at the first ``from_json``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from functools import reduce
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from pyspark.sql import DataFrame, Row

# Characters that break naive code: separators, quotes, escapes, NUL, BOM, RTL/zero-width marks,
# combining accents, a non-BMP emoji, full-width and Arabic-Indic digits (not ASCII digits).
ODD_CHARACTERS = ",;\"'\\\n\r\t\x00\ufeff\u200b\u202e\u0301é€😀１٣ "

odd_text = st.text(
    alphabet=st.one_of(st.sampled_from(ODD_CHARACTERS), st.characters(blacklist_categories=("Cs",))),
    max_size=40,
)

# Numbers as text, close to what the parsers accept: signs, exponents, separators, many decimals.
numeric_text = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{0,25}([.,][0-9]{0,25})?([eE][+-]?[0-9]{1,5})?\Z"),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1,50", "0x10", "1_000", "", " ", "8.955", "12.0", "1e-999999"]),
)

extreme_numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([2**31, -(2**31) - 1, 2**63, 9999999999999999, 10**16, -(10**16)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(float),
)

scalars = st.one_of(st.none(), st.booleans(), extreme_numbers, odd_text, numeric_text)

wild_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(odd_text, children, max_size=3),
    ),
    max_leaves=8,
)

# A huge string or a deep structure, drawn rarely so that a batch stays quick to build and parse.
huge_values = st.one_of(
    st.integers(min_value=1_000, max_value=100_000).map(lambda n: "x" * n),
    st.integers(min_value=50, max_value=400).map(lambda depth: json.loads("[" * depth + "]" * depth)),
)


def objects(fields: Sequence[str], valid: dict[str, st.SearchStrategy[Any]] | None = None) -> st.SearchStrategy[str]:
    """JSON objects with (a subset of) ``fields``, each value either plausible or wild, as text.

    ``valid`` gives a plausible strategy per field, so that examples also reach the later rules
    (and silver) rather than all failing on the first missing field.
    """
    plausible = valid or {}

    def value(field: str) -> st.SearchStrategy[Any]:
        if field in plausible:
            return st.one_of(plausible[field], plausible[field], wild_values, huge_values)
        return st.one_of(wild_values, huge_values)

    picked = st.fixed_dictionaries({}, optional={field: value(field) for field in fields})
    return st.builds(
        lambda obj, ascii_only: json.dumps(obj, allow_nan=True, ensure_ascii=ascii_only),
        picked,
        st.booleans(),
    )


not_json = st.one_of(
    odd_text,
    st.just("{"),
    st.just('{"a": 1'),
    st.just("[]"),
    st.just("null"),
    st.just("42"),
    st.just('"just a string"'),
)


def payloads(fields: Sequence[str], valid: dict[str, st.SearchStrategy[Any]] | None = None) -> st.SearchStrategy[str]:
    """One record's text: mostly JSON objects with the pipeline's fields, sometimes anything at all."""
    return st.one_of(objects(fields, valid), objects(fields, valid), objects(fields, valid), not_json)


def batches(payload: st.SearchStrategy[str], max_size: int = 50) -> st.SearchStrategy[list[str]]:
    """1..``max_size`` records: one Spark query per batch keeps a property test within seconds."""
    return st.lists(payload, min_size=1, max_size=max_size)


# One Spark query per example: 20 batches of up to 50 records each take seconds, not minutes.
# Shrinking is off - every shrink step is another Spark query, and a failure could then take many
# minutes of CI; the falsifying batch is reported whole (and the assertions name the bad records).
property_settings = settings(
    max_examples=20,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def union_all(frames: list[DataFrame]) -> DataFrame:
    """The tagged outputs of one parsed frame as one frame, so a single collect reads them all."""
    return reduce(DataFrame.unionByName, frames)


def keys_by_place(rows: list[Row], key: tuple[str, ...]) -> dict[str, Counter[tuple[Any, ...]]]:
    """How often each record key was parsed, reached silver, and was quarantined."""
    return {
        where: Counter(tuple(r[c] for c in key) for r in rows if r.where == where)
        for where in ("parsed", "silver", "quarantine")
    }
