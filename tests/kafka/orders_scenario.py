"""Helpers for the Kafka-to-gold scenarios: the messages, run arguments and table snapshots.

The message sets are deterministic (seeded), so the same messages can go to two topics and two homes
must then end with identical gold tables, however often one of them was killed on the way.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from lakehouse.produce.kafka_sink import Event, encode, send
from lakehouse.produce.orders_synthetic import synthetic_orders
from tests.pipeline import expected_orders as expected

FIRST_SEED = 41
FIRST_EVENTS = 300
SECOND_SEED = 42
SECOND_EVENTS = 60
# The second batch starts days after the first one ends: its events are on time for both watermarks
# (silver's de-duplication, gold's per-minute panel), as new events from a live shop would be.
SECOND_START = date(2019, 12, 10)

MALFORMED_JSON = '{"event_id": "broken-json-1", "TransactionNo": "536999", "Date": '
MISSING_DATE_ID = "missing-date-1"
MISSING_TRANSACTION_ID = "missing-transaction-1"
# Positions (in the synthetic events) of the events the "network" delivers twice.
DUPLICATED = (0, 1, 57, 150, 299)

GOLD_TABLES = {
    "daily_sales": "gold.orders_daily_sales",
    "sales_per_minute": "gold.orders_sales_per_minute",
    "product_sales": "gold.orders_product_sales",
    "customer_summary": "gold.orders_customer_summary",
}


# --------------------------------------------------------------------------------------------------
# messages
# --------------------------------------------------------------------------------------------------


def first_messages() -> list[Event]:
    """300 valid order lines, 3 broken messages and 5 transport duplicates, in sending order."""
    events = list(synthetic_orders(FIRST_EVENTS, seed=FIRST_SEED))
    missing_date = {k: v for k, v in events[10].items() if k != "Date"} | {"event_id": MISSING_DATE_ID}
    missing_transaction = {k: v for k, v in events[20].items() if k != "TransactionNo"} | {
        "event_id": MISSING_TRANSACTION_ID
    }
    return [
        *events[:150],
        MALFORMED_JSON,
        events[57],  # a retry right after the original...
        *events[150:],
        missing_date,
        missing_transaction,
        *[events[i] for i in DUPLICATED if i != 57],  # ...and late redeliveries
    ]


def second_messages() -> list[Event]:
    return list(synthetic_orders(SECOND_EVENTS, seed=SECOND_SEED, start=SECOND_START))


def broken_payloads() -> dict[str, str]:
    """The payloads silver must reject, by the rule each one must at least fail."""
    by_id = {m["event_id"]: payload(m) for m in first_messages() if isinstance(m, dict)}
    return {
        "payload_is_json_object": MALFORMED_JSON,
        "order_date_parsable": by_id[MISSING_DATE_ID],
        "transaction_no_format": by_id[MISSING_TRANSACTION_ID],
    }


def payload(message: Event) -> str:
    """The message value exactly as the producer puts it on the wire."""
    return encode(message).decode()


def message_key(message: Event) -> str:
    """The contract's key (TransactionNo); fixed keys for the rest, so both topics get the same layout."""
    if isinstance(message, dict):
        return message.get("TransactionNo") or message["event_id"]
    return "malformed"


def produce(bootstrap: str, topic: str, messages: list[Event]) -> None:
    report = send(messages, f"kafka://{bootstrap}/{topic}", key=message_key, progress=False)
    assert (report.sent, report.failed) == (len(messages), 0), report


def expected_lines(messages: list[Event]) -> list[expected.Line]:
    lines, _ = expected.valid_lines([payload(m) for m in messages])
    return lines


# --------------------------------------------------------------------------------------------------
# runs
# --------------------------------------------------------------------------------------------------


def run_args(bootstrap: str, topic: str) -> list[str]:
    return [
        "run",
        "orders",
        "--source",
        "kafka",
        "--set",
        f"lakehouse.kafka.bootstrap_servers={bootstrap}",
        "--set",
        f"lakehouse.kafka.topic={topic}",
    ]


@contextmanager
def dead_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nobody else takes it) but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# --------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------


def snapshot_queries() -> dict[str, str]:
    """Everything the scenarios compare, read in one Spark session."""
    return {
        "bronze": "SELECT raw_payload, kafka_key, topic, partition, offset FROM bronze.orders_raw",
        "silver": "SELECT event_id FROM silver.order_lines",
        "quarantine": (
            "SELECT raw_payload, failed_rules, event_id, topic, partition, offset FROM silver.order_lines_quarantine"
        ),
        **{name: f"SELECT * FROM {table}" for name, table in GOLD_TABLES.items()},
    }
