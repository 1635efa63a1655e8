"""The whole CDC source as one unit: this home's PostgreSQL, then the Debezium connector on Connect.

The Kafka broker is not part of it: it is shared with the other producers and has its own commands
(``lakehouse kafka start``); the connector only needs its bootstrap address.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lakehouse.cdc import connect, postgres
from lakehouse.errors import SourceUnavailable


@dataclass(frozen=True)
class StackStatus:
    postgres: postgres.PostgresStatus | None
    connector: connect.ConnectStatus | None

    @property
    def up(self) -> bool:
        return self.postgres is not None and self.connector is not None and self.connector.running


def bootstrap_of(home: Path) -> str:
    """The bootstrap address of this home's broker, or a clear error saying how to start one."""
    from lakehouse.kafka import broker

    found = broker.status(home)
    if found is None:
        raise SourceUnavailable("no Kafka broker runs for this home: run `lakehouse kafka start` or pass --bootstrap")
    return found.bootstrap


def start(
    home: Path,
    *,
    bootstrap: str | None = None,
    pg_port: int | None = None,
    prefix: str = connect.DEFAULT_PREFIX,
    say: postgres.Say = postgres._stderr_say,
) -> StackStatus:
    """Start PostgreSQL and the connector (each one idempotently) and return both statuses."""
    servers = bootstrap or bootstrap_of(home)
    pg = postgres.start(home, pg_port, say=say)
    worker = connect.start(home, servers, prefix=prefix, say=say)
    return StackStatus(pg, worker)


def stop(home: Path) -> tuple[bool, bool]:
    """Stop the connector first (it holds a replication connection), then PostgreSQL."""
    return connect.stop(home), postgres.stop(home)


def status(home: Path) -> StackStatus:
    return StackStatus(postgres.status(home), connect.status(home))
