"""``lakehouse quality [PIPELINE]``: rows passed and failed per rule over the last local runs.

Every ``lakehouse run`` leaves a summary under ``LAKEHOUSE_HOME/runs`` whose figures come from the
Delta tables' history (rows written, quarantined rows and the rules they failed); this command reads
them - no Spark needed - and prints one row per run and rule, so a trend is visible. With
``--max-failure-rate`` it fails like the workspace's quality job when the latest run of a pipeline
has a rule above that share.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lakehouse.errors import UserError
from lakehouse.quality_monitor import RuleFigures, check, figures_from_summary


def load_runs(runs: Path, pipeline: str | None) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Completed run summaries per pipeline, oldest first (file names carry the start time)."""
    found: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for path in sorted(runs.glob("*.json"), key=lambda p: p.stem.rsplit("-", 2)[-2:]):
        try:
            summary = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        # A run that found every layer up to date wrote nothing: it has no figures to judge.
        if "error" in summary or summary.get("dry_run") or summary.get("up_to_date") or not summary.get("datasets"):
            continue
        key = path.stem.rsplit("-", 2)[0]
        if pipeline is None or pipeline in (key, summary.get("pipeline")):
            found[key].append((path.stem.removeprefix(f"{key}-"), summary))
    return found


def pipeline_figures(runs: list[tuple[str, dict[str, Any]]]) -> list[list[RuleFigures]]:
    """Figures per run; a rule seen in any of these runs is listed (0 failures) in all of them."""
    first = [figures_from_summary(summary, run) for run, summary in runs]
    known: dict[str, set[str]] = defaultdict(set)
    for figures in first:
        for f in figures:
            known[f.dataset].add(f.rule)
    return [figures_from_summary(summary, run, known) for run, summary in runs]


def quality_table(rows: list[RuleFigures], shown: int) -> Table:
    table = Table(title=f"data quality: rows passed / failed per rule (last {shown} run(s) per pipeline)")
    for column, justify in (
        ("pipeline", "left"),
        ("run", "left"),
        ("dataset", "left"),
        ("rule", "left"),
        ("checked", "right"),
        ("passed", "right"),
        ("failed", "right"),
        ("failure rate", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for f in rows:
        rate = f"{f.failure_rate:.2%}" if f.checked else "-"
        table.add_row(f.pipeline, f.update, f.dataset, f.rule, str(f.checked), str(f.passed), str(f.failed), rate)
    return table


def register(app: typer.Typer, console: Console) -> None:
    @app.command()
    def quality(
        pipeline: Annotated[str | None, typer.Argument(help="Pipeline resource key; all when omitted")] = None,
        last: Annotated[int, typer.Option(min=1, help="How many recent runs per pipeline")] = 5,
        max_failure_rate: Annotated[
            float | None, typer.Option(min=0.0, max=1.0, help="Fail when the latest run has a rule above this share")
        ] = None,
    ) -> None:
        """Rows passed and failed per rule for the last local runs (from their Delta-history summaries)."""
        from lakehouse.local.home import Home

        runs = Home.from_env().runs
        found = load_runs(runs, pipeline)
        if not found:
            what = f"of pipeline {pipeline!r} " if pipeline else ""
            raise UserError(f"no completed local run {what}in {runs}; run `lakehouse run <pipeline>` first")
        rows: list[RuleFigures] = []
        latest: list[RuleFigures] = []
        for key in sorted(found):
            per_run = pipeline_figures(found[key][-last:])
            rows += [f for figures in per_run for f in figures]
            latest += per_run[-1]
        console.print(quality_table(rows, last))
        if not rows:
            console.print("no rule rejected or warned about any row in these runs")
        if max_failure_rate is not None:
            check(latest, max_failure_rate)
            console.print(f"latest runs: no rule above {max_failure_rate:.1%}")
