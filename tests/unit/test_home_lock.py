"""One lakehouse command at a time per home; a killed holder never leaves a stale lock."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from lakehouse.local.lock import HomeBusy, home_lock

HOLD = """
import sys, time
from pathlib import Path
from lakehouse.local.lock import home_lock
with home_lock(Path(sys.argv[1]), "lakehouse run orders"):
    print("held", flush=True)
    time.sleep(60)
"""


def hold_in_child(root) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_a_second_command_is_told_who_holds_the_home(tmp_path):
    child = hold_in_child(tmp_path)
    try:
        started = time.monotonic()
        with (
            pytest.raises(
                HomeBusy,
                match=rf"another lakehouse command is using {tmp_path} \(pid {child.pid}: lakehouse run orders\)",
            ),
            home_lock(tmp_path, "lakehouse sql", wait=0.5),
        ):
            pass
        assert time.monotonic() - started < 5
    finally:
        child.kill()
        child.wait()


def test_the_lock_of_a_killed_command_is_free_at_once(tmp_path):
    child = hold_in_child(tmp_path)
    child.send_signal(signal.SIGKILL)
    child.wait()
    with home_lock(tmp_path, "lakehouse sql", wait=0.5) as fd:
        assert fd >= 0
    assert (tmp_path / ".lock").read_text().split()[0].isdigit()
