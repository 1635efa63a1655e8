"""The first JVM start that resolves a set of Maven packages on this machine does it alone.

Spark resolves ``spark.jars.packages`` (Delta, and Kafka's or Avro's source) with Ivy when the JVM
starts, into one cache per user (``~/.ivy2.5.2``), and Ivy does not lock that cache. On a fresh
machine two runs that start at once both download into it; one reads the other's half-written
metadata (``ivy-4.4.0.xml.original (No such file or directory)``), finds no module, and its JVM
exits before Spark starts (``JAVA_GATEWAY_EXITED``). CI met it: the test suite starts three runs at
once on a fresh machine. Once a set is in the cache, Ivy only reads it, and starts at once are safe.
So a start that finds no record of its set here takes a machine-wide lock for the JVM's start, and
records the set once the JVM is up; later starts skip the lock.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lakehouse.kafka.broker import cache_root


def _record(packages: list[str]) -> Path:
    digest = hashlib.sha256(",".join(packages).encode()).hexdigest()[:16]
    return cache_root() / "spark-packages" / f"{digest}.resolved"


@contextmanager
def resolved_alone(packages: str) -> Iterator[None]:
    """Around the start of a JVM given ``spark.jars.packages=packages`` (comma-separated)."""
    wanted = sorted(p for p in packages.split(",") if p.strip())
    record = _record(wanted)
    if not wanted or record.exists():
        yield
        return
    record.parent.mkdir(parents=True, exist_ok=True)
    with open(record.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
        record.write_text("\n".join(wanted) + "\n")
