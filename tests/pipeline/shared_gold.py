"""Queries over the shared gold warehouse (``gold_home``), run in one Spark session for every module.

The dashboard's own dataset and widget queries come from its ``.lvdash.json``; the orders gold
snapshot is compared with the Event Hubs Capture run; the quality figures are checked against the
quarantine. One session instead of one per test module saves a JVM start per module.
"""

from __future__ import annotations

import json
import re

from tests.pipeline.local import PROJECT_ROOT

DASHBOARD = PROJECT_ROOT / "src" / "dashboards" / "lakehouse.lvdash.json"
LOCAL_GOLD = "gold"  # the local target's gold schema: the dashboard's dataset_schema stands for it
AGGREGATES = re.compile(r"^(SUM|COUNT|AVG|MIN|MAX)\(", re.IGNORECASE)

ORDERS_GOLD = {
    "daily": "SELECT * FROM gold.orders_daily_sales ORDER BY order_date, country",
    "panel": "SELECT * FROM gold.orders_sales_per_minute ORDER BY window_start",
    "products": "SELECT * FROM gold.orders_product_sales ORDER BY product_no",
    "customers": "SELECT * FROM gold.orders_customer_summary ORDER BY customer_no",
    "silver": "SELECT count(*) AS n FROM silver.order_lines",
    "quarantine": "SELECT count(*) AS n FROM silver.order_lines_quarantine",
}

QUALITY = {
    "rules": """SELECT rule, count(*) AS n FROM silver.order_lines_quarantine
                LATERAL VIEW explode(failed_rules) AS rule GROUP BY rule""",
    "checked": """SELECT (SELECT count(*) FROM silver.order_lines)
                       + (SELECT count(*) FROM silver.order_lines_quarantine) AS n""",
    "guests": "SELECT count(*) AS n FROM silver.order_lines WHERE customer_no IS NULL",
    "silver": "SELECT count(*) AS n FROM silver.order_lines",
}


def load_dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def dataset_queries() -> dict[str, str]:
    return {d["name"]: "".join(d["queryLines"]) for d in load_dashboard()["datasets"]}


def widgets() -> list[dict]:
    return [item["widget"] for page in load_dashboard()["pages"] for item in page["layout"]]


def widget_sql(widget: dict, datasets: dict[str, str]) -> str:
    """The query the dashboard sends for a widget: its fields over its dataset, grouped unless raw."""
    spec = widget["queries"][0]["query"]
    fields = spec["fields"]
    select = ", ".join(f"{f['expression']} AS `{f['name']}`" for f in fields)
    sql = f"SELECT {select} FROM ({datasets[spec['datasetName']]}) AS dataset"
    keys = [f["expression"] for f in fields if not AGGREGATES.match(f["expression"])]
    if not spec.get("disaggregated") and keys and len(keys) < len(fields):
        sql += " GROUP BY " + ", ".join(keys)
    return sql


def all_queries() -> dict[str, str]:
    """Every query of the shared warehouse, by ``<group>:<name>``."""
    datasets = dataset_queries()
    queries = {f"dataset:{name}": sql for name, sql in datasets.items()}
    queries |= {f"widget:{w['name']}": widget_sql(w, datasets) for w in widgets()}
    queries |= {f"orders:{name}": sql for name, sql in ORDERS_GOLD.items()}
    queries |= {f"quality:{name}": sql for name, sql in QUALITY.items()}
    return queries


def group(results: dict, prefix: str) -> dict:
    return {key.split(":", 1)[1]: rows for key, rows in results.items() if key.startswith(f"{prefix}:")}
