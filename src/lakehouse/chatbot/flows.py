"""The configured flow views (``FLOW=key,key;FLOW=key``), parsed and checked before Spark runs."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lakehouse.errors import SettingsError

# Columns every flow view has; an answer key may not take their names.
VIEW_FIXED_COLUMNS = ("customer", "session", "first_answer_dt", "last_answer_dt")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_flow_views(text: str) -> dict[str, list[str]]:
    """``"F1000=name,cpf;F2000=nota"`` -> ``{"F1000": ["name", "cpf"], "F2000": ["nota"]}``."""
    views: dict[str, list[str]] = {}
    for entry in (part.strip() for part in text.split(";")):
        if not entry:
            continue
        flow, separator, listed = (piece.strip() for piece in entry.partition("="))
        keys = [key.strip() for key in listed.split(",") if key.strip()]
        if not separator or not flow or not keys:
            raise SettingsError(f"flow views look like 'FLOW=key1,key2', got {entry!r}")
        if flow in views:
            raise SettingsError(f"flow {flow!r} is listed twice in {text!r}")
        check_view_keys(flow, keys)
        views[flow] = keys
    return views


def check_view_keys(flow: str, keys: Sequence[str]) -> None:
    """Keys become column names: plain identifiers, unique, not clashing with the fixed columns."""
    if not keys:
        raise SettingsError(f"flow {flow!r} needs at least one answer key")
    invalid = [key for key in keys if not _IDENTIFIER.match(key)]
    if invalid:
        raise SettingsError(f"answer keys of flow {flow!r} must be identifiers: {invalid}")
    clashing = [key for key in keys if key in VIEW_FIXED_COLUMNS]
    if clashing:
        raise SettingsError(f"answer keys of flow {flow!r} clash with fixed columns: {clashing}")
    if len(set(keys)) != len(keys):
        raise SettingsError(f"answer keys of flow {flow!r} are repeated: {list(keys)}")
