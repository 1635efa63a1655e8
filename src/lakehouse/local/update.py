"""One update of a local pipeline: its stages in medallion order, each stage's layers registered and
run as one graph unless they are up to date, then the run summary.

Why layers run as separate graphs, and which share one: :mod:`lakehouse.local.layers`. Why a layer may be skipped:
:mod:`lakehouse.local.freshness`. A graph can execute once: every update registers its layers anew
and drops each graph when it has run, so a long-running ``lakehouse run --every`` does not pile them
up in the server.

Once every flow of a stage has completed, and while Spark's engine takes 1.1-2.0 s to notice and
end that stage's run (:mod:`lakehouse.local.graphs`), the update already plans the next stage and
registers its graph, or, after the last stage, collects the summary. The next stage's flows start
only once the run before has ended well; if it fails, what was prepared is dropped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pyspark.pipelines import cli
from pyspark.sql import SparkSession

from lakehouse.accounting import Accounting
from lakehouse.local import delta_log, freshness
from lakehouse.local.graphs import RecordingRegistry, Registered, drop_graph, register_stage, run_registered
from lakehouse.local.layers import Stage, layer_schemas, layer_stages
from lakehouse.local.summary import collect_summary, user_message


def run_stage(
    spark: SparkSession,
    spec: cli.PipelineSpec,
    stage: Stage,
    full_refresh: bool,
    dry: bool,
    registered: Registered | None = None,
    flows_done: Callable[[], None] | None = None,
) -> RecordingRegistry:
    """Run (or validate) a stage's graph, registering it first unless ``registered`` is given."""
    if registered is None:
        registered = register_stage(spark, spec, stage)
    run_registered(spark, registered, full_refresh, dry, spec.storage, flows_done)
    return registered.registry


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
    registered: Registered | None = None,
    flows_done: Callable[[], None] | None = None,
) -> RecordingRegistry:
    """:func:`run_stage`, run again up to ``attempts`` times in all when it fails on a transient error
    (each attempt after the first registers the stage anew: a graph runs once)."""
    for attempt in range(1, attempts):
        try:
            return run_stage(spark, spec, stage, full_refresh, dry, registered, flows_done)
        except Exception as error:
            if not transient(error):
                raise
            print(
                f"lakehouse: {stage_names(stage)} failed on a transient error ({user_message(error)}); "
                f"running it again (attempt {attempt + 1} of {attempts})",
                flush=True,
            )
            time.sleep(pause)
            registered = None
    return run_stage(spark, spec, stage, full_refresh, dry, registered, flows_done)


def stage_names(stage: Stage) -> str:
    """``layer silver``, ``layers quarantine and gold``: how the run's output names a stage."""
    names = [layer for layer, _ in stage]
    return f"layer {names[0]}" if len(names) == 1 else f"layers {', '.join(names[:-1])} and {names[-1]}"


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


@dataclass
class PlannedStage:
    """A stage as this update runs it: its up-to-date layers with the tables they keep, and its stale
    layers registered as one graph, with the inputs and fingerprints their records will keep."""

    stage: Stage
    inputs: dict[str, str] | None
    current: dict[str, str]
    up_to_date: dict[str, list[str]]
    stale: Stage = field(default_factory=list)
    registered: Registered | None = None

    def written(self) -> dict[str, list[str]]:
        """The tables of each of the stage's layers, ``schema.table``."""
        names = dict(self.up_to_date)
        if self.registered is not None:
            by_layer = self.registered.registry.outputs_by_layer
            names.update({layer: [table_name(name) for name in by_layer[layer]] for layer, _ in self.stale})
        return names


