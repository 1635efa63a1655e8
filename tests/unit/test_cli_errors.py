"""Bad input gets one clear `error:` line and a non-zero exit, never a stack trace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")


def lakehouse(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LAKEHOUSE, *args], cwd=cwd, env=env or dict(os.environ), capture_output=True, text=True, timeout=120
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], expected: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.startswith("error: ") and expected in done.stderr, done.stderr


def test_an_unknown_pipeline(tmp_path):
    done = lakehouse("run", "nope", env={**os.environ, "LAKEHOUSE_HOME": str(tmp_path)})
    defined = "characters, chatbot, condo, invoices, notifications, orders, users"
    assert_one_line_error(done, f"unknown pipeline 'nope'; the bundle defines: {defined}")


def test_a_landing_folder_that_does_not_exist(tmp_path):
    done = lakehouse("run", "orders", "--landing", str(tmp_path / "missing"))
    assert_one_line_error(done, "does not exist")


def test_missing_java(tmp_path):
    env = {**os.environ, "LAKEHOUSE_HOME": str(tmp_path), "JAVA_HOME": str(tmp_path / "no-jdk")}
    done = lakehouse("run", "orders", env=env)
    assert_one_line_error(done, "Java 17+ is required")


def test_a_malformed_bundle(tmp_path):
    (tmp_path / "databricks.yml").write_text("bundle: [unclosed\n")
    done = lakehouse("run", "orders", cwd=tmp_path)
    assert_one_line_error(done, "not valid YAML")


def test_a_folder_without_a_bundle(tmp_path):
    done = lakehouse("run", "orders", cwd=tmp_path)
    assert_one_line_error(done, "no databricks.yml")


def test_producer_arguments_are_checked():
    done = lakehouse("produce", "orders", "--synthetic", "3")
    assert_one_line_error(done, "give exactly one of --to-dir DIR or --to")


def test_a_malformed_set_override(tmp_path):
    done = lakehouse("run", "orders", "--set", "novalue", env={**os.environ, "LAKEHOUSE_HOME": str(tmp_path)})
    assert_one_line_error(done, "--set expects KEY=VALUE")
