"""The quarantine table's shape, shared by every pipeline: raw payload, failed rules, where it came from.

Every pipeline builds its ``*_quarantine`` table here, so a data engineer finds rejected rows of any
pipeline with the same query: the record exactly as received, the names of every rule it failed,
the pipeline's own identifier columns where it has them (``event_id`` for orders), and the source
metadata (file path, or topic/partition/offset).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.columns import SOURCE_COLUMNS
from lakehouse.quality import FAILED_RULES, Rules, keep_rejected

QUARANTINE_COLUMNS = ("raw_payload", FAILED_RULES, *SOURCE_COLUMNS[1:])


def to_quarantine(parsed: DataFrame, rules: Rules, identifiers: Sequence[str] = ()) -> DataFrame:
    """Rows failing any rule, with the names of all the rules they failed and where they came from."""
    return quarantine_shape(keep_rejected(parsed, rules), identifiers)


def quarantine_shape(rejected: DataFrame, identifiers: Sequence[str] = ()) -> DataFrame:
    """The quarantine's columns, in order, from rows that carry ``failed_rules`` and their source."""
    columns = ("raw_payload", FAILED_RULES, *identifiers, *SOURCE_COLUMNS[1:])
    return rejected.select(*[F.col(c) for c in columns])
