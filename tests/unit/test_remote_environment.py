"""The ``remote`` environment (Databricks Connect) resolves, installs and switches the tests' engine.

CI has no workspace, so it checks what it can for real: the lock file agrees with pyproject for both
groups, the ``remote`` group installs into a throwaway environment without PySpark's local engine,
the transforms import on Databricks Connect's PySpark, and ``tests/conftest.py`` picks the
workspace session there - skipping the ``spark`` tests with the reason when no workspace is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")


def uv(*args: str, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([UV, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def remote_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("remote") / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)}
    done = uv("sync", "--frozen", "--group", "remote", "--no-default-groups", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return venv


def run_in(venv: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """A command in the remote environment with no workspace configured (clean HOME, no DATABRICKS_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABRICKS_", "SPARK_", "PYSPARK_", "VIRTUAL_"))}
    env["HOME"] = str(home)
    return subprocess.run(
        [str(venv / "bin" / "python"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_lock_file_matches_pyproject_for_both_groups():
    done = uv("lock", "--check")
    assert done.returncode == 0, done.stderr


def test_the_remote_group_installs_databricks_connect_instead_of_the_local_engine(remote_venv, tmp_path):
    probe = (
        "import importlib.metadata as md, importlib.util as u, json\n"
        "from databricks.connect import DatabricksSession\n"
        "import lakehouse.orders.silver, lakehouse.orders.gold, lakehouse.quality, lakehouse.masking\n"
        "dists = {d.metadata['Name'].lower() for d in md.distributions()}\n"
        "print(json.dumps({d: d in dists for d in ('databricks-connect', 'pyspark', 'delta-spark', 'chispa')}))\n"
        "print(u.find_spec('pyspark.pipelines') is None)\n"
    )
    done = run_in(remote_venv, "-c", probe, home=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    found, no_local_pipelines = done.stdout.strip().splitlines()[-2:]
    assert found == '{"databricks-connect": true, "pyspark": false, "delta-spark": false, "chispa": true}'
    assert no_local_pipelines == "True"


def test_conftest_switches_to_the_workspace_and_skips_honestly_without_one(remote_venv, tmp_path):
    done = run_in(
        remote_venv,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rs",
        "tests/unit/test_orders_gold.py",
        home=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "passed" not in done.stdout.splitlines()[-1], "nothing may run on a local engine in the remote environment"
    assert "Databricks Connect is installed but no workspace is configured" in done.stdout
