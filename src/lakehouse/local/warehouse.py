"""An interactive Spark session over the local warehouse, for ``lakehouse sql`` and notebooks.

It opens the same persistent catalog the pipelines write to. The catalog is an embedded Derby
database, which one process can open at a time, so the session holds the home's lock
(:mod:`lakehouse.local.lock`) for the rest of the process: a query while a pipeline runs waits a
little, then says who holds the home, instead of printing a Derby lock trace. The JVM's own output
(Ivy resolution, log4j) goes to a log file under the home; the terminal shows only the result.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from pyspark.sql import SparkSession

from lakehouse.local.home import DELTA_PACKAGE, Home, session_confs, static_confs
from lakehouse.local.lock import home_lock
from lakehouse.local.packages import started
from lakehouse.machine import require_java

_held = ExitStack()  # the home's lock, kept until the process ends


def open_session(home: Home | None = None) -> SparkSession:
    home = home or Home.from_env()
    require_java()
    home.create()
    _held.enter_context(home_lock(home.root, "lakehouse sql / notebook session"))
    log = home.logs / f"warehouse-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    builder = SparkSession.builder.master("local[2]").appName("lakehouse-warehouse")
    confs = {**static_confs(home, [DELTA_PACKAGE]), **session_confs()}
    for key, value in confs.items():
        builder = builder.config(key, value)
    with output_to(log):
        spark = started(confs, builder.enableHiveSupport().getOrCreate)
        spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextmanager
def output_to(log: Path) -> Iterator[None]:
    """Point file descriptors 1 and 2 at ``log`` while the JVM starts: it inherits them for good."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    target = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(target, 1)
        os.dup2(target, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, target):
            os.close(fd)


def list_tables(spark: SparkSession) -> list[tuple[str, str, str]]:
    """``(schema, table, kind)`` for every table and view in the warehouse, sorted."""
    found: list[tuple[str, str, str]] = []
    for database in spark.catalog.listDatabases():
        if database.name == "default":
            continue
        found += [(database.name, t.name, t.tableType) for t in spark.catalog.listTables(database.name)]
    return sorted(found)
