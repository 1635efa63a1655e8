"""The Python side of ``spark-pipelines``: runs one pipeline on a local Spark Connect server.

It is the open-source CLI's ``run`` with what the local engine adds: layers run one graph at a time
in medallion order, up-to-date layers are skipped (:mod:`lakehouse.local.update`), and with
``--every SECONDS`` the same Spark session runs an update every so many seconds (on multiples of
that interval, :func:`next_start`), like a continuous pipeline, instead of one. Each update leaves
a JSON summary - rows written per dataset, rows quarantined, failures per rule - that
``lakehouse run`` renders. Any failure is reduced to one
readable line in the summary; the full trace stays in the run log.

Usage (built by :mod:`lakehouse.local.engine`, which sets ``SPARK_REMOTE`` and the server's settings
in ``PYSPARK_REMOTE_INIT_CONF_*`` as the ``SparkPipelines`` launcher would)::

    python sdp_entry.py SPEC PIPELINE_DIR SUMMARY_JSON [--full-refresh] [--dry-run]
        [--every SECONDS --triggers N --runs-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pyspark import SparkContext
from pyspark.pipelines import cli
from pyspark.sql import SparkSession
from pyspark.sql.connect.client.core import DefaultChannelBuilder

from lakehouse.local.packages import started
from lakehouse.local.summary import user_message
from lakehouse.local.update import run_update
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


def session_for(spec: cli.PipelineSpec, launcher_confs: dict[str, str]) -> SparkSession:
    builder = SparkSession.builder
    for key, value in spec.configuration.items():
        builder = builder.config(key, value)
    return started(launcher_confs, builder.getOrCreate)


class JvmWatch:
    """Ends this process with a clear error as soon as the Spark JVM dies under it.

    The pipeline runs in the local Spark Connect server, a JVM this process started (PySpark keeps
    its process as ``SparkContext._gateway.proc``). If that JVM dies - killed by the kernel for
    memory, or crashed - the Connect client does not notice: it retries the lost connection with
    backoff for some ten minutes before it fails, and ``lakehouse run`` looked hung. Watching the
    process instead turns a dead JVM into the run's error within a second.
    """

    def __init__(self, summary: Path) -> None:
        self.summary = summary
        self.stopping = threading.Event()

    def start(self) -> None:
        gateway = SparkContext._gateway
        process = getattr(gateway, "proc", None)
        if process is not None:
            threading.Thread(target=self._watch, args=(process,), name="jvm-watch", daemon=True).start()

    def _watch(self, process: Any) -> None:
        code = process.wait()
        if self.stopping.is_set():
            return
        message = (
            f"the Spark JVM stopped in the middle of the run (exit code {code}); its last words are in the run log"
        )
        self.summary.write_text(json.dumps({"error": message}, indent=2))
        print(f"lakehouse: {message}", file=sys.stderr, flush=True)
        os._exit(1)


def trigger_line(number: int, summary: dict[str, Any]) -> str:
    """One line per update of a long-running run: what each table gained, and how long it took."""
    written = [f"{d['dataset']} +{d['rows_written']:,}" for d in summary.get("datasets", []) if d["rows_written"]]
    took = (
        f"{summary['seconds']} s (summary {summary['summary_seconds']} s)"
        if "summary_seconds" in summary
        else f"{summary['seconds']} s"
    )
    return f"lakehouse: update {number} done in {took}: {', '.join(written) or 'no new input'}"


def next_start(began: float, every: float) -> float:
    """When the update after one that began at ``began`` (epoch seconds) starts: at the first multiple
    of ``every`` after ``began``, at once if the update ran past it.

    This is Spark's processing-time trigger (``ProcessingTimeExecutor.nextBatchTime``): triggers
    fall on multiples of the interval, so with updates shorter than the interval ``--every 60s``
    starts them on the minute, whatever phase the JVM's start left. A per-minute panel over events
    that land as they happen, with a watermark of whole minutes, then emits each minute in the
    update that starts just after the events closing it landed. An update that runs past the next
    multiple is followed at once, as in Spark, so nothing waits a whole interval for data that has
    already closed a minute; the phase comes back once an update ends before the next multiple.
    """
    return (began // every + 1) * every


def run(arguments: argparse.Namespace, launcher_confs: dict[str, str]) -> dict[str, Any]:
    """One update, or with ``--every`` one every so many seconds in the same Spark session."""
    spec = cli.load_pipeline_spec(arguments.spec)
    spark = session_for(spec, launcher_confs)
    watch = JvmWatch(arguments.summary)
    watch.start()
    try:
        began = time.time()
        summary = run_update(spark, spec, arguments.pipeline_dir, arguments.full_refresh, arguments.dry_run)
        if arguments.every is None:
            return summary
        runs_dir: Path = arguments.runs_dir
        for number in range(1, arguments.triggers + 1):
            if number > 1:
                began = time.time()
                summary = run_update(spark, spec, arguments.pipeline_dir, False, False)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            (runs_dir / f"{arguments.pipeline_dir.name}-{stamp}-{number}.json").write_text(
                json.dumps(summary, indent=2)
            )
            print(trigger_line(number, summary), flush=True)
            if number < arguments.triggers:
                time.sleep(max(0.0, next_start(began, arguments.every) - time.time()))
        return summary
    finally:
        watch.stopping.set()
        spark.stop()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sdp_entry")
    parser.add_argument("spec", type=Path)
    parser.add_argument("pipeline_dir", type=Path)
    parser.add_argument("summary", type=Path)
    parser.add_argument("--full-refresh", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--every", type=float, help="seconds between the starts of two updates")
    parser.add_argument("--triggers", type=int, default=sys.maxsize, help="stop after this many updates")
    parser.add_argument("--runs-dir", type=Path, help="where each update of a long-running run leaves its summary")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse(argv)
    die_with_parent()  # the `lakehouse` command is our parent: nothing runs on once it is gone
    launcher_confs = merge_launcher_confs()
    use_configured_connect_port(launcher_confs)
    try:
        result = run(arguments, launcher_confs)
        code = 0
    except Exception as error:  # reduced to one line for the user; the trace is in the run log
        import traceback

        traceback.print_exc()
        result = {"error": user_message(error)}
        code = 1
    arguments.summary.write_text(json.dumps(result, indent=2, default=str))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
