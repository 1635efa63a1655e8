"""Reading the CDC topic and the table back, for the stack tests and the pipeline's end-to-end test."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from lakehouse.cdc.envelope import zoned_timestamp
from lakehouse.produce.users import COLUMNS


@dataclass(frozen=True)
class Record:
    """One message of the topic: where it is, its key and its value (None for a tombstone)."""

    partition: int
    offset: int
    key: dict[str, Any]
    value: dict[str, Any] | None

    @property
    def lsn(self) -> int:
        assert self.value is not None
        return int(self.value["source"]["lsn"])


def read_topic(bootstrap: str, topic: str, *, until: int, timeout: float = 60.0) -> list[Record]:
    """Every message of ``topic`` from the beginning, once at least ``until`` are there (or timeout),
    then drained until the topic is quiet for a second (so late extras would be seen too).
    A topic that does not exist yet has no messages: ``[]`` when ``until`` is 0."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "cdc-tests", "enable.auto.commit": False})
    try:
        deadline = time.monotonic() + timeout
        partitions: list[int] = []
        while not partitions and time.monotonic() < deadline:
            meta = consumer.list_topics(topic, timeout=5).topics.get(topic)
            partitions = sorted(meta.partitions) if meta is not None and meta.error is None else []
            if not partitions and until == 0:
                return []
            if not partitions:
                time.sleep(0.2)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        records: list[Record] = []
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is None:
                if len(records) >= until and time.monotonic() - quiet_since > 1.0:
                    break
                continue
            if msg.error() is not None:
                continue
            quiet_since = time.monotonic()
            raw = msg.value()
            key = json.loads(msg.key() or b"null")
            records.append(Record(msg.partition(), msg.offset(), key, json.loads(raw) if raw is not None else None))
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()


def table_rows(dsn: str) -> dict[int, dict[str, Any]]:
    """``SELECT * FROM usuarios`` as Debezium images (timestamps as ZonedTimestamp strings)."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM public.usuarios").fetchall()
    images = [
        {c: zoned_timestamp(v) if isinstance(v, datetime) else v for c, v in zip(COLUMNS, row, strict=True)}
        for row in rows
    ]
    return {image["id"]: image for image in images}


def last_images(records: list[Record]) -> dict[int, dict[str, Any]]:
    """Replay the change events in LSN order: the image each id has at the end (deleted ids absent)."""
    images: dict[int, dict[str, Any]] = {}
    for record in sorted((r for r in records if r.value is not None), key=lambda r: r.lsn):
        value = record.value
        assert value is not None
        if value["op"] == "d":
            images.pop(value["before"]["id"], None)
        else:
            images[value["after"]["id"]] = value["after"]
    return images


def shape(value: Any) -> Any:
    """The structure of a JSON value: objects keep their keys in order, leaves become type names."""
    if isinstance(value, dict):
        return tuple((k, shape(v)) for k, v in value.items())
    return type(value).__name__
