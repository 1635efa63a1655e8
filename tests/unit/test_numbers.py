"""The exact number parsing checked against Python's ``decimal`` on generated texts."""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

from hypothesis import given
from hypothesis import strategies as st
from pyspark.sql import functions as F

from lakehouse import numbers
from tests.unit.payloads import numeric_text, property_settings

PATTERN = re.compile(numbers.NUMBER_PATTERN)


def python_places(text: str) -> int:
    """Exact: ``normalize`` rounds to the context's precision (28 digits by default), so widen it."""
    value = Decimal(text)
    with localcontext() as exact:
        exact.prec = len(value.as_tuple().digits) + 1
        return 0 if value == 0 else max(0, -int(value.normalize().as_tuple().exponent))


@property_settings
@given(
    texts=st.lists(st.one_of(numeric_text, st.decimals(allow_nan=False, places=4).map(str)), min_size=1, max_size=40)
)
def test_number_recognition_and_decimal_places_agree_with_python(spark, texts):
    frame = spark.createDataFrame([(t,) for t in texts], "text string")
    text = numbers.number_text(F.col("text"))
    rows = frame.select(
        "text",
        numbers.is_number(text).alias("is_number"),
        numbers.decimal_places(text).alias("places"),
        numbers.exact_decimal(text, 2).try_cast("string").alias("value"),
    ).collect()
    for row in rows:
        stripped = row.text.strip(" ")
        assert row.is_number == bool(PATTERN.fullmatch(stripped)), row
        if not row.is_number:
            assert row.value is None, row
            continue
        exponent = re.search(r"[eE]([+-]?[0-9]+)$", stripped)
        if exponent and not -(2**31) <= int(exponent.group(1)) < 2**31:
            assert row.places is None, row
            continue
        assert row.places == python_places(stripped), row
        if row.places <= 2 and row.value is not None:
            assert Decimal(row.value) == Decimal(stripped), row


def test_extreme_numbers_are_null_not_errors(spark):
    """Beyond the work bounds the value is NULL; ``places`` means nothing where ``is_number`` fails."""
    texts = ["1e999999999", "1e-999999999", "9" * 2000, "-0.00", "12.0", "1,50", "NaN", "Infinity"]
    # A zero and a non-zero with an exponent beyond an int (no decimals; NULL, so the decimals rule
    # fails), zeros on both sides of the digits, and an upper-case signed exponent.
    texts += ["0e99999999999", "1e99999999999", "00100.00100", "1E+3"]
    frame = spark.createDataFrame([(t,) for t in texts], "text string")
    text = F.col("text")
    got = frame.select(
        numbers.is_number(text).alias("n"),
        numbers.decimal_places(text).alias("p"),
        numbers.exact_decimal(text, 2).try_cast("string").alias("v"),
    ).collect()
    assert [(r.n, r.p, r.v) for r in got] == [
        (True, 0, None),
        (True, 999999999, None),
        (True, 0, None),
        (True, 0, "0.00"),
        (True, 0, "12.00"),
        (False, 0, None),
        (False, 0, None),
        (False, 0, None),
        (True, 0, None),
        (True, None, None),
        (True, 3, "100.00"),
        (True, 0, "1000.00"),
    ]
