"""Every page of the Disney API's characters, landed as one raw JSON file per page.

``GET {base}/character?page=N&pageSize=S`` is followed from page 1 until ``info.nextPage`` is null
(or ``info.totalPages`` is reached). Each page is written as the body received plus ``page``,
``fetched_at``, ``run_id`` and ``request_url``, to ``characters-<run_id>-p<page>.json``:

* runs never overwrite each other (the run id is in the name), and running the same run id again
  is idempotent: a page already on disk is read back instead of fetched, so a retried job task
  resumes where the failed attempt stopped and never lands a page twice;
* a file appears whole or not at all: it is written to a name starting with ``.`` (which Spark's
  file source ignores, as it does names starting with ``_``) and moved into place with
  :func:`os.replace`;
* transient failures (429 with ``Retry-After``, 5xx, timeouts, dropped connections) are retried by
  urllib3's :class:`~urllib3.util.retry.Retry` with exponential backoff, a bounded number of times;
  a page that still fails raises :class:`~lakehouse.errors.SourceUnavailable` and writes nothing.

This module never imports PySpark: it runs as ``lakehouse fetch characters`` and as the fetch task
of the ``characters_refresh`` job (``src/notebooks/fetch_characters.py``).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from lakehouse.errors import SourceUnavailable, UserError

DEFAULT_BASE_URL = "https://api.disneyapi.dev"
ENDPOINT = "character"
FILE_PREFIX = "characters"
RETRY_STATUSES = (429, 500, 502, 503, 504)
USER_AGENT = "lakehouse-fetch/0.1 (+characters pipeline)"

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class FetchOptions:
    """How to page through the API and how patient to be with it."""

    base_url: str = DEFAULT_BASE_URL
    page_size: int = 50
    max_pages: int | None = None
    filters: Mapping[str, str] = field(default_factory=dict)
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    attempts: int = 6
    backoff_factor: float = 1.0
    backoff_max: float = 60.0
    retry_after_max: int = 120

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise UserError(f"the base URL must start with http:// or https://, got {self.base_url!r}")
        if self.page_size < 1:
            raise UserError(f"the page size must be at least 1, got {self.page_size}")
        if self.max_pages is not None and self.max_pages < 1:
            raise UserError(f"max pages must be at least 1, got {self.max_pages}")
        if self.attempts < 1:
            raise UserError(f"attempts must be at least 1, got {self.attempts}")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise UserError("timeouts must be positive")


@dataclass(frozen=True)
class PageDone:
    """One landed page, for progress and the final report."""

    page: int
    total_pages: int | None
    characters: int
    retries: int
    reused: bool
    path: Path


@dataclass(frozen=True)
class FetchReport:
    run_id: str
    folder: Path
    pages: tuple[PageDone, ...]

    @property
    def fetched(self) -> int:
        return sum(not p.reused for p in self.pages)

    @property
    def reused(self) -> int:
        return sum(p.reused for p in self.pages)

    @property
    def characters(self) -> int:
        return sum(p.characters for p in self.pages)

    @property
    def retries(self) -> int:
        return sum(p.retries for p in self.pages)


def check_run_id(run_id: str) -> str:
    """Run ids become part of file names: letters, digits, ``_``, ``-`` and ``.`` only."""
    if not _RUN_ID.match(run_id):
        raise UserError(f"a run id is 1-100 letters, digits, '_', '-' or '.' (not first); got {run_id!r}")
    return run_id


def new_run_id(now: datetime | None = None) -> str:
    """A fresh id for a run started by hand: ``local-20260101T120000Z-1a2b3c``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"local-{moment:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def page_path(folder: Path, run_id: str, page: int) -> Path:
    return folder / f"{FILE_PREFIX}-{run_id}-p{page:05d}.json"


