"""Every mistake and fault the CLI can meet ends in one `error:` line and a non-zero exit, never a trace.

One small orders run is shared by the cases that need a home with tables; every other case fails
before Spark starts, which is itself asserted (they must take seconds, not a JVM start).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from lakehouse.local.lock import home_lock
from lakehouse.produce.files import write_jsonl
from lakehouse.produce.order_contract import format_event_time
from lakehouse.produce.orders_synthetic import synthetic_orders
from tests.pipeline.local import LAKEHOUSE, PROJECT_ROOT, accounting, lakehouse, latest_summary, query

pytestmark = pytest.mark.pipeline


def assert_one_error_line(done: subprocess.CompletedProcess[str], expected: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-2000:]
    assert "Traceback" not in output, output[-3000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and expected in errors[0], done.stderr[-2000:]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A home that ran orders once on a small landing folder."""
    home = tmp_path_factory.mktemp("home")
    landing = tmp_path_factory.mktemp("landing")
    events = list(synthetic_orders(203, seed=11))
    write_jsonl(events[:200], landing / "orders", prefix="orders")
    # A writer still busy with its file when the run starts: hidden name, last line cut in half.
    partial = "".join(json.dumps(event) + "\n" for event in events[200:])
    (landing / "orders" / ".orders-late.jsonl.tmp").write_text(partial[: len(partial) - 40])
    done = lakehouse(home, "run", "orders", "--landing", str(landing))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return home, landing


