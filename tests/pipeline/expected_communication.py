"""Gold figures for the communication fixtures, computed in plain Python - independently of Spark.

The rules of the notifications, billing and chatbot contracts are written again here from their
documentation (``fixtures/communication.md`` and the module docstrings), without importing the
``lakehouse`` transforms. Times are compared as UTC text (``yyyy-MM-dd HH:mm:ss.ffffff``), money as
``Decimal`` text with the table's scale, so that a different scale or rounding shows up.
"""

from __future__ import annotations

import calendar
import csv
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from tests.file_shapes import json_records, payload_failure

CENT = Decimal("0.01")
PRICE_QUANTUM = Decimal("0.0001")

_ISO_INSTANT = re.compile(
    r"(?P<local>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,6}))?(?P<offset>Z|[+-]\d{2}:\d{2})"
)


def parse_instant(text: object) -> datetime | None:
    """An ISO-8601 time with a mandatory offset -> an aware UTC datetime; None when malformed."""
    if not isinstance(text, str):
        return None
    found = _ISO_INSTANT.fullmatch(text)
    if found is None:
        return None
    fraction = (found["fraction"] or "").ljust(6, "0")
    offset = "+00:00" if found["offset"] == "Z" else found["offset"]
    try:
        return datetime.fromisoformat(f"{found['local']}.{fraction}{offset}").astimezone(UTC)
    except ValueError:
        return None


