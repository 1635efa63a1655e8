"""Runs a stream the way a triggered pipeline update does: everything available, then stop."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame


def write_available(stream: DataFrame, path: Path, checkpoint: Path) -> None:
    """Append what ``stream`` has not yet read to the parquet folder ``path``; the checkpoint
    remembers where it stopped, so a second call reads only what arrived since."""
    query = (
        stream.writeStream.format("parquet")
        .option("path", str(path))
        .option("checkpointLocation", str(checkpoint))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
