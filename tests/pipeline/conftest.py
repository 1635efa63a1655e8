"""One local warehouse with orders and notifications run on their fixtures, shared by every test
that reads those runs: the pipelines' own checks, the BI dashboard and the quality command; and one
run of any other pipeline on its fixtures, made when a test first asks for it.

Each pipeline runs once per test session over a copy of its bundled fixtures, into one
``LAKEHOUSE_HOME`` - as a workspace would have both pipelines' gold in one schema. Nothing may add
input to this home or run in it again: a test that needs a second run makes its own home.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.pipeline import shared_gold
from tests.pipeline.background import Background, FixtureRun
from tests.pipeline.local import PROJECT_ROOT, lakehouse, query

__all__ = ["FixtureRun", "FixtureRuns"]

FIXTURES = PROJECT_ROOT / "fixtures"
GOLD_PIPELINES = {"orders": "orders", "notifications": "notifications"}  # pipeline -> fixture entity


@dataclass(frozen=True)
class FixtureRuns:
    """The shared home, its landing folder, and what each pipeline's run printed (its summary)."""

    home: Path
    landing: Path
    stdout: dict[str, str]


@pytest.fixture(scope="session")
def fixture_runs(tmp_path_factory: pytest.TempPathFactory) -> FixtureRuns:
    home = tmp_path_factory.mktemp("gold-home")
    landing = tmp_path_factory.mktemp("gold-landing")
    stdout = {}
    for pipeline, entity in GOLD_PIPELINES.items():
        shutil.copytree(FIXTURES / entity, landing / entity)
        done = lakehouse(home, "run", pipeline, "--landing", str(landing))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        stdout[pipeline] = done.stdout
    return FixtureRuns(home, landing, stdout)


@pytest.fixture(scope="session")
def gold_home(fixture_runs: FixtureRuns) -> Path:
    return fixture_runs.home


@pytest.fixture(scope="session")
def gold_tables(gold_home: Path) -> dict:
    """Every query of :mod:`tests.pipeline.shared_gold` over ``gold_home``, in one Spark session."""
    return query(gold_home, database=shared_gold.LOCAL_GOLD, **shared_gold.all_queries())


@pytest.fixture(scope="session")
def fixture_run(background_runs: Background) -> Callable[[str], FixtureRun]:
    """``fixture_run(pipeline)``: its one run over a copy of ``fixtures/<pipeline>``, in a home of its own.

    Made on first request (or already started in the background, :mod:`tests.pipeline.background`)
    and shared by the session (the pipeline's checks, the crash scenarios). Nothing may add input to
    these homes or run in them again.
    """
    return background_runs.fixture_run
