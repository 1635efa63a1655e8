"""`lakehouse produce` writes the contract's events where it is told to."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")


def produce(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAKEHOUSE, "produce", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def events_in(folder: Path) -> list[dict]:
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl")) for line in f.read_text().splitlines()]


def test_orders_from_the_shops_csv_export(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(
        "TransactionNo,Date,ProductNo,ProductName,Price,Quantity,CustomerNo,Country\n"
        '581482,12/9/2019,22485,"Crates, Set Of 2",21.47,12,17490,United Kingdom\n'
        "C581484,12/9/2019,23843,Paper Craft,2.08,-5,,France\n"
    )
    done = produce("orders", "--from-csv", str(export), "--to-dir", str(tmp_path / "out"), "--seed", "3")
    assert done.returncode == 0, done.stderr
    events = events_in(tmp_path / "out")
    assert [(e["TransactionNo"], e["ProductName"], e["CustomerNo"]) for e in events] == [
        ("581482", "Crates, Set Of 2", "17490"),
        ("C581484", "Paper Craft", None),
    ]
    assert len({e["event_id"] for e in events}) == 2


def test_notifications_are_deterministic_for_a_seed(tmp_path):
    args = [
        "notifications",
        "--synthetic",
        "60",
        "--customers",
        "4",
        "--seed",
        "9",
        "--start",
        "2020-02-03T14:00:00+00:00",
    ]
    first = produce(*args, "--to-dir", str(tmp_path / "a"))
    second = produce(*args, "--to-dir", str(tmp_path / "b"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert events_in(tmp_path / "a") == events_in(tmp_path / "b")
    assert len(events_in(tmp_path / "a")) == 60
    assert {e.get("customer_id") for e in events_in(tmp_path / "a")} <= {"C1000", "C1001", "C1002", "C1003", None}
