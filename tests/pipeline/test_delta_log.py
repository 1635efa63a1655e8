"""The run summary reads commit history from ``_delta_log`` on disk; it must say what Delta says."""

from __future__ import annotations

from pathlib import Path

from lakehouse.local import delta_log
from tests.pipeline.local import query_catalog

LAYERS = ("bronze", "silver", "gold")


def test_commits_on_disk_equal_describe_history(gold_home: Path) -> None:
    warehouse = gold_home / "warehouse"
    tables = delta_log.existing_tables(warehouse, LAYERS)
    assert {"bronze.orders_raw", "silver.order_lines", "gold.notifications_per_minute"} <= set(tables)
    histories = query_catalog(
        gold_home,
        **{table: f"DESCRIBE HISTORY {table}" for table in tables},
        **{f"list {layer}": f"SHOW TABLES IN {layer}" for layer in LAYERS},
    )
    listed = [row for layer in LAYERS for row in histories[f"list {layer}"] if not row["isTemporary"]]
    in_catalog = {f"{row['namespace']}.{row['tableName']}" for row in listed}
    for table in tables:
        expected = sorted(
            (
                int(row["version"]),
                row["operation"],
                {k: str(v) for k, v in (row["operationParameters"] or {}).items()},
                {k: str(v) for k, v in (row["operationMetrics"] or {}).items()},
            )
            for row in histories[table]
        )
        on_disk = delta_log.commits(warehouse, table, -1)
        assert on_disk is not None
        assert [(c.version, c.operation, c.parameters, c.metrics) for c in on_disk] == expected, table
        assert delta_log.latest_version(warehouse, table) == expected[-1][0]
    views = in_catalog - set(tables)
    assert all(not (warehouse / f"{name.replace('.', '.db/', 1)}").exists() for name in views), views
