"""`lakehouse run --every`: one Spark session, an update per trigger, each over what arrived since.

The run is given three triggers five seconds apart. Once the first update (the fixtures) is done,
three new notifications land (written under a temporary name, then renamed, as the landing contract
says); whichever later update starts after they landed reads exactly them, the other finds nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from lakehouse.cli.app import parse_every
from lakehouse.errors import UserError
from tests.pipeline.local import LAKEHOUSE, PROJECT_ROOT

pytestmark = pytest.mark.pipeline

NEW = [
    {
        "customer_id": f"C90{n}",
        "message_id": f"long-running-{n}",
        "customer_name": "Ana Souza",
        "channel": "Whatsapp",
        "payload": "Seu pedido 123456 foi confirmado.",
        "event_datetime": f"2020-02-04T10:00:0{n}.000+00:00",
    }
    for n in range(3)
]
SILVER_GAIN = re.compile(r"silver\.notifications \+([\d,]+)")


def land(folder, name: str, events: list[dict]) -> None:
    pending = folder / f".{name}.tmp"
    pending.write_text("".join(json.dumps(event) + "\n" for event in events))
    pending.rename(folder / name)


def silver_gain(line: str) -> int:
    found = SILVER_GAIN.search(line)
    return int(found.group(1).replace(",", "")) if found else 0


def test_one_session_runs_an_update_per_trigger_over_what_arrived(tmp_path):
    home, landing = tmp_path / "home", tmp_path / "landing"
    shutil.copytree(PROJECT_ROOT / "fixtures" / "notifications", landing / "notifications")
    command = [LAKEHOUSE, "run", "notifications", "--landing", str(landing), "--every", "5s", "--triggers", "3"]
    env = {**os.environ, "LAKEHOUSE_HOME": str(home), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if line.startswith("lakehouse: update 1 done"):
            land(landing / "notifications", "notifications-later.jsonl", NEW)
    assert process.wait(timeout=900) == 0, "".join(lines)[-4000:]
    updates = [line for line in lines if line.startswith("lakehouse: update ")]
    assert len(updates) == 3, "".join(lines)[-4000:]
    assert sum(line.startswith("running notifications locally") for line in lines) == 1  # one session
    assert silver_gain(updates[0]) > 0
    later = [silver_gain(line) for line in updates[1:]]
    assert sorted(later) == [0, len(NEW)], updates
    assert any(line.rstrip().endswith("no new input") for line in updates[1:]), updates
    assert len(list((home / "runs").glob("notifications-*-[123].json"))) == 3


@pytest.mark.parametrize(("text", "seconds"), [("60s", 60.0), ("2m", 120.0), ("90", 90.0), ("0.5s", 0.5)])
def test_every_reads_seconds_and_minutes(text: str, seconds: float):
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["0s", "-1m", "soon", "1h", ""])
def test_every_refuses_what_is_not_a_positive_duration(text: str):
    with pytest.raises(UserError, match="--every takes a duration like 60s or 2m"):
        parse_every(text)
