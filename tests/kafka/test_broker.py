"""The local Kafka broker: lifecycle, idempotent start, offline restarts and real traffic."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Message, Producer

from lakehouse.kafka import KAFKA_VERSION, BrokerError, BrokerStatus, broker, start, status, stop
from lakehouse.machine import free_port

pytestmark = pytest.mark.kafka


def test_version_is_pinned_in_the_pom() -> None:
    assert KAFKA_VERSION.startswith("4.")


def test_status_of_a_fresh_home_is_none(tmp_path: Path) -> None:
    assert status(tmp_path) is None
    assert stop(tmp_path) is False


def test_stale_pid_file_is_not_a_broker(tmp_path: Path) -> None:
    """A pid that exists but is not Kafka (here: pytest itself) must not count as running."""
    (tmp_path / "kafka").mkdir()
    (tmp_path / "kafka" / "broker.pid").write_text(f"{os.getpid()}\n")
    (tmp_path / "kafka" / "server.properties").write_text("advertised.listeners=PLAINTEXT://127.0.0.1:1\n")
    assert status(tmp_path) is None


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(BrokerError, match=f"port {port} .* already in use"):
            start(tmp_path, port)


def test_lifecycle_start_status_idempotent_stop_restart(
    tmp_path: Path, kafka_broker: BrokerStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second broker in its own home; jars are cached by now, so Maven must not run."""

    def no_maven(*args: object) -> None:
        raise AssertionError("jars are cached: start must not call Maven")

    monkeypatch.setattr(broker, "_copy_dependencies", no_maven)
    port = free_port()
    first = start(tmp_path, port)
    try:
        assert first.bootstrap == f"127.0.0.1:{port}"
        assert first.data_dir == tmp_path / "kafka" / "data"
        assert (first.data_dir / "meta.properties").is_file()
        assert first.log_file.stat().st_size > 0
        assert (tmp_path / "kafka" / "broker.pid").read_text().strip() == str(first.pid)
        assert status(tmp_path) == first
        assert start(tmp_path, free_port()) == first  # already running: the same broker back
        assert kafka_broker.pid != first.pid
    finally:
        assert stop(tmp_path) is True
    assert status(tmp_path) is None
    assert stop(tmp_path) is False

    cluster = (first.data_dir / "meta.properties").read_text()
    again = start(tmp_path, port)  # a restart reuses the formatted data dir
    try:
        assert again.pid != first.pid
        assert (again.data_dir / "meta.properties").read_text() == cluster
    finally:
        stop(tmp_path)


def test_start_timeout_is_one_line_error_and_cleans_up(tmp_path: Path, kafka_broker: BrokerStatus) -> None:
    with pytest.raises(BrokerError) as caught:
        start(tmp_path, free_port(), timeout=0.0)
    message = str(caught.value)
    assert "\n" not in message
    assert str(tmp_path / "kafka" / "broker.log") in message
    assert status(tmp_path) is None
    assert not (tmp_path / "kafka" / "broker.pid").exists()
    assert not processes_mentioning(str(tmp_path)), "the half-started JVM must be killed"


def processes_mentioning(text: str) -> list[int]:
    """Pids whose command line contains ``text`` (Linux /proc), to catch leaked JVMs."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if text.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
    return found


def test_produce_and_consume_one_message(
    kafka_broker: BrokerStatus, topic: str, consume: Callable[..., list[Message]]
) -> None:
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap})
    producer.produce(topic, key=b"k1", value=b"hello lakehouse")
    assert producer.flush(30) == 0

    [message] = consume(topic, expected=1)
    assert message.key() == b"k1"
    assert message.value() == b"hello lakehouse"
    metadata = producer.list_topics(topic, timeout=10)
    assert len(metadata.topics[topic].partitions) == 3  # auto-created with num.partitions=3
