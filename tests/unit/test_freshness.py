"""Up-to-date layers (lakehouse.local.freshness): decided from the Delta log and the landing folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.local import freshness

CONFIGURATION = {"lakehouse.source": "files", "lakehouse.entities": "orders", "lakehouse.schema.silver": "silver"}


def commit(warehouse: Path, table: str, version: int, operation: str, metrics: dict[str, str]) -> None:
    """One commit file as Delta writes it: a ``commitInfo`` action among others."""
    schema, name = table.split(".")
    log = warehouse / f"{schema}.db" / name / "_delta_log"
    log.mkdir(parents=True, exist_ok=True)
    actions = [
        {"commitInfo": {"operation": operation, "operationParameters": {}, "operationMetrics": metrics}},
        {"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}},
    ]
    (log / f"{version:020d}.json").write_text("\n".join(json.dumps(a) for a in actions) + "\n")


APPEND = ("STREAMING UPDATE", {"numOutputRows": "10", "numAddedFiles": "1"})
EMPTY_BATCH = ("STREAMING UPDATE", {"numOutputRows": "0", "numAddedFiles": "0"})
PROPERTIES = ("SET TBLPROPERTIES", {})


@pytest.fixture
def home(tmp_path: Path) -> dict[str, Path]:
    landing = tmp_path / "landing"
    (landing / "orders").mkdir(parents=True)
    (landing / "orders" / "a.jsonl").write_text('{"event_id": "e1"}\n')
    layers = tmp_path / "pipeline"
    layers.mkdir()
    for layer in ("bronze", "silver", "gold"):
        (layers / f"{layer}.py").write_text(f"# {layer}\n")
    warehouse = tmp_path / "warehouse"
    commit(warehouse, "bronze.raw", 0, *APPEND)
    commit(warehouse, "silver.lines", 0, *APPEND)
    commit(warehouse, "gold.daily", 0, "CREATE OR REPLACE TABLE AS SELECT", {"numOutputRows": "3"})
    return {"landing": landing, "layers": layers, "warehouse": warehouse, "storage": tmp_path / "storage"}


def configuration(home: dict[str, Path]) -> dict[str, str]:
    return {**CONFIGURATION, "lakehouse.landing_path": str(home["landing"])}


def layers(home: dict[str, Path]) -> list[tuple[str, Path]]:
    return [(layer, home["layers"] / f"{layer}.py") for layer in ("bronze", "silver", "gold")]


def record_run(home: dict[str, Path]) -> None:
    """What a successful run records: each layer's fingerprint and inputs as it started."""
    conf, warehouse = configuration(home), home["warehouse"]
    outputs = {"bronze": ["bronze.raw"], "silver": ["silver.lines"], "gold": ["gold.daily"]}
    records, upstream = {}, []
    for layer, file in layers(home):
        inputs = freshness.layer_inputs(warehouse, upstream, conf)
        assert inputs is not None
        records[layer] = freshness.LayerRecord(freshness.fingerprint(file, conf), inputs, outputs[layer])
        upstream += outputs[layer]
    freshness.save(home["storage"], records)


def nothing_to_do(home: dict[str, Path], conf: dict[str, str] | None = None) -> list[str] | None:
    conf = conf or configuration(home)
    stages = [[layer] for layer in layers(home)]
    return freshness.outputs_if_all_up_to_date(home["warehouse"], home["storage"], stages, conf)


def test_a_pipeline_that_never_ran_has_work_to_do(home):
    assert nothing_to_do(home) is None


def test_right_after_a_run_every_layer_is_up_to_date(home):
    record_run(home)
    assert nothing_to_do(home) == ["bronze.raw", "silver.lines", "gold.daily"]


def test_commits_that_add_no_data_leave_the_layers_up_to_date(home):
    record_run(home)
    commit(home["warehouse"], "bronze.raw", 1, *PROPERTIES)
    commit(home["warehouse"], "bronze.raw", 2, *EMPTY_BATCH)
    assert nothing_to_do(home) is not None


def test_new_data_in_an_earlier_layer_makes_the_later_ones_run(home):
    record_run(home)
    commit(home["warehouse"], "silver.lines", 1, *APPEND)
    records = freshness.load(home["storage"])
    silver_inputs = freshness.layer_inputs(home["warehouse"], ["bronze.raw"], configuration(home))
    gold_inputs = freshness.layer_inputs(home["warehouse"], ["bronze.raw", "silver.lines"], configuration(home))
    silver_print = freshness.fingerprint(home["layers"] / "silver.py", configuration(home))
    gold_print = freshness.fingerprint(home["layers"] / "gold.py", configuration(home))
    assert freshness.up_to_date(home["warehouse"], records["silver"], silver_print, silver_inputs)
    assert not freshness.up_to_date(home["warehouse"], records["gold"], gold_print, gold_inputs)
    assert nothing_to_do(home) is None


@pytest.mark.parametrize(
    "change",
    [
        lambda home: (home["landing"] / "orders" / "b.jsonl").write_text('{"event_id": "e2"}\n'),
        lambda home: (home["landing"] / "orders" / "a.jsonl").write_text('{"event_id": "e1"}\n{"x": 1}\n'),
        lambda home: (home["layers"] / "gold.py").write_text("# gold, changed\n"),
        lambda home: commit(home["warehouse"], "bronze.raw", 5, *APPEND),  # a version gap: history unknown
    ],
    ids=["a new landed file", "a landed file rewritten", "a changed pipeline file", "a log with a gap"],
)
def test_any_change_of_input_or_code_means_work(home, change):
    record_run(home)
    change(home)
    assert nothing_to_do(home) is None


def test_a_file_in_progress_is_not_input_yet(home):
    record_run(home)
    (home["landing"] / "orders" / ".b.jsonl.tmp").write_text('{"event_id": "e2"}\n')
    assert nothing_to_do(home) is not None


def test_other_settings_or_a_lost_table_mean_work(home):
    record_run(home)
    assert nothing_to_do(home, {**configuration(home), "lakehouse.orders.dedup_watermark": "5 minutes"}) is None
    (home["warehouse"] / "gold.db" / "daily" / "_delta_log" / f"{0:020d}.json").unlink()
    assert nothing_to_do(home) is None


def test_a_broker_source_is_never_known_to_be_up_to_date(home):
    record_run(home)
    assert nothing_to_do(home, {**configuration(home), "lakehouse.source": "kafka"}) is None
