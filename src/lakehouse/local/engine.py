"""Launches a pipeline on open-source Spark Declarative Pipelines, from its bundle resource.

``lakehouse run`` -> :func:`run_pipeline`: resolve the bundle resource, write the open-source spec
(``spark-pipeline.yml``) under ``LAKEHOUSE_HOME``, start :mod:`lakehouse.local.sdp_entry` as
``spark-pipelines`` would start its Python side (see :func:`launch_env`) and return the run summary.
Spark's own output goes to a log file; the caller sees pipeline events and a clear error line.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyspark
import yaml

from lakehouse.errors import LakehouseError, SourceUnavailable
from lakehouse.local import class_archive, freshness, preflight
from lakehouse.local.bundle import LocalPipeline
from lakehouse.local.home import (
    AVRO_PACKAGE,
    DELTA_PACKAGE,
    KAFKA_PACKAGE,
    Home,
    session_confs,
    static_confs,
)
from lakehouse.local.layers import layer_schemas, layer_stages
from lakehouse.local.lock import home_lock
from lakehouse.local.progress import Progress
from lakehouse.machine import die_with_parent, free_port, require_java

EVENT_MARKERS = ("Flow ", "Run is ", "lakehouse: ", "Failed to resolve", "Error:")


class PipelineFailed(LakehouseError):
    """The pipeline run failed; the message is one line, the log file (``log``) has the details."""


@dataclass(frozen=True)
class RunOptions:
    landing: Path | None = None
    full_refresh: bool = False
    dry_run: bool = False
    overrides: Mapping[str, str] | None = None
    every: float | None = None  # seconds between updates of a long-running run (one Spark session)
    triggers: int | None = None  # a long-running run stops after this many updates


def pipeline_configuration(pipeline: LocalPipeline, root: Path, options: RunOptions) -> dict[str, str]:
    """The resource's configuration with local paths made absolute and the caller's overrides."""
    configuration = dict(pipeline.configuration)
    configuration.update(options.overrides or {})
    landing = options.landing or Path(configuration.get("lakehouse.landing_path") or "landing")
    if not landing.is_absolute():
        landing = root / landing
    configuration["lakehouse.landing_path"] = str(landing.resolve())
    return configuration


def prepare_landing(configuration: Mapping[str, str]) -> None:
    """File streams need their folders to exist before the run starts, even when still empty."""
    if configuration.get("lakehouse.source", "files") not in ("files", "eventhubs_capture"):
        return
    landing = Path(configuration["lakehouse.landing_path"])
    for entity in filter(None, (configuration.get("lakehouse.entities") or "").split(",")):
        (landing / entity.strip()).mkdir(parents=True, exist_ok=True)


def check_source_reachable(configuration: Mapping[str, str], timeout: float = 3.0) -> None:
    """Fail fast when a local Kafka source is down, instead of Spark retrying for minutes.

    Nothing has been written when this fails, so a later run starts from the same offsets.
    """
    if configuration.get("lakehouse.source") != "kafka":
        return
    servers = configuration.get("lakehouse.kafka.bootstrap_servers", "")
    for server in filter(None, (s.strip() for s in servers.split(","))):
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
                return
        except (OSError, ValueError):
            continue
    raise SourceUnavailable(f"Kafka is not reachable at {servers}; start it (lakehouse kafka start) and run again")


def spec_configuration(configuration: Mapping[str, str]) -> dict[str, str]:
    """The configuration the pipeline's Python side sees: Spark's session settings and the pipeline's."""
    return {**session_confs(), **configuration}


def write_spec(home: Home, pipeline: LocalPipeline, configuration: Mapping[str, str]) -> Path:
    """The open-source spec; ``spark-pipelines run --spec`` would accept it as it is."""
    folder = home.pipeline_dir(pipeline.key)
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "name": pipeline.name,
        "storage": (folder / "storage").resolve().as_uri(),
        "configuration": spec_configuration(configuration),
        "libraries": [{"glob": {"include": f"{os.path.relpath(pipeline.folder, folder)}/**"}}],
    }
    path = folder / "spark-pipeline.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def packages_for(configuration: Mapping[str, str]) -> list[str]:
    source = configuration.get("lakehouse.source", "files")
    if source in ("kafka", "eventhubs"):
        return [DELTA_PACKAGE, KAFKA_PACKAGE]
    if source == "eventhubs_capture":
        return [DELTA_PACKAGE, AVRO_PACKAGE]
    return [DELTA_PACKAGE]


def launch_confs(home: Home, pipeline: LocalPipeline, packages: list[str]) -> dict[str, str]:
    """What the Spark Connect server starts with: the static settings and a free loopback port, so
    that several local runs can coexist (Spark Connect's default port is fixed)."""
    return {
        **static_confs(home, packages, record_classes=True),
        "spark.api.mode": "connect",
        "spark.app.name": f"lakehouse-{pipeline.key}",
        "spark.connect.grpc.binding.port": str(free_port()),
        "spark.connect.grpc.binding.address": "127.0.0.1",
    }


# The Python side of the run; imported only by the process it starts (it brings pyspark.pipelines).
SDP_ENTRY = Path(__file__).with_name("sdp_entry.py")


def launch_command(spec: Path, pipeline: LocalPipeline, summary: Path, options: RunOptions, runs: Path) -> list[str]:
    command = [sys.executable, str(SDP_ENTRY), str(spec), str(pipeline.folder), str(summary)]
    if options.full_refresh:
        command.append("--full-refresh")
    if options.dry_run:
        command.append("--dry-run")
    if options.every is not None:
        command += ["--every", str(options.every), "--runs-dir", str(runs)]
        if options.triggers is not None:
            command += ["--triggers", str(options.triggers)]
    return command


