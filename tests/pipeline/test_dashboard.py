"""The AI/BI dashboard (src/dashboards/lakehouse.lvdash.json) against a real local gold schema.

Every dataset query and every widget's query runs on the local warehouse after a run of orders and
notifications, so a renamed gold column breaks this test rather than the deployed dashboard.
"""

from __future__ import annotations

import re

import pytest
import yaml
from databricks.bundles.dashboards import Dashboard

from tests.pipeline import expected_orders
from tests.pipeline.local import PROJECT_ROOT
from tests.pipeline.shared_gold import DASHBOARD, dataset_queries, group, widgets

RESOURCE = PROJECT_ROOT / "resources" / "lakehouse.dashboard.yml"


def test_the_resource_loads_as_a_databricks_bundles_dashboard():
    spec = yaml.safe_load(RESOURCE.read_text())["resources"]["dashboards"]["lakehouse"]
    model = Dashboard.from_dict(spec)
    assert (RESOURCE.parent / spec["file_path"]).resolve() == DASHBOARD
    assert model.display_name
    assert (spec["dataset_catalog"], spec["dataset_schema"]) == ("${var.catalog}", "${var.gold_schema}")
    variables = yaml.safe_load((PROJECT_ROOT / "databricks.yml").read_text())["variables"]
    assert spec["warehouse_id"] == "${var.warehouse_id}" and "warehouse_id" in variables


def test_datasets_read_gold_only_and_unqualified():
    """dataset_schema applies only to unqualified names; bronze and silver are not for BI."""
    for name, sql in dataset_queries().items():
        assert not re.search(r"\b(bronze|silver|gold|main|spark_catalog)\.", sql), f"{name} qualifies a table"
        assert "quarantine" not in sql and "_raw" not in sql, name


def test_every_widget_reads_a_dataset_of_the_dashboard():
    names = set(dataset_queries())
    used = {w["queries"][0]["query"]["datasetName"] for w in widgets()}
    assert used <= names and used == names, "a dataset no widget shows, or a widget without dataset"
    for widget in widgets():
        fields = {f["name"] for f in widget["queries"][0]["query"]["fields"]}
        encodings = widget["spec"]["encodings"]
        encoded = {e["fieldName"] for e in encodings.get("columns", [])} | {
            e["fieldName"] for key, e in encodings.items() if key != "columns"
        }
        assert encoded <= fields, f"{widget['name']} encodes a field its query does not select"


@pytest.fixture(scope="module")
def results(gold_tables) -> dict:
    return {f"dataset:{k}": v for k, v in group(gold_tables, "dataset").items()} | {
        f"widget:{k}": v for k, v in group(gold_tables, "widget").items()
    }


@pytest.mark.pipeline
@pytest.mark.parametrize("name", sorted(dataset_queries()))
def test_every_dataset_query_runs_on_local_gold_and_returns_rows(results, name):
    assert results[f"dataset:{name}"], f"dataset {name} returned no rows on the fixtures"


@pytest.mark.pipeline
@pytest.mark.parametrize("name", sorted(w["name"] for w in widgets()))
def test_every_widget_query_runs_on_local_gold(results, name):
    rows = results[f"widget:{name}"]
    assert rows, f"widget {name} shows nothing on the fixtures"
    widget = next(w for w in widgets() if w["name"] == name)
    assert list(rows[0]) == [f["name"] for f in widget["queries"][0]["query"]["fields"]]


@pytest.mark.pipeline
def test_the_daily_sales_dataset_holds_the_independently_computed_figures(results):
    lines, _ = expected_orders.valid_lines(expected_orders.read_payloads(PROJECT_ROOT / "fixtures" / "orders"))
    got = expected_orders.daily_sales_table(results["dataset:daily_sales"])
    assert got == expected_orders.daily_sales(lines)
