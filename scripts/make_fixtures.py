"""Regenerate the bundled local input in ``fixtures/orders/``.

The fixtures are generated, not hand-edited, so that anyone can rebuild them and a test can prove the
committed files still equal what this script writes (``tests/unit/test_produce_orders.py``). The one
hand-written part, the edge cases, lives here as literal JSON lines for the same reason.

    uv run python scripts/make_fixtures.py            # rewrites fixtures/orders/
    uv run python scripts/make_fixtures.py --root DIR  # writes DIR/orders/ instead
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lakehouse.produce.files import write_jsonl
from lakehouse.produce.orders_synthetic import synthetic_orders

SEED = 42
EVENTS = 2_000
PER_FILE = 500
ORDERS_DIR = "orders"
EDGE_CASES_FILE = "zz-edge-cases.jsonl"  # sorts after orders-NNNNNN.jsonl: read last, like late input

# (case, valid against docs/orders-event.schema.json, the line exactly as written).
# Transaction numbers 599xxx and times after the synthetic 3 days keep them apart from generated data.
EDGE_CASES: tuple[tuple[str, bool, str], ...] = (
    (
        "unparsable line (a half-written JSON object)",
        False,
        '{"event_id":"edge-unparsable","event_time":"2019-12-03T20:05:00.000Z","TransactionNo":"599001","Da',
    ),
    (
        "TransactionNo missing",
        False,
        '{"event_id":"edge-missing-transaction-no","event_time":"2019-12-03T20:05:01.000Z","Date":"12/3/2019",'
        '"ProductNo":"40023","ProductName":"Lace Storage Tin","Price":8.95,"Quantity":6,'
        '"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
    (
        "impossible date 13/45/2019",
        False,
        '{"event_id":"edge-bad-date","event_time":"2019-12-03T20:05:02.000Z","TransactionNo":"599003",'
        '"Date":"13/45/2019","ProductNo":"40023","ProductName":"Lace Storage Tin","Price":8.95,'
        '"Quantity":6,"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
    (
        "cancellation (C prefix) with a positive quantity",
        False,
        '{"event_id":"edge-cancellation-positive-quantity","event_time":"2019-12-03T20:05:03.000Z",'
        '"TransactionNo":"C599004","Date":"12/3/2019","ProductNo":"40023","ProductName":"Lace Storage Tin",'
        '"Price":8.95,"Quantity":6,"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
    (
        "order (no C prefix) with a negative quantity",
        False,
        '{"event_id":"edge-negative-quantity-not-cancelled","event_time":"2019-12-03T20:05:04.000Z",'
        '"TransactionNo":"599005","Date":"12/3/2019","ProductNo":"40023","ProductName":"Lace Storage Tin",'
        '"Price":8.95,"Quantity":-6,"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
    (
        "zero price",
        False,
        '{"event_id":"edge-zero-price","event_time":"2019-12-03T20:05:05.000Z","TransactionNo":"599006",'
        '"Date":"12/3/2019","ProductNo":"40023","ProductName":"Lace Storage Tin","Price":0,"Quantity":6,'
        '"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
    (
        "zero quantity",
        False,
        '{"event_id":"edge-zero-quantity","event_time":"2019-12-03T20:05:06.000Z","TransactionNo":"599007",'
        '"Date":"12/3/2019","ProductNo":"40023","ProductName":"Lace Storage Tin","Price":8.95,"Quantity":0,'
        '"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
    (
        "malformed transaction number 12A456",
        False,
        '{"event_id":"edge-bad-transaction-no","event_time":"2019-12-03T20:05:07.000Z","TransactionNo":"12A456",'
        '"Date":"12/3/2019","ProductNo":"40023","ProductName":"Lace Storage Tin","Price":8.95,"Quantity":6,'
        '"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
    (
        "price that is not a number (a raw string, as events_from_csv emits a bad number)",
        False,
        '{"event_id":"edge-price-not-a-number","event_time":"2019-12-03T20:05:08.000Z","TransactionNo":"599009",'
        '"Date":"12/3/2019","ProductNo":"40023","ProductName":"Lace Storage Tin","Price":"8,95","Quantity":6,'
        '"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
    (
        "no customer (null CustomerNo), otherwise valid",
        True,
        '{"event_id":"edge-null-customer","event_time":"2019-12-03T20:05:09.000Z","TransactionNo":"599010",'
        '"Date":"12/3/2019","ProductNo":"40023","ProductName":"Lace Storage Tin","Price":8.95,"Quantity":6,'
        '"CustomerNo":null,"Country":"United Kingdom"}',
    ),
    (
        "product name with unicode, commas and a quote, valid",
        True,
        '{"event_id":"edge-unicode-commas","event_time":"2019-12-03T20:05:10.000Z","TransactionNo":"599011",'
        '"Date":"12/3/2019","ProductNo":"85123A","ProductName":"Crème Brûlée Set, Père Noël, 7\\" Tin ♥",'
        '"Price":12.5,"Quantity":2,"CustomerNo":"14911","Country":"EIRE"}',
    ),
    (
        "transport duplicate: the same event (same event_id) delivered twice, valid",
        True,
        '{"event_id":"edge-transport-duplicate","event_time":"2019-12-03T20:05:11.000Z","TransactionNo":"599012",'
        '"Date":"12/3/2019","ProductNo":"40023","ProductName":"Lace Storage Tin","Price":8.95,"Quantity":6,'
        '"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
    (
        "transport duplicate: second delivery",
        True,
        '{"event_id":"edge-transport-duplicate","event_time":"2019-12-03T20:05:11.000Z","TransactionNo":"599012",'
        '"Date":"12/3/2019","ProductNo":"40023","ProductName":"Lace Storage Tin","Price":8.95,"Quantity":6,'
        '"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
    (
        "same content, different event_id: first of two distinct events, valid",
        True,
        '{"event_id":"edge-same-content-1","event_time":"2019-12-03T20:05:12.000Z","TransactionNo":"599013",'
        '"Date":"12/3/2019","ProductNo":"40023","ProductName":"Lace Storage Tin","Price":8.95,"Quantity":6,'
        '"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
    (
        "same content, different event_id: second of two distinct events, valid",
        True,
        '{"event_id":"edge-same-content-2","event_time":"2019-12-03T20:05:12.000Z","TransactionNo":"599013",'
        '"Date":"12/3/2019","ProductNo":"40023","ProductName":"Lace Storage Tin","Price":8.95,"Quantity":6,'
        '"CustomerNo":"16327","Country":"United Kingdom"}',
    ),
)


def write_fixtures(root: Path) -> list[Path]:
    """Write the synthetic orders and the edge cases under ``root/orders``; return the files written."""
    orders_dir = root / ORDERS_DIR
    written = write_jsonl(synthetic_orders(EVENTS, seed=SEED), orders_dir, per_file=PER_FILE)
    edge_cases = orders_dir / EDGE_CASES_FILE
    with edge_cases.open("x", encoding="utf-8", newline="\n") as handle:  # "x": never overwrite
        handle.writelines(line + "\n" for _, _, line in EDGE_CASES)
    return [*written, edge_cases]


def _clear(orders_dir: Path) -> None:
    """Remove the files this script owns, since ``write_jsonl`` only ever adds new ones."""
    for path in [*orders_dir.glob("orders-*.jsonl"), orders_dir / EDGE_CASES_FILE]:
        path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1] / "fixtures")
    root = parser.parse_args(argv).root
    _clear(root / ORDERS_DIR)
    written = write_fixtures(root)
    size = sum(path.stat().st_size for path in written)
    print(f"wrote {EVENTS} events (seed {SEED}) and {len(EDGE_CASES)} edge-case lines")
    print(f"into {len(written)} files under {root / ORDERS_DIR}, {size:,} bytes")


if __name__ == "__main__":
    main()
