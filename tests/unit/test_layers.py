"""Which local layers share a graph (lakehouse.local.layers): only layers that do not read each other."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.local.layers import layer_stages

PIPELINES = Path(__file__).resolve().parents[2] / "src" / "pipelines"


def folder_with(tmp_path: Path, *layers: str) -> Path:
    for layer in layers:
        (tmp_path / f"{layer}.py").write_text(f"# {layer}\n")
    return tmp_path


def names(stages: list[list[tuple[str, Path]]]) -> list[list[str]]:
    return [[layer for layer, _ in stage] for stage in stages]


def test_the_quarantine_and_gold_run_as_one_stage_after_silver(tmp_path):
    folder = folder_with(tmp_path, "gold", "quarantine", "silver", "bronze")
    stages = layer_stages(folder)
    assert names(stages) == [["bronze"], ["silver"], ["quarantine", "gold"]]
    assert stages[2][1][1] == folder / "gold.py"


def test_without_a_quarantine_each_layer_is_a_stage(tmp_path):
    assert names(layer_stages(folder_with(tmp_path, "bronze", "silver", "gold"))) == [["bronze"], ["silver"], ["gold"]]


@pytest.mark.parametrize("folder", sorted(p for p in PIPELINES.iterdir() if (p / "quarantine.py").is_file()))
def test_gold_never_reads_the_quarantine_it_runs_beside(folder: Path):
    """Sharing a graph, gold would read the quarantine before this update's rows were in it."""
    assert "quarantine" not in (folder / "gold.py").read_text().lower()
