"""One update of a local pipeline: its stages in medallion order, each stage's layers registered and
run as one graph unless they are up to date, then the run summary.

Why layers run as separate graphs, and which share one: :mod:`lakehouse.local.layers`. Why a layer may be skipped:
:mod:`lakehouse.local.freshness`. A graph can execute once: every update registers its layers anew
and drops each graph when it has run, so a long-running ``lakehouse run --every`` does not pile them
up in the server.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

import pyspark.sql.connect.proto as pb2
from pyspark.pipelines import cli
from pyspark.pipelines.spark_connect_graph_element_registry import SparkConnectGraphElementRegistry
from pyspark.pipelines.spark_connect_pipeline import create_dataflow_graph, handle_pipeline_events
from pyspark.sql import SparkSession

from lakehouse.accounting import ACCOUNTING_ATTRIBUTE, Accounting
from lakehouse.compat import WARNINGS_ATTRIBUTE
from lakehouse.local import delta_log, freshness
from lakehouse.local.layers import Stage, layer_schemas, layer_stages
from lakehouse.local.summary import collect_summary, user_message


class RecordingRegistry(SparkConnectGraphElementRegistry):
    """The stock registry, remembering the datasets declared and the warning rules of their flows."""

    def __init__(self, spark: SparkSession, graph_id: str) -> None:
        super().__init__(spark, graph_id)
        self.outputs: list[str] = []
        self.outputs_by_layer: dict[str, list[str]] = {}
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


def run_stage(
    spark: SparkSession, spec: cli.PipelineSpec, stage: Stage, full_refresh: bool, dry: bool
) -> RecordingRegistry:
    """Register a stage's layer files as one graph and run (or validate) it."""
    graph_id = create_dataflow_graph(
        spark, default_catalog=spec.catalog, default_database=spec.database, sql_conf=spec.configuration
    )
    registry = RecordingRegistry(spark, graph_id)
    for layer, file in stage:
        layer_spec = cli.PipelineSpec(
            name=spec.name,
            storage=spec.storage,
            catalog=spec.catalog,
            database=spec.database,
            configuration=spec.configuration,
            libraries=[cli.LibrariesGlob(include=file.name)],
        )
        declared = len(registry.outputs)
        cli.register_definitions(file.parent / "spark-pipeline.yml", registry, layer_spec, spark, graph_id)
        registry.outputs_by_layer[layer] = registry.outputs[declared:]
    events = start_run(spark, graph_id, full_refresh, dry, spec.storage)
    try:
        handle_pipeline_events(events)
    finally:
        drop_graph(spark, graph_id)
    return registry


# Spark gives a Python worker (the empty-file stream's reader, :mod:`lakehouse.empty_files`) a fixed
# 10 s to start and connect back, or fails its flow. The pipeline engine retries a failed flow twice
# within a minute, which a machine saturated for longer outlasts (seen in CI: three attempts in 45 s,
# all timed out). Such a layer is run again as a whole, as after a crash: its checkpoints make that
# exactly-once, after a pause long enough for a burst of load to pass. Any other error ends the run
# at once.
TRANSIENT_ERRORS = ("Python worker failed to connect back",)
LAYER_ATTEMPTS = 3


def transient(error: Exception) -> bool:
    return any(marker in str(error) for marker in TRANSIENT_ERRORS)


def run_stage_retrying(
    spark: SparkSession,
    spec: cli.PipelineSpec,
    stage: Stage,
    full_refresh: bool,
    dry: bool,
    attempts: int = LAYER_ATTEMPTS,
    pause: float = 30.0,
) -> RecordingRegistry:
    """:func:`run_stage`, run again up to ``attempts`` times in all when it fails on a transient error."""
    for attempt in range(1, attempts):
        try:
            return run_stage(spark, spec, stage, full_refresh, dry)
        except Exception as error:
            if not transient(error):
                raise
            print(
                f"lakehouse: {stage_names(stage)} failed on a transient error ({user_message(error)}); "
                f"running it again (attempt {attempt + 1} of {attempts})",
                flush=True,
            )
            time.sleep(pause)
    return run_stage(spark, spec, stage, full_refresh, dry)


def stage_names(stage: Stage) -> str:
    """``layer silver``, ``layers quarantine and gold``: how the run's output names a stage."""
    names = [layer for layer, _ in stage]
    return f"layer {names[0]}" if len(names) == 1 else f"layers {', '.join(names[:-1])} and {names[-1]}"


