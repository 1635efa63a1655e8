"""One lakehouse command at a time per home.

The local catalog is an embedded Derby database that only one process may open: a second
``lakehouse run`` or ``sql`` on the same ``LAKEHOUSE_HOME`` would otherwise fail deep inside Hive.
Commands take an exclusive ``flock`` on ``HOME/.lock`` and wait a little for it. The kernel drops
the lock when its holder dies, so a killed command never leaves a stale lock behind; the pid written
into the file only serves the message.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lakehouse.errors import LakehouseError

DEFAULT_WAIT_SECONDS = 10.0


class HomeBusy(LakehouseError):
    """Another lakehouse command holds the home."""


def wait_seconds() -> float:
    try:
        return float(os.environ.get("LAKEHOUSE_LOCK_WAIT", DEFAULT_WAIT_SECONDS))
    except ValueError:
        return DEFAULT_WAIT_SECONDS


@contextmanager
def home_lock(root: Path, command: str, wait: float | None = None) -> Iterator[int]:
    """Hold the home's lock for the block; yields the lock's file descriptor (children may inherit it)."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + (wait_seconds() if wait is None else wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise HomeBusy(
                        f"another lakehouse command is using {root} ({_holder(fd)}); "
                        "wait for it to finish or set another LAKEHOUSE_HOME"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {command}\n".encode())
        yield fd
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    text = os.pread(fd, 200, 0).decode(errors="replace").strip()
    pid, _, command = text.partition(" ")
    return f"pid {pid}: {command}" if pid else "pid unknown"
