"""``lakehouse quality`` after real local runs: per-rule figures equal the quarantine's own counts."""

from __future__ import annotations

import pytest

from tests.pipeline.local import lakehouse
from tests.pipeline.shared_gold import group

pytestmark = pytest.mark.pipeline


def table_rows(stdout: str) -> dict[tuple[str, str], dict[str, str]]:
    """The rich table's body rows, keyed by (dataset, rule)."""
    rows = {}
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) == 8 and cells[0] and cells[0] != "pipeline":
            _pipeline, run, dataset, rule, checked, passed, failed, rate = cells
            rows[(dataset, rule)] = {"checked": checked, "passed": passed, "failed": failed, "rate": rate, "run": run}
    return rows


@pytest.fixture(scope="module")
def quarantine_counts(gold_tables) -> dict:
    return group(gold_tables, "quality")


def test_quality_prints_passed_and_failed_per_rule_of_the_last_run(gold_home, quarantine_counts):
    done = lakehouse(gold_home, "quality", "orders")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = table_rows(done.stdout)
    checked = quarantine_counts["checked"][0]["n"]
    failures = {r["rule"]: r["n"] for r in quarantine_counts["rules"]}
    assert failures, "the fixtures should exercise the rules"
    for rule, failed in failures.items():
        row = rows[("silver.order_lines", rule)]
        assert (int(row["failed"]), int(row["checked"]), int(row["passed"])) == (failed, checked, checked - failed)
        assert row["rate"] == f"{failed / checked:.2%}"
    guests = rows[("silver.order_lines", "customer_present (warn)")]
    assert int(guests["failed"]) == quarantine_counts["guests"][0]["n"]
    assert int(guests["checked"]) == quarantine_counts["silver"][0]["n"]


def test_all_pipelines_are_listed_without_an_argument(gold_home):
    done = lakehouse(gold_home, "quality")
    assert done.returncode == 0, done.stderr
    pipelines = {line.split("│")[1].strip() for line in done.stdout.splitlines() if line.count("│") == 9}
    assert {"orders", "notifications"} <= pipelines


def test_a_threshold_breach_fails_like_the_workspace_job(gold_home):
    done = lakehouse(gold_home, "quality", "orders", "--max-failure-rate", "0")
    assert done.returncode == 1
    assert done.stderr.startswith("error: failure rate above 0.0%: orders silver.order_lines ")
    assert lakehouse(gold_home, "quality", "orders", "--max-failure-rate", "1").returncode == 0


def test_an_unknown_pipeline_is_one_error_line(gold_home):
    done = lakehouse(gold_home, "quality", "nosuch")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: no completed local run of pipeline 'nosuch' in {gold_home / 'runs'}; "
        "run `lakehouse run <pipeline>` first"
    ]
