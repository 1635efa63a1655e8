"""Regenerate the bundled local input of the communication pipelines under ``fixtures/``.

Writes ``notifications/`` (JSON lines), ``invoices/`` (CSV with a header) and ``chatbot/`` (a JSON
array file and a JSON lines file). Everything is generated with a fixed seed, except the hand-written
edge cases, which live here as literal lines so that the committed files can always be rebuilt and
compared (``tests/unit/test_produce_communication.py``). Notes and figures: ``fixtures/communication.md``.

    uv run python scripts/make_communication_fixtures.py            # rewrites fixtures/
    uv run python scripts/make_communication_fixtures.py --root DIR  # writes under DIR instead
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from pathlib import Path

from lakehouse.produce.communication import (
    INVOICE_COLUMNS,
    synthetic_chatbot,
    synthetic_invoices,
    synthetic_notifications,
)
from lakehouse.produce.files import write_csv, write_json_array, write_jsonl

SEED = 42

NOTIFICATIONS_DIR = "notifications"
NOTIFICATIONS = 1_000
NOTIFICATION_CUSTOMERS = 20
NOTIFICATIONS_START = datetime(2020, 2, 3, 14, 0, tzinfo=UTC)
NOTIFICATIONS_PREFIX = "notifications"

INVOICES_DIR = "invoices"
INVOICES_FILE = "invoices.csv"
INVOICE_EDGE_CASES_FILE = "zz-edge-cases.csv"
INVOICE_END_MONTH = date(2019, 12, 1)  # the averages' reference date is 2020-01-01

CHATBOT_DIR = "chatbot"
CHATBOT_SESSIONS = 12
CHATBOT_START = datetime(2019, 12, 16, 13, 50, tzinfo=UTC)
CHATBOT_SPLIT = datetime(2019, 12, 16, 14, 0, tzinfo=UTC)  # earlier answers: array file; later: lines
CHATBOT_ARRAY_FILE = "answers-2019121613.json"
CHATBOT_LINES_PREFIX = "answers-2019121614"
CHATBOT_EDGE_CASES_FILE = "zz-edge-cases.json"

# (case, valid, the CSV line exactly as written); account A9xxx keeps them apart from generated data.
INVOICE_EDGE_CASES: tuple[tuple[str, bool, str], ...] = (
    ("negative invoice", False, "C9000,A9100,2019-11-01,-150.00"),
    ("month not the first day of a month", False, "C9000,A9100,2019-12-15,200.00"),
    ("missing account", False, "C9000,,2019-12-01,300.00"),
    ("invoice that is not a number", False, "C9000,A9200,2019-12-01,abc"),
    ("three fields instead of four", False, "C9000,A9200,2019-12-01"),
    ("valid, but on the reference month: no average row for A9300", True, "C9000,A9300,2020-01-01,120.00"),
    ("valid, after the reference month", True, "C9000,A9300,2020-02-01,130.50"),
)

# Elements of a JSON array file that the pipeline must quarantine, not lose.
CHATBOT_EDGE_CASES: tuple[tuple[str, object], ...] = (
    ("an element that is not an object", "not an answer"),
    (
        "a blank answer (only spaces)",
        {
            "customer": "C9000",
            "flow": "F1000",
            "session": "S-EDGE",
            "timestamp": "2019-12-16T14:30:00+00:00",
            "content": {"name": "   "},
        },
    ),
    (
        "an answer without a timestamp offset",
        {
            "customer": "C9000",
            "flow": "F1000",
            "session": "S-EDGE",
            "timestamp": "2019-12-16T14:30:01",
            "content": {"name": "ana"},
        },
    ),
)


def write_notifications(root: Path) -> list[Path]:
    events = synthetic_notifications(
        NOTIFICATIONS, customers=NOTIFICATION_CUSTOMERS, seed=SEED, start=NOTIFICATIONS_START
    )
    return write_jsonl(events, root / NOTIFICATIONS_DIR, per_file=500, prefix=NOTIFICATIONS_PREFIX)


def write_invoices(root: Path) -> list[Path]:
    folder = root / INVOICES_DIR
    rows = synthetic_invoices(4, 2, 8, seed=SEED, end_month=INVOICE_END_MONTH)
    generated = write_csv(rows, folder / INVOICES_FILE, columns=INVOICE_COLUMNS)
    edge_cases = folder / INVOICE_EDGE_CASES_FILE
    lines = [",".join(INVOICE_COLUMNS), *(line for _, _, line in INVOICE_EDGE_CASES)]
    edge_cases.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return [generated, edge_cases]


def write_chatbot(root: Path) -> list[Path]:
    folder = root / CHATBOT_DIR
    events = synthetic_chatbot(CHATBOT_SESSIONS, seed=SEED, start=CHATBOT_START)
    split = CHATBOT_SPLIT.isoformat(timespec="seconds")
    earlier = [event for event in events if event["timestamp"] < split]
    later = [event for event in events if event["timestamp"] >= split]
    array_file = write_json_array(earlier, folder / CHATBOT_ARRAY_FILE)
    lines_files = write_jsonl(later, folder, per_file=len(later) or 1, prefix=CHATBOT_LINES_PREFIX)
    edge_cases = write_json_array((element for _, element in CHATBOT_EDGE_CASES), folder / CHATBOT_EDGE_CASES_FILE)
    return [array_file, *lines_files, edge_cases]


def write_fixtures(root: Path) -> list[Path]:
    """Write all communication fixtures under ``root``; return the files written."""
    return [*write_notifications(root), *write_invoices(root), *write_chatbot(root)]


def _clear(root: Path) -> None:
    """Remove the files this script owns, since ``write_jsonl`` only ever adds new ones."""
    owned = [
        *(root / NOTIFICATIONS_DIR).glob(f"{NOTIFICATIONS_PREFIX}-*.jsonl"),
        root / INVOICES_DIR / INVOICES_FILE,
        root / INVOICES_DIR / INVOICE_EDGE_CASES_FILE,
        root / CHATBOT_DIR / CHATBOT_ARRAY_FILE,
        *(root / CHATBOT_DIR).glob(f"{CHATBOT_LINES_PREFIX}-*.jsonl"),
        root / CHATBOT_DIR / CHATBOT_EDGE_CASES_FILE,
    ]
    for path in owned:
        path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1] / "fixtures")
    root = parser.parse_args(argv).root
    _clear(root)
    written = write_fixtures(root)
    size = sum(path.stat().st_size for path in written)
    print(f"wrote {len(written)} files (seed {SEED}) under {root}, {size:,} bytes:")
    for path in written:
        print(f"  {path.relative_to(root)}")


if __name__ == "__main__":
    main()
