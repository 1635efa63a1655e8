"""The users CDC stack for tests: one real PostgreSQL + Debezium (Kafka Connect) per session.

``cdc_stack`` is the reusable entry point (the users pipeline's end-to-end test uses it too): it
starts this stack once, on the session's Kafka broker (``kafka_broker`` in ``tests/conftest.py``),
and yields where everything is. Tests share the one table and topic, so each reads what it needs
by LSN (every test that writes rows records the LSN range it produced).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lakehouse.cdc import stack
from lakehouse.kafka import BrokerStatus


@dataclass(frozen=True)
class CdcStack:
    """Where the running stack is: ``LAKEHOUSE_HOME`` of its PostgreSQL and connector, the broker,
    the topic, and a libpq connection string of the application role (owner of ``usuarios``)."""

    home: Path
    bootstrap: str
    topic: str
    dsn: str
    startup_seconds: float

    def env(self) -> dict[str, str]:
        """The environment for running ``lakehouse`` against this stack (``LAKEHOUSE_HOME``)."""
        return {**os.environ, "LAKEHOUSE_HOME": str(self.home)}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the stack is marked ``cdc`` (and ``kafka``), so ``-m "not cdc"`` skips them."""
    for item in items:
        if "cdc_stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cdc)
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(scope="session")
def cdc_stack(tmp_path_factory: pytest.TempPathFactory, kafka_broker: BrokerStatus) -> Iterator[CdcStack]:
    """PostgreSQL (own data dir) and the Debezium connector of a throwaway home; stopped at the end."""
    from lakehouse.cdc.postgres import bindir
    from lakehouse.errors import EnvironmentProblem

    try:
        bindir()
    except EnvironmentProblem as error:  # scripts/setup.sh installs it; a bare laptop may lack it
        pytest.skip(str(error))
    if shutil.which("mvn") is None:
        pytest.skip("mvn is needed once to fetch the Debezium jars")
    home = tmp_path_factory.mktemp("cdc-home")
    started = time.monotonic()
    found = stack.start(home, bootstrap=kafka_broker.bootstrap)
    elapsed = time.monotonic() - started
    assert found.postgres is not None and found.connector is not None
    try:
        yield CdcStack(home, kafka_broker.bootstrap, found.connector.topic, found.postgres.dsn, elapsed)
    finally:
        stack.stop(home)
