from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from lakehouse.chatbot import silver as chatbot_silver
from lakehouse.invoices import silver as invoices_silver
from lakehouse.produce.communication import (
    CHATBOT_FLOWS,
    INVOICE_COLUMNS,
    synthetic_chatbot,
    synthetic_invoices,
    synthetic_notifications,
)
from lakehouse.produce.files import write_csv, write_json_array
from lakehouse.quality import keep_rejected
from tests.scripts import load_script
from tests.unit.bronze import BRONZE_DDL

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2020, 2, 3, 14, 0, tzinfo=UTC)
CHATBOT_START = datetime(2019, 12, 16, 13, 50, tzinfo=UTC)


@pytest.fixture(scope="module")
def notifications() -> list[dict]:
    return list(synthetic_notifications(1_000, customers=20, seed=42, start=START))


@pytest.fixture(scope="module")
def answers() -> list[dict]:
    return synthetic_chatbot(30, seed=42, start=CHATBOT_START)


def _instant(text: str) -> datetime | None:
    """The instant of an ISO-8601 time with an offset, None otherwise (the pipeline's rule)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# ---- notifications -------------------------------------------------------------------------------


def test_synthetic_notifications_are_deterministic_for_a_seed(notifications):
    again = list(synthetic_notifications(1_000, customers=20, seed=42, start=START))
    other = list(synthetic_notifications(1_000, customers=20, seed=7, start=START))
    assert again == notifications
    assert other != notifications


def test_synthetic_notifications_yield_exactly_n_events(notifications):
    assert len(notifications) == 1_000


def test_a_few_customers_send_most_notifications(notifications):
    per_customer = Counter(event["customer_id"] for event in notifications)
    top_three = sum(count for _, count in per_customer.most_common(3))
    assert len(per_customer) <= 20
    assert top_three > len(notifications) / 2


def test_notifications_are_mostly_whatsapp(notifications):
    channels = Counter(event["channel"] for event in notifications)
    assert channels["Whatsapp"] > 0.8 * len(notifications)
    assert channels["SMS"] > 0 and channels["Email"] > 0


def test_a_few_notifications_are_broken_in_each_documented_way(notifications):
    missing_id = [e for e in notifications if "message_id" not in e]
    unknown_channel = [e for e in notifications if e["channel"] not in ("Whatsapp", "SMS", "Email")]
    bad_time = [e for e in notifications if _instant(e["event_datetime"]) is None]
    assert 0 < len(missing_id) + len(unknown_channel) + len(bad_time) <= 30
    assert missing_id and unknown_channel and bad_time


def test_some_notifications_are_transport_duplicates(notifications):
    ids = Counter(event["message_id"] for event in notifications if "message_id" in event)
    duplicated = [message_id for message_id, count in ids.items() if count > 1]
    assert 0 < len(duplicated) <= 50
    for message_id in duplicated:
        copies = [event for event in notifications if event.get("message_id") == message_id]
        assert all(copy == copies[0] for copy in copies)


def test_notification_times_carry_offsets_and_move_forward(notifications):
    instants = [_instant(event["event_datetime"]) for event in notifications]
    good = [moment for moment in instants if moment is not None]
    assert {moment.utcoffset().total_seconds() for moment in good} >= {0, 3 * 3600, -3 * 3600}
    assert all(START < moment <= START + timedelta(seconds=2 * len(notifications)) for moment in good)


def test_synthetic_notifications_refuse_a_naive_start():
    with pytest.raises(ValueError):
        list(synthetic_notifications(1, customers=1, seed=1, start=datetime(2020, 2, 3)))


# ---- invoices ------------------------------------------------------------------------------------


def test_synthetic_invoices_are_deterministic_for_a_seed():
    first = synthetic_invoices(4, 2, 8, seed=42, end_month=date(2019, 12, 1))
    assert first == synthetic_invoices(4, 2, 8, seed=42, end_month=date(2019, 12, 1))
    assert first != synthetic_invoices(4, 2, 8, seed=7, end_month=date(2019, 12, 1))


def test_synthetic_invoices_are_monthly_amounts_in_cents_up_to_the_end_month():
    rows = synthetic_invoices(4, 2, 8, seed=42, end_month=date(2019, 12, 1))
    assert {row["month"].day for row in rows} == {1}
    assert min(row["month"] for row in rows) >= date(2019, 5, 1)
    assert max(row["month"] for row in rows) == date(2019, 12, 1)
    assert all(row["invoice"] >= 0 and row["invoice"] == row["invoice"].quantize(Decimal("0.01")) for row in rows)
    keys = [(row["account"], row["month"]) for row in rows]
    assert len(keys) == len(set(keys))


def test_some_synthetic_accounts_have_fewer_months_than_others():
    rows = synthetic_invoices(4, 2, 8, seed=42, end_month=date(2019, 12, 1))
    months_per_account = Counter(row["account"] for row in rows)
    assert len(months_per_account) == 8
    assert min(months_per_account.values()) < 6 <= max(months_per_account.values())


def test_synthetic_invoices_refuse_an_end_month_that_is_not_a_first_day():
    with pytest.raises(ValueError):
        synthetic_invoices(1, 1, 1, seed=1, end_month=date(2019, 12, 15))


# ---- chatbot -------------------------------------------------------------------------------------


def test_synthetic_chatbot_is_deterministic_for_a_seed(answers):
    assert synthetic_chatbot(30, seed=42, start=CHATBOT_START) == answers
    assert synthetic_chatbot(30, seed=7, start=CHATBOT_START) != answers


def test_chatbot_answers_follow_their_flow_keys_in_time_order(answers):
    assert [a["timestamp"] for a in answers] == sorted(a["timestamp"] for a in answers)
    for event in answers:
        (key,) = event["content"]
        assert key in CHATBOT_FLOWS[event["flow"]]
    assert {event["flow"] for event in answers} == set(CHATBOT_FLOWS)


def _superseded(answers: list[dict]) -> list[tuple[dict, dict]]:
    """Pairs (answer, the next answer to the same key of the same session)."""
    last: dict[tuple, dict] = {}
    pairs = []
    for event in answers:
        (key,) = event["content"]
        slot = (event["customer"], event["flow"], event["session"], key)
        if slot in last:
            pairs.append((last[slot], event))
        last[slot] = event
    return pairs


def test_some_empty_answers_are_replaced_a_second_later(answers):
    pairs = [(a, b) for a, b in _superseded(answers) if next(iter(a["content"].values())) == ""]
    assert pairs
    for first, second in pairs:
        gap = datetime.fromisoformat(second["timestamp"]) - datetime.fromisoformat(first["timestamp"])
        assert gap.total_seconds() == 1
        assert next(iter(second["content"].values())) != ""


def test_some_keys_are_answered_twice_with_values(answers):
    assert [pair for pair in _superseded(answers) if all(next(iter(a["content"].values())) for a in pair)]


# ---- writers -------------------------------------------------------------------------------------


def test_write_csv_writes_a_header_and_iso_dates(tmp_path):
    rows = [
        {"customer": "C1000", "account": "A1100", "month": date(2019, 12, 1), "invoice": Decimal("80.50")},
        {"customer": "C1000", "account": None, "month": date(2019, 11, 1), "invoice": Decimal("1")},
    ]
    path = write_csv(rows, tmp_path / "out" / "invoices.csv", columns=INVOICE_COLUMNS)
    assert path.read_text(encoding="utf-8") == (
        "customer,account,month,invoice\nC1000,A1100,2019-12-01,80.50\nC1000,,2019-11-01,1\n"
    )


def test_write_json_array_round_trips_unicode(tmp_path):
    events = [{"content": {"recomenda": "Não"}}]
    path = write_json_array(events, tmp_path / "answers.json")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("[") and "Não" in text
    assert json.loads(text) == events


# ---- committed fixtures --------------------------------------------------------------------------


def _make_fixtures() -> ModuleType:
    return load_script("make_communication_fixtures")


def test_committed_fixtures_equal_what_the_script_regenerates(tmp_path):
    for path in _make_fixtures().write_fixtures(tmp_path):
        committed = ROOT / "fixtures" / path.relative_to(tmp_path)
        assert committed.exists(), f"{committed} missing: run `uv run python scripts/make_communication_fixtures.py`"
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} drifted: run `uv run python scripts/make_communication_fixtures.py`"
        )


def test_communication_fixtures_stay_small():
    files = [p for folder in ("notifications", "invoices", "chatbot") for p in (ROOT / "fixtures" / folder).iterdir()]
    assert sum(path.stat().st_size for path in files) < 400_000


def test_chatbot_fixtures_hold_an_array_file_and_a_lines_file():
    folder = ROOT / "fixtures" / "chatbot"
    texts = [path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())]
    arrays = [text for text in texts if text.lstrip().startswith("[")]
    lines = [text for text in texts if text.lstrip().startswith("{")]
    assert arrays and lines
    events = [e for text in arrays for e in json.loads(text) if isinstance(e, dict)]
    events += [json.loads(line) for text in lines for line in text.splitlines() if line.strip()]
    pairs = _superseded(sorted(events, key=lambda e: e["timestamp"]))
    assert any(next(iter(a["content"].values())) == "" for a, _ in pairs)
    assert any(all(next(iter(e["content"].values())).strip() for e in pair) for pair in pairs)


def test_invoice_edge_cases_are_valid_or_invalid_as_documented(spark):
    cases = _make_fixtures().INVOICE_EDGE_CASES
    rows = [(line, None, None, None, i, None, "zz-edge-cases.csv", None, None) for i, (_, _, line) in enumerate(cases)]
    parsed = invoices_silver.parse_invoices(spark.createDataFrame(rows, BRONZE_DDL))
    rejected = {row.offset for row in keep_rejected(parsed, invoices_silver.INVOICE_RULES).collect()}
    assert [(case, i not in rejected) for i, (case, _, _) in enumerate(cases)] == [(c, valid) for c, valid, _ in cases]


def test_chatbot_edge_cases_are_all_quarantined(spark):
    text = (ROOT / "fixtures" / "chatbot" / _make_fixtures().CHATBOT_EDGE_CASES_FILE).read_text(encoding="utf-8")
    bronze = spark.createDataFrame([(text, None, None, None, None, None, "zz-edge-cases.json", None, None)], BRONZE_DDL)
    parsed = chatbot_silver.parse_chatbot_files(bronze)
    assert keep_rejected(parsed, chatbot_silver.CHATBOT_RULES).count() == parsed.count() == 3


def test_invoice_csv_fixtures_start_with_the_header():
    for path in (ROOT / "fixtures" / "invoices").glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle)) == list(INVOICE_COLUMNS)
