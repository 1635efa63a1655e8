"""The lifecycle of the background servers this project starts: Kafka, Kafka Connect, PostgreSQL.

Each runs in its own session (so Ctrl-C in the terminal that started it does not stop it) with a
pid file under the home. A pid file can be stale and a pid can be reused, so a process counts as
the service only while its command line still holds the service's marker; a child started by this
interpreter is asked through its ``Popen`` instead, which also reaps it (a dead child that is never
waited for stays a zombie and still answers ``kill(pid, 0)``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

# Popen objects of the services started by this interpreter, by pid.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def track(process: subprocess.Popen[bytes], pid_file: Path) -> None:
    """Remember a service this interpreter started and record its pid for later commands."""
    _CHILDREN[process.pid] = process
    pid_file.write_text(f"{process.pid}\n")


def read_int(path: Path) -> int | None:
    """An integer file (a pid, a port), or None when it is missing or unreadable."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int, marker: bytes) -> bool:
    """True if ``pid`` is a live process whose command line holds ``marker``."""
    child = _CHILDREN.get(pid)
    if child is not None:  # started by this interpreter: its Popen knows (even before exec)
        if child.poll() is None:
            return True
        _CHILDREN.pop(pid, None)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if not Path("/proc/self").exists():  # no procfs (macOS): trust kill(pid, 0)
        return True
    try:
        return marker in Path(f"/proc/{pid}/cmdline").read_bytes()  # empty for a zombie
    except OSError:
        return False


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the service's whole process group (its own session), falling back to the pid."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def wait_gone(pid: int, marker: bytes, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        child = _CHILDREN.get(pid)
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=0.2)
        if not alive(pid, marker):
            return True
        time.sleep(0.1)
    return not alive(pid, marker)


def stop(pid_file: Path, marker: bytes, timeout: float) -> bool:
    """SIGTERM (a clean shutdown), SIGKILL after ``timeout``; False if nothing was running."""
    pid = read_int(pid_file)
    if pid is None or not alive(pid, marker):
        pid_file.unlink(missing_ok=True)
        return False
    signal_group(pid, signal.SIGTERM)
    if not wait_gone(pid, marker, timeout):
        signal_group(pid, signal.SIGKILL)
        wait_gone(pid, marker, 10.0)
    pid_file.unlink(missing_ok=True)
    return True


def kill(pid_file: Path, marker: bytes) -> bool:
    """SIGKILL at once (what a crash looks like); False if nothing was running."""
    pid = read_int(pid_file)
    if pid is None or not alive(pid, marker):
        return False
    signal_group(pid, signal.SIGKILL)
    wait_gone(pid, marker, 10.0)
    pid_file.unlink(missing_ok=True)
    return True
