"""Helpers about this machine that several local services need: free ports and the Java binary."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
from pathlib import Path

from lakehouse.errors import EnvironmentProblem


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now, on loopback; the caller binds it soon after."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def require_java() -> str:
    """The ``java`` binary of ``JAVA_HOME`` or ``PATH``; a clear error when there is none."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise EnvironmentProblem("Java 17+ is required to run Spark locally: install a JDK or set JAVA_HOME")
    return java


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child process (``preexec_fn``): get SIGTERM when the parent dies, even by SIGKILL (Linux).

    Without it, killing ``lakehouse run`` leaves its Spark JVM running a pipeline nobody watches.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
