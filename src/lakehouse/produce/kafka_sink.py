"""Send events to Kafka or Azure Event Hubs (Kafka endpoint): the reference producer.

This module is meant to be copied by teams that emit order events from their own
services, so it stays small and says why each setting is there. The contract is in
``docs/producer.md``; in short: one JSON object per message, key = TransactionNo.

Targets are URLs:

* ``kafka://HOST:PORT/TOPIC``  - any Kafka broker, e.g. the local one (``lakehouse.kafka``);
* ``eventhubs://NAMESPACE/HUB`` - Event Hubs' Kafka endpoint; the secret comes from the
  ``EVENTHUBS_CONNECTION_STRING`` environment variable and is never printed.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from confluent_kafka import KafkaError, Message, Producer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lakehouse.errors import SourceUnavailable, UserError
from lakehouse.machine import port_open

EVENTHUBS_ENV = "EVENTHUBS_CONNECTION_STRING"
EVENTHUBS_SUFFIX = ".servicebus.windows.net"
EVENTHUBS_PORT = 9093
KAFKA_DEFAULT_PORT = 9092
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")

# A value is an event (dict, sent as JSON) or raw bytes/str sent untouched (e.g. a
# deliberately malformed message to test the pipeline's quarantine path).
Event = dict[str, Any] | bytes | str
KeyFn = Callable[[Any], str | int | None]


class TargetError(UserError):
    """A target URL or its credentials are unusable (message: one line, never the secret)."""


@dataclass(frozen=True)
class KafkaTarget:
    """Where events go. ``connection_string`` is kept out of repr() so it never lands in logs."""

    kind: Literal["kafka", "eventhubs"]
    bootstrap: str
    topic: str
    connection_string: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        """The URL form, safe to print."""
        if self.kind == "eventhubs":
            return f"eventhubs://{self.bootstrap.split('.', 1)[0]}/{self.topic}"
        return f"kafka://{self.bootstrap}/{self.topic}"


@dataclass(frozen=True)
class SendReport:
    """Outcome of one ``send``: counts come from delivery reports, not from produce() calls."""

    sent: int
    failed: int
    seconds: float
    rate: float
    interrupted: bool = False
    first_error: str | None = None


def parse_target(url: str) -> KafkaTarget:
    """Turn ``kafka://HOST:PORT/TOPIC`` or ``eventhubs://NAMESPACE/HUB`` into a KafkaTarget.

    Fails early (before any connection) on a bad URL or a missing Event Hubs secret, so a
    typo shows up as one clear line instead of minutes of client retries.
    """
    parts = urlsplit(url)
    topic = parts.path.strip("/")
    if not _TOPIC.match(topic):
        raise TargetError(f"{url!r}: expected a topic/hub name after the host, e.g. kafka://127.0.0.1:9092/orders")
    if parts.scheme == "kafka":
        if not parts.hostname:
            raise TargetError(f"{url!r}: expected kafka://HOST:PORT/TOPIC")
        return KafkaTarget("kafka", f"{parts.hostname}:{parts.port or KAFKA_DEFAULT_PORT}", topic)
    if parts.scheme == "eventhubs":
        namespace = (parts.hostname or "").removesuffix(EVENTHUBS_SUFFIX)
        if not namespace or "." in namespace:
            raise TargetError(f"{url!r}: expected eventhubs://NAMESPACE/HUB")
        return KafkaTarget(
            "eventhubs",
            f"{namespace}{EVENTHUBS_SUFFIX}:{EVENTHUBS_PORT}",
            topic,
            connection_string=_eventhubs_secret(),
        )
    raise TargetError(f"{url!r}: unsupported scheme; use kafka://HOST:PORT/TOPIC or eventhubs://NAMESPACE/HUB")


def _eventhubs_secret() -> str:
    """Read the connection string from the environment: secrets never go in URLs or files."""
    secret = os.environ.get(EVENTHUBS_ENV, "").strip()
    if not secret:
        raise TargetError(f"{EVENTHUBS_ENV} is not set; export the Event Hubs namespace connection string")
    if not secret.startswith("Endpoint=sb://"):
        raise TargetError(f"{EVENTHUBS_ENV} does not look like a connection string (Endpoint=sb://...)")
    return secret


def producer_config(target: KafkaTarget) -> dict[str, Any]:
    """The exact confluent-kafka (librdkafka) settings for ``target``.

    Idempotence + acks=all means broker-side retries never duplicate or reorder the lines
    of an order within a partition; murmur2 makes key -> partition the same as Java/Spark
    producers, so every client agrees on where an order's lines live.
    """
    config: dict[str, Any] = {
        "bootstrap.servers": target.bootstrap,
        "client.id": "lakehouse-producer",
        "enable.idempotence": True,
        "acks": "all",
        "max.in.flight.requests.per.connection": 5,  # the maximum that keeps order with idempotence
        "message.timeout.ms": 120_000,  # give up (and report failed) after 2 min, not the 5 min default
        "linger.ms": 20,  # events are small: batch a little for throughput
        "partitioner": "murmur2_random",
    }
    if target.kind == "eventhubs":
        config |= {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "PLAIN",
            "sasl.username": "$ConnectionString",
            "sasl.password": target.connection_string,
            # Event Hubs closes idle TCP connections after 240 s; stay below that.
            "socket.keepalive.enable": True,
            "metadata.max.age.ms": 180_000,
            "connections.max.idle.ms": 180_000,
            "request.timeout.ms": 60_000,
            "message.max.bytes": 1_000_000,  # the service drops requests above ~1 MiB
        }
    return config


def encode(event: Event) -> bytes:
    """JSON for dicts (compact, UTF-8, dates via str); raw bytes/str pass through untouched."""
    if isinstance(event, bytes):
        return event
    if isinstance(event, str):
        return event.encode()
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=str).encode()


class _Deliveries:
    """Counts delivery reports; librdkafka calls ``__call__`` from poll()/flush() in this thread."""

    def __init__(self) -> None:
        self.sent = 0
        self.failed = 0
        self.first_error: str | None = None

    def __call__(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            self.sent += 1
            return
        self.failed += 1
        self.first_error = self.first_error or str(err)

    @property
    def done(self) -> int:
        return self.sent + self.failed


def require_reachable(target: KafkaTarget, timeout: float = 3.0) -> None:
    """A plain Kafka target must accept TCP connections, or the client would retry for a minute.

    Event Hubs is left to the client: its endpoint is remote and TLS-only, and a wrong namespace
    already fails fast in name resolution.
    """
    if target.kind != "kafka":
        return
    for server in filter(None, (s.strip() for s in target.bootstrap.split(","))):
        host, _, port = server.rpartition(":")
        if port.isdigit() and port_open(host or "127.0.0.1", int(port), timeout):
            return
    raise SourceUnavailable(f"Kafka is not reachable at {target.bootstrap}; start it (lakehouse kafka start)")


def send(
    events: Iterable[Event],
    target: KafkaTarget | str,
    key: KeyFn,
    rate: float | None = None,
    progress: bool = True,
    *,
    flush_timeout: float = 60.0,
) -> SendReport:
    """Produce ``events`` to ``target`` with ``key(event)`` as message key; wait for acks.

    ``rate`` caps events per second (None: as fast as the client goes). Ctrl-C stops
    reading events, flushes what is already in flight and returns a report with
    ``interrupted=True``, so a replay can be stopped without losing the count.
    Messages still undelivered after ``flush_timeout`` seconds count as failed.
    """
    if isinstance(target, str):
        target = parse_target(target)
    require_reachable(target)
    deliveries = _Deliveries()
    producer = Producer(producer_config(target))
    total = len(events) if isinstance(events, Sized) else None
    started = time.monotonic()
    interrupted = False
    with _progress_bar(progress, str(target), total) as bar:
        try:
            for index, event in enumerate(events):
                _pace(producer, rate, started, index)
                _produce(producer, target.topic, key(event), encode(event), deliveries)
                bar(deliveries.done)
        except KeyboardInterrupt:
            interrupted = True
        finally:  # also on an error (e.g. a bad key function): what is queued still goes out
            try:
                producer.flush(flush_timeout)
            except KeyboardInterrupt:  # a second Ctrl-C: stop waiting, the rest counts as failed
                interrupted = True
        bar(deliveries.done)
    seconds = time.monotonic() - started
    failed = deliveries.failed + len(producer)  # len(): still queued after the flush timeout
    return SendReport(
        sent=deliveries.sent,
        failed=failed,
        seconds=seconds,
        rate=deliveries.sent / seconds if seconds > 0 else 0.0,
        interrupted=interrupted,
        first_error=deliveries.first_error,
    )


def _produce(producer: Producer, topic: str, key: str | int | None, value: bytes, on_delivery: _Deliveries) -> None:
    """Queue one message; when the local queue is full, serve delivery reports and retry."""
    encoded_key = None if key is None else str(key)
    while True:
        try:
            producer.produce(topic, value=value, key=encoded_key, on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.1)
    producer.poll(0)  # run delivery callbacks that are ready, without blocking


def _pace(producer: Producer, rate: float | None, started: float, index: int) -> None:
    """Hold event ``index`` until its slot (started + index / rate), serving callbacks meanwhile."""
    if not rate:
        return
    due = started + index / rate
    while (wait := due - time.monotonic()) > 0:
        producer.poll(min(wait, 0.1))


@contextmanager
def _progress_bar(enabled: bool, label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """Yield ``update(acked)`` for a rich bar on stderr (stdout stays for the caller's output)."""
    if not enabled:
        yield lambda done: None
        return
    started = time.monotonic()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(f"sending to {label}", total=total, rate="")

        def update(done: int) -> None:
            elapsed = time.monotonic() - started
            bar.update(task, completed=done, rate=f"{done / elapsed:,.0f} ev/s" if elapsed > 0 else "")

        yield update