def start_run(
    spark: SparkSession, graph_id: str, full_refresh: bool, dry: bool, storage: str
) -> Iterator[dict[str, Any]]:
    """The run's event stream, as ``pyspark.pipelines.spark_connect_pipeline.start_run`` gives it,
    less the observed metrics the server sends along when a flow reads a Python data source (the
    Python workers' accumulators, :mod:`lakehouse.empty_files`): PySpark 4.2's command iterator
    raises ``UNKNOWN_RESPONSE`` on them after the flows have run."""
    command = pb2.Command()
    command.pipeline_command.start_run.CopyFrom(
        pb2.PipelineCommand.StartRun(
            dataflow_graph_id=graph_id, full_refresh_all=full_refresh, dry=dry, storage=storage
        )
    )
    client = cast(Any, spark).client
    request = client._execute_plan_request_with_metadata()
    client._set_command_in_plan(request.plan, command)
    for response in client._execute_and_fetch_as_iterator(request, {}):
        if isinstance(response, dict):
            yield response


def drop_graph(spark: SparkSession, graph_id: str) -> None:
    """Forget a graph that has run: the server keeps every registered graph until it is dropped."""
    command = pb2.Command()
    command.pipeline_command.drop_dataflow_graph.CopyFrom(
        pb2.PipelineCommand.DropDataflowGraph(dataflow_graph_id=graph_id)
    )
    cast(Any, spark).client.execute_command(command)


def reads_unmaterialised_table(error: Exception, schemas: list[str]) -> bool:
    """A dry run cannot register a layer that reads a layer table no run has written yet."""
    missing = re.search(r"TABLE_OR_VIEW_NOT_FOUND\] The table or view `([^`]+)`\.`([^`]+)`", str(error))
    return missing is not None and missing.group(1) in schemas


def table_name(name: str) -> str:
    """``schema.table`` of a dataset name as the registry reports it (``spark_catalog.schema.table``)."""
    return name.removeprefix("spark_catalog.")


def warehouse_folder(spark: SparkSession) -> Path:
    """The Hive warehouse the server was started with, where each managed table has its folder."""
    location = spark.conf.get("spark.sql.warehouse.dir") or "spark-warehouse"
    return Path(urlparse(location).path if location.startswith("file:") else location)


def run_update(
    spark: SparkSession, spec: cli.PipelineSpec, pipeline_dir: Path, full_refresh: bool, dry: bool
) -> dict[str, Any]:
    """Run every layer that has work to do and return the update's summary (see the module docstring)."""
    configuration = dict(spec.configuration)
    warehouse = warehouse_folder(spark)
    started = time.time()
    for schema in layer_schemas(configuration):
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS `{schema}`")
    before = delta_log.table_versions(warehouse, layer_schemas(configuration))
    outputs: list[str] = []
    warnings: dict[str, dict[str, str]] = {}
    accounting: dict[str, Accounting] = {}
    not_validated: list[str] = []
    storage = Path(urlparse(spec.storage).path)
    records = freshness.load(storage)
    for stage in layer_stages(pipeline_dir):
        inputs = freshness.layer_inputs(warehouse, outputs, configuration)
        stale: Stage = []
        current = {layer: freshness.fingerprint(file, configuration) for layer, file in stage}
        written: dict[str, list[str]] = {}
        for layer, file in stage:
            record = records.get(layer)
            if not (full_refresh or dry) and freshness.up_to_date(warehouse, record, current[layer], inputs):
                assert record is not None
                print(f"lakehouse: layer {layer} is up to date (no new input since its last run)", flush=True)
                written[layer] = record.outputs
            else:
                stale.append((layer, file))
        if stale:
            for layer, file in stale:
                print(f"lakehouse: running layer {layer} ({file.name})", flush=True)
            try:
                registry = run_stage_retrying(spark, spec, stale, full_refresh, dry)
            except Exception as error:
                if not (dry and reads_unmaterialised_table(error, layer_schemas(configuration))):
                    raise
                not_validated += [layer for layer, _ in stale]
                continue
            for layer, _ in stale:
                written[layer] = [table_name(name) for name in registry.outputs_by_layer[layer]]
            warnings.update(registry.warnings)
            accounting.update(registry.accounting)
            if not dry and inputs is not None:
                for layer, _ in stale:
                    records[layer] = freshness.LayerRecord(current[layer], inputs, written[layer])
                freshness.save(storage, records)
        outputs += [name for layer, _ in stage for name in written[layer]]
    if dry:
        return {
            "pipeline": spec.name,
            "dry_run": True,
            "datasets": outputs,
            "not_validated": not_validated,
            "seconds": round(time.time() - started, 1),
        }
    summarising = time.time()
    summary = collect_summary(spark, warehouse, outputs, before, warnings, accounting)
    # The summary's own queries (a few seconds) are part of what an update costs, and of the
    # interval a long-running run waits out before the next update; ``summary_seconds`` shows them.
    finished = time.time()
    return {
        "pipeline": spec.name,
        "seconds": round(finished - started, 1),
        "summary_seconds": round(finished - summarising, 1),
        **summary,
    }
