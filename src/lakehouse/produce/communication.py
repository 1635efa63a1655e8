"""Seeded synthetic input for the communication products: notifications, invoices, chatbot answers.

Every generator is deterministic for its seed, so fixtures and tests regenerate byte for byte. Like the
real sources they include what the pipelines must cope with - malformed notifications, transport
duplicates, empty chatbot answers replaced a second later - and never decide what is valid: that is
the pipeline's job.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from faker import Faker

from lakehouse.errors import UserError

# Channel spelling as the messaging platform sends it; the pipeline lower-cases it.
CHANNEL_WEIGHTS: dict[str, int] = {"Whatsapp": 90, "SMS": 7, "Email": 3}

# The platform stamps events in the sender's offset; all denote instants.
OFFSETS = (UTC, UTC, timezone(timedelta(hours=-3)), timezone(timedelta(hours=3)))

INVOICE_COLUMNS = ("customer", "account", "month", "invoice")

CHATBOT_FLOWS: dict[str, tuple[str, ...]] = {
    "F1000": ("name", "cpf", "delivery_confirmed"),
    "F2000": ("recomenda", "nota"),
}

# What the platform sends: short templated texts about an order.
_PAYLOADS = (
    "Seu pedido {order} foi confirmado.",
    "Seu pedido {order} saiu para entrega.",
    "Seu pedido {order} foi entregue. Obrigado!",
    "Pagamento do pedido {order} aprovado.",
    "Como foi sua experiência com o pedido {order}?",
)

# How a notification can arrive broken; each is one of the quarantine's named rules.
_SPOILS = ("missing_message_id", "unknown_channel", "bad_datetime")
_SKEW = 1.3  # Zipf exponent: the first few customers send most of the messages
_RECENT = 50  # a transport duplicate repeats one of the last events sent


def _faker(seed: int) -> Faker:
    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    return fake


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise UserError(f"{name} must be timezone-aware, got {moment!r}")


def _skewed_weights(count: int) -> list[float]:
    return [1 / (rank + 1) ** _SKEW for rank in range(count)]


def _spoil(event: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(_SPOILS)
    if kind == "missing_message_id":
        return {key: value for key, value in event.items() if key != "message_id"}
    if kind == "unknown_channel":
        return {**event, "channel": "Pigeon"}
    return {**event, "event_datetime": event["event_datetime"][:19]}  # the offset is lost


def synthetic_notifications(
    n: int,
    *,
    customers: int,
    seed: int,
    start: datetime,
    bad_rate: float = 0.01,
    duplicate_rate: float = 0.02,
) -> Iterator[dict[str, Any]]:
    """``n`` notification events (bad ones and duplicates included) from ``start`` on, 1 ms-2 s apart.

    Customers are Zipf-skewed; channels are mostly Whatsapp. About ``bad_rate`` of the events lack a
    ``message_id``, name an unknown channel or lose their offset; about ``duplicate_rate`` are exact
    copies of a recent event (same ``message_id``), as an at-least-once transport delivers them.
    """
    if n < 0 or customers < 1:
        raise UserError(f"need n >= 0 and customers >= 1, got n={n}, customers={customers}")
    _require_aware(start, "start")
    rng = random.Random(seed)
    fake = _faker(seed)
    people = [(f"C{1000 + index}", fake.name()) for index in range(customers)]
    weights = _skewed_weights(customers)
    channels, channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
    moment = start
    recent: list[dict[str, Any]] = []
    for _ in range(n):
        if recent and rng.random() < duplicate_rate:
            yield dict(rng.choice(recent))
            continue
        moment += timedelta(milliseconds=rng.randint(1, 2_000))
        customer_id, customer_name = rng.choices(people, weights)[0]
        event = {
            "customer_id": customer_id,
            "message_id": fake.uuid4(),
            "customer_name": customer_name,
            "channel": rng.choices(channels, channel_weights)[0],
            "payload": rng.choice(_PAYLOADS).format(order=rng.randint(100_000, 999_999)),
            "event_datetime": moment.astimezone(rng.choice(OFFSETS)).isoformat(timespec="milliseconds"),
        }
        if rng.random() < bad_rate:
            event = _spoil(event, rng)
        recent = [*recent[-(_RECENT - 1) :], event]
        yield event


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month(index: int) -> date:
    year, month = divmod(index, 12)
    return date(year, month + 1, 1)


def synthetic_invoices(
    customers: int,
    accounts_per_customer: int,
    months: int,
    *,
    seed: int,
    end_month: date,
) -> list[dict[str, Any]]:
    """Monthly invoices for the ``months`` months up to and including ``end_month``.

    Rows are ``{"customer", "account", "month" (date, first day), "invoice" (Decimal, cents)}`` sorted
    by account and month; customer ``C2000`` has accounts ``A2100``, ``A2200``... as the source names
    them. About a third of the accounts opened later (fewer months) and about one
    month in twenty is missing, so averages meet incomplete windows.
    """
    if customers < 1 or months < 1 or not 1 <= accounts_per_customer <= 9:
        raise UserError("need customers >= 1, months >= 1 and 1 to 9 accounts per customer")
    if end_month.day != 1:
        raise UserError(f"end_month must be the first day of a month, got {end_month}")
    rng = random.Random(seed)
    last = _month_index(end_month)
    rows: list[dict[str, Any]] = []
    for customer_number in range(1, customers + 1):
        customer = f"C{customer_number * 1000}"
        for account_number in range(1, accounts_per_customer + 1):
            account = f"A{customer_number * 1000 + account_number * 100}"
            opened = rng.randint(1, months) if rng.random() < 1 / 3 else months
            usual = rng.randint(50, 2_000)
            for index in range(last - opened + 1, last + 1):
                if rng.random() < 0.05:
                    continue
                cents = max(0, round(usual * 100 * rng.uniform(0.6, 1.4)))
                rows.append(
                    {
                        "customer": customer,
                        "account": account,
                        "month": _month(index),
                        "invoice": Decimal(cents).scaleb(-2),
                    }
                )
    return rows


def _answer_value(key: str, fake: Faker, rng: random.Random) -> str:
    if key == "name":
        return fake.first_name().lower()
    if key == "cpf":
        return fake.cpf()
    if key == "delivery_confirmed":
        return rng.choice(("true", "false"))
    if key == "recomenda":
        return rng.choice(("Sim", "Não", "Simmmmmmm"))
    if key == "nota":
        return str(rng.randint(0, 10))
    return fake.word()


def _answer(customer: str, flow: str, session: str, moment: datetime, key: str, value: str) -> dict[str, Any]:
    return {
        "customer": customer,
        "flow": flow,
        "session": session,
        "timestamp": moment.isoformat(timespec="seconds"),
        "content": {key: value},
    }


def synthetic_chatbot(
    sessions: int,
    *,
    seed: int,
    start: datetime,
    empty_rate: float = 0.15,
    correction_rate: float = 0.1,
) -> list[dict[str, Any]]:
    """Answer events of ``sessions`` chatbot sessions, sorted by time.

    Sessions follow flow F1000 (name, cpf, delivery_confirmed) or F2000 (recomenda, nota). About
    ``empty_rate`` of the answers are first sent empty and replaced a second later; about
    ``correction_rate`` are first answered with another value and corrected a second later (two
    answers to the same key).
    """
    if sessions < 0:
        raise UserError(f"sessions must be >= 0, got {sessions}")
    _require_aware(start, "start")
    rng = random.Random(seed)
    fake = _faker(seed)
    customers = max(1, sessions // 3)
    flows = list(CHATBOT_FLOWS)
    events: list[dict[str, Any]] = []
    session_start = start
    for number in range(sessions):
        session_start += timedelta(seconds=rng.randint(1, 120))
        customer = f"C{1000 * rng.randint(1, customers)}"
        flow = rng.choices(flows, (7, 3))[0]
        session = f"S{1000 * (number + 1)}"
        moment = session_start
        for key in CHATBOT_FLOWS[flow]:
            moment += timedelta(seconds=rng.randint(1, 30))
            draw = rng.random()
            if draw < empty_rate:
                events.append(_answer(customer, flow, session, moment, key, ""))
                moment += timedelta(seconds=1)
            elif draw < empty_rate + correction_rate:
                events.append(_answer(customer, flow, session, moment, key, _answer_value(key, fake, rng)))
                moment += timedelta(seconds=1)
            events.append(_answer(customer, flow, session, moment, key, _answer_value(key, fake, rng)))
    return sorted(events, key=lambda event: event["timestamp"])
