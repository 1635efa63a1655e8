"""The local warehouse's home (``LAKEHOUSE_HOME``, default ``.lakehouse/``) and its Spark settings.

Static settings (catalog implementation, warehouse folder, extensions, jars) must be given when the
JVM starts, so they are shared here by the pipeline launcher and the interactive session.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pyspark

from lakehouse.local import class_archive
from lakehouse.local.packages import jar_confs

SPARK_VERSION = pyspark.__version__
# delta-spark 4.4.1 (the Python package) is pinned; Maven Central serves the Spark 4.2 build of its
# jars as 4.4.0, binary-compatible with it.
DELTA_PACKAGE = "io.delta:delta-spark_4.2_2.13:4.4.0"
KAFKA_PACKAGE = f"org.apache.spark:spark-sql-kafka-0-10_2.13:{SPARK_VERSION}"
# Spark's Avro data source (Event Hubs Capture files); like Kafka's, it ships outside Spark's core jars.
AVRO_PACKAGE = f"org.apache.spark:spark-avro_2.13:{SPARK_VERSION}"

DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def from_env(cls) -> Home:
        return cls(Path(os.environ.get("LAKEHOUSE_HOME", ".lakehouse")).resolve())

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def metastore(self) -> Path:
        return self.root / "metastore_db"

    def pipeline_dir(self, name: str) -> Path:
        return self.root / "pipelines" / name

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    def create(self) -> None:
        for folder in (self.root, self.warehouse, self.logs, self.runs):
            folder.mkdir(parents=True, exist_ok=True)


# The garbage collector and the JIT of every local Spark JVM (pipeline runs, ``lakehouse sql``, the
# benchmarks' baselines alike). A cold JVM on this project's 2-core machine spent a third of a
# notifications run's CPU compiling: over 694,000 events (95-98 s wall, 160-165 s of CPU) the
# optimising compiler (C2) took 41-46 s and G1's concurrent threads 12-16 s, beside 56-60 s of
# Spark tasks. A batch engine wants throughput, not short pauses: the parallel collector has no
# concurrent marking (83-89 s wall). C2 compiling a method only once it is called four times as
# often as the JVM's default asks leaves it the methods that stay hot: C2 took 32 s, and the run
# 78-86 s. Options in ``LAKEHOUSE_JAVA_OPTIONS`` come after these and win (:func:`engine_java_options`).
ENGINE_JAVA_OPTIONS = (
    "-XX:+UseParallelGC",
    "-XX:Tier4InvocationThreshold=20000",
    "-XX:Tier4MinInvocationThreshold=2400",
    "-XX:Tier4CompileThreshold=60000",
    "-XX:Tier4BackEdgeThreshold=160000",
)


def engine_java_options(extra: str) -> tuple[str, ...]:
    """:data:`ENGINE_JAVA_OPTIONS`, less the collector when ``extra`` chooses one: the JVM refuses to
    start with two ("Multiple garbage collectors selected"), where any other option given twice
    takes its last value."""
    if re.search(r"-XX:\+Use\w+GC\b", extra):
        return tuple(option for option in ENGINE_JAVA_OPTIONS if not re.fullmatch(r"-XX:\+Use\w+GC", option))
    return ENGINE_JAVA_OPTIONS


def extra_java_options() -> str:
    """``LAKEHOUSE_JAVA_OPTIONS``: JVM options added to the local Spark JVM's own.

    Meant for the JIT: a run on a few thousand events is over before the optimising compiler (C2)
    pays back what it costs. On this project's 2-core machine a notifications run on its fixtures
    took 108 s of CPU (67 s wall) with the default tiered compilers and 67 s (54 s wall) with
    ``-XX:TieredStopAtLevel=1`` (C1 only); but a run over 300,000 events was 9 % slower (102.9 s
    against 94.7 s), and one over 694,000 events 15 % (94.4 s against 83.3-88.8 s, both with the
    parallel collector). So the default keeps both compilers (:data:`ENGINE_JAVA_OPTIONS`), and the
    test suite and the fixture demo, which only ever run small inputs, choose C1
    (``tests/conftest.py``, ``scripts/run-local.sh``).
    """
    options = os.environ.get("LAKEHOUSE_JAVA_OPTIONS", "").strip()
    if "-XX:TieredStopAtLevel=" in options and "-XX:ReservedCodeCacheSize=" not in options:
        # C1 alone makes the JVM reserve 48 MB for compiled code instead of 240 MB; a Spark run
        # fills that, the JIT stops, and the JVM then dies on the next method handle it must link
        # ("Out of space in CodeCache for method handle intrinsic"). Keep the usual size.
        options += " -XX:ReservedCodeCacheSize=240m"
    return options


def static_confs(home: Home, packages: list[str], record_classes: bool = False) -> dict[str, str]:
    """Settings fixed at JVM start: a persistent Hive catalog (Derby) with Delta as the default, and
    the machine's class archive (:mod:`lakehouse.local.class_archive`), recorded by a pipeline run."""
    extra = extra_java_options()
    java_options = " ".join(
        (
            f"-Dderby.system.home={home.root}",
            class_archive.java_options(record_classes),
            *engine_java_options(extra),
            extra,
        )
    )
    return {
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": str(home.warehouse),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={home.metastore};create=true",
        "spark.driver.extraJavaOptions": java_options.strip(),
        **jar_confs(packages),
        "spark.sql.extensions": DELTA_EXTENSION,
        "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": "2g",
    }


ROCKSDB_STATE_STORE = "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"


def session_confs() -> dict[str, str]:
    """Runtime settings: Delta tables by default, small shuffles for a laptop, UTC everywhere.

    Spark 4.2 refuses to start a query whose checkpoint has no batch yet but a non-empty
    ``offsets``/``state``/``commits`` folder (a guard against two queries sharing one checkpoint).
    A process killed while writing its first offset leaves exactly that - a ``.0.<uuid>.tmp`` file -
    and the flow would then fail on every later run. The pipeline engine gives each flow its own
    checkpoint, so the guard protects nothing here and is off; a lost checkpoint under a table with
    rows is still refused (:mod:`lakehouse.local.preflight`).

    Streaming state (silver's de-duplication, the panel's open minutes) lives in RocksDB with
    changelog checkpointing, as on Databricks Runtime 17.3 and later, not on the JVM heap: at 10x the
    de-duplication window holds some 7 million ids, and the default provider, which also keeps the
    previous version in memory, ran a 2 GB heap out of memory in the long-running mode. A checkpoint
    keeps the provider it was started with (Spark records it in the checkpoint's offsets), so a
    warehouse written before goes on with its own.
    """
    return {
        "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
        "spark.sql.sources.default": "delta",
        "spark.sql.shuffle.partitions": "2",
        "spark.databricks.delta.snapshotPartitions": "2",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.streaming.verifyCheckpointDirectoryEmptyOnStart": "false",
        "spark.sql.streaming.stateStore.providerClass": ROCKSDB_STATE_STORE,
        "spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled": "true",
    }
