"""Reading a Delta log from disk: versions, gaps, the Hive warehouse's table folders, run progress."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from lakehouse.local import delta_log
from lakehouse.local.progress import Progress


def commit_file(table: Path, version: int, operation: str, metrics: dict[str, str]) -> None:
    log = table / "_delta_log"
    log.mkdir(parents=True, exist_ok=True)
    actions = [
        {
            "commitInfo": {
                "operation": operation,
                "operationParameters": {"mode": "Append"},
                "operationMetrics": metrics,
            }
        },
        {"add": {"path": f"part-{version}.parquet"}},
    ]
    (log / f"{version:020d}.json").write_text("\n".join(json.dumps(a) for a in actions) + "\n")


def test_versions_and_commits_after_a_version(tmp_path: Path) -> None:
    table = tmp_path / "silver.db" / "t"
    for version in range(3):
        commit_file(table, version, "WRITE", {"numOutputRows": str(version * 10)})
    (table / "_delta_log" / "00000000000000000002.checkpoint.parquet").write_bytes(b"")
    assert delta_log.table_folder(tmp_path, "spark_catalog.Silver.T") == table
    assert delta_log.latest_version(tmp_path, "silver.t") == 2
    found = delta_log.commits(tmp_path, "silver.t", 0)
    assert found is not None
    assert [(c.version, c.metrics["numOutputRows"], c.parameters) for c in found] == [
        (1, "10", {"mode": "Append"}),
        (2, "20", {"mode": "Append"}),
    ]
    assert delta_log.commits(tmp_path, "silver.t", 2) == []
    assert delta_log.existing_tables(tmp_path, ["silver", "gold"]) == ["silver.t"]


def test_a_cleaned_up_commit_is_reported_not_skipped(tmp_path: Path) -> None:
    table = tmp_path / "bronze.db" / "t"
    for version in (0, 1, 3):
        commit_file(table, version, "WRITE", {})
    assert delta_log.commits(tmp_path, "bronze.t", 1) is None
    assert delta_log.commits(tmp_path, "bronze.t", -1) is None
    assert delta_log.latest_version(tmp_path, "bronze.t") == 3


def test_a_table_without_log_has_no_version(tmp_path: Path) -> None:
    assert delta_log.latest_version(tmp_path, "gold.nothing") == -1
    assert delta_log.commits(tmp_path, "gold.nothing", -1) == []
    assert delta_log.existing_tables(tmp_path, ["gold"]) == []


def test_progress_counts_the_rows_a_completed_flow_wrote_this_run(tmp_path: Path) -> None:
    table = tmp_path / "silver.db" / "lines"
    commit_file(table, 0, "STREAMING UPDATE", {"numOutputRows": "7"})
    progress = Progress(tmp_path, ["bronze", "silver"], started=time.monotonic() - 2)
    commit_file(table, 1, "SET TBLPROPERTIES", {})
    commit_file(table, 2, "STREAMING UPDATE", {"numOutputRows": "5"})
    commit_file(tmp_path / "gold.db" / "new", 0, "WRITE", {"numOutputRows": "3"})

    line = progress.annotate("2026-12-03 06:14:28: Flow spark_catalog.silver.lines has COMPLETED.")
    assert re.fullmatch(r".*has COMPLETED\. \(5 rows written, total \d+\.\d s\)", line), line
    assert "(3 rows written, " in progress.annotate("Flow spark_catalog.gold.new has COMPLETED.")
    assert progress.annotate("Flow spark_catalog.silver.lines is RUNNING.").endswith("RUNNING.")
    assert re.search(r"Run is COMPLETED\. \(\d+\.\d s\)$", progress.annotate("Run is COMPLETED."))


def test_progress_times_each_flow_and_starts_again_with_each_update(tmp_path: Path) -> None:
    table = tmp_path / "silver.db" / "lines"
    commit_file(table, 0, "STREAMING UPDATE", {"numOutputRows": "7"})
    progress = Progress(tmp_path, ["silver"], started=time.monotonic() - 30)
    progress.annotate("Flow spark_catalog.silver.lines is RUNNING.")
    time.sleep(0.2)
    commit_file(table, 1, "STREAMING UPDATE", {"numOutputRows": "5"})
    first = progress.annotate("Flow spark_catalog.silver.lines has COMPLETED.")
    took = re.fullmatch(r".*\(5 rows written, flow (\d+\.\d) s, total (\d+\.\d) s\)", first)
    assert took is not None, first
    assert 0.2 <= float(took.group(1)) < 5 and float(took.group(2)) >= 30

    assert progress.annotate("lakehouse: update 1 done in 31.0 s: silver.lines +5") == (
        "lakehouse: update 1 done in 31.0 s: silver.lines +5"
    )
    commit_file(table, 2, "STREAMING UPDATE", {"numOutputRows": "4"})
    second = progress.annotate("Flow spark_catalog.silver.lines has COMPLETED.")
    took = re.fullmatch(r".*\(4 rows written, total (\d+\.\d) s\)", second)  # no RUNNING seen this update
    assert took is not None, second
    assert float(took.group(1)) < 5


def test_the_files_an_append_only_run_added(tmp_path: Path) -> None:
    table = tmp_path / "bronze.db" / "t"
    for version in range(4):
        commit_file(table, version, "STREAMING UPDATE", {})
    added = delta_log.added_files(tmp_path, "bronze.t", 1, 3)
    assert added == [table / "part-2.parquet", table / "part-3.parquet"]
    assert delta_log.added_files(tmp_path, "bronze.t", 3, 3) == []


def test_a_commit_that_removed_or_lost_files_is_no_append(tmp_path: Path) -> None:
    table = tmp_path / "gold.db" / "t"
    for version in range(3):
        commit_file(table, version, "WRITE", {})
    (table / "_delta_log" / f"{2:020d}.json").open("a").write(json.dumps({"remove": {"path": "part-1.parquet"}}) + "\n")
    assert delta_log.added_files(tmp_path, "gold.t", 0, 1) == [table / "part-1.parquet"]
    assert delta_log.added_files(tmp_path, "gold.t", 0, 2) is None, "a rewrite: ask Delta for the difference"
    assert delta_log.added_files(tmp_path, "gold.t", 0, 5) is None, "a commit file is not on disk"
