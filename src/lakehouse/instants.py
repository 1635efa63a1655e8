"""ISO-8601 instants with an explicit offset, as the communication platform's systems send them."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

# The offset is required: a time without one cannot be placed on the UTC axis, so it is rejected.
ISO_INSTANT_FORMAT = "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]XXX"


def parse_iso_instant(col: Column) -> Column:
    """``2020-02-03T17:00:01.001+03:00`` -> the instant 2020-02-03 14:00:01.001 UTC; NULL if malformed."""
    return F.try_to_timestamp(col, F.lit(ISO_INSTANT_FORMAT))
