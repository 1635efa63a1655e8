"""How run summaries and query results look in a terminal."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table


def summary_table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"{summary['pipeline']}: run summary ({summary.get('seconds', '?')} s)")
    table.add_column("dataset")
    table.add_column("rows written", justify="right")
    table.add_column("quarantined / failures per rule")
    for entry in summary.get("datasets", []):
        notes = []
        if "rule_failures" in entry:
            failures = entry["rule_failures"]
            notes.append(", ".join(f"{rule}: {n}" for rule, n in failures.items()) or "none")
        if "duplicates_dropped" in entry:
            notes.append(f"duplicates dropped: {entry['duplicates_dropped']} (of {entry['bronze_read']} read)")
        if entry.get("warnings"):
            notes.append("warnings: " + ", ".join(f"{rule}: {n}" for rule, n in entry["warnings"].items()))
        table.add_row(entry["dataset"], str(entry["rows_written"]), "; ".join(notes))
    return table


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    if summary.get("dry_run"):
        console.print(f"[green]{summary['pipeline']}: graph is valid[/] ({', '.join(summary['datasets'])})")
        for layer in summary.get("not_validated", []):
            console.print(f"layer {layer} not validated: it reads tables that no run has written yet")
        return
    console.print(summary_table(summary))
    console.print(f"quarantined this run: {summary.get('quarantined', 0)}")


def format_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str | Table:
    if fmt == "json":
        return "\n".join(json.dumps(dict(zip(columns, row, strict=True)), default=str) for row in rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return out.getvalue().rstrip("\n")
    table = Table()
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*["NULL" if v is None else str(v) for v in row])
    return table