def utc_text(moment: datetime) -> str:
    """What ``date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSSSSS')`` shows in a UTC session."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _blank(text: str | None) -> bool:
    """SQL ``trim(x) <> ''`` fails: NULL, empty, or only spaces."""
    return text is None or text.strip(" ") == ""


def _string_field(event: dict[str, Any], name: str) -> str | None:
    """A JSON field read as a string column: text as is, other values as their JSON text."""
    value = event.get(name)
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def read_records(folder: Path, pattern: str, split: Callable[[str], list[str]] = json_records) -> list[str]:
    """Every record of every file, in file order, as bronze cuts them (:mod:`tests.file_shapes`)."""
    return [record for path in sorted(folder.glob(pattern)) for record in split(path.read_text(encoding="utf-8"))]


# --------------------------------------------------------------------------------------------------
# notifications
# --------------------------------------------------------------------------------------------------

CHANNELS = ("whatsapp", "sms", "email")
TARIFF = {"whatsapp": Decimal("0.04")}
PANEL_WATERMARK = timedelta(minutes=2)


@dataclass(frozen=True)
class Notification:
    customer_id: str
    message_id: str
    customer_name: str | None
    channel: str
    payload: str | None
    event_datetime: datetime


def notification_failures(line: str, channels: tuple[str, ...] = CHANNELS) -> tuple[list[str], Notification | None]:
    """The rules a line fails (in the contract's order) and, when it fails none, the notification."""
    unreadable, event = payload_failure(line)
    if unreadable:
        return [unreadable], None
    message_id = _string_field(event, "message_id")
    customer_id = _string_field(event, "customer_id")
    raw_channel = _string_field(event, "channel")
    channel = raw_channel.strip(" ").lower() if raw_channel is not None else None
    moment = parse_instant(event.get("event_datetime"))
    failed = [
        name
        for name, ok in (
            ("message_id_present", not _blank(message_id)),
            ("customer_id_present", not _blank(customer_id)),
            ("event_datetime_parsable", moment is not None),
            ("known_channel", channel in channels),
        )
        if not ok
    ]
    if failed:
        return failed, None
    assert message_id is not None and customer_id is not None and channel is not None and moment is not None
    notification = Notification(
        customer_id=customer_id,
        message_id=message_id,
        customer_name=_string_field(event, "customer_name"),
        channel=channel,
        payload=_string_field(event, "payload"),
        event_datetime=moment,
    )
    return [], notification


@dataclass(frozen=True)
class NotificationsExpectation:
    silver: list[Notification]
    quarantine: list[tuple[str, tuple[str, ...]]]
    duplicates: int


def notifications(lines: list[str]) -> NotificationsExpectation:
    """Valid notifications, de-duplicated by message_id (first copy wins), and the rejected lines."""
    first_seen: dict[str, Notification] = {}
    quarantine: list[tuple[str, tuple[str, ...]]] = []
    duplicates = 0
    for line in lines:
        failed, notification = notification_failures(line)
        if notification is None:
            quarantine.append((line, tuple(failed)))
            continue
        kept = first_seen.get(notification.message_id)
        if kept is None:
            first_seen[notification.message_id] = notification
            continue
        # Silver remembers a message_id for the dedup window after its arrival: every copy of the
        # fixtures lands in the same run as its original, so each one is recognised.
        duplicates += 1
    return NotificationsExpectation(list(first_seen.values()), quarantine, duplicates)


def _latest_name(group: list[Notification]) -> str | None:
    """The name on the latest event (ties: the larger name)."""
    latest = max(group, key=lambda n: (n.event_datetime, n.customer_name is not None, n.customer_name or ""))
    return latest.customer_name


def daily_billing(
    silver: list[Notification], tariff: dict[str, Decimal] = TARIFF
) -> dict[tuple[str, str, str], dict[str, object]]:
    """(customer, channel, UTC day) -> name, notifications, unit price and amount as text (NULL: None)."""
    groups: dict[tuple[str, str, str], list[Notification]] = defaultdict(list)
    for n in silver:
        groups[(n.customer_id, n.channel, n.event_datetime.astimezone(UTC).date().isoformat())].append(n)
    result: dict[tuple[str, str, str], dict[str, object]] = {}
    for key, group in groups.items():
        price = tariff.get(key[1])
        amount = None if price is None else (len(group) * price).quantize(CENT, rounding=ROUND_HALF_UP)
        result[key] = {
            "customer_name": _latest_name(group),
            "notifications": len(group),
            "unit_price": None if price is None else str(price.quantize(PRICE_QUANTUM)),
            "amount": None if amount is None else str(amount),
        }
    return result


def minute_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def per_minute(silver: list[Notification]) -> dict[tuple[str, str, str], dict[str, object]]:
    """(customer, channel, window start) -> name, window end and count, over every one-minute window."""
    groups: dict[tuple[str, str, datetime], list[Notification]] = defaultdict(list)
    for n in silver:
        groups[(n.customer_id, n.channel, minute_of(n.event_datetime))].append(n)
    return {
        (customer, channel, utc_text(start)): {
            "customer_name": _latest_name(group),
            "window_end": utc_text(start + timedelta(minutes=1)),
            "notifications": len(group),
        }
        for (customer, channel, start), group in groups.items()
    }


def panel_watermark(silver: list[Notification], delay: timedelta = PANEL_WATERMARK) -> datetime:
    """Spark's event-time watermark after the run: the latest event time (in ms) minus the delay."""
    latest = max(n.event_datetime for n in silver)
    return latest.replace(microsecond=latest.microsecond // 1000 * 1000) - delay


# --------------------------------------------------------------------------------------------------
# billing
# --------------------------------------------------------------------------------------------------

INVOICE_HEADER = "customer,account,month,invoice"
REFERENCE_DATE = date(2020, 1, 1)
AVERAGE_WINDOWS = (3, 6)
_MONTH = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_EXPONENT = re.compile(r"[eE]([+-]?[0-9]+)$")


@dataclass(frozen=True)
class Invoice:
    customer: str
    account: str
    month: date
    invoice: Decimal


def is_invoice_header(line: str) -> bool:
    return line.replace("\ufeff", "").strip(" ") == INVOICE_HEADER


def _field(fields: list[str], index: int) -> str | None:
    if index >= len(fields):
        return None
    return fields[index].strip(" ") or None


MONEY_LIMIT = Decimal(10) ** 16  # exclusive bound of decimal(18,2)


def parse_amount(text: str | None) -> tuple[Decimal | None, list[str]]:
    """The invoice amount and the value rule it fails, if any: exact, never rounded.

    Written again from the contract: a plain decimal (sign, exponent allowed) with at most two
    decimals and below 10^16 in magnitude; the parser's work bounds (1,000 characters, exponent
    within +-400) count as out of range.
    """
    if text is None:
        return None, ["invoice_present"]
    if not _NUMBER.fullmatch(text):
        return None, ["invoice_not_a_number"]
    value = Decimal(text)
    found = _EXPONENT.search(text)
    exponent = int(found.group(1)) if found else 0
    places = max(0, -int(value.normalize().as_tuple().exponent)) if value != 0 else 0
    if places > 2:
        return None, ["invoice_has_at_most_two_decimals"]
    if len(text) > 1000 or abs(exponent) > 400 or abs(value) >= MONEY_LIMIT:
        return None, ["invoice_in_range"]
    return value.quantize(CENT), []


def invoice_failures(line: str) -> tuple[list[str], Invoice | None]:
    """The rules a CSV line fails (in the contract's order) and, when it fails none, the invoice."""
    if payload_failure(line)[0] == "payload_not_empty":
        return ["payload_not_empty"], None
    fields = next(csv.reader([line]), [])
    customer, account, month_text, amount_text = (_field(fields, i) for i in range(4))
    month = None
    if month_text is not None and _MONTH.fullmatch(month_text):
        try:
            month = date.fromisoformat(month_text)
        except ValueError:
            month = None
    amount, amount_failures = parse_amount(amount_text)
    failed = [
        name
        for name, ok in (
            ("four_fields", len(fields) == 4),
            ("customer_present", customer is not None),
            ("account_present", account is not None),
            ("month_parsable", month is not None),
            ("month_is_first_day", month is None or month.day == 1),
        )
        if not ok
    ]
    failed += amount_failures
    if amount is not None and amount < 0:
        failed.append("invoice_not_negative")
    if failed:
        return failed, None
    assert customer is not None and account is not None and month is not None and amount is not None
    return [], Invoice(customer, account, month, amount)


@dataclass(frozen=True)
class InvoicesExpectation:
    records: int
    silver: list[Invoice]
    quarantine: list[tuple[str, tuple[str, ...]]]


def invoices(lines: list[str]) -> InvoicesExpectation:
    records = [line for line in lines if not is_invoice_header(line)]
    silver: list[Invoice] = []
    quarantine: list[tuple[str, tuple[str, ...]]] = []
    for line in records:
        failed, invoice = invoice_failures(line)
        if invoice is None:
            quarantine.append((line, tuple(failed)))
        else:
            silver.append(invoice)
    return InvoicesExpectation(len(records), silver, quarantine)


def months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def invoice_averages(
    silver: list[Invoice], reference: date = REFERENCE_DATE
) -> dict[tuple[str, str], dict[str, str | None]]:
    """(customer, account) -> ``avg_invoice_<n>m`` as text (None: NULL) for accounts with history."""
    latest: dict[tuple[str, str, date], Decimal] = {}
    for inv in silver:  # one invoice per month; a month sent twice in one run keeps the larger one
        key = (inv.customer, inv.account, inv.month)
        latest[key] = max(latest.get(key, inv.invoice), inv.invoice)
    history: dict[tuple[str, str], dict[date, Decimal]] = defaultdict(dict)
    for (customer, account, month), amount in latest.items():
        if month < reference:
            history[(customer, account)][month] = amount
    result: dict[tuple[str, str], dict[str, str | None]] = {}
    for account, months in history.items():
        row: dict[str, str | None] = {}
        for n in AVERAGE_WINDOWS:
            start = months_back(reference, n)
            held = [amount for month, amount in months.items() if start <= month < reference]
            mean = (sum(held, Decimal("0")) / len(held)).quantize(CENT, rounding=ROUND_HALF_UP) if held else None
            row[f"avg_invoice_{n}m"] = str(mean) if mean is not None and len(held) >= n else None
        result[account] = row
    return result


# --------------------------------------------------------------------------------------------------
# chatbot
# --------------------------------------------------------------------------------------------------

FLOW_VIEWS = {"F1000": ("name", "cpf", "delivery_confirmed"), "F2000": ("nota", "recomenda")}
_NOT_BLANK = re.compile(r"\S")


@dataclass(frozen=True)
class Answer:
    customer: str
    flow: str
    session: str
    key: str
    value: str
    answered_at: datetime

    def row(self) -> tuple[str, str, str, str, str, str]:
        return (self.customer, self.flow, self.session, self.key, self.value, utc_text(self.answered_at))


def canonical(element: Any) -> str:
    """One text per element whatever its serialisation: sorted compact JSON for objects."""
    if isinstance(element, str):
        try:
            element = json.loads(element)
        except ValueError:
            return element
    if isinstance(element, str):
        return element
    return json.dumps(element, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class ChatbotExpectation:
    records: int
    answers: list[Answer]
    quarantine: list[tuple[str, tuple[str, ...]]]


def chatbot(folder: Path) -> ChatbotExpectation:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    answers: list[Answer] = []
    quarantine: list[tuple[str, tuple[str, ...]]] = []
    records = 0
    for path in files:
        elements = json_records(path.read_text(encoding="utf-8"))
        records += len(elements)
        for element in elements:
            unreadable, event = payload_failure(element)
            if unreadable:
                quarantine.append((canonical(element), (unreadable,)))
                continue
            content = event.get("content")
            pairs = list(content.items()) if isinstance(content, dict) and content else [(None, None)]
            customer, flow, session = (_string_field(event, f) for f in ("customer", "flow", "session"))
            moment = parse_instant(event.get("timestamp"))
            for key, raw_value in pairs:
                value = raw_value if raw_value is None or isinstance(raw_value, str) else json.dumps(raw_value)
                failed = [
                    name
                    for name, ok in (
                        ("customer_present", not _blank(customer)),
                        ("flow_present", not _blank(flow)),
                        ("session_present", not _blank(session)),
                        ("key_present", not _blank(key)),
                        ("answered_at_parsable", moment is not None),
                        ("value_present", value is not None),
                        ("value_not_blank", value is not None and _NOT_BLANK.search(value) is not None),
                    )
                    if not ok
                ]
                if failed:
                    quarantine.append((canonical(element), tuple(failed)))
                    continue
                assert customer and flow and session and key and value is not None and moment is not None
                answers.append(Answer(customer, flow, session, key, value, moment))
    return ChatbotExpectation(records, answers, quarantine)


def chatbot_sessions(answers: list[Answer]) -> dict[tuple[str, str, str], dict[str, object]]:
    """(customer, flow, session) -> first and last answer time and the latest value per key."""
    groups: dict[tuple[str, str, str], list[Answer]] = defaultdict(list)
    for a in answers:
        groups[(a.customer, a.flow, a.session)].append(a)
    result: dict[tuple[str, str, str], dict[str, object]] = {}
    for key, group in groups.items():
        latest: dict[str, Answer] = {}
        for a in group:
            kept = latest.get(a.key)
            if kept is None or (a.answered_at, a.value) > (kept.answered_at, kept.value):
                latest[a.key] = a
        result[key] = {
            "first_answer_dt": utc_text(min(a.answered_at for a in group)),
            "last_answer_dt": utc_text(max(a.answered_at for a in group)),
            "answers": {k: a.value for k, a in latest.items()},
        }
    return result
