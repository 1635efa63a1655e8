"""ISO-8601 instants with an explicit offset, as the communication platform's systems send them.

Parsed instants are kept only within the years 0001-9999 (UTC). Spark itself reaches far beyond
(``+99999-01-01``, or year 0 from ``0001-01-01T00:00:00+14:00``), but Python, JDBC drivers and BI
tools cannot hold such a value: one of them in silver would break every reader downstream.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

# The offset is required: a time without one cannot be placed on the UTC axis, so it is rejected.
ISO_INSTANT_FORMAT = "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]XXX"


# 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z in microseconds since the epoch.
_FIRST_MICROS = -62_135_596_800 * 1_000_000
_END_MICROS = 253_402_300_800 * 1_000_000


def representable(ts: Column) -> Column:
    """``ts`` when it falls within the years 0001-9999 UTC, NULL otherwise (whatever the session zone)."""
    micros = F.unix_micros(ts)
    return F.when((micros >= F.lit(_FIRST_MICROS)) & (micros < F.lit(_END_MICROS)), ts)


def parse_iso_instant(col: Column) -> Column:
    """``2020-02-03T17:00:01.001+03:00`` -> the instant 2020-02-03 14:00:01.001 UTC; NULL if malformed.

    NULL too for an instant outside the years 0001-9999 UTC (see the module docstring).
    """
    return representable(F.try_to_timestamp(col, F.lit(ISO_INSTANT_FORMAT)))
