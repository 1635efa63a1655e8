"""A plain-Python model of AUTO CDC's SCD type 1 and type 2 semantics, the oracle for the Spark code.

It replays each key's changes one at a time, in sequence order, the way the documentation describes
AUTO CDC applying them - nothing in it resembles the window-function implementation it checks
(:mod:`lakehouse.cdc_local`). Choices it shares with that implementation, stated once:

* exact duplicates (same content) count once; delete tombstones are kept for ever, so a late change
  older than a delete never resurrects the row;
* two different changes of one key at the same sequence are not modelled (Debezium's ``lsn`` is
  unique per change of a row, and AUTO CDC does not define that case); the generators never make
  them. Only a delete versus an upsert is ordered here, delete last, as the implementation does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

Row = dict[str, Any]

START_AT = "__START_AT"
END_AT = "__END_AT"


def _json(row: Mapping[str, Any], columns: Sequence[str]) -> str:
    return json.dumps({c: row[c] for c in columns}, separators=(",", ":"), default=str)


def _sorted_by_key(
    changes: Iterable[Row], keys: Sequence[str], sequence_by: str, is_delete: Callable[[Row], bool]
) -> dict[tuple[Any, ...], list[Row]]:
    unique: dict[str, Row] = {}
    for change in changes:
        unique.setdefault(json.dumps(change, sort_keys=True, default=str), change)
    grouped: dict[tuple[Any, ...], list[Row]] = {}
    for change in unique.values():
        grouped.setdefault(tuple(change[k] for k in keys), []).append(change)
    columns = sorted({c for change in unique.values() for c in change})
    for rows in grouped.values():
        rows.sort(key=lambda r: (r[sequence_by], is_delete(r), _json(r, columns)))
    return grouped


def scd1(
    changes: Iterable[Row],
    keys: Sequence[str],
    sequence_by: str,
    is_delete: Callable[[Row], bool],
    column_list: Sequence[str],
) -> list[Row]:
    target: dict[tuple[Any, ...], Row] = {}
    for key, rows in _sorted_by_key(changes, keys, sequence_by, is_delete).items():
        for change in rows:
            if is_delete(change):
                target.pop(key, None)
            else:
                target[key] = {c: change[c] for c in column_list}
    return list(target.values())


def scd2(
    changes: Iterable[Row],
    keys: Sequence[str],
    sequence_by: str,
    is_delete: Callable[[Row], bool],
    column_list: Sequence[str],
    track_history_except: Sequence[str] = (),
) -> list[Row]:
    history: list[Row] = []
    for rows in _sorted_by_key(changes, keys, sequence_by, is_delete).values():
        current: Row | None = None
        for change in rows:
            seq = change[sequence_by]
            if is_delete(change):
                if current is not None:
                    current[END_AT] = seq
                    current = None
                continue
            values = {c: change[c] for c in column_list}
            tracked = [c for c in values if c not in keys and c not in track_history_except]
            if current is not None and all(current[c] == values[c] for c in tracked):
                current.update(values)  # untracked columns only: the open version changes in place
                continue
            if current is not None:
                current[END_AT] = seq
            current = {**values, START_AT: seq, END_AT: None}
            history.append(current)
    return history
