"""Gold figures for the orders fixtures, computed in plain Python - independently of Spark."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    event_id: str
    event_time: datetime
    transaction_no: str
    order_date: date
    product_no: str
    quantity: int
    amount: Decimal
    customer: str | None
    country: str

    @property
    def cancelled(self) -> bool:
        return self.transaction_no.startswith("C")


_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_EXPONENT = re.compile(r"[eE]([+-]?[0-9]+)$")
_INT = 2**31
_MONEY_LIMIT = Decimal(10) ** 16


def _number(value: object, places: int, limit: Decimal) -> Decimal | None:
    """An exact number with at most ``places`` decimals and below ``limit``; None otherwise.

    JSON numbers reach the pipeline as their text, as do strings holding numbers; nothing is rounded.
    The parser's work bounds (1,000 characters, exponent within +-400) count as out of range.
    """
    if value is None or isinstance(value, (bool, list, dict)):
        return None
    text = str(value).strip(" ")
    if not _NUMBER.fullmatch(text):
        return None
    number = Decimal(text)
    found = _EXPONENT.search(text)
    if len(text) > 1000 or (found and abs(int(found.group(1))) > 400):
        return None
    decimals = max(0, -int(number.normalize().as_tuple().exponent)) if number != 0 else 0
    if decimals > places or abs(number) >= limit:
        return None
    return number


def _parse(text: str) -> Line | None:
    """The contract's rules, written again without Spark; None means 'quarantined'."""
    try:
        event = json.loads(text)
        txn = str(event["TransactionNo"]).strip()
        month, day, year = (int(x) for x in str(event["Date"]).split("/"))
        order_date = date(year, month, day)
        price = _number(event["Price"], 2, Decimal(10) ** 10)
        quantity_number = _number(event["Quantity"], 0, Decimal(10) ** 38)
        event_time = datetime.fromisoformat(str(event["event_time"]).replace("Z", "+00:00"))
        if event_time.tzinfo is not None:
            event_time.astimezone(UTC)  # OverflowError outside the years 1-9999 UTC, as silver rejects
        event_id = event["event_id"]
        product = event["ProductNo"]
    except (ValueError, KeyError, TypeError, ArithmeticError):
        return None
    if price is None or quantity_number is None or not -_INT <= quantity_number < _INT:
        return None
    quantity = int(quantity_number)
    amount = price * quantity
    valid = (
        event_id is not None
        and product is not None
        and re.fullmatch(r"C?[0-9]{6}", txn) is not None
        and price > 0
        and quantity != 0
        and txn.startswith("C") == (quantity < 0)
        and abs(amount) < _MONEY_LIMIT
    )
    if not valid:
        return None
    customer = (event.get("CustomerNo") or "").strip() or None
    return Line(
        event_id,
        event_time,
        txn,
        order_date,
        str(product).strip(),
        quantity,
        amount.quantize(CENT),
        customer,
        event["Country"],
    )


def read_payloads(folder: Path) -> list[str]:
    return [line for f in sorted(folder.glob("*.jsonl")) for line in f.read_text().splitlines()]


def valid_lines(payloads: list[str]) -> tuple[list[Line], int]:
    """De-duplicated valid lines (first event_id wins) and the number of rejected payloads."""
    seen: set[str] = set()
    lines, rejected = [], 0
    for text in payloads:
        parsed = _parse(text)
        if parsed is None:
            rejected += 1
        elif parsed.event_id not in seen:
            seen.add(parsed.event_id)
            lines.append(parsed)
    return lines, rejected


def daily_sales(lines: list[Line]) -> dict[tuple[str, str], dict[str, object]]:
    groups: dict[tuple[date, str], list[Line]] = defaultdict(list)
    for line in lines:
        groups[(line.order_date, line.country)].append(line)
    result = {}
    for (day, country), group in groups.items():
        sold = [x for x in group if not x.cancelled]
        gross = sum((x.amount for x in sold), Decimal("0.00"))
        cancelled = abs(sum((x.amount for x in group if x.cancelled), Decimal("0.00")))
        result[(day.isoformat(), country)] = {
            "orders": len({x.transaction_no for x in sold}),
            "units": sum(x.quantity for x in sold),
            "gross_revenue": gross,
            "cancelled_amount": cancelled,
            "net_revenue": gross - cancelled,
            "customers": len({x.customer for x in group if x.customer}),
        }
    return result


def daily_sales_table(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, object]]:
    """gold.orders_daily_sales in the shape of ``daily_sales``; money as exact Decimals."""
    result: dict[tuple[str, str], dict[str, object]] = {}
    for row in rows:
        key = (str(row["order_date"]), row["country"])
        assert key not in result, f"daily sales has {key} twice"
        result[key] = {
            "orders": row["orders"],
            "units": row["units"],
            "gross_revenue": Decimal(str(row["gross_revenue"])),
            "cancelled_amount": Decimal(str(row["cancelled_amount"])),
            "net_revenue": Decimal(str(row["net_revenue"])),
            "customers": row["customers"],
        }
    return result
