"""What sits in a pipeline's landing folders, read from the file system before Spark starts.

Spark's file sources never read a 0-byte file: ``FileSourceScanExec`` drops every file of length 0
before any reader sees it, whatever the format, so an empty export cannot become a bronze row (the
same holds for Auto Loader on Databricks). It would leave no trace at all; the local runner reports
each empty file the first time it finds it instead (:func:`empty_files`).

Names starting with ``.`` or ``_`` are a writer's files in progress (the landing contract): Spark's
file sources skip them, and so does this inventory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from lakehouse import settings as common

FILE_SOURCES = ("files", "eventhubs_capture")


def entity_folders(configuration: Mapping[str, str]) -> list[Path]:
    """The landing folder of each entity of a pipeline reading files; none for other sources."""
    if configuration.get("lakehouse.source", "files") not in FILE_SOURCES:
        return []
    landing = Path(configuration["lakehouse.landing_path"])
    return [landing / entity for entity in common.as_list(configuration.get("lakehouse.entities") or "")]


def landed_files(configuration: Mapping[str, str]) -> Iterator[Path]:
    """Every file a file source would read, in every entity folder (sub-folders included)."""
    for folder in entity_folders(configuration):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                hidden = any(part.startswith((".", "_")) for part in path.relative_to(folder).parts)
                if path.is_file() and not hidden:
                    yield path


def empty_files(configuration: Mapping[str, str]) -> list[str]:
    """Paths of the landed files that hold no byte at all."""
    return [str(path) for path in landed_files(configuration) if path.stat().st_size == 0]
