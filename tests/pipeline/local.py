"""Drives the real local engine from tests: the `lakehouse` command and warehouse queries."""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from lakehouse.machine import die_with_parent

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")

_DUMP = """
import json, sys
from lakehouse.local.warehouse import open_session
spark = open_session()
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
    """Run several SQL queries over the Delta tables of ``home``'s warehouse (in ``database``, if given).

    They run in the session's one table server (:mod:`tests.pipeline.table_server`): the tables as
    the runs wrote them, under their ``schema.table`` names, without a JVM start per call.
    """
    return _TABLES.ask(home / "warehouse", database, queries)


def query_catalog(home: Path, **queries: str) -> dict[str, list[dict[str, Any]]]:
    """The same through ``home``'s own Hive catalog, as ``lakehouse sql`` opens it: for the tests of
    what that catalog lists. It starts a JVM of its own."""
    env = {**os.environ, "LAKEHOUSE_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", _DUMP, json.dumps(queries)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT=")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("RESULT="))


class TableServer:
    """The client of :mod:`tests.pipeline.table_server`: started on first use, gone with the session."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.folder: Path | None = None
        self.lock = threading.Lock()

    def _start(self) -> subprocess.Popen[str]:
        self.folder = Path(tempfile.mkdtemp(prefix="lakehouse-test-tables-"))
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.pipeline.table_server", str(self.folder)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=die_with_parent,
        )
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert ready.strip() == "READY", f"the table server did not start: {self._log_tail()}"
        atexit.register(self.stop)
        return process

    def _log_tail(self) -> str:
        log = self.folder / "spark.log" if self.folder else None
        return log.read_text(errors="replace")[-3000:] if log and log.exists() else "(no log)"

    def ask(self, warehouse: Path, database: str | None, queries: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.process = self._start()
            assert self.process.stdin is not None and self.process.stdout is not None
            request = {"warehouse": str(warehouse), "database": database, "queries": queries}
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        assert line.startswith("RESULT="), f"the table server stopped: {self._log_tail()}"
        reply = json.loads(line.removeprefix("RESULT="))
        assert "error" not in reply, reply.get("error")
        return reply["result"]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


_TABLES = TableServer()


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
