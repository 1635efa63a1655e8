"""The landing contract: how a writer marks a file it has not finished, so no reader takes it half-written.

A writer writes under a name starting with ``.`` or ``_`` and renames the file into place when it is
complete (a rename within a folder is atomic). Spark's file sources and Auto Loader skip such names,
and so must everything of ours that lists a landing folder: the 0-byte-file stream
(:mod:`lakehouse.empty_files`) and the local engine's inventory (:mod:`lakehouse.local.landing`).
The project's own writers (``lakehouse produce``, ``lakehouse fetch``) follow it too.
"""

from __future__ import annotations

IN_PROGRESS_PREFIXES = (".", "_")


def in_progress(name: str) -> bool:
    """Whether a file or folder name is a writer's work in progress, which readers skip."""
    return name.startswith(IN_PROGRESS_PREFIXES)
