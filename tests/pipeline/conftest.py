"""One local warehouse with gold of orders and notifications, shared by the BI and quality tests.

Each pipeline runs once per test session over a copy of its bundled fixtures, into one
``LAKEHOUSE_HOME`` - as a workspace would have both pipelines' gold in one schema.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.pipeline import shared_gold
from tests.pipeline.local import PROJECT_ROOT, lakehouse, query

FIXTURES = PROJECT_ROOT / "fixtures"
GOLD_PIPELINES = {"orders": "orders", "notifications": "notifications"}  # pipeline -> fixture entity


@pytest.fixture(scope="session")
def gold_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("gold-home")
    landing = tmp_path_factory.mktemp("gold-landing")
    for pipeline, entity in GOLD_PIPELINES.items():
        shutil.copytree(FIXTURES / entity, landing / entity)
        done = lakehouse(home, "run", pipeline, "--landing", str(landing))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return home


@pytest.fixture(scope="session")
def gold_tables(gold_home: Path) -> dict:
    """Every query of :mod:`tests.pipeline.shared_gold` over ``gold_home``, in one Spark session."""
    return query(gold_home, database=shared_gold.LOCAL_GOLD, **shared_gold.all_queries())
