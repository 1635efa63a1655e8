"""Fixtures for tests that need the real local Kafka broker (``lakehouse.kafka``).

One broker per test session (``kafka_broker``, in ``tests/conftest.py`` since the CDC tests share
it): a JVM start costs seconds, so tests share it and keep apart by using their own topics.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition

from lakehouse.kafka import BrokerStatus


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the broker, so ``-m "not kafka"`` reliably skips them all."""
    for item in items:
        if "kafka_broker" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kafka)


@pytest.fixture
def topic() -> str:
    """A fresh topic name per test: the broker auto-creates it (3 partitions) on first write."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def consume(kafka_broker: BrokerStatus) -> Callable[..., list[Message]]:
    """A function reading ``expected`` messages of a topic back from the session broker."""

    def consume_all(topic: str, expected: int, timeout: float = 30.0) -> list[Message]:
        """Read from every partition from the beginning; partitions are assigned directly
        (no consumer group), which skips the group join and keeps tests fast."""
        consumer = Consumer(
            {"bootstrap.servers": kafka_broker.bootstrap, "group.id": "tests", "enable.auto.commit": False}
        )
        try:
            partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
            messages: list[Message] = []
            deadline = time.monotonic() + timeout
            while len(messages) < expected and time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is not None and msg.error() is None:
                    messages.append(msg)
            return messages
        finally:
            consumer.close()

    return consume_all
