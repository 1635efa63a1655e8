"""Shared fixtures: the ``spark`` session the pure-transform tests run on - local, or a workspace.

As in Databricks' bundle template, the same tests run on two engines:

* the local environment (default ``local`` group: open-source PySpark) gets a local Spark session
  (no Delta, no catalog). This is what CI runs.
* the ``remote`` environment (``uv run --group remote --no-default-groups pytest tests/unit``:
  Databricks Connect instead of PySpark) gets a ``DatabricksSession`` on the workspace named by
  ``DATABRICKS_CONFIG_PROFILE`` / ``DATABRICKS_HOST`` (or ``~/.databrickscfg``'s DEFAULT profile),
  on the configured cluster or, failing that, serverless compute. There the tests that use
  ``spark`` - the pure transforms - run against the workspace; the rest drive the local engine, the
  CLI or a broker and are skipped, as are modules that import a local-only package. Without any
  workspace configured, the ``spark`` tests are skipped with the reason, never run half-configured.

One real Kafka broker per session serves every test that needs one (tests/kafka, tests/cdc). The
crash scenarios' pipeline runs start with the session, in the background at low priority
(:mod:`tests.pipeline.background`), when those tests are selected.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lakehouse.kafka import BrokerStatus, start, stop
from lakehouse.machine import free_port
from tests.pipeline.background import CRASH_PIPELINES, SHARED_HOME, Background

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REMOTE = importlib.util.find_spec("databricks.connect") is not None
WORKSPACE_VARIABLES = ("DATABRICKS_CONFIG_PROFILE", "DATABRICKS_HOST", "SPARK_REMOTE")
# Every local run of the suite reads a few thousand events: the JIT's first tier is enough, and saves
# a quarter of each run's CPU (measured in lakehouse.local.home.extra_java_options).
os.environ.setdefault("LAKEHOUSE_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1")


def workspace_configured() -> bool:
    return any(os.environ.get(name) for name in WORKSPACE_VARIABLES) or (Path.home() / ".databrickscfg").is_file()


def _imports_here(module: Path) -> bool:
    """Whether a test module imports in this environment (the remote one lacks local-only packages)."""
    name = ".".join(module.resolve().relative_to(PROJECT_ROOT).with_suffix("").parts)
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """In the remote environment, leave out modules that need the local engine's packages."""
    if REMOTE and collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        return True if not _imports_here(collection_path) else None
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not REMOTE:
        return
    local_only = pytest.mark.skip(reason="not a transform test on spark; it runs in the local environment")
    no_workspace = pytest.mark.skip(
        reason=f"Databricks Connect is installed but no workspace is configured ({', '.join(WORKSPACE_VARIABLES)})"
    )
    for item in items:
        if "spark" not in getattr(item, "fixturenames", ()):
            item.add_marker(local_only)
        elif not workspace_configured():
            item.add_marker(no_workspace)


def _local_session() -> SparkSession:
    # Python data sources (lakehouse.empty_files) run in a Python worker: this environment's.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master("local[1]")
        .appName("lakehouse-tests")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # Spark 4's default, and Databricks': arithmetic overflows and bad casts raise instead of
        # returning NULL. Set explicitly so the tests prove the silver code is total under it.
        .config("spark.sql.ansi.enabled", "true")
        .getOrCreate()
    )


def _workspace_session() -> SparkSession:
    """Databricks Connect, falling back to serverless compute when no cluster is configured."""
    from databricks.connect import DatabricksSession
    from databricks.sdk import WorkspaceClient

    config = WorkspaceClient().config
    if not (config.serverless_compute_id or config.cluster_id or os.environ.get("SPARK_REMOTE")):
        print("no cluster configured: Databricks Connect uses serverless compute", file=sys.stderr)
        os.environ["DATABRICKS_SERVERLESS_COMPUTE_ID"] = "auto"
    builder = DatabricksSession.builder
    if hasattr(builder, "validateSession"):  # Databricks Connect 15+: check client and compute agree
        builder = builder.validateSession()
    session = builder.getOrCreate()
    session.conf.set("spark.sql.session.timeZone", "UTC")
    return session


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = _workspace_session() if REMOTE else _local_session()
    yield session
    if not REMOTE:
        session.stop()


@pytest.fixture(scope="session", autouse=True)
def background_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Background]:
    """Starts the crash scenarios and their uninterrupted runs now if any crash test is selected."""
    runs = Background(tmp_path_factory)
    if not REMOTE and any(item.path.name == "test_crash_recovery.py" for item in request.session.items):
        for pipeline in CRASH_PIPELINES:
            runs.start_crash(pipeline)
        for pipeline in CRASH_PIPELINES:
            if pipeline not in SHARED_HOME:
                runs.start_fixture_run(pipeline)
    yield runs
    runs.close()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerStatus]:
    """A running broker in a throwaway home on a free port; stopped when the session ends."""
    if shutil.which("java") is None:
        pytest.skip("java is not installed: the local Kafka broker needs Java 17+")
    home: Path = tmp_path_factory.mktemp("kafka-home")
    broker = start(home, free_port())
    yield broker
    stop(home)
