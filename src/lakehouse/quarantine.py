"""The quarantine table's shape, shared by every pipeline: raw payload, failed rules, source."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.quality import FAILED_RULES, Rules, keep_rejected

QUARANTINE_COLUMNS = ("raw_payload", FAILED_RULES, "topic", "partition", "offset", "file_path", "ingested_at")


def to_quarantine(parsed: DataFrame, rules: Rules) -> DataFrame:
    """Rows failing any rule, with the names of all the rules they failed and where they came from."""
    return keep_rejected(parsed, rules).select(*[F.col(c) for c in QUARANTINE_COLUMNS])
