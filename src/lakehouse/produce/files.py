"""Landing files as every producer writes them: JSON lines, CSV and JSON arrays, always atomically.

A streaming file source lists a folder and reads each new file once. A file it lists while a writer
is still filling it is read half-written and never again, so every writer here writes to a hidden
temporary name first (Spark's file sources skip names starting with ``.`` or ``_``) and renames it
into place: readers see a file whole or not at all. External writers must follow the same contract.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from lakehouse.errors import UserError


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a hidden temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        temporary.write_text(text, encoding="utf-8", newline="")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _json_line(item: dict[str, Any] | str) -> str:
    """One line of JSON; a ``str`` passes through untouched so fixtures can hold malformed lines."""
    if isinstance(item, str):
        text = item.removesuffix("\n")
        if "\n" in text or "\r" in text:
            raise UserError(f"a raw line must be a single line, got {text[:60]!r}")
        return text + "\n"
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


def _next_index(out_dir: Path, prefix: str) -> int:
    pattern = re.compile(rf"{re.escape(prefix)}-(\d+)\.jsonl")
    found = [int(m.group(1)) for p in out_dir.iterdir() if (m := pattern.fullmatch(p.name))]
    return max(found, default=0) + 1


def _publish(out_dir: Path, prefix: str, index: int, text: str) -> tuple[Path, int]:
    """Write ``text`` as the next free ``<prefix>-NNNNNN.jsonl`` and return it with its index.

    The content goes to a hidden temporary file first (Spark's file sources skip names starting with
    a dot) and is then hard-linked under its final name: a streaming reader never sees a half-written
    file, and the link fails rather than replace a file another writer published meanwhile.
    """
    temporary = out_dir / f".{prefix}-{uuid.uuid4().hex}.jsonl.tmp"
    temporary.write_text(text, encoding="utf-8", newline="\n")
    try:
        while True:
            final = out_dir / f"{prefix}-{index:06d}.jsonl"
            try:
                os.link(temporary, final)
                return final, index
            except FileExistsError:
                index += 1
            except OSError:  # no hard links on this file system (some FUSE mounts): check, then rename
                if final.exists():
                    index += 1
                    continue
                os.replace(temporary, final)
                return final, index
    finally:
        temporary.unlink(missing_ok=True)


def write_jsonl(
    events: Iterable[dict[str, Any] | str], out_dir: Path, *, per_file: int = 500, prefix: str = "orders"
) -> list[Path]:
    """Write events as UTF-8 JSON lines, at most ``per_file`` per file; return the new files in order.

    Files are named ``<prefix>-000001.jsonl``, ``-000002`` ... continuing after the highest number
    already in ``out_dir``: names sort in write order, and a second call only adds files, which is
    what a streaming source that picks up new files expects. Nothing is written for no events.
    """
    if per_file < 1:
        raise UserError(f"per_file must be at least 1, got {per_file}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", prefix):
        raise UserError(f"prefix must start with a letter or digit (no '.', '_' or '/'), got {prefix!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    index = _next_index(out_dir, prefix)
    written: list[Path] = []
    iterator = iter(events)
    while chunk := list(islice(iterator, per_file)):
        path, index = _publish(out_dir, prefix, index, "".join(_json_line(item) for item in chunk))
        written.append(path)
        index += 1
    return written


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(rows: Iterable[Mapping[str, object]], path: Path, *, columns: Sequence[str]) -> Path:
    """Write ``rows`` as UTF-8 CSV with a header line; None becomes an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_csv_text(row.get(column)) for column in columns] for row in rows)
    return write_atomically(path, buffer.getvalue())


def write_json_array(events: Iterable[object], path: Path) -> Path:
    """Write ``events`` as one pretty-printed UTF-8 JSON array, as the chatbot exports its files."""
    text = json.dumps(list(events), ensure_ascii=False, indent=2, allow_nan=False)
    return write_atomically(path, text + "\n")