class Update:
    """One update's state across its stages (see the module docstring)."""

    def __init__(
        self, spark: SparkSession, spec: cli.PipelineSpec, pipeline_dir: Path, full_refresh: bool, dry: bool
    ) -> None:
        self.spark, self.spec, self.pipeline_dir = spark, spec, pipeline_dir
        self.full_refresh, self.dry = full_refresh, dry
        self.configuration = dict(spec.configuration)
        self.warehouse = warehouse_folder(spark)
        self.storage = Path(urlparse(spec.storage).path)
        self.records = freshness.load(self.storage)
        self.outputs: list[str] = []
        self.warnings: dict[str, dict[str, str]] = {}
        self.accounting: dict[str, Accounting] = {}
        self.not_validated: list[str] = []
        self.ahead: PlannedStage | None = None
        self.early_summary: tuple[dict[str, Any], float, dict[str, int]] | None = None

    def plan(self, stage: Stage, outputs: list[str]) -> PlannedStage:
        """Which of ``stage``'s layers are up to date given the tables before it, and the graph of the rest."""
        inputs = freshness.layer_inputs(self.warehouse, outputs, self.configuration)
        current = {layer: freshness.fingerprint(file, self.configuration) for layer, file in stage}
        planned = PlannedStage(stage, inputs, current, {})
        for layer, file in stage:
            record = self.records.get(layer)
            if not (self.full_refresh or self.dry) and freshness.up_to_date(
                self.warehouse, record, current[layer], inputs
            ):
                assert record is not None
                planned.up_to_date[layer] = record.outputs
            else:
                planned.stale.append((layer, file))
        if planned.stale:
            planned.registered = register_stage(self.spark, self.spec, planned.stale)
        return planned

    def plan_ahead(self, stage: Stage, outputs: list[str]) -> None:
        """:meth:`plan` the next stage while this one's run ends. A failure here is left for the
        stage's own turn, where it is raised (or, in a dry run, reported) as without the lookahead."""
        try:
            self.ahead = self.plan(stage, outputs)
        except Exception as error:
            # to the run log only: the stage is planned again in its turn
            print(f"update: planning {stage_names(stage)} ahead failed ({user_message(error)})", flush=True)

    def summarise_early(self, outputs: list[str], registry: RecordingRegistry) -> None:
        """The summary, read while the last stage's run ends; kept only if that run ends well."""
        began = time.time()
        warnings = {**self.warnings, **registry.warnings}
        accounting = {**self.accounting, **registry.accounting}
        try:
            summary = collect_summary(self.spark, self.warehouse, outputs, self.before, warnings, accounting)
        except Exception as error:
            print(f"update: the early summary failed ({user_message(error)})", flush=True)  # read again at the end
            return
        self.early_summary = (summary, time.time() - began, self.versions())

    def run_stage(self, stage: Stage, following: Stage | None) -> None:
        planned, self.ahead = self.ahead, None
        if planned is not None and planned.inputs != freshness.layer_inputs(
            self.warehouse, self.outputs, self.configuration
        ):  # its inputs moved since (a stage run again after a transient error): plan it anew
            self.ahead = planned
            self.drop_ahead()
            planned = None
        try:
            if planned is None:
                planned = self.plan(stage, self.outputs)
            for layer in planned.up_to_date:
                print(f"lakehouse: layer {layer} is up to date (no new input since its last run)", flush=True)
            if planned.stale:
                registry = self.run_planned(planned, following)
                self.warnings.update(registry.warnings)
                self.accounting.update(registry.accounting)
        except Exception as error:
            if not (self.dry and reads_unmaterialised_table(error, layer_schemas(self.configuration))):
                raise
            self.not_validated += [layer for layer, _ in (planned.stale if planned else stage)]
            return
        written = planned.written()
        if planned.stale and not self.dry and planned.inputs is not None:
            for layer, _ in planned.stale:
                self.records[layer] = freshness.LayerRecord(planned.current[layer], planned.inputs, written[layer])
            freshness.save(self.storage, self.records)
        self.outputs += [name for layer, _ in stage for name in written[layer]]

    def run_planned(self, planned: PlannedStage, following: Stage | None) -> RecordingRegistry:
        """Run a planned stage's graph; once its flows are done, plan ``following`` or read the summary."""
        assert planned.registered is not None
        for layer, file in planned.stale:
            print(f"lakehouse: running layer {layer} ({file.name})", flush=True)
        written = planned.written()
        after = [*self.outputs, *(name for layer, _ in planned.stage for name in written[layer])]
        registry = planned.registered.registry

        def flows_done() -> None:
            if self.dry:
                return
            if following is None:
                self.summarise_early(after, registry)
            else:
                self.drop_ahead()
                self.plan_ahead(following, after)

        self.early_summary = None
        return run_stage_retrying(
            self.spark,
            self.spec,
            planned.stale,
            self.full_refresh,
            self.dry,
            registered=planned.registered,
            flows_done=flows_done,
        )

    def versions(self) -> dict[str, int]:
        return delta_log.table_versions(self.warehouse, layer_schemas(self.configuration))

    def drop_ahead(self) -> None:
        """Forget a stage planned ahead that will not run as planned."""
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead.registered is not None:
            try:
                drop_graph(self.spark, ahead.registered.graph_id)
            except Exception as error:  # the session may be gone with the error that got us here
                print(f"update: could not drop a graph planned ahead ({user_message(error)})", flush=True)

    def run(self) -> dict[str, Any]:
        started = time.time()
        for schema in layer_schemas(self.configuration):
            self.spark.sql(f"CREATE SCHEMA IF NOT EXISTS `{schema}`")
        self.before = self.versions()
        stages = layer_stages(self.pipeline_dir)
        try:
            for index, stage in enumerate(stages):
                self.run_stage(stage, stages[index + 1] if index + 1 < len(stages) else None)
        finally:
            self.drop_ahead()
        if self.dry:
            return {
                "pipeline": self.spec.name,
                "dry_run": True,
                "datasets": self.outputs,
                "not_validated": self.not_validated,
                "seconds": round(time.time() - started, 1),
            }
        if self.early_summary is not None and self.early_summary[2] == self.versions():
            summary, summary_seconds, _ = self.early_summary
        else:  # none read early, or a table moved since (the last stage run again after a transient error)
            summarising = time.time()
            summary = collect_summary(
                self.spark, self.warehouse, self.outputs, self.before, self.warnings, self.accounting
            )
            summary_seconds = time.time() - summarising
        # The summary's own queries (a few seconds) are part of what an update costs, and of the
        # interval a long-running run waits out before the next update; ``summary_seconds`` shows them
        # (read while the last stage's run ended, they overlap its last 1-2 s).
        return {
            "pipeline": self.spec.name,
            "seconds": round(time.time() - started, 1),
            "summary_seconds": round(summary_seconds, 1),
            **summary,
        }


def run_update(
    spark: SparkSession, spec: cli.PipelineSpec, pipeline_dir: Path, full_refresh: bool, dry: bool
) -> dict[str, Any]:
    """Run every layer that has work to do and return the update's summary (see the module docstring)."""
    return Update(spark, spec, pipeline_dir, full_refresh, dry).run()
