"""The reference producer: target URLs, exact client settings, and real sends to the local broker."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka import Message

from lakehouse.kafka import BrokerStatus
from lakehouse.produce.kafka_sink import (
    EVENTHUBS_ENV,
    KafkaTarget,
    TargetError,
    encode,
    parse_target,
    producer_config,
    send,
)

SECRET = "Endpoint=sb://shop-ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0"

COMMON = {
    "client.id": "lakehouse-producer",
    "enable.idempotence": True,
    "acks": "all",
    "max.in.flight.requests.per.connection": 5,
    "message.timeout.ms": 120_000,
    "linger.ms": 20,
    "partitioner": "murmur2_random",
}


def order_lines(orders: int, lines: int) -> list[dict[str, Any]]:
    """Shop-export-like order lines with the envelope; ``line`` lets tests check ordering."""
    return [
        {
            "event_id": f"evt-{o}-{n}",
            "event_time": "2026-11-24T10:00:00Z",
            "TransactionNo": f"58{o:04d}",
            "Date": "12/9/2019",
            "ProductNo": f"2{n:04d}",
            "ProductName": "Party Bunting",
            "Price": 10.65,
            "Quantity": n + 1,
            "CustomerNo": None if o % 5 == 0 else str(13000 + o),
            "Country": "United Kingdom",
            "line": n,
        }
        for o in range(orders)
        for n in range(lines)
    ]


def by_transaction(event: Any) -> str | None:
    """The contract's key; raw (malformed) messages have none."""
    return event["TransactionNo"] if isinstance(event, dict) else None


# --------------------------------------------------------------------------- targets and config


def test_parse_kafka_target() -> None:
    assert parse_target("kafka://127.0.0.1:19092/orders") == KafkaTarget("kafka", "127.0.0.1:19092", "orders")
    assert parse_target("kafka://broker/orders.v1").bootstrap == "broker:9092"


def test_parse_eventhubs_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EVENTHUBS_ENV, SECRET)
    target = parse_target("eventhubs://shop-ns/orders")
    assert target == KafkaTarget("eventhubs", "shop-ns.servicebus.windows.net:9093", "orders", SECRET)
    assert parse_target("eventhubs://shop-ns.servicebus.windows.net/orders") == target
    assert SECRET not in repr(target)
    assert str(target) == "eventhubs://shop-ns/orders"


def test_eventhubs_without_connection_string_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EVENTHUBS_ENV, raising=False)
    with pytest.raises(TargetError, match=EVENTHUBS_ENV):
        parse_target("eventhubs://shop-ns/orders")


def test_eventhubs_bad_connection_string_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EVENTHUBS_ENV, "hunter2")
    with pytest.raises(TargetError) as caught:
        parse_target("eventhubs://shop-ns/orders")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9092/orders",
        "kafka://127.0.0.1:9092",
        "kafka://127.0.0.1:9092/bad topic",
        "kafka:///x",
    ],
)
def test_bad_urls_are_rejected(url: str) -> None:
    with pytest.raises(TargetError):
        parse_target(url)


def test_producer_config_for_kafka() -> None:
    target = parse_target("kafka://127.0.0.1:19092/orders")
    assert producer_config(target) == {"bootstrap.servers": "127.0.0.1:19092", **COMMON}


def test_producer_config_for_eventhubs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EVENTHUBS_ENV, SECRET)
    target = parse_target("eventhubs://shop-ns/orders")
    assert producer_config(target) == {
        "bootstrap.servers": "shop-ns.servicebus.windows.net:9093",
        **COMMON,
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN",
        "sasl.username": "$ConnectionString",
        "sasl.password": SECRET,
        "socket.keepalive.enable": True,
        "metadata.max.age.ms": 180_000,
        "connections.max.idle.ms": 180_000,
        "request.timeout.ms": 60_000,
        "message.max.bytes": 1_000_000,
    }


def test_encode() -> None:
    assert encode({"TransactionNo": "581482", "CustomerNo": None}) == b'{"TransactionNo":"581482","CustomerNo":null}'
    assert encode({"ProductName": "Café"}) == '{"ProductName":"Café"}'.encode()
    assert encode(b"\x00not json") == b"\x00not json"
    assert encode("{broken") == b"{broken"


# --------------------------------------------------------------------------- real broker


def test_send_keeps_each_order_on_one_partition_in_order(
    kafka_broker: BrokerStatus, topic: str, consume: Callable[..., list[Message]]
) -> None:
    events = order_lines(orders=40, lines=5)
    report = send(events, f"kafka://{kafka_broker.bootstrap}/{topic}", key=by_transaction, progress=False)
    assert (report.sent, report.failed, report.interrupted) == (200, 0, False)
    assert report.seconds > 0 and report.rate > 0

    messages = consume(topic, expected=200)
    assert len(messages) == 200
    partitions: dict[bytes, set[int]] = defaultdict(set)
    lines: dict[bytes, list[int]] = defaultdict(list)
    for msg in messages:
        value = json.loads(msg.value())
        assert msg.key() == value["TransactionNo"].encode()
        partitions[msg.key()].add(msg.partition())
        lines[msg.key()].append(value["line"])
    assert set(partitions) == {e["TransactionNo"].encode() for e in events}
    assert all(len(p) == 1 for p in partitions.values()), "an order's lines must share one partition"
    assert all(order == [0, 1, 2, 3, 4] for order in lines.values()), "lines must stay in send order"
    assert len(set().union(*partitions.values())) > 1, "40 orders should spread over the 3 partitions"


def test_malformed_raw_messages_pass_through_untouched(
    kafka_broker: BrokerStatus, topic: str, consume: Callable[..., list[Message]]
) -> None:
    raw: list[Any] = [b'{"TransactionNo": "581482", "Price": ', "not json at all", b"\xff\xfe"]
    report = send(raw, f"kafka://{kafka_broker.bootstrap}/{topic}", key=by_transaction, progress=False)
    assert (report.sent, report.failed) == (3, 0)
    values = {msg.value() for msg in consume(topic, expected=3)}
    assert values == {b'{"TransactionNo": "581482", "Price": ', b"not json at all", b"\xff\xfe"}


def test_rate_limit_and_progress_bar(kafka_broker: BrokerStatus, topic: str) -> None:
    report = send(order_lines(4, 5), f"kafka://{kafka_broker.bootstrap}/{topic}", key=by_transaction, rate=100)
    assert report.sent == 20
    assert report.seconds >= 0.19  # 20 events at 100/s: the last one is due after 0.19 s


def test_keyboard_interrupt_flushes_in_flight_and_reports(
    kafka_broker: BrokerStatus, topic: str, consume: Callable[..., list[Message]]
) -> None:
    def interrupted_after_ten() -> Iterator[dict[str, Any]]:
        yield from order_lines(2, 5)
        raise KeyboardInterrupt

    target = parse_target(f"kafka://{kafka_broker.bootstrap}/{topic}")
    report = send(interrupted_after_ten(), target, key=by_transaction, progress=False)
    assert report.interrupted is True
    assert (report.sent, report.failed) == (10, 0)
    assert len(consume(topic, expected=10)) == 10
