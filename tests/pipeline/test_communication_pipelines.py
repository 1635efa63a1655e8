"""`lakehouse run` of notifications, invoices and chatbot on the bundled fixtures, checked against
figures computed in plain Python (:mod:`tests.pipeline.expected_communication`).

One run per pipeline (module-scoped fixtures), then one Spark session per pipeline to read its
tables. Times are read as UTC text and money as decimal text, so scale and rounding are compared
exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from tests.file_shapes import csv_records
from tests.pipeline import expected_communication as expected
from tests.pipeline.conftest import FixtureRun, FixtureRuns
from tests.pipeline.local import PROJECT_ROOT, accounting, latest_summary, query

pytestmark = pytest.mark.pipeline

FIXTURES = PROJECT_ROOT / "fixtures"
UTC_TEXT = "'yyyy-MM-dd HH:mm:ss.SSSSSS'"


def utc(column: str) -> str:
    return f"date_format({column}, {UTC_TEXT}) AS {column}"


def rules_by_record(rows: list[dict], payload: str = "raw_payload") -> Counter:
    return Counter((row[payload], tuple(row["failed_rules"])) for row in rows)


# --------------------------------------------------------------------------------------------------
# notifications
# --------------------------------------------------------------------------------------------------

NOTIFICATION_LINES = expected.read_records(FIXTURES / "notifications", "*.jsonl")
NOTIFICATIONS = expected.notifications(NOTIFICATION_LINES)


@pytest.fixture(scope="module")
def notifications(fixture_runs: FixtureRuns) -> dict:
    """Read off the session's one run of notifications on its fixtures (``tests/pipeline/conftest.py``)."""
    return query(
        fixture_runs.home,
        bronze="SELECT count(*) AS n FROM bronze.notifications_raw",
        silver=f"""SELECT customer_id, message_id, customer_name, channel, payload, {utc("event_datetime")}
                   FROM silver.notifications""",
        quarantine="SELECT raw_payload, failed_rules FROM silver.notifications_quarantine",
        billing="""SELECT customer_id, customer_name, channel, CAST(billing_date AS STRING) AS billing_date,
                          notifications, CAST(unit_price AS STRING) AS unit_price, CAST(amount AS STRING) AS amount
                   FROM gold.notifications_daily_billing""",
        billing_types="""SELECT DISTINCT typeof(billing_date) AS billing_date, typeof(unit_price) AS unit_price,
                                typeof(amount) AS amount FROM gold.notifications_daily_billing""",
        panel=f"""SELECT customer_id, customer_name, channel, {utc("window_start")}, {utc("window_end")},
                         notifications
                  FROM gold.notifications_per_minute""",
        detail=f"""SELECT customer_id, customer_name, message_id, payload, {utc("event_datetime")}
                   FROM gold.notifications_detail""",
    )


def notification_row(n: expected.Notification) -> dict:
    return {
        "customer_id": n.customer_id,
        "message_id": n.message_id,
        "customer_name": n.customer_name,
        "channel": n.channel,
        "payload": n.payload,
        "event_datetime": expected.utc_text(n.event_datetime),
    }


def test_notifications_bronze_keeps_every_line(notifications):
    assert notifications["bronze"] == [{"n": len(NOTIFICATION_LINES)}]


def test_notifications_silver_holds_each_valid_message_once(notifications):
    silver = notifications["silver"]
    assert NOTIFICATIONS.duplicates > 0, "the fixtures should exercise de-duplication"
    assert len(silver) == len(NOTIFICATIONS.silver)
    assert len({row["message_id"] for row in silver}) == len(silver)
    by_id = {row["message_id"]: row for row in silver}
    assert by_id == {n.message_id: notification_row(n) for n in NOTIFICATIONS.silver}


def test_notifications_records_read_add_up_to_silver_quarantine_and_duplicates(fixture_runs: FixtureRuns):
    summary = latest_summary(fixture_runs.home, "notifications")
    counted = accounting(summary, "silver.notifications", "silver.notifications_quarantine")
    assert counted == {
        "read": len(NOTIFICATION_LINES),
        "silver": len(NOTIFICATIONS.silver),
        "quarantined": len(NOTIFICATIONS.quarantine),
        "duplicates": NOTIFICATIONS.duplicates,
        "adds_up": True,
    }


def test_notifications_quarantine_holds_every_invalid_event_with_its_rules(notifications):
    assert rules_by_record(notifications["quarantine"]) == Counter(NOTIFICATIONS.quarantine)
    reasons = Counter(rule for _, rules in NOTIFICATIONS.quarantine for rule in rules)
    assert set(reasons) == {"message_id_present", "known_channel", "event_datetime_parsable"}


