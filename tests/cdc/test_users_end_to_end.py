"""PostgreSQL -> Debezium -> Kafka -> `lakehouse run users`: silver equals the source table, row for row.

The workload (3,000 changes through the real CLI, 150 s) runs while the pipeline runs twice - once to the
end, once killed with SIGKILL in the middle of silver - and the pipeline runs once more after it.
Whatever order and duplication that produces on the topic (at-least-once delivery, replays after the
kill), `silver.users` must equal `SELECT * FROM usuarios` and `silver.users_history` must hold
exactly one open version per live id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from lakehouse.produce.users import COLUMNS
from tests.cdc.conftest import CdcStack
from tests.cdc.topic import table_rows
from tests.pipeline.local import LAKEHOUSE, PROJECT_ROOT, latest_summary, query

pytestmark = [pytest.mark.cdc, pytest.mark.kafka, pytest.mark.pipeline, pytest.mark.timeout(1200)]

HASH_KEY = "end-to-end-test-key-0123456789abcdef"


def pipeline_env(home: Path) -> dict[str, str]:
    return {**os.environ, "LAKEHOUSE_HOME": str(home), "LAKEHOUSE_PII_HASH_KEY": HASH_KEY}


def run_args(stack: CdcStack) -> list[str]:
    return [
        LAKEHOUSE,
        "run",
        "users",
        "--source",
        "kafka",
        "--set",
        f"lakehouse.kafka.bootstrap_servers={stack.bootstrap}",
        "--set",
        f"lakehouse.kafka.topic={stack.topic}",
    ]


def run_users(stack: CdcStack, home: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        run_args(stack), cwd=PROJECT_ROOT, env=pipeline_env(home), capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def kill_users_run_in_silver(stack: CdcStack, home: Path) -> None:
    """Start a run and SIGKILL its whole process group once the silver layer is running."""
    process = subprocess.Popen(
        run_args(stack),
        cwd=PROJECT_ROOT,
        env=pipeline_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "silver.users_changes is RUNNING" in line:
            break
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def replicated(cdc_stack: CdcStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("users-home")
    workload = subprocess.Popen(
        [LAKEHOUSE, "produce", "users", "--changes", "3000", "--rate", "20", "--seed", "23", "--dsn", cdc_stack.dsn],
        env=cdc_stack.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    run_users(cdc_stack, home)
    first_bronze = bronze_rows(latest_summary(home, "users"))
    kill_users_run_in_silver(cdc_stack, home)
    output, _ = workload.communicate(timeout=600)
    assert workload.returncode == 0, output
    time.sleep(5)  # Debezium's commit-to-topic latency is well under a second; leave room
    run_users(cdc_stack, home)
    timestamp = "date_format({c}, \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'\") AS {c}"
    columns = ", ".join(timestamp.format(c=c) if c.endswith("_at") else c for c in COLUMNS)
    tables = query(
        home,
        users=f"SELECT {columns} FROM silver.users",
        open_versions="SELECT id, count(*) AS n FROM silver.users_history WHERE __END_AT IS NULL GROUP BY id",
        gold="SELECT * FROM gold.users",
        bronze="SELECT count(*) AS n FROM bronze.users_changes_raw",
    )
    return {"tables": tables, "source": table_rows(cdc_stack.dsn), "workload": output, "first_bronze": first_bronze}


def bronze_rows(summary: dict[str, Any]) -> int:
    (bronze,) = [d["rows_written"] for d in summary["datasets"] if d["dataset"] == "bronze.users_changes_raw"]
    return int(bronze)


def test_the_first_run_read_while_the_workload_was_still_writing(replicated):
    """Its bronze layer read part of the changes: the rest came in while and after it ran."""
    assert 0 < replicated["first_bronze"] < replicated["tables"]["bronze"][0]["n"], replicated["workload"]


def test_silver_users_equals_the_source_table_row_for_row(replicated):
    silver = {row["id"]: row for row in replicated["tables"]["users"]}
    source = {id_: {c: row[c] for c in COLUMNS} for id_, row in replicated["source"].items()}
    assert len(source) > 100, replicated["workload"]
    assert silver == source


def test_history_has_one_open_version_per_live_user(replicated):
    open_versions = {row["id"]: row["n"] for row in replicated["tables"]["open_versions"]}
    assert open_versions == dict.fromkeys(replicated["source"], 1)


def test_no_raw_pii_reaches_gold(replicated):
    gold = replicated["tables"]["gold"]
    assert {row["id"] for row in gold} == set(replicated["source"])
    text = repr(gold)
    for row in replicated["source"].values():
        for column in ("email", "cpf", "telefone"):
            if row[column] is not None:  # telefone is optional
                assert str(row[column]) not in text, f"raw {column} of user {row['id']} in gold.users"
