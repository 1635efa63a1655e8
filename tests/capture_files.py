"""Writes Event Hubs Capture files as Capture does: Avro with the Capture schema, default naming.

Used by the unit tests and by the end-to-end run of the orders pipeline from Capture files.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fastavro

from lakehouse.capture import CAPTURE_AVRO_SCHEMA

FIRST_ENQUEUED = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)


def capture_time(moment: datetime) -> str:
    """``EnqueuedTimeUtc`` as Capture writes it: ``12/1/2026 10:00:07 AM``."""
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} {'AM' if moment.hour < 12 else 'PM'}"


def capture_path(root: Path, namespace: str, hub: str, partition: int, window: datetime) -> Path:
    """``{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}.avro``."""
    return root / namespace / hub / str(partition) / f"{window:%Y/%m/%d/%H/%M/%S}.avro"


def write_capture_files(
    bodies: Sequence[str],
    root: Path,
    *,
    namespace: str = "shop-ns",
    hub: str = "orders",
    partitions: int = 2,
    per_file: int = 100,
) -> list[dict]:
    """Spread ``bodies`` round-robin over partitions, ``per_file`` events per Capture window.

    Returns the records written (with their partition), in the order each partition received them.
    Each partition also gets one empty window, as Capture writes for an idle window when asked to.
    """
    parsed = fastavro.parse_schema(CAPTURE_AVRO_SCHEMA)
    by_partition: dict[int, list[dict]] = {p: [] for p in range(partitions)}
    for index, body in enumerate(bodies):
        partition = index % partitions
        queue = by_partition[partition]
        enqueued = FIRST_ENQUEUED + timedelta(seconds=index)
        queue.append(
            {
                "SequenceNumber": len(queue),
                "Offset": str(len(queue) * 512),
                "EnqueuedTimeUtc": capture_time(enqueued),
                "SystemProperties": {"x-opt-enqueued-time": int(enqueued.timestamp() * 1000)},
                "Properties": {"content-type": "application/json"},
                "Body": body.encode("utf-8"),
                "_partition": partition,
            }
        )
    written = []
    for partition, records in by_partition.items():
        chunks = [records[i : i + per_file] for i in range(0, len(records), per_file)] + [[]]
        for window, chunk in enumerate(chunks):
            path = capture_path(root, namespace, hub, partition, FIRST_ENQUEUED + timedelta(minutes=window))
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as out:
                fastavro.writer(out, parsed, [{k: v for k, v in r.items() if k != "_partition"} for r in chunk])
            written += chunk
    return written
