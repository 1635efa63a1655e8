"""Drives the real local engine from tests: the `lakehouse` command and warehouse queries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")

_DUMP = """
import json, sys
from lakehouse.local.warehouse import open_session
spark = open_session()
if len(sys.argv) > 2:
    spark.catalog.setCurrentDatabase(sys.argv[2])
out = {}
for name, query in json.loads(sys.argv[1]).items():
    out[name] = [row.asDict(recursive=True) for row in spark.sql(query).collect()]
spark.stop()
print("RESULT=" + json.dumps(out, default=str))
"""


# The key gold's keyed hashes use in every pipeline test (the local stand-in of the secret scope's).
PII_HASH_KEY = {"LAKEHOUSE_PII_HASH_KEY": "pipeline-tests-hash-key"}


def niced(command: list[str], nice: int, new_session: bool = False) -> list[str]:
    """``command`` at a lower CPU priority (``nice``), for runs in the background of the session.

    With ``new_session`` (a process started with ``start_new_session``), the kernel's scheduler
    autogroup is the new session's own, and it competes with the test session's as an equal
    whatever the processes' nice value: the autogroup itself is niced too (``/proc/self/autogroup``).
    """
    if not nice:
        return command
    if not new_session:
        return ["nice", "-n", str(nice), *command]
    script = 'echo "$0" > /proc/self/autogroup 2>/dev/null; exec nice -n "$0" "$@"'
    return ["sh", "-c", script, str(nice), *command]


def lakehouse(
    home: Path, *args: str, timeout: int = 900, env: dict[str, str] | None = None, nice: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run the `lakehouse` command as a user would, in the project folder, with its own home."""
    env = {**os.environ, **(env or {}), "LAKEHOUSE_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        niced([LAKEHOUSE, *args], nice), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def query(home: Path, database: str | None = None, **queries: str) -> dict[str, list[dict[str, Any]]]:
    """Run several SQL queries over the local warehouse in one Spark session (in ``database``, if given)."""
    env = {**os.environ, "LAKEHOUSE_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", _DUMP, json.dumps(queries), *([database] if database else [])],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT=")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("RESULT="))


def latest_summary(home: Path, pipeline: str) -> dict[str, Any]:
    """The JSON run summary of the latest ``lakehouse run <pipeline>`` in ``home``."""
    found = sorted((home / "runs").glob(f"{pipeline}-*.json"), key=lambda p: p.stat().st_mtime)
    assert found, f"no run summary of {pipeline} in {home}"
    return json.loads(found[-1].read_text())


def accounting(summary: dict[str, Any], silver: str, quarantine: str) -> dict[str, int]:
    """What the summary says of one de-duplicating silver table, with ``adds_up`` its identity.

    bronze read = silver written + quarantined + duplicates dropped: anything else was lost silently.
    """
    datasets = {d["dataset"]: d for d in summary["datasets"]}
    counted = {
        "read": datasets[silver]["bronze_read"],
        "silver": datasets[silver]["rows_written"],
        "quarantined": datasets[quarantine]["rows_written"],
        "duplicates": datasets[silver]["duplicates_dropped"],
    }
    counted["adds_up"] = counted["read"] == counted["silver"] + counted["quarantined"] + counted["duplicates"]
    return counted