def launch_env(confs: Mapping[str, str]) -> dict[str, str]:
    """The environment ``spark-pipelines`` would give its Python side, without its launcher JVM.

    ``spark-pipelines run`` starts a JVM (``SparkPipelines`` -> ``spark-submit``) whose only job is
    to start Python with ``SPARK_REMOTE=local[...]`` and the settings in
    ``PYSPARK_REMOTE_INIT_CONF_*``; PySpark then starts the real Spark Connect server itself. Setting
    that environment here saves the launcher JVM (about 230 MB resident) and its Ivy resolution. The settings go in
    one piece (see ``merge_launcher_confs`` in :data:`SDP_ENTRY`).
    """
    spark_home = str(Path(pyspark.__file__).parent)
    return {
        **os.environ,
        "SPARK_HOME": spark_home,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_REMOTE": "local[2]",
        "PYSPARK_REMOTE_INIT_CONF_LEN": "1",
        "PYSPARK_REMOTE_INIT_CONF_0": json.dumps(dict(confs)),
        "PYTHONUNBUFFERED": "1",
    }


def last_error_line(log: Path) -> str | None:
    """The last exception message in a log, for failures before the Python side could report."""
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if ("Exception" in line or "Error" in line) and not line.startswith(("\t", " ")):
            return line.split(": ", 1)[-1].strip() or None
    return None


def run_pipeline(
    home: Home,
    pipeline: LocalPipeline,
    root: Path,
    options: RunOptions,
    on_event: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Run one pipeline locally and return its summary; raise :class:`PipelineFailed` on failure.

    Everything that can be checked without Spark is checked first (settings, overrides, landing
    folder, the source, the home's streaming state), so a mistake costs a second, not a JVM start.
    """
    preflight.check_overrides(pipeline.key, options.overrides or {})
    configuration = pipeline_configuration(pipeline, root, options)
    preflight.validate_settings(pipeline.key, configuration)
    require_java()
    home.create()
    preflight.check_landing(configuration)
    with home_lock(home.root, f"lakehouse run {pipeline.key}") as lock:
        preflight.check_state(home, pipeline, configuration, options.full_refresh)
        prepare_landing(configuration)
        check_source_reachable(configuration)
        one_shot = not (options.full_refresh or options.dry_run or options.every is not None)
        unchanged = nothing_to_do(home, pipeline, configuration) if one_shot else None
        if unchanged is not None:
            on_event("lakehouse: every layer is up to date (no new input since the last run); Spark not started")
            result = _up_to_date_summary(home, pipeline, unchanged)
        else:
            result = _launch(home, pipeline, configuration, options, on_event, lock)
        if not options.dry_run:
            Path(result["summary"]).write_text(json.dumps(result, indent=2, default=str))
            preflight.record_state(home, pipeline, configuration)
    return result


def nothing_to_do(home: Home, pipeline: LocalPipeline, configuration: Mapping[str, str]) -> list[str] | None:
    """The pipeline's tables when no layer has new input (:mod:`lakehouse.local.freshness`)."""
    storage = home.pipeline_dir(pipeline.key) / "storage"
    stages = layer_stages(pipeline.folder)
    return freshness.outputs_if_all_up_to_date(home.warehouse, storage, stages, spec_configuration(configuration))


def _up_to_date_summary(home: Home, pipeline: LocalPipeline, tables: list[str]) -> dict[str, Any]:
    """The summary of a run that found nothing to do; ``run_pipeline`` keeps it with the others under
    ``runs/``."""
    summary = home.runs / f"{pipeline.key}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    return {
        "pipeline": pipeline.name,
        "seconds": 0.0,
        "quarantined": 0,
        "up_to_date": True,
        "datasets": [{"dataset": table, "rows_written": 0} for table in tables],
        "summary": str(summary),
    }


def _launch(
    home: Home,
    pipeline: LocalPipeline,
    configuration: Mapping[str, str],
    options: RunOptions,
    on_event: Callable[[str], None],
    lock: int,
) -> dict[str, Any]:
    spec = write_spec(home, pipeline, configuration)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log = home.logs / f"{pipeline.key}-{stamp}.log"
    # A long-running run leaves one summary per update under runs/; its last one is also returned.
    summary_dir = home.runs if options.every is None else home.pipeline_dir(pipeline.key)
    summary = summary_dir / f"{pipeline.key}-{stamp}.json"
    command = launch_command(spec, pipeline, summary, options, home.runs)
    env = launch_env(launch_confs(home, pipeline, packages_for(configuration)))
    progress = Progress(home.warehouse, layer_schemas(dict(configuration)))
    with log.open("w") as out:
        # Python and its Spark JVM inherit the home's lock (held until both are gone) and die with
        # this process.
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=home.root,
            pass_fds=(lock,),
            preexec_fn=die_with_parent,
        )
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line)
            if any(marker in line for marker in EVENT_MARKERS):
                on_event(progress.annotate(line.rstrip()))
        code = process.wait()
    class_archive.wait_for_recording()
    result: dict[str, Any] = json.loads(summary.read_text()) if summary.exists() else {}
    if code != 0 or "error" in result:
        message = result.get("error") or last_error_line(log) or f"the pipeline run exited with code {code}"
        raise PipelineFailed(message, log=log)
    result["log"], result["summary"] = str(log), str(summary)
    return result
