"""``lakehouse fetch``: poll an HTTP API and land its pages in a landing folder, as the fetch job does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lakehouse.errors import UserError

app = typer.Typer(no_args_is_help=True, help="Poll an HTTP API and land every page as a raw file.")
console = Console(stderr=True)


def parse_filters(pairs: list[str]) -> dict[str, str]:
    filters = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise UserError(f"--filter expects FIELD=VALUE, got {pair!r}")
        filters[key.strip()] = value.strip()
    return filters


@app.command("characters")
def characters(
    to_dir: Annotated[Path, typer.Option("--to-dir", help="The entity folder, e.g. landing/characters")],
    base_url: Annotated[str | None, typer.Option("--base-url", help="API root (default: the Disney API)")] = None,
    page_size: Annotated[int, typer.Option("--page-size", help="Characters per page")] = 50,
    max_pages: Annotated[int | None, typer.Option("--max-pages", help="Stop after N pages")] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Re-use a run id to resume it (default: new)")] = None,
    filter_: Annotated[list[str], typer.Option("--filter", help="An API filter, e.g. name=Mickey")] = [],  # noqa: B006
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a page before retrying")] = 30.0,
    attempts: Annotated[int, typer.Option(help="Attempts per page before giving up")] = 6,
) -> None:
    """Every page of the Disney API's characters, one raw JSON file per page."""
    from lakehouse.fetch.characters import DEFAULT_BASE_URL, FetchOptions, PageDone, fetch_characters, new_run_id

    options = FetchOptions(
        base_url=base_url or DEFAULT_BASE_URL,
        page_size=page_size,
        max_pages=max_pages,
        filters=parse_filters(filter_),
        read_timeout=timeout,
        attempts=attempts,
    )
    if to_dir.exists() and not to_dir.is_dir():
        raise UserError(f"--to-dir {to_dir} exists and is not a folder")
    run = run_id or new_run_id()
    with Progress(
        TextColumn("[bold]characters[/] pages"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("pages", total=None, note="")

        def advance(done: PageDone) -> None:
            total = done.total_pages if done.total_pages else None
            if options.max_pages and total:
                total = min(total, options.max_pages)
            note = f"{done.retries} retries" if done.retries else ("already landed" if done.reused else "")
            progress.update(task, completed=done.page, total=total or done.page, note=note)

        report = fetch_characters(to_dir, run, options, on_page=advance)
    console.print(
        f"run {report.run_id}: {len(report.pages)} pages ({report.fetched} fetched, {report.reused} already landed), "
        f"{report.characters} characters, {report.retries} retries -> {to_dir}",
        markup=False,
        highlight=False,
    )
