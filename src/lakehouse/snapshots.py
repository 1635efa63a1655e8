"""Full-snapshot exports landed as files: which file is the current one, and the order they apply in.

Each landed file of a table is a complete snapshot of it: the newest file replaces everything
before. Files are ordered by ``(file_modification_time, file_path)``; a snapshot's version is its
modification time in epoch milliseconds (of two files landed in the same millisecond, the one with
the greater path is the snapshot of that version and the other never applies).

Two readers of one bronze table (one row per landed file) serve the two engines
(:func:`lakehouse.compat.auto_cdc_from_snapshot`): :meth:`FileSnapshots.next_after` is the source
function of Databricks' ``create_auto_cdc_from_snapshot_flow`` (every snapshot, in order), and
:meth:`FileSnapshots.latest` is the local result (the newest snapshot's rows, which is what
applying them all in order as SCD type 1 leaves). ``tests/unit/test_snapshots.py`` checks the two
agree against a plain-Python model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

Rows = Callable[[DataFrame], DataFrame]


def snapshot_version() -> Column:
    return F.unix_millis(F.col("file_modification_time"))


@dataclass(frozen=True)
class FileSnapshots:
    """The files of ``table`` (bronze, one row per file) as snapshots; ``to_rows`` turns files into rows."""

    spark: SparkSession
    table: str
    to_rows: Rows

    def files(self) -> DataFrame:
        return self.spark.read.table(self.table)

    def latest(self) -> DataFrame:
        """The rows of the newest file only (lazy: fit for a pipeline query function)."""
        files = self.files()
        newest = files.select("file_path", snapshot_version().alias("version")).orderBy(
            F.col("version").desc(), F.col("file_path").desc()
        )
        return self.to_rows(files.join(newest.limit(1).select("file_path"), "file_path", "left_semi"))

    def next_after(self, latest_version: int | None) -> tuple[DataFrame, int] | None:
        """The first snapshot after ``latest_version`` (None: the first of all), or None when caught up."""
        files = self.files()
        candidates = files.select("file_path", snapshot_version().alias("version"))
        if latest_version is not None:
            candidates = candidates.where(F.col("version") > F.lit(latest_version))
        first = candidates.orderBy(F.col("version").asc(), F.col("file_path").desc()).first()
        if first is None:
            return None
        version, path = int(first["version"]), str(first["file_path"])
        return self.to_rows(files.where(F.col("file_path") == F.lit(path))), version
