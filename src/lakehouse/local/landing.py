"""What sits in a pipeline's landing folders, read from the file system before Spark starts.

The freshness check (:mod:`lakehouse.local.freshness`) reads this inventory to tell whether a run
has anything new to read; empty files count, as bronze records them (:mod:`lakehouse.empty_files`).

A writer's files in progress (:mod:`lakehouse.landing_contract`) are skipped, as Spark's file
sources skip them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from lakehouse import settings as common
from lakehouse.landing_contract import in_progress

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
                hidden = any(in_progress(part) for part in path.relative_to(folder).parts)
                if path.is_file() and not hidden:
                    yield path
