"""Failure rates per rule from event-log-shaped rows and from local run summaries; the threshold."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from databricks.bundles.jobs import Job

from lakehouse import quality_monitor as qm
from lakehouse.errors import UserError
from lakehouse.local import bundle

ROOT = Path(__file__).resolve().parents[2]
EXPECTATIONS_SQL = ROOT / "src" / "sql" / "quality" / "expectations.sql"
EVENT_LOG_DDL = (
    "id string, sequence string, origin struct<pipeline_id: string, pipeline_name: string, update_id: string, "
    "flow_name: string>, timestamp timestamp, message string, level string, maturity_level string, error string, "
    "details string, event_type string"
)


def progress(update: str, minute: int, *expectations: tuple[str, str, int, int], status: str = "RUNNING") -> tuple:
    """One ``flow_progress`` event as the event log stores it (``details`` is a JSON string)."""
    details = {
        "flow_progress": {
            "status": status,
            "metrics": {"num_output_rows": sum(e[2] for e in expectations)},
            "data_quality": {
                "dropped_records": sum(e[3] for e in expectations),
                "expectations": [
                    {"name": n, "dataset": d, "passed_records": p, "failed_records": f} for d, n, p, f in expectations
                ],
            },
        }
    }
    origin = ("p-1", "orders", update, "order_lines")
    stamp = datetime(2026, 12, 1, 10, minute)
    return (
        f"{update}-{minute}",
        "{}",
        origin,
        stamp,
        "progress",
        "METRICS",
        "EVOLVING",
        None,
        json.dumps(details),
        "flow_progress",
    )


def other_event(update: str, minute: int, event_type: str, details: dict) -> tuple:
    origin = ("p-1", "orders", update, None)
    stamp = datetime(2026, 12, 1, 10, minute)
    return (f"{update}-{event_type}", "{}", origin, stamp, "m", "INFO", "STABLE", None, json.dumps(details), event_type)


@pytest.fixture(scope="module")
def events(spark):
    rows = [
        progress(
            "u1",
            0,
            ("silver.order_lines", "event_id_present", 90, 10),
            ("silver.order_lines", "quantity_not_zero", 99, 1),
        ),
        progress(
            "u1",
            1,
            ("silver.order_lines", "event_id_present", 10, 0),
            ("silver.order_lines", "quantity_not_zero", 9, 1),
        ),
        progress(
            "u2",
            5,
            ("silver.order_lines", "event_id_present", 50, 0),
            ("silver.order_lines", "quantity_not_zero", 40, 10),
        ),
        # a flow without expectations, and events of other types, add nothing
        other_event("u2", 5, "flow_progress", {"flow_progress": {"status": "COMPLETED", "metrics": {}}}),
        other_event("u2", 6, "update_progress", {"update_progress": {"state": "COMPLETED"}}),
        other_event("u2", 6, "create_update", {"create_update": {"cause": "JOB_TASK"}}),
    ]
    return spark.createDataFrame(rows, EVENT_LOG_DDL)


def as_dicts(frame) -> list[dict]:
    rows = [row.asDict() for row in frame.collect()]
    return sorted(rows, key=lambda r: (r["update_id"], r["dataset"], r["rule"]))


def test_metrics_sum_each_rule_over_the_batches_of_an_update(events):
    got = [
        (r["update_id"], r["rule"], r["passed"], r["failed"], r["failure_rate"])
        for r in as_dicts(qm.expectation_metrics(events))
    ]
    assert got == [
        ("u1", "event_id_present", 100, 10, round(10 / 110, 6)),
        ("u1", "quantity_not_zero", 108, 2, round(2 / 110, 6)),
        ("u2", "event_id_present", 50, 0, 0.0),
        ("u2", "quantity_not_zero", 40, 10, 0.2),
    ]


def test_the_sql_file_gives_the_same_figures_as_the_function(spark, events):
    """The query shipped for the SQL editor, run on local Spark over the same event-log rows."""
    sql = EXPECTATIONS_SQL.read_text()
    assert "event_log(:pipeline_id)" in sql
    events.createOrReplaceTempView("event_log_rows")
    local_sql = re.sub(r"^--.*$", "", sql, flags=re.MULTILINE).replace("event_log(:pipeline_id)", "event_log_rows")
    assert as_dicts(spark.sql(local_sql)) == as_dicts(qm.expectation_metrics(events))


def test_latest_update_keeps_only_the_newest_update(events):
    latest = as_dicts(qm.latest_update(qm.expectation_metrics(events)))
    assert {r["update_id"] for r in latest} == {"u2"} and len(latest) == 2


def test_the_threshold_names_every_rule_above_it(events):
    rows = [r for r in as_dicts(qm.expectation_metrics(events)) if r["update_id"] == "u2"]
    figures = qm.figures_from_metrics("orders", rows)
    assert [f.rule for f in qm.breaches(figures, 0.1)] == ["quantity_not_zero"]
    assert qm.breaches(figures, 0.2) == [], "a rate equal to the threshold is tolerated"
    with pytest.raises(qm.QualityThresholdExceeded, match=r"quantity_not_zero: 10/50 failed \(20\.0%\)"):
        qm.check(figures, 0.05)
    qm.check(figures, 0.25)


def test_local_summaries_give_passed_and_failed_per_rule():
    summary = {
        "pipeline": "orders",
        "datasets": [
            {"dataset": "bronze.orders_raw", "rows_written": 120},
            {"dataset": "silver.order_lines", "rows_written": 100, "warnings": {"customer_present": 7}},
            {"dataset": "silver.order_lines_quarantine", "rows_written": 20, "rule_failures": {"a": 15, "b": 8}},
        ],
    }
    figures = qm.figures_from_summary(summary, "orders-20261201-100000")
    got = [(f.dataset, f.rule, f.passed, f.failed) for f in figures]
    assert got == [
        ("silver.order_lines", "customer_present (warn)", 93, 7),
        ("silver.order_lines", "a", 105, 15),
        ("silver.order_lines", "b", 112, 8),
    ]
    assert figures[1].failure_rate == pytest.approx(15 / 120)


@pytest.mark.parametrize("bad", ["", "x", "1234", "00000000-0000-0000-0000-000000000000'; DROP TABLE t; --"])
def test_pipeline_ids_must_be_uuids_before_they_reach_sql(bad):
    with pytest.raises(UserError):
        qm.parse_pipeline_ids(bad)


def test_pipeline_ids_and_rates_parse():
    ids = qm.parse_pipeline_ids(" 0f8d5a4e-1b2c-4d3e-9f00-123456789abc ,")
    assert ids == ["0f8d5a4e-1b2c-4d3e-9f00-123456789abc"]
    assert qm.parse_failure_rate("0.05") == 0.05
    for bad in ("five", "1.5", "-0.1"):
        with pytest.raises(UserError):
            qm.parse_failure_rate(bad)


def test_the_quality_job_checks_every_pipeline_of_the_bundle_with_the_configured_threshold():
    path = ROOT / "resources" / "quality.job.yml"
    spec = yaml.safe_load(path.read_text())["resources"]["jobs"]["quality_check"]
    Job.from_dict(spec)
    parameters = {p["name"]: p["default"] for p in spec["parameters"]}
    named = set(re.findall(r"\$\{resources\.pipelines\.([^.]+)\.id\}", parameters["pipeline_ids"]))
    assert named == set(bundle.pipelines(ROOT))
    assert parameters["max_failure_rate"] == "${var.quality_max_failure_rate}"
    notebook = spec["tasks"][0]["notebook_task"]["notebook_path"]
    source = (path.parent / notebook).resolve().read_text()
    assert source.startswith("# Databricks notebook source")
    assert "quality_monitor.check(" in source