def iso_millis(moment: datetime) -> str:
    """The API's own timestamp form, so ``fetched_at`` parses like ``updatedAt``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def retry_policy(options: FetchOptions) -> Retry:
    """Bounded retries for GET: connection errors, read timeouts and 429/5xx, honouring ``Retry-After``.

    ``backoff_max`` and ``retry_after_max`` are recent urllib3 parameters; a Databricks runtime may
    bring an older urllib3, which then applies its own limits (the task's timeout still bounds a run).
    """
    supported = inspect.signature(Retry.__init__).parameters
    limits: dict[str, Any] = {"backoff_max": options.backoff_max, "retry_after_max": options.retry_after_max}
    return Retry(
        total=options.attempts - 1,
        backoff_factor=options.backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,  # the last response comes back, so the error can name its status
        **{name: value for name, value in limits.items() if name in supported},
    )


def http_session(options: FetchOptions) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry_policy(options))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    return session


def _reason(error: requests.RequestException) -> str:
    cause: Any = error.args[0] if error.args else error
    if isinstance(cause, MaxRetryError) and cause.reason is not None:
        cause = cause.reason
    return type(cause).__name__ if not str(cause) else f"{type(cause).__name__}: {str(cause)[:200]}"


def fetch_page(session: requests.Session, options: FetchOptions, page: int) -> tuple[dict[str, Any], int, str]:
    """The body of one page, the number of retries it took and the URL asked; raises when it fails."""
    url = f"{options.base_url.rstrip('/')}/{ENDPOINT}"
    params = {**options.filters, "page": str(page), "pageSize": str(options.page_size)}
    where = f"page {page} of {url}"
    try:
        response = session.get(url, params=params, timeout=(options.connect_timeout, options.read_timeout))
        retries = len(response.raw.retries.history) if response.raw.retries is not None else 0
        if response.status_code != 200:
            tried = f" after {retries + 1} attempts" if retries else ""
            raise SourceUnavailable(f"{where}: HTTP {response.status_code}{tried}; no file written for this page")
        raw = response.content
    except requests.RequestException as error:
        raise SourceUnavailable(
            f"{where}: no answer after {options.attempts} attempts ({_reason(error)}); no file written for this page"
        ) from None
    preview = raw[:80].decode("utf-8", errors="replace")
    try:
        body = json.loads(raw)
    except ValueError:
        raise SourceUnavailable(f"{where}: the answer is not JSON ({preview!r}); no file written") from None
    if not isinstance(body, dict) or "data" not in body:
        raise SourceUnavailable(f"{where}: the answer has no 'data' ({preview!r}); no file written")
    return body, retries, response.url


def write_atomically(path: Path, content: Mapping[str, Any]) -> None:
    """The file appears complete or not at all; a half-written one never has the final name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            json.dump(content, out, ensure_ascii=False, separators=(",", ":"))
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _items_on(data: object) -> int:
    """The API's quirk: one character is an object, none is ``[]``."""
    if isinstance(data, list):
        return len(data)
    return 1 if isinstance(data, dict) else 0


def _landed(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SourceUnavailable(f"{path} exists but cannot be read back ({error}); delete it and run again") from None
    if not isinstance(found, dict):
        raise SourceUnavailable(f"{path} exists but is not a landed page; delete it and run again")
    return found


def land_page(
    http: requests.Session,
    options: FetchOptions,
    folder: Path,
    run_id: str,
    page: int,
    clock: Callable[[], datetime],
) -> tuple[dict[str, Any], PageDone]:
    """One page of the run, from disk when this run already landed it, else from the API."""
    path = page_path(folder, run_id, page)
    if path.exists():
        content, retries, reused = _landed(path), 0, True
    else:
        body, retries, url = fetch_page(http, options, page)
        stamp = {"page": page, "fetched_at": iso_millis(clock()), "run_id": run_id, "request_url": url}
        content, reused = {**body, **stamp}, False
        write_atomically(path, content)
    found = content.get("info")
    info: dict[str, Any] = found if isinstance(found, dict) else {}
    total = info.get("totalPages") if isinstance(info.get("totalPages"), int) else None
    return info, PageDone(page, total, _items_on(content.get("data")), retries, reused, path)


def fetch_characters(
    folder: Path,
    run_id: str,
    options: FetchOptions | None = None,
    *,
    on_page: Callable[[PageDone], None] | None = None,
    session: requests.Session | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FetchReport:
    """Land every page (up to ``max_pages``) of the characters in ``folder``; see the module docstring.

    Paging stops at the page whose ``info.nextPage`` is null, or at ``info.totalPages``.
    """
    options = options or FetchOptions()
    check_run_id(run_id)
    http = session or http_session(options)
    done: list[PageDone] = []
    try:
        page = 1
        while options.max_pages is None or page <= options.max_pages:
            info, landed = land_page(http, options, folder, run_id, page, clock)
            done.append(landed)
            if on_page is not None:
                on_page(landed)
            if not info.get("nextPage") or (landed.total_pages is not None and page >= landed.total_pages):
                break
            page += 1
    finally:
        if session is None:
            http.close()
    return FetchReport(run_id=run_id, folder=folder, pages=tuple(done))
