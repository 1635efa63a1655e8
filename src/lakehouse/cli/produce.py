"""``lakehouse produce``: emit events as the squads' applications would, to a folder or a broker."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from lakehouse.errors import UserError

console = Console()


class ProduceError(UserError):
    """Bad producer arguments; shown as one line."""


def deliver(
    events: Iterable[dict[str, Any]],
    to_dir: Path | None,
    to: str | None,
    key: Callable[[dict[str, Any]], str],
    rate: float | None,
    prefix: str,
) -> None:
    """Write events to a landing folder (JSON lines) or send them to Kafka / Event Hubs."""
    if (to_dir is None) == (to is None):
        raise ProduceError("give exactly one of --to-dir DIR or --to kafka://HOST:PORT/TOPIC")
    if to_dir is not None:
        from lakehouse.produce.files import write_jsonl

        items = list(events)
        files = write_jsonl(_paced(items, rate), to_dir, prefix=prefix)
        console.print(f"wrote {len(items)} events to {len(files)} file(s) in {to_dir}")
        return
    from lakehouse.produce.kafka_sink import send

    assert to is not None  # exactly one of the two was given

    report = send(events, to, key=key, rate=rate)
    status = "interrupted: " if report.interrupted else ""
    console.print(f"{status}sent {report.sent}, failed {report.failed}, {report.rate:,.0f} events/s")
    if report.failed:
        raise ProduceError(f"{report.failed} events were not delivered: {report.first_error}")


def _paced(items: list[dict[str, Any]], rate: float | None) -> Iterator[dict[str, Any]]:
    if not rate:
        yield from items
        return
    import time

    started = time.monotonic()
    for index, item in enumerate(items):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield item


def register(produce_app: typer.Typer) -> None:
    produce_app.command("orders")(orders)
    produce_app.command("notifications")(notifications)
    produce_app.command("users")(users)


def users(
    changes: Annotated[int, typer.Option(help="Number of changes (one statement each)")] = 1000,
    rate: Annotated[float | None, typer.Option(help="Statements per second (default: as fast as possible)")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the kinds of change and the data")] = 42,
    dsn: Annotated[str | None, typer.Option(help="libpq connection string (default: this home's PostgreSQL)")] = None,
) -> None:
    """Inserts, edits, deletes and restores of accounts in PostgreSQL's public.usuarios (users CDC)."""
    from datetime import UTC, datetime

    from lakehouse.produce import users_db
    from lakehouse.produce.users import workload

    if changes < 0:
        raise ProduceError("--changes cannot be negative")
    if dsn is None:
        from lakehouse.cdc.postgres import require
        from lakehouse.local.home import Home

        dsn = require(Home.from_env().root).dsn
    rows = users_db.current_rows(dsn)
    report = users_db.run(dsn, workload(changes, seed=seed, start=datetime.now(UTC), existing=rows), rate=rate)
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.kinds.items()))
    console.print(f"ran {report.statements} statements in {report.elapsed:.1f}s ({kinds or 'none'})")
    console.print(
        f"latency p50 {report.percentile(50) * 1000:.2f} ms, p99 {report.percentile(99) * 1000:.2f} ms"
        if report.statements
        else "latency: no statements"
    )


def notifications(
    synthetic: Annotated[int, typer.Option(help="Generate N notification events")] = 1000,
    customers: Annotated[int, typer.Option(help="Number of customers (traffic is skewed towards a few)")] = 50,
    to_dir: Annotated[Path | None, typer.Option("--to-dir", help="Landing folder for JSON lines")] = None,
    to: Annotated[str | None, typer.Option(help="kafka://HOST:PORT/TOPIC or eventhubs://NAMESPACE/HUB")] = None,
    seed: Annotated[int, typer.Option(help="Seed for ids, times and content")] = 42,
    rate: Annotated[float | None, typer.Option(help="Events per second (default: as fast as possible)")] = None,
    start: Annotated[str | None, typer.Option(help="ISO-8601 time of the first event (default: now, UTC)")] = None,
) -> None:
    """WhatsApp-style notification events: skewed customers, a few bad messages and duplicates."""
    from datetime import UTC, datetime

    from lakehouse.produce.communication import synthetic_notifications

    first = datetime.fromisoformat(start) if start else datetime.now(UTC)
    if first.tzinfo is None:
        raise ProduceError("--start needs an offset, e.g. 2020-02-03T14:00:00+00:00")
    events = synthetic_notifications(synthetic, customers=customers, seed=seed, start=first)
    deliver(events, to_dir, to, key=lambda e: str(e.get("customer_id") or ""), rate=rate, prefix="notifications")


def orders(
    from_csv: Annotated[Path | None, typer.Option("--from-csv", help="The shop's CSV export")] = None,
    synthetic: Annotated[int | None, typer.Option(help="Generate N synthetic order lines")] = None,
    to_dir: Annotated[Path | None, typer.Option("--to-dir", help="Landing folder for JSON lines")] = None,
    to: Annotated[str | None, typer.Option(help="kafka://HOST:PORT/TOPIC or eventhubs://NAMESPACE/HUB")] = None,
    seed: Annotated[int, typer.Option(help="Seed for ids, times and synthetic data")] = 42,
    rate: Annotated[float | None, typer.Option(help="Events per second (default: as fast as possible)")] = None,
    limit: Annotated[int | None, typer.Option(help="Send at most N events")] = None,
) -> None:
    """Order-line events from the shop's CSV export or synthetic data."""
    from lakehouse.produce.orders_export import events_from_csv
    from lakehouse.produce.orders_synthetic import synthetic_orders

    if (from_csv is None) == (synthetic is None):
        raise ProduceError("give exactly one of --from-csv FILE or --synthetic N")
    events = events_from_csv(from_csv, seed=seed) if from_csv else synthetic_orders(synthetic or 0, seed=seed)
    if limit is not None:
        events = islice(events, limit)
    deliver(events, to_dir, to, key=lambda e: str(e.get("TransactionNo") or ""), rate=rate, prefix="orders")
