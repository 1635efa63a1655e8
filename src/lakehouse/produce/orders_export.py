"""Replay of the shop's CSV export as order-line events.

A row that breaks the contract is still emitted (a bad number stays a raw string): deciding what to
quarantine is the pipeline's job, and a producer that silently drops rows would hide exactly the
data the quarantine must show. Malformed files fail with the file and line named, never a stack trace.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lakehouse.errors import UserError
from lakehouse.produce.order_contract import (
    BUSINESS_DAY_MS,
    CSV_HEADER,
    LINE_GAP_MS,
    build_event,
    business_day_start_ms,
    event_ids,
    parse_export_date,
    to_ms,
)

_INT_RE = re.compile(r"[+-]?\d+")


_FLOAT_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def events_from_csv(path: Path, *, seed: int = 0, start: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Events for the rows of the shop's export, in the file's order.

    The file and its header are checked now, not at the first ``next()``, so that a wrong path fails
    where it is passed rather than deep inside whatever consumes the iterator.

    ``event_time`` is derived from the row's ``Date``: each transaction of a day gets a time in
    business hours, increasing with the transaction number (the shop numbers them in sequence), and
    its lines follow a quarter of a second apart. Give ``start`` to replay on another clock instead:
    the first event at ``start``, the next ones a few seconds apart, in file order.
    """
    path = Path(path)
    columns = _header_columns(path)
    if start is None:
        return _replay_on_export_dates(path, columns, seed)
    return _replay_on_clock(path, columns, seed, start)


def _header_columns(path: Path) -> list[int]:
    """Position of each contract column in the file; raises a one-line error for a file we cannot use."""
    if not path.is_file():
        raise FileNotFoundError(f"orders export not found: {path}")
    expected = ",".join(CSV_HEADER)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            header = next(csv.reader(handle), None)
        except (csv.Error, UnicodeDecodeError) as error:
            raise UserError(f"{path}: unreadable CSV header ({error}); expected {expected!r}") from None
    if header is None:
        raise UserError(f"{path}: empty file; expected the header {expected!r}")
    names = [name.strip() for name in header]
    if sorted(names) != sorted(CSV_HEADER):
        raise UserError(f"{path}: unexpected CSV header {','.join(names)!r}; expected {expected!r}")
    return [names.index(name) for name in CSV_HEADER]


def _raw_rows(path: Path, columns: list[int]) -> Iterator[dict[str, str | None]]:
    """The data rows as ``{column: text}``; a short row gets None for the cells it lacks.

    A broken file structure (undecodable bytes, a runaway quote) is not a bad row but a bad file, so
    it becomes a ``ValueError`` naming the line instead of a stack trace from the csv module.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            next(reader)  # the header, already checked
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue  # blank line
                cells = zip(CSV_HEADER, columns, strict=True)
                yield {name: row[i] if i < len(row) else None for name, i in cells}
        except (csv.Error, UnicodeDecodeError) as error:
            raise UserError(f"{path}: line {reader.line_num}: {error}") from None


def _number(text: str | None) -> float | str | None:
    """A float when the cell is a plain decimal number, else the raw text for the quarantine to show."""
    if text is not None and _FLOAT_RE.fullmatch(text.strip()):
        return float(text.strip())
    return text


def _integer(text: str | None) -> int | str | None:
    """An int when the cell is a plain integer, else the raw text (``1.5`` is not a quantity)."""
    if text is not None and _INT_RE.fullmatch(text.strip()):
        return int(text.strip())
    return text


def _contract_fields(raw: dict[str, str | None]) -> dict[str, Any]:
    """Typed contract fields from one CSV row; never raises, whatever the row holds."""
    customer = raw["CustomerNo"]
    return {
        **raw,
        "Price": _number(raw["Price"]),
        "Quantity": _integer(raw["Quantity"]),
        "CustomerNo": customer.strip() if customer and customer.strip() else None,
    }


def _transaction_order(number: str) -> tuple[int, str]:
    digits = re.sub(r"\D", "", number)
    return (int(digits) if digits else -1, number)


def _transaction_times(path: Path, columns: list[int], seed: int) -> dict[tuple[date, str], int]:
    """Start time (epoch ms) of every (day, transaction), increasing with the transaction number.

    A first pass over the file is needed because the export is newest-first and a transaction's
    lines are not always contiguous; only the (day, number) pairs are kept, so memory stays small.
    """
    by_day: dict[date, set[str]] = {}
    for raw in _raw_rows(path, columns):
        day = parse_export_date(raw["Date"])
        if day is not None:
            by_day.setdefault(day, set()).add(raw["TransactionNo"] or "")
    times: dict[tuple[date, str], int] = {}
    for day, numbers in by_day.items():
        rng = random.Random(f"{seed}:{day.isoformat()}")
        offsets = sorted(rng.randrange(BUSINESS_DAY_MS) for _ in numbers)
        day_start = business_day_start_ms(day)
        for number, offset in zip(sorted(numbers, key=_transaction_order), offsets, strict=True):
            times[(day, number)] = day_start + offset
    return times


def _replay_on_export_dates(path: Path, columns: list[int], seed: int) -> Iterator[dict[str, Any]]:
    times = _transaction_times(path, columns, seed)
    ids = event_ids(seed)
    lines_seen: dict[tuple[date, str], int] = {}
    # A row whose Date is unusable still needs an emission time: take the previous event's, which is
    # when the application would have sent it; before any, the file's earliest day.
    previous_ms = min(times.values(), default=0)
    for raw in _raw_rows(path, columns):
        day = parse_export_date(raw["Date"])
        if day is not None:
            key = (day, raw["TransactionNo"] or "")
            line = lines_seen.get(key, 0)
            lines_seen[key] = line + 1
            # A row appended to the file after the first pass has no slot: it keeps the previous time.
            previous_ms = times[key] + line * LINE_GAP_MS if key in times else previous_ms
        yield build_event(next(ids), previous_ms, _contract_fields(raw))


def _replay_on_clock(path: Path, columns: list[int], seed: int, start: datetime) -> Iterator[dict[str, Any]]:
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start
    rng = random.Random(f"{seed}:clock")
    ids = event_ids(seed)
    now_ms = to_ms(start)
    previous_transaction: str | None = None
    for index, raw in enumerate(_raw_rows(path, columns)):
        if index:
            same = raw["TransactionNo"] == previous_transaction
            now_ms += LINE_GAP_MS if same else rng.randint(2_000, 30_000)
        previous_transaction = raw["TransactionNo"]
        yield build_event(next(ids), now_ms, _contract_fields(raw))
