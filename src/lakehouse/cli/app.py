"""``lakehouse``: the local runner (the main job), warehouse queries and event producers.

Every expected failure (no Java, a bad path, an unknown pipeline, a malformed bundle, a failed run)
ends with one ``error:`` line and a non-zero exit code, never a stack trace.
"""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lakehouse.cli.cdc import cdc_app
from lakehouse.cli.fetch import app as fetch_app
from lakehouse.cli.produce import register as register_producers
from lakehouse.cli.quality import register as register_quality
from lakehouse.cli.render import format_rows, print_summary
from lakehouse.errors import LakehouseError, UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
kafka_app = typer.Typer(no_args_is_help=True, help="A local single-node Apache Kafka (KRaft).")
produce_app = typer.Typer(no_args_is_help=True, help="Emit events as the squads' applications do.")
app.add_typer(kafka_app, name="kafka")
app.add_typer(produce_app, name="produce")
app.add_typer(fetch_app, name="fetch")
register_producers(produce_app)
app.add_typer(cdc_app, name="cdc")

console = Console(soft_wrap=True)
if not console.is_terminal:  # piped or captured: room for whole table cells, not 80 columns
    console.width = max(console.width, 140)
register_quality(app, console)
errors = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def bundle_root() -> Path:
    from lakehouse.local.bundle import find_bundle_root

    return find_bundle_root(Path.cwd())


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        if "=" not in pair:
            raise UserError(f"--set expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        overrides[key.strip()] = value.strip()
    return overrides


_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?)?\s*$")


def parse_every(text: str) -> float:
    """``"60s"``, ``"2m"`` or ``"90"`` (seconds) -> seconds between the starts of two updates."""
    found = _EVERY.match(text)
    if not found or float(found.group(1)) <= 0:
        raise UserError(f"--every takes a duration like 60s or 2m, got {text!r}")
    unit = found.group(2) or "s"
    return float(found.group(1)) * (60 if unit.startswith("m") else 1)


@app.command()
def run(
    pipeline: Annotated[str, typer.Argument(help="Pipeline resource key, e.g. orders")],
    landing: Annotated[Path | None, typer.Option(help="Landing folder (one sub-folder per entity)")] = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Recompute every table from scratch")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate the graph without writing")] = False,
    source: Annotated[str | None, typer.Option(help="Override lakehouse.source (e.g. kafka)")] = None,
    set_: Annotated[list[str], typer.Option("--set", help="Override a configuration key: KEY=VALUE")] = [],  # noqa: B006
    every: Annotated[
        str | None,
        typer.Option(help="Keep running: an update every 60s, 2m, ... (on multiples of it) in one Spark session"),
    ] = None,
    triggers: Annotated[int | None, typer.Option(help="With --every: stop after this many updates")] = None,
) -> None:
    """Run a pipeline of the bundle locally and print what it wrote."""
    from lakehouse.local import bundle
    from lakehouse.local.engine import RunOptions, run_pipeline
    from lakehouse.local.home import Home

    root = bundle_root()
    pipelines = bundle.pipelines(root)
    if pipeline not in pipelines:
        raise UserError(f"unknown pipeline {pipeline!r}; the bundle defines: {', '.join(sorted(pipelines))}")
    if landing is not None and not landing.is_dir():
        raise UserError(f"landing folder {landing} does not exist")
    overrides = parse_overrides(set_)
    if source:
        overrides["lakehouse.source"] = source
    if triggers is not None and (every is None or triggers < 1):
        raise UserError("--triggers needs --every and a number of updates of 1 or more")
    options = RunOptions(
        landing=landing.resolve() if landing else None,
        full_refresh=full_refresh,
        dry_run=dry_run,
        overrides=overrides,
        every=None if every is None else parse_every(every),
        triggers=triggers,
    )
    home = Home.from_env()
    console.print(f"running [bold]{pipeline}[/] locally (home: {home.root})")
    summary = run_pipeline(
        home,
        pipelines[pipeline],
        root,
        options,
        on_event=lambda line: console.print(line, markup=False, highlight=False),
    )
    print_summary(console, summary)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A Spark SQL query over the local warehouse")],
    format: Annotated[OutputFormat, typer.Option("--format", help="table, csv or json")] = OutputFormat.table,
) -> None:
    """Query the local warehouse."""
    from pyspark.errors import PySparkException

    from lakehouse.local.warehouse import open_session

    spark = open_session()
    try:
        frame = spark.sql(query)
        rows = [tuple(row) for row in frame.collect()]
        rendered = format_rows(frame.columns, rows, format.value)
    except PySparkException as error:
        raise UserError(f"the query failed: {first_line(error)}") from None
    finally:
        spark.stop()
    if isinstance(rendered, str):
        print(rendered)
    else:
        console.print(rendered)


def first_line(error: BaseException) -> str:
    """Spark's messages carry a SQLSTATE block and a query context after the first line."""
    return next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)


@app.command()
def tables() -> None:
    """List the tables of the local warehouse."""
    from lakehouse.local.warehouse import list_tables, open_session

    spark = open_session()
    try:
        found = list_tables(spark)
    finally:
        spark.stop()
    console.print(format_rows(["schema", "table", "kind"], found, "table"))


def broker_home() -> Path:
    from lakehouse.local.home import Home

    return Home.from_env().root


@kafka_app.command("start")
def kafka_start(port: Annotated[int, typer.Option(help="PLAINTEXT port on 127.0.0.1")] = 9092) -> None:
    """Start the broker (harmless when it already runs); the first start downloads its jars."""
    from lakehouse.kafka import broker

    found = broker.start(broker_home(), port=port)
    console.print(f"kafka listening on {found.bootstrap} (pid {found.pid}, log {found.log_file})")


@kafka_app.command("stop")
def kafka_stop() -> None:
    """Stop the broker."""
    from lakehouse.kafka import broker

    console.print("kafka stopped" if broker.stop(broker_home()) else "kafka was not running")


@kafka_app.command("status")
def kafka_status() -> None:
    """Say whether the broker runs and where it listens."""
    from lakehouse.kafka import broker

    found = broker.status(broker_home())
    if found is None:
        console.print("kafka is not running")
        raise typer.Exit(1)
    console.print(f"kafka listening on {found.bootstrap} (pid {found.pid}, data {found.data_dir})")


def main() -> None:
    """Entry point: every known problem becomes one line on stderr and exit code 1, never a traceback."""
    from typer._click.exceptions import ClickException

    try:
        code = app(standalone_mode=False)  # typer returns a command's Exit code instead of raising it
    except LakehouseError as error:
        fail(str(error), error.log)
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as error:
        fail(f"{error.strerror or error}: {error.filename}" if error.filename else str(error))
    except KeyboardInterrupt:
        errors.print("interrupted")
        sys.exit(130)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        sys.exit(1)
    except ClickException as error:  # usage errors: typer's own message and exit code
        error.show()
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


def fail(message: str, log: Path | None = None) -> None:
    errors.print(f"error: {message}", markup=False, highlight=False)
    if log:
        errors.print(f"details: {log}", markup=False, highlight=False)
    sys.exit(1)
