"""An interactive Spark session over the local warehouse, for ``lakehouse sql`` and notebooks.

It opens the same persistent catalog the pipelines write to. The catalog is an embedded Derby
database, which one process can open at a time: querying while a pipeline runs is refused with a
clear message rather than a lock trace.
"""

from __future__ import annotations

from pyspark.sql import SparkSession

from lakehouse.local.home import DELTA_PACKAGE, Home, session_confs, static_confs
from lakehouse.machine import require_java


def open_session(home: Home | None = None) -> SparkSession:
    home = home or Home.from_env()
    require_java()
    home.create()
    builder = SparkSession.builder.master("local[2]").appName("lakehouse-warehouse")
    for key, value in {**static_confs(home, [DELTA_PACKAGE]), **session_confs()}.items():
        builder = builder.config(key, value)
    return builder.enableHiveSupport().getOrCreate()


def list_tables(spark: SparkSession) -> list[tuple[str, str, str]]:
    """``(schema, table, kind)`` for every table and view in the warehouse, sorted."""
    found: list[tuple[str, str, str]] = []
    for database in spark.catalog.listDatabases():
        if database.name == "default":
            continue
        found += [(database.name, t.name, t.tableType) for t in spark.catalog.listTables(database.name)]
    return sorted(found)
