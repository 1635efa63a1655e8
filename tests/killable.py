"""Killable `lakehouse` runs: each in its own process group, SIGKILLed whole at a chosen output line.

Shared by the crash scenarios (Kafka orders, and every file-fed pipeline): a power cut is simulated
by killing the CLI, its Spark JVM and the pipeline's Python side at once, never by a polite stop.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.pipeline.local import LAKEHOUSE, PROJECT_ROOT, niced


def flow_running(layer: str, table: str) -> Callable[[str], bool]:
    """Matches the pipeline event that says a flow of ``layer`` started processing."""
    return lambda line: f"{layer}.{table} is RUNNING" in line and "Flow " in line


def flow_completed(layer: str) -> Callable[[str], bool]:
    """Matches the pipeline event that says some flow of ``layer`` has written its result."""
    return lambda line: f".{layer}." in line and "has COMPLETED" in line and "Flow " in line


def live_members(pgid: int) -> list[int]:
    """Processes of a process group that still run (zombies, already dead, do not count)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, _ppid, group = text.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


class ProcessGroups:
    """Every `lakehouse run` started by the tests, each in its own session; kills whole groups."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[str]] = []

    def start(self, command: list[str], **kwargs: Any) -> subprocess.Popen[str]:
        process = subprocess.Popen(command, start_new_session=True, **kwargs)
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen[str], timeout: float = 60.0) -> None:
        """SIGKILL the process's whole group (CLI, spark-class, JVM, Python side) and wait until it is gone."""
        pgid = process.pid  # start_new_session: the leader's pid is the group id
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        process.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while (left := live_members(pgid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"processes {left} of group {pgid} survived SIGKILL"

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None or live_members(process.pid):
                self.kill(process)


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    killed_after: str | None = None  # the output line that triggered the kill


def run_lakehouse(
    groups: ProcessGroups,
    home: Path,
    args: list[str],
    *,
    kill_after: Callable[[str], bool] | None = None,
    delay: float = 0.0,
    timeout: float = 900.0,
    env: dict[str, str] | None = None,
    nice: int = 0,
) -> Run:
    """Run the `lakehouse` command as a user would, reading its output line by line as it comes.

    With ``kill_after``, the whole process group gets SIGKILL ``delay`` seconds after the first
    output line it accepts, as a power cut would; the call returns once every process is gone.
    """
    env = {**os.environ, **(env or {}), "LAKEHOUSE_HOME": str(home), "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile("w+") as errors:
        process = groups.start(
            niced([LAKEHOUSE, *args], nice, new_session=True),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            groups.kill(process)

        watchdog = threading.Timer(timeout, expire)
        watchdog.start()
        lines: list[str] = []
        trigger: str | None = None
        killer: threading.Timer | None = None
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if kill_after is not None and trigger is None and kill_after(line):
                    trigger = line.strip()
                    killer = threading.Timer(delay, groups.kill, args=(process,))
                    killer.start()
            process.wait()
        finally:
            watchdog.cancel()
            if killer is not None:
                killer.join()
            groups.kill(process)  # also reaps anything a finished run might have left behind
        errors.seek(0)
        stderr = errors.read()
    stdout = "".join(lines)
    if timed_out.is_set():
        raise AssertionError(f"lakehouse {' '.join(args)} took over {timeout:.0f} s:\n{stdout[-3000:]}")
    if trigger is None and kill_after is not None:
        raise AssertionError(f"the kill point was never reached:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    return Run(process.returncode, stdout, stderr, trigger)


def explain(run: Run) -> str:
    return f"exit {run.returncode}\n--- stdout\n{run.stdout[-4000:]}\n--- stderr\n{run.stderr[-4000:]}"


def sorted_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A table's full contents in a canonical order (a duplicated row stays visible)."""
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True, default=str))
