"""A seeded synthetic shop: order-line events that look like the real export, at any volume.

Products, customers and countries are skewed like the real shop's (a few best-sellers, a long tail),
with cancellations and awkward product names, so the pipeline meets realistic data in tests and
benchmarks. The same seed always yields the same events.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from faker import Faker

from lakehouse.errors import UserError
from lakehouse.produce.order_contract import (
    BUSINESS_DAY_MS,
    LINE_GAP_MS,
    build_event,
    business_day_start_ms,
    event_ids,
    format_export_date,
    from_ms,
)

# Country of the customer, skewed to the United Kingdom as the shop's sales are (names as the export
# spells them, EIRE and RSA included).
_COUNTRIES = {
    "United Kingdom": 85.0,
    "Germany": 3.0,
    "France": 2.8,
    "EIRE": 2.0,
    "Netherlands": 1.2,
    "Belgium": 0.8,
    "Norway": 0.7,
    "Spain": 0.7,
    "Switzerland": 0.6,
    "Portugal": 0.5,
    "Australia": 0.4,
    "Sweden": 0.3,
    "Italy": 0.3,
    "Channel Islands": 0.3,
    "Japan": 0.2,
    "Iceland": 0.1,
    "RSA": 0.1,
}


_ITEMS = (
    "Cake Cases",
    "Tea Towel",
    "T-Light Holder",
    "Storage Tin",
    "Lunch Bag",
    "Jumbo Shopper",
    "Photo Frame",
    "Hanging Heart",
    "Wooden Crate",
    "Chalkboard",
    "Doormat",
    "Cushion Cover",
    "Tissue Box",
    "Gift Wrap",
    "Bunting",
    "Alarm Clock",
    "Water Bottle",
    "Mug",
    "Egg Cup",
    "Coaster Set",
    "Notebook",
    "Lantern",
    "Bird Feeder",
    "Jam Jar",
)


_THEMES = (
    "Vintage",
    "Retrospot",
    "Regency",
    "Spaceboy",
    "Dolly Girl",
    "Paisley",
    "Union Jack",
    "Woodland",
    "Christmas",
    "Polkadot",
    "Lace",
    "Botanical",
    "Sketchbook",
    "Jubilee",
)


_ANIMALS = ("Fox", "Owl", "Hedgehog", "Rabbit", "Badger", "Robin")


# Names that exercise encoders and CSV/JSON quoting: accents, symbols, commas, an inch mark.
_AWKWARD_NAMES = (
    "Crème Brûlée Ramekin",
    "Père Noël Hanging Decoration",
    "Smörgåsbord Serving Tray",
    "Café Au Lait Bowl, Blue",
    "Jardin d'Été Watering Can",
    "Heart ♥ Garland, Pink",
    "Fiesta Piñata, Small",
    'Picture Frame 10" Square',
)


_LINES_PER_TRANSACTION = {1: 30, 2: 25, 3: 20, 4: 15, 5: 10}


_QUANTITIES = {1: 10, 2: 12, 3: 6, 4: 8, 6: 12, 8: 4, 10: 4, 12: 20, 24: 8, 36: 3, 48: 3, 72: 1, 144: 1}


_SUFFIXES = "ABCDEFGHLMNS"

T = TypeVar("T")


@dataclass(frozen=True)
class _Product:
    number: str
    name: str
    price: float


@dataclass(frozen=True)
class _Customer:
    number: str | None
    country: str


def _weighted(rng: random.Random, weights: Mapping[T, float]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _price(rng: random.Random) -> float:
    """GBP per unit, two decimals, mostly in the 6-25 band the export shows, with a few dearer items."""
    roll = rng.random()
    low, high = (6.0, 14.0) if roll < 0.8 else (14.0, 25.0) if roll < 0.97 else (25.0, 120.0)
    return round(rng.uniform(low, high), 2)


def _product_name(rng: random.Random, fake: Faker) -> str:
    theme, item = rng.choice(_THEMES), rng.choice(_ITEMS)
    colour = fake.safe_color_name().title()
    roll = rng.random()
    if roll < 0.30:
        return f"{theme} {item}"
    if roll < 0.50:
        return f"Set Of {rng.choice((2, 3, 4, 6, 12))} {theme} {item}"
    if roll < 0.78:
        return f"{colour} {theme} {item}"
    if roll < 0.85:
        return f"{item}, {colour} {theme}"  # a comma inside the name, as the export quotes it
    toy = rng.choice(("Soft Toy", "Doorstop", "Night Light"))
    return f"{fake.first_name()} The {rng.choice(_ANIMALS)} {toy}"


def _catalogue(rng: random.Random, fake: Faker, plain: int = 100, families: int = 6) -> list[_Product]:
    """Products with 5-digit numbers; a few families of variants share a number plus a letter (84029E)."""
    numbers = iter(rng.sample(range(10002, 91000), plain + families))
    names: set[str] = set(_AWKWARD_NAMES)
    products = [_Product(str(next(numbers)), name, _price(rng)) for name in _AWKWARD_NAMES]

    def fresh_name() -> str:
        for _ in range(100):
            name = _product_name(rng, fake)
            if name not in names:
                names.add(name)
                return name
        raise RuntimeError("could not draw a fresh product name")  # pragma: no cover

    while len(products) < plain:
        products.append(_Product(str(next(numbers)), fresh_name(), _price(rng)))
    for _ in range(families):
        base_number, price = str(next(numbers)), _price(rng)
        theme, item = rng.choice(_THEMES), rng.choice(_ITEMS)
        for suffix in sorted(rng.sample(_SUFFIXES, rng.randint(2, 3))):
            # Variants differ by colour, like the shop's lettered codes; skip a colour drawn twice.
            name = f"{fake.safe_color_name().title()} {theme} {item}"
            if name not in names:
                names.add(name)
                products.append(_Product(f"{base_number}{suffix}", name, price))
    return products


def _customers(rng: random.Random, fake: Faker, count: int = 250) -> tuple[list[_Customer], list[float]]:
    """Registered customers (5-digit numbers, one country each) and heavy-tailed order frequencies."""
    customers = [_Customer(str(fake.unique.random_int(12346, 18287)), _weighted(rng, _COUNTRIES)) for _ in range(count)]
    return customers, [rng.paretovariate(1.2) for _ in customers]


def _first_transaction_number(start: date) -> int:
    """Roughly where the shop's numbering stood on ``start`` (536365 on 12/1/2018, ~120 a day)."""
    number = 536365 + (start - date(2018, 12, 1)).days * 120
    return min(max(number, 100000), 899999)