def test_notifications_daily_billing_matches_an_independent_computation(notifications):
    got = {
        (row["customer_id"], row["channel"], row["billing_date"]): {
            "customer_name": row["customer_name"],
            "notifications": row["notifications"],
            "unit_price": row["unit_price"],
            "amount": row["amount"],
        }
        for row in notifications["billing"]
    }
    assert len(got) == len(notifications["billing"]), "one row per customer, channel and day"
    want = expected.daily_billing(NOTIFICATIONS.silver)
    assert got == want
    assert notifications["billing_types"] == [
        {"billing_date": "date", "unit_price": "decimal(18,4)", "amount": "decimal(18,2)"}
    ]
    # channels without a tariff are billed as rows with NULL price, never dropped or free
    untariffed = {k: v for k, v in want.items() if k[1] not in expected.TARIFF}
    assert untariffed and all(v["unit_price"] is None and v["amount"] is None for v in untariffed.values())


def test_notifications_panel_emits_every_window_the_watermark_closed(notifications):
    watermark = expected.utc_text(expected.panel_watermark(NOTIFICATIONS.silver))
    got = {
        (row["customer_id"], row["channel"], row["window_start"]): {
            "customer_name": row["customer_name"],
            "window_end": row["window_end"],
            "notifications": row["notifications"],
        }
        for row in notifications["panel"]
    }
    assert len(got) == len(notifications["panel"]), "one row per customer, channel and window"
    late = sorted({v["window_end"] for v in got.values() if v["window_end"] > watermark})
    assert not late, f"windows emitted before the watermark ({watermark}) passed their end: {late}"
    every_window = expected.per_minute(NOTIFICATIONS.silver)
    closed = {k: v for k, v in every_window.items() if v["window_end"] <= watermark}
    assert closed and len(closed) < len(every_window), "the fixtures should leave some windows open"
    assert got == closed


def test_notifications_detail_has_one_row_per_silver_message(notifications):
    detail = notifications["detail"]
    assert len(detail) == len(notifications["silver"])
    want = {
        n.message_id: {
            "customer_id": n.customer_id,
            "customer_name": n.customer_name,
            "message_id": n.message_id,
            "payload": n.payload,
            "event_datetime": expected.utc_text(n.event_datetime),
        }
        for n in NOTIFICATIONS.silver
    }
    assert {row["message_id"]: row for row in detail} == want


# --------------------------------------------------------------------------------------------------
# invoices
# --------------------------------------------------------------------------------------------------

INVOICE_LINES = expected.read_records(FIXTURES / "invoices", "*.csv", csv_records)
INVOICES = expected.invoices(INVOICE_LINES)


@pytest.fixture(scope="module")
def invoices(fixture_run: Callable[[str], FixtureRun]) -> dict:
    home = fixture_run("invoices").home
    return query(
        home,
        bronze="SELECT count(*) AS n FROM bronze.invoices_raw",
        silver="""SELECT customer, account, CAST(month AS STRING) AS month, CAST(invoice AS STRING) AS invoice
                  FROM silver.invoices""",
        quarantine="SELECT raw_payload, failed_rules FROM silver.invoices_quarantine",
        averages="""SELECT customer, account, CAST(reference_date AS STRING) AS reference_date,
                           CAST(avg_invoice_3m AS STRING) AS avg_invoice_3m,
                           CAST(avg_invoice_6m AS STRING) AS avg_invoice_6m,
                           typeof(avg_invoice_3m) AS type_3m, typeof(avg_invoice_6m) AS type_6m
                    FROM gold.invoice_averages""",
    )


def test_invoices_bronze_keeps_every_line_headers_included(invoices):
    assert invoices["bronze"] == [{"n": len(INVOICE_LINES)}]


def test_invoices_silver_holds_every_valid_invoice(invoices):
    assert len(invoices["silver"]) == len(INVOICES.silver)
    got = Counter(tuple(row.values()) for row in invoices["silver"])
    want = Counter((i.customer, i.account, i.month.isoformat(), str(i.invoice)) for i in INVOICES.silver)
    assert got == want


def test_invoices_quarantine_holds_every_invalid_line_with_its_rules(invoices):
    assert len(invoices["quarantine"]) == len(INVOICES.quarantine)
    assert len(invoices["silver"]) + len(invoices["quarantine"]) == INVOICES.records
    assert rules_by_record(invoices["quarantine"]) == Counter(INVOICES.quarantine)
    assert not any(expected.is_invoice_header(row["raw_payload"]) for row in invoices["quarantine"])


