"""A stream of the 0-byte files of a landing folder, so an empty export still leaves a bronze row.

Spark's file sources never read a file of length 0 (``FileSourceScanExec`` drops it before any
reader sees it, whatever the format), so a landed empty file would leave no trace at all. This
Python streaming data source (``pyspark.sql.datasource``, Spark 4 and Databricks Runtime 15.3+)
lists the folder itself and yields one row per empty file the first time it sees it; bronze unions
it with the file stream (:func:`lakehouse.sources.read_bronze`), where it becomes a record with an
empty payload that silver quarantines as ``payload_not_empty``.

It runs on the driver (a simple stream reader) and reads the folder with the Python file system, so
it needs a path the driver can list: a local folder, or a Unity Catalog volume (``/Volumes/...``,
mounted on Databricks drivers). :func:`listable` tells; for a cloud URI bronze keeps the file
stream alone. A writer's files in progress (:mod:`lakehouse.landing_contract`) are skipped, as
Spark's file sources skip them.

The offset is the sorted list of empty files seen so far: a restart after a crash re-reads exactly
the files between two checkpointed offsets, never one twice. Empty files are rare, so the list stays
short.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyspark import cloudpickle
from pyspark.sql.datasource import DataSource, SimpleDataSourceStreamReader
from pyspark.sql.types import StructType

# A tuple, so pickled by value with this module's functions (the worker needs no other module).
from lakehouse.landing_contract import IN_PROGRESS_PREFIXES

NAME = "lakehouse_empty_files"
SCHEMA = "file_path STRING, file_modification_time TIMESTAMP"

# The source's classes travel to the Python worker by value: on Databricks the worker may not have
# this package on its path.
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # type: ignore[no-untyped-call]


def listable(folder: str) -> bool:
    """Whether the driver can list ``folder`` with the Python file system: a path or a ``file:`` URI."""
    scheme, _, rest = folder.partition(":")
    return not rest or scheme == "file" or "/" in scheme


def _local(folder: str) -> Path:
    return Path(folder.removeprefix("file:")) if folder.startswith("file:") else Path(folder)


def empty_files(folder: str) -> list[str]:
    """Every 0-byte file under ``folder`` (sub-folders included) but a writer's files in progress."""
    root = _local(folder)
    found = []
    for directory, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(IN_PROGRESS_PREFIXES)]
        for name in files:
            path = Path(directory) / name
            if not name.startswith(IN_PROGRESS_PREFIXES) and path.stat().st_size == 0:
                found.append(str(path))
    return sorted(found)


def _rows(paths: list[str]) -> Iterator[tuple[str, datetime]]:
    """``(file_path, file_modification_time)`` as Spark's file metadata gives them (``file:/...``, ms).

    A list, not a generator: the simple reader's rows are pickled back to the driver."""
    rows = []
    for path in paths:
        try:
            modified = os.stat(path).st_mtime
        except FileNotFoundError:  # removed since it was seen: nothing left to record
            continue
        milliseconds = int(modified * 1000) / 1000  # the precision of Spark's file metadata
        rows.append((f"file:{Path(path).absolute()}", datetime.fromtimestamp(milliseconds, UTC)))
    return iter(rows)


class EmptyFilesReader(SimpleDataSourceStreamReader):
    def __init__(self, folder: str) -> None:
        self.folder = folder

    def initialOffset(self) -> dict[str, Any]:
        return {"files": []}

    def read(self, start: dict[str, Any]) -> tuple[Iterator[tuple[Any, ...]], dict[str, Any]]:
        seen = set(start["files"])
        new = [path for path in empty_files(self.folder) if path not in seen]
        return _rows(new), {"files": sorted(seen.union(new))}

    def readBetweenOffsets(self, start: dict[str, Any], end: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
        return _rows(sorted(set(end["files"]) - set(start["files"])))


class EmptyFiles(DataSource):
    """``spark.readStream.format("lakehouse_empty_files").load(folder)``."""

    @classmethod
    def name(cls) -> str:
        return NAME

    def schema(self) -> str:
        return SCHEMA

    def simpleStreamReader(self, schema: StructType) -> SimpleDataSourceStreamReader:
        return EmptyFilesReader(self.options["path"])
