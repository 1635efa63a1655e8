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


def _exponent(text: Column) -> Column:
    """The exponent of ``1.5e3`` (3), 0 without one; NULL when it does not fit an int."""
    digits = F.regexp_extract(text, r"[eE]([+-]?[0-9]+)$", 1)
    return F.when(digits == F.lit(""), F.lit(0)).otherwise(digits.try_cast("int"))


def decimal_places(text: Column) -> Column:
    """How many decimals the exact value of a number has: ``8.950`` 2, ``100e-2`` 0, ``1.0E-5`` 5.

    Trailing zeros do not count (``12.0`` is an integer, zero has no decimals): the digits' trailing
    zeros are dropped, then places = fraction digits - dropped zeros - exponent, at least 0. NULL
    when the exponent is beyond an int, so that such a number fails the decimals rule rather than
    passing it. Meaningful only where :func:`is_number` holds.
    """
    mantissa = F.regexp_extract(text, r"^[+-]?([0-9]*[.]?[0-9]*)", 1)
    fraction = F.regexp_extract(text, r"^[+-]?[0-9]*[.]([0-9]*)", 1)
    digits = F.regexp_replace(mantissa, r"[.]", "")
    significant = F.regexp_replace(digits, "0+$", "")
    dropped = F.length(digits) - F.length(significant)
    places = F.try_subtract(F.length(fraction) - dropped, _exponent(text))
    return F.when(significant == F.lit(""), F.lit(0)).when(places < F.lit(0), F.lit(0)).otherwise(places)


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