def test_invoices_invoice_averages_match_an_independent_computation(invoices):
    rows = invoices["averages"]
    got = {
        (row["customer"], row["account"]): {
            "avg_invoice_3m": row["avg_invoice_3m"],
            "avg_invoice_6m": row["avg_invoice_6m"],
        }
        for row in rows
    }
    assert len(got) == len(rows), "one row per account"
    want = expected.invoice_averages(INVOICES.silver)
    assert got == want
    assert {row["reference_date"] for row in rows} == {expected.REFERENCE_DATE.isoformat()}
    assert {(row["type_3m"], row["type_6m"]) for row in rows} == {("decimal(18,2)", "decimal(18,2)")}
    # the fixtures cover both a full window and a young account (NULL average)
    assert any(v["avg_invoice_3m"] is None for v in want.values())
    assert any(v["avg_invoice_6m"] is not None for v in want.values())
    # an account whose invoices are all from the reference month on has no row
    after_only = {(i.customer, i.account) for i in INVOICES.silver} - set(want)
    assert after_only and not after_only & set(got)


# --------------------------------------------------------------------------------------------------
# chatbot
# --------------------------------------------------------------------------------------------------

CHATBOT = expected.chatbot(FIXTURES / "chatbot")
SESSIONS = expected.chatbot_sessions(CHATBOT.answers)


@pytest.fixture(scope="module")
def chatbot(fixture_run: Callable[[str], FixtureRun]) -> dict:
    home = fixture_run("chatbot").home
    views = {}
    for flow, keys in expected.FLOW_VIEWS.items():
        table = f"gold.chatbot_flow_{flow.lower()}"
        views[f"columns_{flow}"] = f"SHOW COLUMNS IN {table}"
        views[f"view_{flow}"] = (
            f"SELECT customer, session, {', '.join(keys)}, {utc('first_answer_dt')}, {utc('last_answer_dt')} "
            f"FROM {table}"
        )
    return query(
        home,
        bronze="SELECT count(*) AS n FROM bronze.chatbot_raw",
        silver=f"SELECT customer, flow, session, key, value, {utc('answered_at')} FROM silver.chatbot_answers",
        quarantine="SELECT raw_payload, failed_rules FROM silver.chatbot_answers_quarantine",
        sessions=f"""SELECT customer, flow, session, {utc("first_answer_dt")}, {utc("last_answer_dt")}, answers
                     FROM gold.chatbot_sessions""",
        **views,
    )


def test_chatbot_bronze_holds_one_row_per_event_not_per_file(chatbot):
    assert CHATBOT.records > len(list((FIXTURES / "chatbot").iterdir()))
    assert chatbot["bronze"] == [{"n": CHATBOT.records}]


def test_chatbot_silver_holds_every_valid_answer(chatbot):
    assert len(chatbot["silver"]) == len(CHATBOT.answers)
    assert Counter(tuple(row.values()) for row in chatbot["silver"]) == Counter(a.row() for a in CHATBOT.answers)


def test_chatbot_quarantine_holds_blank_and_broken_answers_with_reasons(chatbot):
    quarantine = chatbot["quarantine"]
    assert len(quarantine) == len(CHATBOT.quarantine)
    got = Counter((expected.canonical(row["raw_payload"]), tuple(row["failed_rules"])) for row in quarantine)
    assert got == Counter(CHATBOT.quarantine)
    reasons = Counter(rule for _, rules in CHATBOT.quarantine for rule in rules)
    assert reasons["value_not_blank"] >= 2, "empty and blank answers are quarantined"


def test_chatbot_sessions_keep_the_latest_valid_answer_per_key(chatbot):
    rows = chatbot["sessions"]
    got = {
        (row["customer"], row["flow"], row["session"]): {
            "first_answer_dt": row["first_answer_dt"],
            "last_answer_dt": row["last_answer_dt"],
            "answers": row["answers"],
        }
        for row in rows
    }
    assert len(got) == len(rows), "one row per session"
    assert got == SESSIONS
    # answers given twice: the fixtures must hold some, or 'latest wins' is not exercised
    answered = Counter((a.customer, a.flow, a.session, a.key) for a in CHATBOT.answers)
    assert any(times > 1 for times in answered.values())


@pytest.mark.parametrize("flow", sorted(expected.FLOW_VIEWS))
def test_chatbot_flow_views_have_a_column_per_configured_key(chatbot, flow):
    keys = expected.FLOW_VIEWS[flow]
    columns = [row["col_name"] for row in chatbot[f"columns_{flow}"]]
    assert columns == ["customer", "session", *keys, "first_answer_dt", "last_answer_dt"]
    got = {(row["customer"], row["session"]): row for row in chatbot[f"view_{flow}"]}
    assert len(got) == len(chatbot[f"view_{flow}"])
    want = {
        (customer, session): {
            "customer": customer,
            "session": session,
            **{key: value["answers"].get(key) for key in keys},
            "first_answer_dt": value["first_answer_dt"],
            "last_answer_dt": value["last_answer_dt"],
        }
        for (customer, flow_of, session), value in SESSIONS.items()
        if flow_of == flow
    }
    assert want and got == want