def synthetic_orders(
    n: int,
    *,
    seed: int,
    start: date = date(2019, 12, 1),
    days: int = 3,
    cancellation_rate: float = 0.02,
    missing_customer_rate: float = 0.01,
) -> Iterator[dict[str, Any]]:
    """``n`` realistic order-line events over ``days`` business days from ``start``; same seed, same events.

    Transactions have 1-5 lines and are numbered in sequence. ``cancellation_rate`` is the share of
    transactions that cancel (``C`` + the next number, negative quantities) 1-2 lines of an earlier
    order of the same customer; ``missing_customer_rate`` the share of orders without a customer.
    Event times increase through the business hours, so per-minute windows get several events.
    """
    if n < 0 or days < 1:
        raise UserError(f"need n >= 0 and days >= 1, got n={n}, days={days}")
    rates = {"cancellation_rate": cancellation_rate, "missing_customer_rate": missing_customer_rate}
    for name, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            raise UserError(f"{name} must be between 0 and 1, got {rate}")
    return _synthetic(n, seed, start, days, cancellation_rate, missing_customer_rate)


def _order_lines(
    rng: random.Random, catalogue: list[_Product], customer: _Customer, number: int
) -> list[dict[str, Any]]:
    products = rng.sample(catalogue, _weighted(rng, _LINES_PER_TRANSACTION))
    return [
        {
            "TransactionNo": str(number),
            "ProductNo": product.number,
            "ProductName": product.name,
            "Price": product.price,
            "Quantity": _weighted(rng, _QUANTITIES),
            "CustomerNo": customer.number,
            "Country": customer.country,
        }
        for product in products
    ]


def _cancellation_lines(rng: random.Random, order: list[dict[str, Any]], number: int) -> list[dict[str, Any]]:
    cancelled = rng.sample(order, rng.randint(1, min(2, len(order))))
    return [
        {**line, "TransactionNo": f"C{number}", "Quantity": -rng.randint(1, line["Quantity"])} for line in cancelled
    ]


def _synthetic(
    n: int, seed: int, start: date, days: int, cancellation_rate: float, missing_customer_rate: float
) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    catalogue = _catalogue(rng, fake)
    customers, frequencies = _customers(rng, fake)
    ids = event_ids(seed)
    number = _first_transaction_number(start)
    recent_orders: list[list[dict[str, Any]]] = []  # of registered customers: what a cancellation can refer to
    emitted, last_ms = 0, 0
    while emitted < n:
        if recent_orders and rng.random() < cancellation_rate:
            lines = _cancellation_lines(rng, recent_orders.pop(rng.randrange(len(recent_orders))), number)
        else:
            customer = rng.choices(customers, weights=frequencies)[0]
            if rng.random() < missing_customer_rate:
                customer = _Customer(None, _weighted(rng, _COUNTRIES))
            lines = _order_lines(rng, catalogue, customer, number)
            if customer.number is not None:
                recent_orders = [*recent_orders[-199:], lines]
        # Position in the run maps to a moment in the business hours of the days, plus some jitter.
        progress_ms = emitted * days * BUSINESS_DAY_MS // n
        day = start + timedelta(days=progress_ms // BUSINESS_DAY_MS)
        nominal_ms = business_day_start_ms(day) + progress_ms % BUSINESS_DAY_MS + rng.randrange(60_000)
        base_ms = max(nominal_ms, last_ms + 1_000)
        export_date = format_export_date(from_ms(base_ms).date())
        for offset, line in enumerate(lines[: n - emitted]):
            last_ms = base_ms + offset * LINE_GAP_MS
            yield build_event(next(ids), last_ms, {**line, "Date": export_date})
            emitted += 1
        number += 1
