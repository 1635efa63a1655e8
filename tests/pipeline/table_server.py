"""One Spark session that answers every test's warehouse queries, over the Delta tables of any home.

A test reads what a run wrote with :func:`tests.pipeline.local.query`. Opening the home's own
catalog for that costs a JVM start and the Hive metastore's (15-25 s each, and the suite reads a
home some twenty times). This process starts one JVM for the whole session instead: for each
request it registers the home's tables - every Delta table folder of its warehouse,
``<schema>.db/<table>`` - under the same ``schema.table`` names in its own in-memory catalog, and
runs the queries. What is read is the tables' Delta log and files, exactly what the pipelines
wrote; whether the home's Hive catalog lists them is checked by the tests that need it
(:func:`tests.pipeline.local.query_catalog`).

Protocol, one JSON line each way: ``{"warehouse": DIR, "database": NAME|null, "queries": {...}}``
in, ``RESULT={"result": {name: rows}}`` or ``RESULT={"error": "..."}`` out.

    python -m tests.pipeline.table_server OWN_FOLDER
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from lakehouse.local.home import DELTA_PACKAGE, Home, session_confs, static_confs
from lakehouse.local.packages import started
from lakehouse.local.warehouse import output_to


def start(folder: Path) -> SparkSession:
    """A local session with Delta and an in-memory catalog whose own databases live in ``folder``."""
    builder = SparkSession.builder.master("local[2]").appName("lakehouse-test-tables")
    # The pipelines' own JVM settings (Delta, JIT, class archive), with an in-memory catalog.
    confs = {
        **static_confs(Home(folder), [DELTA_PACKAGE]),
        "spark.sql.catalogImplementation": "in-memory",
        **session_confs(),
    }
    for key, value in confs.items():
        builder = builder.config(key, value)
    with output_to(folder / "spark.log"):
        spark = started(confs, builder.getOrCreate)
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def delta_tables(warehouse: Path) -> dict[str, list[Path]]:
    """``schema -> table folders`` of a Hive warehouse: ``<schema>.db/<table>``, ``default`` at its root."""
    found: dict[str, list[Path]] = {"default": []}
    for folder in sorted(warehouse.iterdir()) if warehouse.is_dir() else []:
        if folder.suffix == ".db":
            found[folder.stem] = [t for t in sorted(folder.iterdir()) if (t / "_delta_log").is_dir()]
        elif (folder / "_delta_log").is_dir():
            found["default"].append(folder)
    return found


def register(spark: SparkSession, warehouse: Path) -> None:
    """Forget the previous home's tables (the files stay: they are external tables) and name this one's."""
    for database in spark.catalog.listDatabases():
        if database.name != "default":
            spark.sql(f"DROP DATABASE `{database.name}` CASCADE")
    for table in spark.catalog.listTables("default"):
        spark.sql(f"DROP TABLE IF EXISTS default.`{table.name}`")
    for schema, tables in delta_tables(warehouse).items():
        spark.sql(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
        for table in tables:
            spark.sql(f"CREATE TABLE `{schema}`.`{table.name}` USING delta LOCATION '{table}'")


def answer(spark: SparkSession, request: dict[str, Any]) -> dict[str, Any]:
    try:
        register(spark, Path(request["warehouse"]))
        spark.catalog.setCurrentDatabase(request.get("database") or "default")
        queries: dict[str, str] = request["queries"]
        return {
            "result": {
                name: [row.asDict(recursive=True) for row in spark.sql(sql).collect()] for name, sql in queries.items()
            }
        }
    except Exception as error:  # reported to the test that asked, which fails with it
        return {"error": f"{type(error).__name__}: {error}"}


def main(folder: Path) -> None:
    spark = start(folder)
    print("READY", flush=True)
    for line in sys.stdin:
        print("RESULT=" + json.dumps(answer(spark, json.loads(line)), default=str), flush=True)
    spark.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
