"""Shared fixtures: one local Spark session for the pure transforms (no Delta, no catalog), and one
real Kafka broker per session for every test that needs one (tests/kafka, tests/cdc)."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lakehouse.kafka import BrokerStatus, start, stop

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = (
        SparkSession.builder.master("local[1]")
        .appName("lakehouse-tests")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


def free_port() -> int:
    """An unused loopback port, so tests never clash with a developer's broker on 9092."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerStatus]:
    """A running broker in a throwaway home on a free port; stopped when the session ends."""
    if shutil.which("java") is None:
        pytest.skip("java is not installed: the local Kafka broker needs Java 17+")
    home: Path = tmp_path_factory.mktemp("kafka-home")
    broker = start(home, free_port())
    yield broker
    stop(home)
