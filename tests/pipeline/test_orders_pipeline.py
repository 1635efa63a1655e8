"""`lakehouse run orders` on the bundled fixtures, checked against figures computed in Python."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.pipeline import expected_orders as expected
from tests.pipeline.conftest import FixtureRuns
from tests.pipeline.local import PROJECT_ROOT, accounting, lakehouse, latest_summary, query

pytestmark = pytest.mark.pipeline

FIXTURES = PROJECT_ROOT / "fixtures" / "orders"


@pytest.fixture(scope="module")
def first_run(fixture_runs: FixtureRuns) -> tuple[Path, str]:
    """The session's one run of orders on its fixtures (``tests/pipeline/conftest.py``)."""
    return fixture_runs.home, fixture_runs.stdout["orders"]


@pytest.fixture(scope="module")
def tables(first_run) -> dict:
    home, _ = first_run
    return query(
        home,
        bronze="SELECT count(*) AS n FROM bronze.orders_raw",
        silver="SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM silver.order_lines",
        quarantine="SELECT event_id, raw_payload, failed_rules FROM silver.order_lines_quarantine",
        daily="SELECT * FROM gold.orders_daily_sales",
        panel="SELECT * FROM gold.orders_sales_per_minute",
        lines="SELECT event_time, transaction_no, is_cancellation, quantity, line_amount FROM silver.order_lines",
    )


def payloads() -> list[str]:
    return expected.read_payloads(FIXTURES)


def test_bronze_keeps_every_record_received(tables):
    assert tables["bronze"][0]["n"] == len(payloads())


def test_silver_holds_each_valid_event_once(tables):
    lines, _ = expected.valid_lines(payloads())
    assert tables["silver"][0] == {"n": len(lines), "ids": len(lines)}


def test_every_rejected_record_is_in_quarantine_with_a_reason(tables):
    _, rejected = expected.valid_lines(payloads())
    assert len(tables["quarantine"]) == rejected
    assert all(row["failed_rules"] for row in tables["quarantine"])
    reasons = {row["event_id"]: set(row["failed_rules"]) for row in tables["quarantine"] if row["event_id"]}
    assert "order_date_parsable" in reasons["edge-bad-date"]
    assert any("payload_is_json_object" in set(r["failed_rules"]) for r in tables["quarantine"])


def test_daily_sales_match_an_independent_computation(tables):
    lines, _ = expected.valid_lines(payloads())
    want = expected.daily_sales(lines)
    got = expected.daily_sales_table(tables["daily"])
    assert got == want


def test_the_panel_has_every_window_the_watermark_closed(tables):
    lines, _ = expected.valid_lines(payloads())
    latest = max(line.event_time for line in lines).replace(tzinfo=None)
    panel = tables["panel"]
    assert panel, "no closed one-minute window"
    assert all(str(row["window_end"]) <= str(latest) for row in panel)
    total_units = sum(row["units"] for row in panel)
    closed = [
        x
        for x in lines
        if x.event_time.replace(tzinfo=None).replace(second=0, microsecond=0) < latest.replace(second=0, microsecond=0)
        and not x.cancelled
    ]
    # windows emitted so far cover every sold line older than the still-open minute
    assert total_units <= sum(x.quantity for x in lines if not x.cancelled)
    assert total_units >= sum(x.quantity for x in closed) - sum(
        x.quantity for x in closed if (latest - x.event_time.replace(tzinfo=None)).total_seconds() < 120
    )


def test_every_record_read_is_in_silver_quarantine_or_counted_as_a_duplicate(first_run):
    home, stdout = first_run
    counted = accounting(latest_summary(home, "orders"), "silver.order_lines", "silver.order_lines_quarantine")
    lines, rejected = expected.valid_lines(payloads())
    duplicates = len(payloads()) - len(lines) - rejected
    assert duplicates > 0, "the fixtures should exercise de-duplication"
    assert counted == {
        "read": len(payloads()),
        "silver": len(lines),
        "quarantined": rejected,
        "duplicates": duplicates,
        "adds_up": True,
    }
    assert f"duplicates dropped: {duplicates}" in stdout


def test_the_summary_reports_quarantine_and_rule_failures(first_run):
    _, stdout = first_run
    assert "silver.order_lines_quarantine" in stdout
    assert "order_date_parsable" in stdout
    assert "customer_present" in stdout


def test_the_notebook_runs_locally_on_the_warehouse(first_run, tables):
    import os
    import subprocess
    import sys

    home, _ = first_run
    notebook = PROJECT_ROOT / "src" / "notebooks" / "orders_explore.py"
    done = subprocess.run(
        [sys.executable, str(notebook)],
        env={**os.environ, "LAKEHOUSE_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    net = sum(Decimal(str(row["net_revenue"])) for row in tables["daily"])
    assert f"TOTAL_NET_REVENUE={net}" in done.stdout


def test_sql_and_tables_read_the_local_warehouse(first_run, tables):
    home, _ = first_run
    done = lakehouse(home, "sql", "SELECT count(*) AS n FROM bronze.orders_raw", "--format", "csv")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-2:] == ["n", str(tables["bronze"][0]["n"])]
    listed = lakehouse(home, "tables")
    assert listed.returncode == 0, listed.stderr[-2000:]
    for table in ("orders_raw", "order_lines_quarantine", "orders_daily_sales", "orders_sales_per_minute"):
        assert table in listed.stdout
