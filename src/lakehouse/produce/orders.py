"""Order-line events as the orders squad emits them: one JSON object per line of an order.

Two sources feed the same contract (``docs/orders-event.schema.json``): a replay of the shop's CSV
export and a seeded synthetic generator. Both are deterministic for a seed so that fixtures and tests
regenerate byte for byte. Neither enforces business rules: a row that breaks the contract is still
emitted (a bad number stays a raw string) because deciding what to quarantine is the pipeline's job,
and a producer that silently drops rows would hide exactly the data the quarantine must show.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from pathlib import Path

from faker import Faker

from lakehouse.errors import UserError

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
"""The export's columns, which are also the event's business fields, verbatim."""

ENVELOPE = ("event_id", "event_time")
"""Added by the emitting application: identity for de-duplication, and when it was emitted."""

# Orders are spread over the shop's business hours so that a day looks like a day, not a uniform smear.
_BUSINESS_DAY_START = time(8, 0)
_BUSINESS_DAY_MS = 12 * 3600 * 1000
# Lines of one order leave the application a quarter of a second apart: same minute, distinct instants.
_LINE_GAP_MS = 250

_DATE_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


# --------------------------------------------------------------------------------------------------
# Formatting shared by both sources
# --------------------------------------------------------------------------------------------------


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


def _ms(moment: datetime) -> int:
    """Epoch milliseconds, in integers (no float ``timestamp()``) so that milliseconds stay exact."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def _business_day_start_ms(day: date) -> int:
    return _ms(datetime.combine(day, _BUSINESS_DAY_START, tzinfo=UTC))


def _event_ids(seed: int | str) -> Iterator[str]:
    """UUID4-shaped ids from a seeded RNG: unique in practice, yet identical on every regeneration."""
    rng = random.Random(f"event-ids:{seed}")
    while True:
        yield str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _event(event_id: str, event_ms: int, fields: dict) -> dict:
    """Envelope first, then the business fields in the export's column order."""
    return {
        "event_id": event_id,
        "event_time": format_event_time(_from_ms(event_ms)),
        **{name: fields.get(name) for name in CSV_HEADER},
    }


# --------------------------------------------------------------------------------------------------
# Replay of the CSV export
# --------------------------------------------------------------------------------------------------


def events_from_csv(path: Path, *, seed: int = 0, start: datetime | None = None) -> Iterator[dict]:
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


def _contract_fields(raw: dict[str, str | None]) -> dict:
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
        offsets = sorted(rng.randrange(_BUSINESS_DAY_MS) for _ in numbers)
        day_start = _business_day_start_ms(day)
        for number, offset in zip(sorted(numbers, key=_transaction_order), offsets, strict=True):
            times[(day, number)] = day_start + offset
    return times


def _replay_on_export_dates(path: Path, columns: list[int], seed: int) -> Iterator[dict]:
    times = _transaction_times(path, columns, seed)
    ids = _event_ids(seed)
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
            previous_ms = times[key] + line * _LINE_GAP_MS if key in times else previous_ms
        yield _event(next(ids), previous_ms, _contract_fields(raw))


def _replay_on_clock(path: Path, columns: list[int], seed: int, start: datetime) -> Iterator[dict]:
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start
    rng = random.Random(f"{seed}:clock")
    ids = _event_ids(seed)
    now_ms = _ms(start)
    previous_transaction: str | None = None
    for index, raw in enumerate(_raw_rows(path, columns)):
        if index:
            same = raw["TransactionNo"] == previous_transaction
            now_ms += _LINE_GAP_MS if same else rng.randint(2_000, 30_000)
        previous_transaction = raw["TransactionNo"]
        yield _event(next(ids), now_ms, _contract_fields(raw))


# --------------------------------------------------------------------------------------------------
# Synthetic orders
# --------------------------------------------------------------------------------------------------

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


@dataclass(frozen=True)
class _Product:
    number: str
    name: str
    price: float


@dataclass(frozen=True)
class _Customer:
    number: str | None
    country: str


def _weighted(rng: random.Random, weights: dict):
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
) -> Iterator[dict]:
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


def _order_lines(rng: random.Random, catalogue: list[_Product], customer: _Customer, number: int) -> list[dict]:
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


def _cancellation_lines(rng: random.Random, order: list[dict], number: int) -> list[dict]:
    cancelled = rng.sample(order, rng.randint(1, min(2, len(order))))
    return [
        {**line, "TransactionNo": f"C{number}", "Quantity": -rng.randint(1, line["Quantity"])} for line in cancelled
    ]


def _synthetic(
    n: int, seed: int, start: date, days: int, cancellation_rate: float, missing_customer_rate: float
) -> Iterator[dict]:
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    catalogue = _catalogue(rng, fake)
    customers, frequencies = _customers(rng, fake)
    ids = _event_ids(seed)
    number = _first_transaction_number(start)
    recent_orders: list[list[dict]] = []  # of registered customers: what a cancellation can refer to
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
        progress_ms = emitted * days * _BUSINESS_DAY_MS // n
        day = start + timedelta(days=progress_ms // _BUSINESS_DAY_MS)
        nominal_ms = _business_day_start_ms(day) + progress_ms % _BUSINESS_DAY_MS + rng.randrange(60_000)
        base_ms = max(nominal_ms, last_ms + 1_000)
        export_date = format_export_date(_from_ms(base_ms).date())
        for offset, line in enumerate(lines[: n - emitted]):
            last_ms = base_ms + offset * _LINE_GAP_MS
            yield _event(next(ids), last_ms, {**line, "Date": export_date})
            emitted += 1
        number += 1


# --------------------------------------------------------------------------------------------------
# JSON-lines output
# --------------------------------------------------------------------------------------------------


def _json_line(item: dict | str) -> str:
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
    events: Iterable[dict | str], out_dir: Path, *, per_file: int = 500, prefix: str = "orders"
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
