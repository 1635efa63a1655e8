"""``lakehouse cdc``: the users CDC source (PostgreSQL + Debezium on Kafka Connect) of this home."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from lakehouse.cdc.connect import DEFAULT_PREFIX

if TYPE_CHECKING:
    from lakehouse.cdc.stack import StackStatus

cdc_app = typer.Typer(no_args_is_help=True, help="PostgreSQL's usuarios table captured by Debezium into Kafka.")
console = Console(soft_wrap=True, highlight=False)


def _home() -> Path:
    from lakehouse.local.home import Home

    return Home.from_env().root


@cdc_app.command("start")
def start(
    port: Annotated[int | None, typer.Option(help="PostgreSQL port on 127.0.0.1 (default: a free one)")] = None,
    prefix: Annotated[str, typer.Option(help="Debezium topic prefix: the topic is PREFIX.public.usuarios")] = (
        DEFAULT_PREFIX
    ),
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers (default: this home's broker)")] = None,
) -> None:
    """Start PostgreSQL and the Debezium connector (harmless when they already run)."""
    from lakehouse.cdc import stack

    found = stack.start(_home(), bootstrap=bootstrap, pg_port=port, prefix=prefix)
    _print(found)


@cdc_app.command("stop")
def stop() -> None:
    """Stop the connector, then PostgreSQL."""
    from lakehouse.cdc import stack

    worker, pg = stack.stop(_home())
    console.print(f"connector {'stopped' if worker else 'was not running'}")
    console.print(f"postgres {'stopped' if pg else 'was not running'}")


@cdc_app.command("status")
def status() -> None:
    """Say whether PostgreSQL and the connector run; exit code 1 unless both are up."""
    from lakehouse.cdc import stack

    found = stack.status(_home())
    _print(found)
    if not found.up:
        raise typer.Exit(1)


def _print(found: StackStatus) -> None:
    from lakehouse.cdc.postgres import DATABASE, OWNER, secrets_dir

    pg, worker = found.postgres, found.connector
    if pg is None:
        console.print("postgres is not running")
    else:
        console.print(
            f"postgres listening on {pg.host}:{pg.port} (pid {pg.pid}, database {DATABASE}, user {OWNER}, "
            f"password in {secrets_dir(_home()) / (OWNER + '.password')})"
        )
    if worker is None:
        console.print("connector is not running")
    else:
        console.print(
            f"connector usuarios {worker.connector_state} (task {worker.task_state}) -> topic {worker.topic} "
            f"(pid {worker.pid}, REST 127.0.0.1:{worker.rest_port}, log {worker.log_file})"
        )