def quick(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A command that must fail before any JVM starts."""
    started = time.monotonic()
    done = lakehouse(home, *args, timeout=60)
    assert time.monotonic() - started < 15, "this mistake should be caught before Spark starts"
    return done


def test_a_query_with_a_syntax_error(ran):
    home, _ = ran
    assert_one_error_line(lakehouse(home, "sql", "SELEC 1"), "the query failed: [PARSE_SYNTAX_ERROR]")


def test_a_query_of_a_missing_table(ran):
    home, _ = ran
    assert_one_error_line(lakehouse(home, "sql", "SELECT * FROM nope"), "[TABLE_OR_VIEW_NOT_FOUND]")


def test_a_query_prints_the_result_and_nothing_else(ran):
    home, _ = ran
    done = lakehouse(home, "sql", "SELECT count(*) AS n FROM bronze.orders_raw", "--format", "csv")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["n", "200"]
    assert done.stderr == ""


def test_a_home_that_cannot_be_written(tmp_path):
    done = quick(Path("/proc/lakehouse-home"), "tables")
    assert_one_error_line(done, "/proc/lakehouse-home")


def test_two_commands_on_one_home(ran):
    home, _ = ran
    with home_lock(home, "lakehouse run orders"):
        env_wait = {**os.environ, "LAKEHOUSE_HOME": str(home), "LAKEHOUSE_LOCK_WAIT": "1"}
        done = subprocess.run([LAKEHOUSE, "sql", "SELECT 1"], env=env_wait, capture_output=True, text=True, timeout=60)
    assert_one_error_line(done, f"another lakehouse command is using {home} (pid {os.getpid()}")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--set", "lakehouse.orders.dedup_watermark=banana"),
            "'lakehouse.orders.dedup_watermark' must be an interval like '10 minutes'",
        ),
        (
            ("--set", "lakehouse.orders.dedup_watermak=10 minutes"),
            "unknown configuration key 'lakehouse.orders.dedup_watermak' for pipeline 'orders'; valid keys:",
        ),
        (("--source", "bogus"), "lakehouse.source must be one of files, kafka, eventhubs, autoloader"),
    ],
)
def test_bad_settings_are_refused_before_spark_starts(tmp_path, args, expected):
    assert_one_error_line(quick(tmp_path, "run", "orders", *args), expected)


def test_the_entity_folder_given_as_landing_root(ran):
    home, landing = ran
    done = quick(home, "run", "orders", "--landing", str(landing / "orders"))
    assert_one_error_line(done, "looks like the 'orders' entity folder; give the landing root")
    assert not (landing / "orders" / "orders").exists()


def test_a_new_landing_folder_for_an_existing_home(ran, tmp_path):
    home, _ = ran
    write_jsonl(synthetic_orders(5, seed=12), tmp_path / "orders", prefix="orders")
    done = quick(home, "run", "orders", "--landing", str(tmp_path))
    assert_one_error_line(done, "run with --full-refresh")


def test_a_lost_checkpoint_is_refused_instead_of_doubling_silver(ran, tmp_path):
    home, landing = ran
    copy = tmp_path / "home"
    shutil.copytree(home, copy, ignore=shutil.ignore_patterns(".lock"))
    # The copied state names the original storage; point the copy at its own checkpoints.
    checkpoints = copy / "pipelines" / "orders" / "storage" / "_checkpoints" / "spark_catalog" / "silver"
    shutil.rmtree(checkpoints / "order_lines")
    done = quick(copy, "run", "orders", "--landing", str(landing))
    assert_one_error_line(done, "checkpoints of silver.order_lines are missing")
    assert "--full-refresh" in done.stderr


def test_killing_the_cli_alone_stops_its_spark_processes(tmp_path):
    landing = tmp_path / "landing"
    write_jsonl(synthetic_orders(50, seed=13), landing / "orders", prefix="orders")
    home = tmp_path / "home"
    env = {**os.environ, "LAKEHOUSE_HOME": str(home)}
    cli = subprocess.Popen(
        [LAKEHOUSE, "run", "orders", "--landing", str(landing)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert cli.stdout is not None
    for line in cli.stdout:  # wait until the pipeline runs inside the JVM
        if "running layer" in line or "Flow " in line:
            break
    marker = str(home)
    assert spark_processes(marker), "the run's JVM should be up"
    cli.send_signal(signal.SIGKILL)
    cli.wait()
    deadline = time.monotonic() + 30
    while spark_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not spark_processes(marker), "Spark processes outlived the lakehouse command"


def test_a_spark_jvm_that_dies_mid_run_ends_the_run_at_once_with_one_error_line(tmp_path):
    landing = tmp_path / "landing"
    write_jsonl(synthetic_orders(50, seed=17), landing / "orders", prefix="orders")
    home = tmp_path / "home"
    cli = subprocess.Popen(
        [LAKEHOUSE, "run", "orders", "--landing", str(landing)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "LAKEHOUSE_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert cli.stdout is not None
    for line in cli.stdout:  # the JVM is up and runs the pipeline
        if "running layer bronze" in line:
            break
    jvms = [pid for pid in spark_processes(str(home)) if Path(f"/proc/{pid}/exe").resolve().name == "java"]
    assert len(jvms) == 1, jvms
    os.kill(jvms[0], signal.SIGKILL)  # as the kernel's out-of-memory killer would
    started = time.monotonic()
    stdout, stderr = cli.communicate(timeout=120)
    # Before, the Connect client retried the dead server for some ten minutes before failing.
    assert time.monotonic() - started < 30
    assert_one_error_line(subprocess.CompletedProcess(cli.args, cli.returncode, stdout, stderr), "Spark JVM stopped")


def spark_processes(marker: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline and "lakehouse run" not in cmdline:
                found.append(int(proc.name))
    return found


def test_kafka_status_exits_non_zero_when_the_broker_is_down(tmp_path):
    done = quick(tmp_path, "kafka", "status")
    assert done.returncode == 1 and "kafka is not running" in done.stdout


def test_producing_to_a_broker_that_is_down_fails_fast(tmp_path):
    done = quick(tmp_path, "produce", "orders", "--synthetic", "5", "--to", "kafka://127.0.0.1:1/orders")
    assert_one_error_line(done, "Kafka is not reachable at 127.0.0.1:1")


def test_a_run_with_no_new_input_does_not_start_spark(ran):
    """Every layer is up to date (lakehouse.local.freshness): the run says so and writes nothing."""
    home, landing = ran
    before = sorted((home / "runs").glob("orders-*.json"))
    done = quick(home, "run", "orders", "--landing", str(landing))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "every layer is up to date (no new input since the last run); Spark not started" in done.stdout
    summary = latest_summary(home, "orders")
    assert summary["up_to_date"] and {d["rows_written"] for d in summary["datasets"]} == {0}
    assert len(sorted((home / "runs").glob("orders-*.json"))) == len(before) + 1


def test_a_file_being_written_is_read_whole_once_it_is_renamed_into_place(ran):
    """Runs last in this module: it adds the late file to the shared landing folder. The second run
    is also the check that a run processes only new input: bronze writes the 3 late events, no more."""
    home, landing = ran
    generated = list(synthetic_orders(203, seed=11))
    # Also a late event (issue 14): an hour older than anything run 1 saw, beyond the 10-minute window.
    late_event = {**generated[0], "event_id": "late-beyond-dedup-window"}
    earliest = min(datetime.fromisoformat(e["event_time"].replace("Z", "+00:00")) for e in generated)
    late_event["event_time"] = format_event_time(earliest - timedelta(hours=1))
    events = [*generated[200:], late_event]
    # Files that only look broken (issue 14 item 8): a JSON array of two events, one pretty-printed event.
    shaped = [{**generated[n], "event_id": f"shaped-{n}"} for n in (10, 11, 12)]
    (landing / "orders" / "export-array.json").write_text(json.dumps(shaped[:2], indent=2))
    (landing / "orders" / "export-pretty.json").write_text(json.dumps(shaped[2], indent=2) + "\n")
    (landing / "orders" / "export-empty.jsonl").write_text("")  # one empty record, quarantined
    hidden = landing / "orders" / ".orders-late.jsonl.tmp"
    # Messy on purpose: a transport duplicate of one event and a record that fails the rules; and
    # conflicting duplicates (issue 14 item 2): other content under an event_id of run 1, and two
    # versions of one event in this run (silver keeps one, whichever; the other is quarantined).
    quantity = generated[5]["Quantity"]
    changed = quantity + 1 if quantity > 0 else quantity - 1  # still a valid line, other content
    conflicts = [{**generated[5], "Quantity": changed}, {**events[1], "Country": "Atlantis"}]
    messy = [*events, events[0], {"event_id": "messy-without-fields"}, *conflicts]
    hidden.write_text("".join(json.dumps(event) + "\n" for event in messy))
    hidden.rename(landing / "orders" / "orders-late.jsonl")
    done = lakehouse(home, "run", "orders", "--landing", str(landing))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    late_ids = ", ".join(f"'{event['event_id']}'" for event in events)
    got = query(
        home,
        bronze="SELECT count(*) AS n FROM bronze.orders_raw",
        late="SELECT count(*) AS n FROM bronze.orders_raw "
        f"WHERE get_json_object(raw_payload, '$.event_id') IN ({late_ids})",
        broken="SELECT count(*) AS n FROM silver.order_lines_quarantine WHERE try_parse_json(raw_payload) IS NULL "
        "AND raw_payload <> ''",
        empty="SELECT file_path, failed_rules FROM silver.order_lines_quarantine WHERE raw_payload = ''",
        runs="SELECT count(DISTINCT ingested_at) AS n FROM bronze.orders_raw",
        in_silver="SELECT count(*) AS n FROM silver.order_lines WHERE event_id = 'late-beyond-dedup-window'",
        shaped="SELECT count(*) AS n FROM silver.order_lines WHERE event_id IN "
        f"({', '.join(repr(event['event_id']) for event in shaped)})",
        conflicts="SELECT event_id, failed_rules FROM silver.order_lines_quarantine "
        "WHERE array_contains(failed_rules, 'conflicting_duplicate') ORDER BY event_id",
        kept="SELECT event_id, count(*) AS n FROM silver.order_lines "
        f"WHERE event_id IN ('{generated[5]['event_id']}', '{events[1]['event_id']}') GROUP BY event_id ORDER BY 1",
    )
    assert got["bronze"] == [{"n": 212}], "the hidden file was not read before its rename, and whole after it"
    conflicted = sorted([generated[5]["event_id"], events[1]["event_id"]])
    assert got["conflicts"] == [{"event_id": e, "failed_rules": ["conflicting_duplicate"]} for e in conflicted]
    assert got["kept"] == [{"event_id": e, "n": 1} for e in conflicted], "silver keeps one version of each id"
    assert got["empty"] == [
        {"file_path": f"file:{landing}/orders/export-empty.jsonl", "failed_rules": ["payload_not_empty"]}
    ]
    assert got["shaped"] == [{"n": 3}], "an array file and a pretty-printed file are records, not fragments"
    assert got["late"] == [{"n": 6}], "the 5 late events, a conflicting version of one of them"
    assert got["in_silver"] == [{"n": 1}], "an event behind the dedup window must still reach silver"
    assert got["broken"] == [{"n": 0}], "no half-written line reached the quarantine"
    assert got["runs"] == [{"n": 2}]
    written = re.search(r"bronze\.orders_raw\s*│\s*(\d+)", done.stdout)
    assert written and int(written.group(1)) == len(messy) + len(shaped) + 1, done.stdout
    # A messy second run (a renamed file, a late event): every record read is still accounted for.
    counted = accounting(latest_summary(home, "orders"), "silver.order_lines", "silver.order_lines_quarantine")
    assert counted == {"read": 12, "silver": 7, "quarantined": 4, "duplicates": 1, "adds_up": True}
