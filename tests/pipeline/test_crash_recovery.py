"""A power cut mid-silver and mid-gold loses nothing and doubles nothing, in every file-fed pipeline.

For each pipeline with streaming state (de-duplication, streaming aggregations, AUTO CDC, snapshot
CDC), a home of its own takes the bundled fixtures through three `lakehouse run`s (the sequences
start with the test session and run in its background, :mod:`tests.pipeline.background`): the first is
SIGKILLed (CLI, JVM and pipeline process at once) a few seconds into its silver layer, the second
once a gold flow has committed its result while the layer is still running, the third runs to
completion. Its gold must then equal gold of an uninterrupted run over the same files, row for row
(the Kafka source has the same proof in ``tests/kafka``). All tables of all homes are read by path
in one Spark session at the end.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.killable import explain, sorted_rows
from tests.pipeline.background import CRASH_PIPELINES as PIPELINES
from tests.pipeline.background import SHARED_HOME, Background, Crash
from tests.pipeline.conftest import FixtureRun, FixtureRuns
from tests.pipeline.local import query

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def crashes(background_runs: Background) -> dict[str, Crash]:
    """Every pipeline's crash sequence, started with the session (:mod:`tests.pipeline.background`)."""
    return {pipeline: background_runs.crash(pipeline) for pipeline in PIPELINES}


def gold_folders(home: Path) -> dict[str, Path]:
    return {table.name: table for table in sorted((home / "warehouse" / "gold.db").iterdir())}


@pytest.fixture(scope="module")
def clean_homes(
    crashes: dict[str, Crash], fixture_runs: FixtureRuns, fixture_run: Callable[[str], FixtureRun]
) -> dict[str, Path]:
    return {p: fixture_runs.home if p in SHARED_HOME else fixture_run(p).home for p in PIPELINES}


@pytest.fixture(scope="module")
def gold(crashes: dict[str, Crash], clean_homes: dict[str, Path]) -> dict[str, list[dict]]:
    """``<pipeline>/<crash|clean>/<table>``: every gold table the crashed home has, in both homes."""
    queries = {}
    for pipeline, crash in crashes.items():
        if crash.final.returncode != 0:
            continue
        for table, folder in gold_folders(crash.home).items():
            clean = clean_homes[pipeline] / "warehouse" / "gold.db" / table
            queries[f"{pipeline}/crash/{table}"] = f"SELECT * FROM delta.`{folder}`"
            queries[f"{pipeline}/clean/{table}"] = f"SELECT * FROM delta.`{clean}`"
    return query(next(iter(crashes.values())).home, **queries)


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_the_runs_were_killed_in_silver_then_in_gold(crashes: dict[str, Crash], pipeline: str):
    in_silver, in_gold = crashes[pipeline].killed
    for run in (in_silver, in_gold):
        assert run.returncode == -signal.SIGKILL, explain(run)
        assert "run summary" not in run.stdout, explain(run)
    assert "running layer silver" in in_silver.stdout and "running layer gold" not in in_silver.stdout
    assert "running layer gold" in in_gold.stdout, explain(in_gold)


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_gold_after_the_crashes_equals_an_uninterrupted_run(
    crashes: dict[str, Crash], clean_homes: dict[str, Path], gold: dict[str, list[dict]], pipeline: str
):
    crash = crashes[pipeline]
    assert crash.final.returncode == 0, explain(crash.final)
    tables = sorted(gold_folders(crash.home))
    assert tables and set(tables) <= set(gold_folders(clean_homes[pipeline]))
    for table in tables:
        clean = gold[f"{pipeline}/clean/{table}"]
        assert clean, f"the uninterrupted run wrote no gold.{table}"
        assert sorted_rows(gold[f"{pipeline}/crash/{table}"]) == sorted_rows(clean), table
