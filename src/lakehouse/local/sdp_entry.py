"""The Python side of ``spark-pipelines``: executes one pipeline on a local Spark Connect server.

It is the open-source CLI's ``run`` with two additions the local engine needs: the layer schemas are
created first (``CREATE SCHEMA`` is refused inside pipeline definitions), and the layers are run one
graph at a time in medallion order (see :mod:`lakehouse.local.layers` for why). At the end it writes
a JSON summary - rows written per dataset, rows quarantined, failures per rule - that ``lakehouse
run`` renders. Any failure is reduced to one readable line in that summary; the full trace stays in
the run log.

Usage (built by :mod:`lakehouse.local.engine`, which sets ``SPARK_REMOTE`` and the server's settings
in ``PYSPARK_REMOTE_INIT_CONF_*`` as the ``SparkPipelines`` launcher would)::

    python sdp_entry.py SPEC PIPELINE_DIR SUMMARY_JSON [--full-refresh] [--dry-run]
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pyspark.pipelines import cli
from pyspark.pipelines.spark_connect_graph_element_registry import SparkConnectGraphElementRegistry
from pyspark.pipelines.spark_connect_pipeline import create_dataflow_graph, handle_pipeline_events, start_run
from pyspark.sql import SparkSession
from pyspark.sql.connect.client.core import DefaultChannelBuilder

from lakehouse.accounting import ACCOUNTING_ATTRIBUTE, Accounting
from lakehouse.compat import WARNINGS_ATTRIBUTE
from lakehouse.local import delta_log, freshness
from lakehouse.local.layers import layer_files
from lakehouse.local.summary import collect_summary, user_message
from lakehouse.machine import die_with_parent


def merge_launcher_confs() -> dict[str, str]:
    """Hand the launcher's ``--conf`` settings to PySpark in one piece.

    ``spark-submit`` passes them to the Python driver in chunks (``PYSPARK_REMOTE_INIT_CONF_<i>``),
    but PySpark 4.2 keeps only the last chunk when it starts the local Spark Connect server, so
    with many settings some are silently lost (the catalog, the warehouse, the server port).
    """
    merged: dict[str, str] = {}
    for index in range(int(os.environ.get("PYSPARK_REMOTE_INIT_CONF_LEN", "0"))):
        merged.update(json.loads(os.environ[f"PYSPARK_REMOTE_INIT_CONF_{index}"]))
    if merged:
        os.environ["PYSPARK_REMOTE_INIT_CONF_LEN"] = "1"
        os.environ["PYSPARK_REMOTE_INIT_CONF_0"] = json.dumps(merged)
    return merged


def use_configured_connect_port(confs: dict[str, str]) -> None:
    """Connect to the port this run's server was given, not to Spark Connect's fixed 15002.

    ``spark-pipelines`` starts its own local Spark Connect server, and the client then assumes the
    default port; two local runs at once (a test and a user's run, two pipelines) would collide.
    The launcher passes a free port (:func:`lakehouse.local.engine.free_port`); this points the
    client at it.
    """
    port = confs.get("spark.connect.grpc.binding.port")
    if port:
        DefaultChannelBuilder.default_port = staticmethod(lambda: int(port))  # type: ignore[method-assign]


class RecordingRegistry(SparkConnectGraphElementRegistry):
    """The stock registry, remembering the datasets declared and the warning rules of their flows."""

    def __init__(self, spark: SparkSession, graph_id: str) -> None:
        super().__init__(spark, graph_id)
        self.outputs: list[str] = []
        self.warnings: dict[str, dict[str, str]] = {}
        self.accounting: dict[str, Accounting] = {}

    def register_output(self, output: Any) -> None:
        self.outputs.append(output.name)
        super().register_output(output)

    def register_flow(self, flow: Any) -> None:
        warnings = getattr(flow.func, WARNINGS_ATTRIBUTE, None)
        if warnings:
            self.warnings[flow.target] = warnings
        declared = getattr(flow.func, ACCOUNTING_ATTRIBUTE, None)
        if declared is not None:
            self.accounting[flow.target] = declared
        super().register_flow(flow)


def session_for(spec: cli.PipelineSpec) -> SparkSession:
    builder = SparkSession.builder
    for key, value in spec.configuration.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def run_layer(
    spark: SparkSession, spec: cli.PipelineSpec, file: Path, full_refresh: bool, dry: bool
) -> RecordingRegistry:
    """Register one layer's file as its own graph and run (or validate) it."""
    layer_spec = cli.PipelineSpec(
        name=spec.name,
        storage=spec.storage,
        catalog=spec.catalog,
        database=spec.database,
        configuration=spec.configuration,
        libraries=[cli.LibrariesGlob(include=file.name)],
    )
    graph_id = create_dataflow_graph(
        spark, default_catalog=spec.catalog, default_database=spec.database, sql_conf=spec.configuration
    )
    registry = RecordingRegistry(spark, graph_id)
    cli.register_definitions(file.parent / "spark-pipeline.yml", registry, layer_spec, spark, graph_id)
    events = start_run(
        spark,
        graph_id,
        full_refresh=[],
        full_refresh_all=full_refresh,
        refresh=[],
        dry=dry,
        storage=spec.storage,
    )
    handle_pipeline_events(events)
    return registry


def reads_unmaterialised_table(error: Exception, schemas: list[str]) -> bool:
    """A dry run cannot register a layer that reads a layer table no run has written yet."""
    missing = re.search(r"TABLE_OR_VIEW_NOT_FOUND\] The table or view `([^`]+)`\.`([^`]+)`", str(error))
    return missing is not None and missing.group(1) in schemas


def table_name(name: str) -> str:
    """``schema.table`` of a dataset name as the registry reports it (``spark_catalog.schema.table``)."""
    return name.removeprefix("spark_catalog.")


def layer_schemas(configuration: dict[str, str]) -> list[str]:
    return [configuration.get(f"lakehouse.schema.{layer}", layer) for layer in ("bronze", "silver", "gold")]


def warehouse_folder(spark: SparkSession) -> Path:
    """The Hive warehouse the server was started with, where each managed table has its folder."""
    location = spark.conf.get("spark.sql.warehouse.dir") or "spark-warehouse"
    return Path(urlparse(location).path if location.startswith("file:") else location)


def run(spec_path: Path, pipeline_dir: Path, full_refresh: bool, dry: bool) -> dict[str, Any]:
    spec = cli.load_pipeline_spec(spec_path)
    configuration = dict(spec.configuration)
    spark = session_for(spec)
    warehouse = warehouse_folder(spark)
    started = time.time()
    try:
        for schema in layer_schemas(configuration):
            spark.sql(f"CREATE SCHEMA IF NOT EXISTS `{schema}`")
        before = delta_log.table_versions(warehouse, layer_schemas(configuration))
        outputs: list[str] = []
        warnings: dict[str, dict[str, str]] = {}
        accounting: dict[str, Accounting] = {}
        not_validated: list[str] = []
        storage = Path(urlparse(spec.storage).path)
        records = freshness.load(storage)
        for layer, file in layer_files(pipeline_dir):
            upstream = [table_name(name) for name in outputs]
            current = freshness.fingerprint(file, configuration)
            inputs = freshness.layer_inputs(warehouse, upstream, configuration)
            record = records.get(layer)
            if not (full_refresh or dry) and freshness.up_to_date(warehouse, record, current, inputs):
                assert record is not None
                print(f"lakehouse: layer {layer} is up to date (no new input since its last run)", flush=True)
                outputs += record.outputs
                continue
            print(f"lakehouse: running layer {layer} ({file.name})", flush=True)
            try:
                registry = run_layer(spark, spec, file, full_refresh, dry)
            except Exception as error:
                if not (dry and reads_unmaterialised_table(error, layer_schemas(configuration))):
                    raise
                not_validated.append(layer)
                continue
            outputs += [table_name(name) for name in registry.outputs]
            warnings.update(registry.warnings)
            accounting.update(registry.accounting)
            if not dry and inputs is not None:
                written = [table_name(name) for name in registry.outputs]
                records[layer] = freshness.LayerRecord(current, inputs, written)
                freshness.save(storage, records)
        seconds = time.time() - started
        if dry:
            return {
                "pipeline": spec.name,
                "dry_run": True,
                "datasets": outputs,
                "not_validated": not_validated,
                "seconds": round(seconds, 1),
            }
        return collect_summary(spark, warehouse, spec.name, outputs, before, warnings, seconds, accounting)
    finally:
        spark.stop()


def main(argv: list[str]) -> int:
    spec_path, pipeline_dir, summary_path = Path(argv[0]), Path(argv[1]), Path(argv[2])
    flags = set(argv[3:])
    die_with_parent()  # the `lakehouse` command is our parent: nothing runs on once it is gone
    use_configured_connect_port(merge_launcher_confs())
    try:
        result = run(spec_path, pipeline_dir, "--full-refresh" in flags, "--dry-run" in flags)
        code = 0
    except Exception as error:  # reduced to one line for the user; the trace is in the run log
        import traceback

        traceback.print_exc()
        result = {"error": user_message(error)}
        code = 1
    summary_path.write_text(json.dumps(result, indent=2, default=str))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
