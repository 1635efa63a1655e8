"""One stage of a local update as a graph on the Spark Connect server: registered, run, dropped.

Registering and running are separate steps so that :mod:`lakehouse.local.update` can register the
next stage while this one winds down. Spark's pipeline engine notices that its flows are done only
when it next looks at them, once a second (``TriggeredGraphExecution``), and then ends the run:
1.1-2.0 s after a stage's last flow has committed (cold runs on 100,000 and 694,000 notification
events). The run's event stream says when each flow has completed, so :func:`run_registered` tells
its caller as soon as every flow has, and the caller uses that wait. A flow's ``COMPLETED`` event also follows a
*failed* stream (Spark's ``StreamListener`` sends it for every terminated query, and the failure
only when it next looks), so what the caller does then must stay harmless if the run still fails:
register the next graph, or read the tables for the summary. Nothing runs a later stage's flows
before this run has ended well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import pyspark.sql.connect.proto as pb2
from pyspark.pipelines import cli
from pyspark.pipelines.spark_connect_graph_element_registry import SparkConnectGraphElementRegistry
from pyspark.pipelines.spark_connect_pipeline import create_dataflow_graph, handle_pipeline_events
from pyspark.sql import SparkSession

from lakehouse.accounting import ACCOUNTING_ATTRIBUTE, Accounting
from lakehouse.compat import WARNINGS_ATTRIBUTE
from lakehouse.local.layers import Stage
from lakehouse.local.progress import COMPLETED


class RecordingRegistry(SparkConnectGraphElementRegistry):
    """The stock registry, remembering the datasets declared, the flows, and the warning rules."""

    def __init__(self, spark: SparkSession, graph_id: str) -> None:
        super().__init__(spark, graph_id)
        self.outputs: list[str] = []
        self.outputs_by_layer: dict[str, list[str]] = {}
        self.flows = 0
        self.warnings: dict[str, dict[str, str]] = {}
        self.accounting: dict[str, Accounting] = {}

    def register_output(self, output: Any) -> None:
        self.outputs.append(output.name)
        super().register_output(output)

    def register_flow(self, flow: Any) -> None:
        self.flows += 1
        warnings = getattr(flow.func, WARNINGS_ATTRIBUTE, None)
        if warnings:
            self.warnings[flow.target] = warnings
        declared = getattr(flow.func, ACCOUNTING_ATTRIBUTE, None)
        if declared is not None:
            self.accounting[flow.target] = declared
        super().register_flow(flow)


@dataclass(frozen=True)
class Registered:
    """A stage's graph, registered on the server and not run yet."""

    graph_id: str
    registry: RecordingRegistry


def register_stage(spark: SparkSession, spec: cli.PipelineSpec, stage: Stage) -> Registered:
    """Register a stage's layer files as one graph (dropped again if a file fails to register)."""
    graph_id = create_dataflow_graph(
        spark, default_catalog=spec.catalog, default_database=spec.database, sql_conf=spec.configuration
    )
    registry = RecordingRegistry(spark, graph_id)
    try:
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
    except BaseException:
        drop_graph(spark, graph_id)
        raise
    return Registered(graph_id, registry)


def run_registered(
    spark: SparkSession,
    registered: Registered,
    full_refresh: bool,
    dry: bool,
    storage: str,
    flows_done: Callable[[], None] | None = None,
) -> None:
    """Run (or validate) a registered graph to its end, then drop it. ``flows_done`` is called once
    every flow has reported ``COMPLETED``, before the run has ended (see the module docstring)."""
    events = start_run(spark, registered.graph_id, full_refresh, dry, storage)
    try:
        handle_pipeline_events(watch_flows(events, registered.registry.flows, flows_done))
    finally:
        drop_graph(spark, registered.graph_id)


def watch_flows(
    events: Iterator[dict[str, Any]], flows: int, flows_done: Callable[[], None] | None
) -> Iterator[dict[str, Any]]:
    """The events as they come, calling ``flows_done`` once, after the event by which ``flows``
    distinct flows have reported ``COMPLETED``."""
    completed: set[str] = set()
    for event in events:
        yield event
        result = event.get("pipeline_event_result")
        if result is None or flows_done is None:
            continue
        finished = COMPLETED.search(result.event.message)
        if finished is not None:
            completed.add(finished.group("table"))
            if len(completed) == flows:
                flows_done()
                flows_done = None


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
    """Forget a graph: the server keeps every registered graph until it is dropped."""
    command = pb2.Command()
    command.pipeline_command.drop_dataflow_graph.CopyFrom(
        pb2.PipelineCommand.DropDataflowGraph(dataflow_graph_id=graph_id)
    )
    cast(Any, spark).client.execute_command(command)
