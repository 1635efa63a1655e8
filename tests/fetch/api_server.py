"""A real HTTP server on 127.0.0.1 that answers like the Disney API, faults included.

It pages the project's own fixture dataset (``fixtures/characters_api/characters.json``) with
:func:`lakehouse.produce.characters.api_page`, so the quirks (one character as an object, ``[]``
for an empty filter) are the API's. Faults are queued per page and used up one request at a time:

* ``"429"``: Too Many Requests with ``Retry-After: 1``;
* ``"503"``: Service Unavailable, no ``Retry-After``;
* ``"slow"``: the answer comes after :attr:`CharactersAPI.slow_seconds` (beyond the client's timeout);
* ``"drop"``: the connection is closed without an answer;
* ``"garbage"``: 200 with a body that is not JSON.

Every request is logged as ``(page, outcome)`` so tests can assert which retries happened.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lakehouse.produce.characters import Character, api_page, apply_versions

DATASET = Path(__file__).resolve().parents[2] / "fixtures" / "characters_api" / "characters.json"


def load_dataset() -> tuple[list[Character], list[Character]]:
    found = json.loads(DATASET.read_text(encoding="utf-8"))
    return found["characters"], found["updates"]


class CharactersAPI:
    """The server's state: the dataset it serves, queued faults, and the log of requests."""

    def __init__(self, characters: Sequence[Character]) -> None:
        self.characters = list(characters)
        self.faults: dict[int, list[str]] = defaultdict(list)
        self.always: dict[int, str] = {}
        self.slow_seconds = 1.5
        self.log: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    def update(self, versions: Sequence[Character]) -> None:
        """What a later poll sees: some characters have newer versions."""
        self.characters = apply_versions(self.characters, versions)

    def requests_for(self, page: int) -> list[str]:
        with self._lock:
            return [outcome for number, outcome in self.log if number == page]

    def pages_requested(self) -> Counter[int]:
        with self._lock:
            return Counter(number for number, _ in self.log)

    def next_fault(self, page: int) -> str | None:
        with self._lock:
            if page in self.always:
                return self.always[page]
            queue = self.faults.get(page)
            return queue.pop(0) if queue else None

    def record(self, page: int, outcome: str) -> None:
        with self._lock:
            self.log.append((page, outcome))

    @contextmanager
    def running(self) -> Iterator[CharactersAPI]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def _handler_for(api: CharactersAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the log is `api.log`
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            if parts.path.rstrip("/") != "/character":
                self._answer(404, {"error": "not found"})
                return
            page = int(query.pop("page", "1"))
            size = int(query.pop("pageSize", "50"))
            fault = api.next_fault(page)
            api.record(page, fault or "ok")
            if fault == "429":
                self._answer(429, {"error": "Too many requests"}, {"Retry-After": "1"})
            elif fault == "503":
                self._answer(503, {"error": "Service Unavailable"})
            elif fault == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
            elif fault == "garbage":
                self._send(200, b"<html>maintenance</html>", "text/html")
            else:
                if fault == "slow":
                    time.sleep(api.slow_seconds)
                self._answer(200, api_page(api.characters, page, size, api.base_url, query))

        def _answer(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(body, ensure_ascii=False).encode(), "application/json", headers)

        def _send(self, status: int, payload: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): expected
                self.close_connection = True

    return Handler
