"""Numbers received as text, parsed totally: every input gives a value or a NULL a rule can name.

Spark's own casts are no help on untrusted data: under ANSI mode a plain ``cast`` raises on overflow
(one poison record then fails every retry of the stream), and ``try_cast('8.955' AS decimal(12,2))``
silently rounds to 8.96. Silver has to say *why* a value is unusable, so it keeps the text and looks
at it: missing (NULL), not a number (``"8,95"``, ``NaN``, ``[1]``), fractional where an integer is
expected, more decimals than the column holds, or out of the column's range. Each is a separate rule.

Accepted numbers are plain decimals with an optional sign and exponent (``12``, ``-3``, ``8.95``,
``1.0E-5``, ``.5``): what JSON numbers, JSON strings holding numbers and CSV fields look like.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

NUMBER_PATTERN = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"

# Bounds on the work one record may cost: ``1e-999999999`` or a megabyte of digits would make the
# exact decimal conversion crawl. Beyond them a number is out of range (or has too many decimals).
MAX_NUMBER_LENGTH = 1000
MAX_EXPONENT = 400


def number_text(col: Column) -> Column:
    """The field's text without surrounding blanks; NULL stays NULL (the field is missing)."""
    return F.trim(col)


def is_number(text: Column) -> Column:
    """True when ``text`` is a decimal number; NULL when the text is NULL."""
    return text.rlike(NUMBER_PATTERN)


# Why plain string functions, and no CASE or COALESCE around the work, below: Spark evaluates a
# subexpression used twice only once where both uses are always evaluated, never inside a branch
# that may be skipped. Written with ``regexp_extract`` and ``when(...).otherwise(...)``, one
# ``decimal_places`` evaluated its exponent regex 8 times and its trailing-zero regex 3 times per
# field: parsing 536,350 order events took 7.9-9.6 s (10.6-10.8 s with silver's rules), against
# 2.3-3.0 s (3.9-4.4 s) for this form, on the same rows (local Spark, warm, 2026-12-07).


def _exponent(text: Column) -> Column:
    """The exponent of ``1.5e3`` (3), 0 without one; NULL when it does not fit an int.

    Meaningful only where :func:`is_number` holds: then the text after the one ``e`` is the
    exponent, signed or not.
    """
    lowered = F.lower(text)
    digits = F.when(F.instr(lowered, "e") > F.lit(0), F.substring_index(lowered, "e", -1)).otherwise(F.lit("0"))
    return digits.try_cast("int")


def decimal_places(text: Column) -> Column:
    """How many decimals the exact value of a number has: ``8.950`` 2, ``100e-2`` 0, ``1.0E-5`` 5.

    Trailing zeros do not count (``12.0`` is an integer, zero has no decimals): places = fraction
    digits - the digits' trailing zeros - exponent, at least 0. NULL when the exponent of a number
    other than zero is beyond an int, so that such a number fails the decimals rule rather than
    passing it. Meaningful only where :func:`is_number` holds.
    """
    mantissa = F.ltrim(F.substring_index(F.lower(text), "e", 1), F.lit("+-"))
    dot = F.instr(mantissa, ".")  # 0 without a point
    fraction = (F.length(mantissa) - dot) * F.least(dot, F.lit(1))
    digits = F.replace(mantissa, F.lit("."), F.lit(""))
    significant = F.length(F.rtrim(digits, F.lit("0")))  # 0 for zero
    places = F.try_subtract(fraction - (F.length(digits) - significant), _exponent(text))
    at_least_zero = places - F.least(places, F.lit(0))  # NULL stays NULL, where greatest() would give 0
    # Zero has no decimals, whatever its exponent: the fallback runs only where the product is NULL.
    return F.coalesce(at_least_zero * F.least(significant, F.lit(1)), F.when(significant == F.lit(0), F.lit(0)))


def exact_decimal(text: Column, scale: int) -> Column:
    """The number as ``decimal(38, scale)``, exact when it has at most ``scale`` decimals.

    NULL when the text is not a number, when its integer part needs more than ``38 - scale`` digits,
    or when it exceeds the work bounds above. Check :func:`decimal_places` before trusting the
    value: a number with more decimals comes back rounded.
    """
    bounded = (
        is_number(text)
        & (F.length(text) <= F.lit(MAX_NUMBER_LENGTH))
        & _exponent(text).between(-MAX_EXPONENT, MAX_EXPONENT)
    )
    return F.when(bounded, text.try_cast(f"decimal(38,{scale})"))
