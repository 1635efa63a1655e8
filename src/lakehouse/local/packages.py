"""Maven packages of a local Spark JVM: resolved by Ivy once per machine, then given as jars.

Spark resolves ``spark.jars.packages`` (Delta, and Kafka's or Avro's source) with Ivy when the JVM
starts, into one cache per user (``~/.ivy2.5.2``). Two things follow:

- Ivy does not lock that cache. On a fresh machine two runs that start at once both download into
  it; one reads the other's half-written metadata (``ivy-4.4.0.xml.original (No such file or
  directory)``), finds no module, and its JVM exits before Spark starts (``JAVA_GATEWAY_EXITED``).
  CI met it: the test suite starts three runs at once on a fresh machine. So a start that finds no
  record of its set takes a machine-wide lock for the JVM's start (:func:`resolved_alone`).
- Every start resolved the set again, though nothing changed: 1.3-1.5 s of each JVM start here
  (a session with Delta started in 5.8-6.0 s from the jars, 7.1-7.5 s from the package). So the
  first start records the jars Ivy resolved the set to (Spark's ``spark.jars`` once it is up), and
  later starts are given those jars (:func:`jar_confs`) - as long as every one of them is still in
  Ivy's cache; otherwise the set is resolved, alone, and recorded again.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse.kafka.broker import cache_root

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _wanted(packages: str | list[str]) -> list[str]:
    listed = packages.split(",") if isinstance(packages, str) else packages
    return sorted(p.strip() for p in listed if p.strip())


def _record(wanted: list[str]) -> Path:
    digest = hashlib.sha256(",".join(wanted).encode()).hexdigest()[:16]
    return cache_root() / "spark-packages" / f"{digest}.jars"


def recorded_jars(packages: str | list[str]) -> list[str] | None:
    """The jars a start on this machine resolved ``packages`` to, if each is still there."""
    record = _record(_wanted(packages))
    if not record.is_file():
        return None
    jars = record.read_text().split()
    if not jars or not all(jar.endswith(".jar") and Path(jar).is_file() for jar in jars):
        return None
    return jars


def jar_confs(packages: list[str]) -> dict[str, str]:
    """The JVM setting that brings ``packages``: their recorded jars, or the packages for Ivy."""
    wanted = _wanted(packages)
    if not wanted:
        return {}
    jars = recorded_jars(wanted)
    return {"spark.jars": ",".join(jars)} if jars else {"spark.jars.packages": ",".join(wanted)}


def _ignore(_: str) -> None:
    return None


@contextmanager
def resolved_alone(packages: str) -> Iterator[Callable[[str], None]]:
    """Around the start of a JVM given ``spark.jars.packages=packages`` (comma-separated).

    Yields the function to call with the started JVM's ``spark.jars``: it records them for later
    starts. A start given recorded jars (no packages) neither waits nor records.
    """
    wanted = _wanted(packages)
    if not wanted or recorded_jars(wanted) is not None:
        yield _ignore
        return
    record = _record(wanted)
    record.parent.mkdir(parents=True, exist_ok=True)
    resolved: list[str] = []
    with open(record.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield lambda jars: resolved.extend(j.removeprefix("file://") for j in jars.split(",") if j.strip())
        if resolved:
            tmp = record.with_name(f".{record.name}.tmp")
            tmp.write_text("\n".join(resolved) + "\n")
            tmp.replace(record)


def started(confs: Mapping[str, str], start: Callable[[], SparkSession]) -> SparkSession:
    """``start()`` a JVM given ``confs`` (as :func:`jar_confs` made them): alone when its packages
    resolve for the first time here, then recording the jars they resolved to."""
    with resolved_alone(confs.get("spark.jars.packages", "")) as record_jars:
        spark = start()
        record_jars(spark.conf.get("spark.jars", "") or "")
    return spark
