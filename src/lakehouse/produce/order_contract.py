"""The order-line event contract both order producers emit (``docs/orders-event.schema.json``).

An event is the shop export's row verbatim plus an envelope (``event_id``, ``event_time``). Ids come
from a seeded RNG and times are integer milliseconds, so fixtures regenerate byte for byte.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

# The export's columns, which are also the event's business fields, verbatim.
CSV_HEADER = (
    "TransactionNo",
    "Date",
    "ProductNo",
    "ProductName",
    "Price",
    "Quantity",
    "CustomerNo",
    "Country",
)


# Added by the emitting application: identity for de-duplication, and when it was emitted.
ENVELOPE = ("event_id", "event_time")


# Orders are spread over the shop's business hours so that a day looks like a day, not a uniform smear.
_BUSINESS_DAY_START = time(8, 0)


BUSINESS_DAY_MS = 12 * 3600 * 1000


# Lines of one order leave the application a quarter of a second apart: same minute, distinct instants.
LINE_GAP_MS = 250


def format_event_time(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a ``Z`` (``2019-12-09T10:15:00.123Z``), as the contract says.

    A naive datetime is taken as UTC: the envelope has no other zone, so guessing local time would
    silently shift every event.
    """
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def format_export_date(day: date) -> str:
    """The export's ``M/d/yyyy`` (``12/9/2019``): no zero padding, as the shop's system writes it."""
    return f"{day.month}/{day.day}/{day.year}"


_DATE_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_export_date(text: str | None) -> date | None:
    """The calendar day of an export date, or None when it is not a real ``M/d/yyyy`` date."""
    match = _DATE_RE.fullmatch(text.strip()) if text else None
    if match is None:
        return None
    month, day, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds, in integers (no float ``timestamp()``) so that milliseconds stay exact."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def business_day_start_ms(day: date) -> int:
    return to_ms(datetime.combine(day, _BUSINESS_DAY_START, tzinfo=UTC))


def event_ids(seed: int | str) -> Iterator[str]:
    """UUID4-shaped ids from a seeded RNG: unique in practice, yet identical on every regeneration."""
    rng = random.Random(f"event-ids:{seed}")
    while True:
        yield str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_event(event_id: str, event_ms: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Envelope first, then the business fields in the export's column order."""
    return {
        "event_id": event_id,
        "event_time": format_event_time(from_ms(event_ms)),
        **{name: fields.get(name) for name in CSV_HEADER},
    }
