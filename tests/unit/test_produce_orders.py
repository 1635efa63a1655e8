"""The order-event producers: CSV replay, synthetic orders, JSON-lines output and the bundled fixtures.

Plain pytest, no Spark: these are the inputs every pipeline test stands on, so they must be right on
their own and must not drift from the committed fixtures.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError, validators

from lakehouse.produce.files import write_jsonl
from lakehouse.produce.order_contract import CSV_HEADER
from lakehouse.produce.orders_export import events_from_csv
from lakehouse.produce.orders_synthetic import synthetic_orders
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "orders-event.schema.json").read_text(encoding="utf-8"))
HEADER = ",".join(CSV_HEADER)


# --------------------------------------------------------------------------------------------------
# The event contract, checked with the jsonschema library
# --------------------------------------------------------------------------------------------------


def _ecma_pattern(validator: Any, pattern: str, instance: object, schema: dict[str, Any]) -> Iterator[ValidationError]:
    r"""JSON Schema patterns are ECMA-262, where ``$`` never matches before a trailing newline.

    Python's ``re`` lets ``$`` match there, so ``"581482\n"`` would pass a ``^...$`` pattern; anchoring
    at the very end (``\Z``) gives the ECMA meaning the producers' consumers rely on.
    """
    if isinstance(instance, str) and not re.search(re.sub(r"\$$", r"\\Z", pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


EventValidator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})
VALIDATOR = EventValidator(SCHEMA)


def schema_errors(event: object) -> list[str]:
    return [f"{'.'.join(map(str, error.path)) or '$'}: {error.message}" for error in VALIDATOR.iter_errors(event)]


def test_the_schema_itself_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("example", SCHEMA["examples"])
def test_schema_examples_are_valid(example):
    assert schema_errors(example) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("TransactionNo", "12A456"),
        ("TransactionNo", "58148"),
        ("TransactionNo", "581482\n"),
        ("TransactionNo", 581482),
        ("Date", "13/45/2019"),
        ("Date", "2019-12-09"),
        ("ProductNo", "8402"),
        ("ProductNo", "84029e"),
        ("ProductNo", "84029EE"),
        ("Price", 0),
        ("Price", "10.65"),
        ("Quantity", 0),
        ("Quantity", 1.5),
        ("Quantity", True),
        ("CustomerNo", "1749"),
        ("CustomerNo", 17490),
        ("event_time", "2019-12-09 10:15:00"),
        ("event_time", "2019-12-09T10:15:00+01:00"),
        ("ProductName", ""),
    ],
)
def test_schema_rejects_a_broken_field(field, value):
    event = {**SCHEMA["examples"][0], field: value}
    assert schema_errors(event), f"{field}={value!r} should be invalid"


def test_schema_ties_the_sign_of_quantity_to_the_cancellation_prefix():
    order = SCHEMA["examples"][0]
    assert schema_errors({**order, "TransactionNo": "C581475"})  # positive quantity on a cancellation
    assert schema_errors({**order, "Quantity": -12})  # negative quantity on an order
    assert schema_errors({**order, "TransactionNo": "C581475", "Quantity": -12}) == []


def test_schema_requires_every_field_and_allows_a_null_customer():
    order = SCHEMA["examples"][0]
    for name in order:
        assert schema_errors({k: v for k, v in order.items() if k != name}), f"{name} should be required"
    assert schema_errors({**order, "CustomerNo": None}) == []


# --------------------------------------------------------------------------------------------------
# events_from_csv
# --------------------------------------------------------------------------------------------------


def _write_csv(tmp_path: Path, body: str, header: str = HEADER, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(f"{header}\n{body}", encoding="utf-8", newline="")
    return path


EXPORT = (
    "581499,12/9/2019,84029E,Red Woolly Hottie White Heart,6.19,2,14498,United Kingdom\n"
    '581499,12/9/2019,22041,"Record Frame 7"" Single Size",6.19,2,14498,United Kingdom\n'
    '581500,12/9/2019,85123A,"Crème Brûlée Dish, Set Of 2",12.5,-3,,EIRE\n'
    "C581501,12/9/2019,22485,Set Of 2 Wooden Market Crates,21.47,-12,17490,United Kingdom\n"
    "536365,12/1/2018,71053,White Metal Lantern,11.1,6,17850,United Kingdom\n"
)


def test_csv_rows_become_contract_events_in_file_order(tmp_path):
    events = list(events_from_csv(_write_csv(tmp_path, EXPORT)))

    assert [e["TransactionNo"] for e in events] == ["581499", "581499", "581500", "C581501", "536365"]
    assert events[0] == {
        "event_id": events[0]["event_id"],
        "event_time": events[0]["event_time"],
        "TransactionNo": "581499",
        "Date": "12/9/2019",
        "ProductNo": "84029E",
        "ProductName": "Red Woolly Hottie White Heart",
        "Price": 6.19,
        "Quantity": 2,
        "CustomerNo": "14498",
        "Country": "United Kingdom",
    }
    assert events[1]["ProductName"] == 'Record Frame 7" Single Size'
    assert events[2]["ProductName"] == "Crème Brûlée Dish, Set Of 2"
    assert events[2]["CustomerNo"] is None
    assert events[2]["Country"] == "EIRE"
    assert (events[3]["TransactionNo"], events[3]["Quantity"]) == ("C581501", -12)
    assert all(isinstance(e["Price"], float) and isinstance(e["Quantity"], int) for e in events)


def test_csv_events_are_valid_except_where_the_row_breaks_the_contract(tmp_path):
    events = list(events_from_csv(_write_csv(tmp_path, EXPORT)))
    invalid = [e["TransactionNo"] for e in events if schema_errors(e)]
    assert invalid == ["581500"]  # negative quantity without the C prefix: the pipeline quarantines it


def test_csv_event_times_follow_the_row_date_and_the_transaction_sequence(tmp_path):
    events = list(events_from_csv(_write_csv(tmp_path, EXPORT)))
    times = [datetime.fromisoformat(e["event_time"].replace("Z", "+00:00")) for e in events]

    assert [t.date() for t in times] == [date(2019, 12, 9)] * 4 + [date(2018, 12, 1)]
    assert all(8 <= t.hour < 20 for t in times)  # business hours
    assert times[0] < times[1] < times[2] < times[3]  # numbered in sequence, lines a moment apart
    assert (times[1] - times[0]).total_seconds() < 1  # lines of one transaction: same moment or so
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["event_time"]) for e in events)


def test_csv_replay_is_deterministic_for_a_seed(tmp_path):
    path = _write_csv(tmp_path, EXPORT)

    first, again = list(events_from_csv(path, seed=7)), list(events_from_csv(path, seed=7))
    other = list(events_from_csv(path, seed=8))

    assert first == again
    assert [e["event_id"] for e in first] != [e["event_id"] for e in other]
    assert len({e["event_id"] for e in first}) == len(first)


def test_csv_replay_on_a_given_clock(tmp_path):
    start = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    events = list(events_from_csv(_write_csv(tmp_path, EXPORT), start=start))

    assert events[0]["event_time"] == "2024-05-01T09:30:00.000Z"
    assert [e["event_time"] for e in events] == sorted(e["event_time"] for e in events)
    assert len({e["event_time"] for e in events}) == len(events)
    assert events[-1]["Date"] == "12/1/2018"  # the business fields stay verbatim


def test_csv_bad_cells_are_emitted_raw_and_never_crash(tmp_path):
    body = (
        "581600,12/9/2019,22485,Crates,abc,12,17490,United Kingdom\n"
        "581601,13/45/2019,22485,Crates,1.5,1.5,17490,United Kingdom\n"
        "581602,12/9/2019,22485,Crates,nan,,17490,United Kingdom\n"
        "581603,12/9/2019,22485,Unquoted, comma,6.19,2,14498,United Kingdom\n"
        "581604,12/9/2019,22485\n"
        "\n"
    )
    events = list(events_from_csv(_write_csv(tmp_path, body)))

    assert len(events) == 5  # the blank line is not an event
    assert (events[0]["Price"], events[0]["Quantity"]) == ("abc", 12)
    assert (events[1]["Date"], events[1]["Price"], events[1]["Quantity"]) == ("13/45/2019", 1.5, "1.5")
    assert events[1]["event_time"] == events[0]["event_time"]  # unusable date: previous emission time
    assert (events[2]["Price"], events[2]["Quantity"]) == ("nan", "")
    assert events[3]["Price"] == " comma"  # shifted columns stay visible for the quarantine
    assert events[4]["ProductName"] is None and events[4]["Country"] is None
    assert all(schema_errors(e) for e in events)
    json.dumps(events, allow_nan=False)  # still serialisable as strict JSON


def test_csv_with_a_byte_order_mark_and_reordered_columns_is_read_by_name(tmp_path):
    header = "Country,TransactionNo,Date,ProductNo,ProductName,Price,Quantity,CustomerNo"
    path = tmp_path / "bom.csv"
    path.write_text(f"\ufeff{header}\nNorway,581700,12/9/2019,22485,Crates,21.47,12,17490\n", encoding="utf-8")

    (event,) = events_from_csv(path)

    assert (event["TransactionNo"], event["Country"], event["Price"]) == ("581700", "Norway", 21.47)


def test_missing_export_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="orders export not found"):
        events_from_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    "header",
    ["InvoiceNo,Date,ProductNo,ProductName,Price,Quantity,CustomerNo,Country", "TransactionNo,Date", ""],
)
def test_wrong_header_is_a_one_line_error_raised_at_call_time(tmp_path, header):
    path = tmp_path / "bad.csv"
    path.write_text(f"{header}\n581482,12/9/2019\n" if header else "", encoding="utf-8")

    with pytest.raises(ValueError) as caught:
        events_from_csv(path)  # no next(): the check is eager

    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert HEADER in message


# --------------------------------------------------------------------------------------------------
# synthetic_orders
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic() -> list[dict]:
    return list(synthetic_orders(2_000, seed=42))


def test_synthetic_orders_are_deterministic_for_a_seed(synthetic):
    assert list(synthetic_orders(2_000, seed=42)) == synthetic
    # A shorter run holds the same orders, only packed into the same days (time and date scale with n).
    shorter = [{**e, "event_time": "", "Date": ""} for e in synthetic_orders(50, seed=42)]
    assert shorter == [{**e, "event_time": "", "Date": ""} for e in synthetic[:50]]
    other = list(synthetic_orders(2_000, seed=43))
    assert [e["event_id"] for e in other] != [e["event_id"] for e in synthetic]


def test_every_synthetic_event_validates_against_the_schema(synthetic):
    failures = [(e, errors) for e in synthetic if (errors := schema_errors(e))]
    assert failures == []


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_synthetic_events_validate_for_other_seeds_and_rates(seed):
    events = synthetic_orders(600, seed=seed, cancellation_rate=0.3, missing_customer_rate=0.3, days=1)
    assert [schema_errors(e) for e in events if schema_errors(e)] == []


def test_synthetic_orders_look_like_the_shop(synthetic):
    lines_per_order = Counter(e["TransactionNo"] for e in synthetic if not e["TransactionNo"].startswith("C"))
    cancellations = [e for e in synthetic if e["TransactionNo"].startswith("C")]
    countries = Counter(e["Country"] for e in synthetic)

    assert len(synthetic) == 2_000
    assert len({e["event_id"] for e in synthetic}) == 2_000
    assert set(lines_per_order.values()) == {1, 2, 3, 4, 5}
    assert cancellations and all(e["Quantity"] < 0 for e in cancellations)
    assert all(e["Quantity"] > 0 for e in synthetic if not e["TransactionNo"].startswith("C"))
    assert 0 < sum(e["CustomerNo"] is None for e in synthetic) < 60
    assert countries.most_common(1)[0][0] == "United Kingdom"
    assert countries["United Kingdom"] > 0.7 * len(synthetic) and len(countries) > 5
    assert any("," in e["ProductName"] for e in synthetic)
    assert any(not e["ProductName"].isascii() for e in synthetic)
    assert any(e["ProductNo"][-1].isalpha() for e in synthetic)
    assert all(re.fullmatch(r"\d{5}", e["CustomerNo"]) for e in synthetic if e["CustomerNo"] is not None)


def test_a_cancellation_refers_to_an_earlier_order_of_the_same_customer(synthetic):
    ordered = {}
    for event in synthetic:
        key = (event["ProductNo"], event["CustomerNo"])
        if event["TransactionNo"].startswith("C"):
            assert key in ordered, f"cancelled {key} was never ordered"
            assert -event["Quantity"] <= ordered[key]
        else:
            ordered[key] = max(ordered.get(key, 0), event["Quantity"])


def test_synthetic_times_spread_over_the_days_and_fill_minute_windows(synthetic):
    times = [e["event_time"] for e in synthetic]
    per_minute = Counter(t[:16] for t in times)

    assert times == sorted(times)
    assert {e["Date"] for e in synthetic} == {"12/1/2019", "12/2/2019", "12/3/2019"}
    assert all(
        e["Date"] == f"{int(e['event_time'][5:7])}/{int(e['event_time'][8:10])}/{e['event_time'][:4]}"
        for e in synthetic
    )
    assert sum(1 for count in per_minute.values() if count >= 3) > 100


def test_synthetic_orders_reject_nonsense_arguments():
    with pytest.raises(ValueError, match="days"):
        synthetic_orders(10, seed=1, days=0)
    with pytest.raises(ValueError, match="cancellation_rate"):
        synthetic_orders(10, seed=1, cancellation_rate=1.5)
    assert list(synthetic_orders(0, seed=1)) == []


# --------------------------------------------------------------------------------------------------
# write_jsonl
# --------------------------------------------------------------------------------------------------


def _lines(paths: list[Path]) -> list[str]:
    return [line for path in paths for line in path.read_text(encoding="utf-8").splitlines()]


def test_write_jsonl_splits_into_files_of_at_most_per_file_lines(tmp_path):
    events = list(synthetic_orders(23, seed=5))

    paths = write_jsonl(events, tmp_path / "out", per_file=10)

    assert [p.name for p in paths] == ["orders-000001.jsonl", "orders-000002.jsonl", "orders-000003.jsonl"]
    assert [len(p.read_text(encoding="utf-8").splitlines()) for p in paths] == [10, 10, 3]
    assert [json.loads(line) for line in _lines(paths)] == events
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [p.name for p in paths]  # no temp left


def test_write_jsonl_never_overwrites_and_new_files_sort_after_old_ones(tmp_path):
    first = write_jsonl([{"n": i} for i in range(5)], tmp_path, per_file=2)
    before = {p: p.read_bytes() for p in first}

    second = write_jsonl([{"n": i} for i in range(5, 8)], tmp_path, per_file=2)

    assert {p: p.read_bytes() for p in first} == before
    assert not set(first) & set(second)
    assert sorted(first + second) == first + second
    assert [json.loads(line)["n"] for line in _lines(sorted(tmp_path.glob("orders-*.jsonl")))] == list(range(8))


def test_write_jsonl_writes_utf8_and_raw_strings_as_is(tmp_path):
    items = [{"ProductName": "Crème Brûlée, ♥"}, '{"broken": ', "not json at all\n"]

    (path,) = write_jsonl(items, tmp_path, prefix="edge")

    assert path.name == "edge-000001.jsonl"
    assert path.read_bytes().decode("utf-8") == '{"ProductName":"Crème Brûlée, ♥"}\n{"broken": \nnot json at all\n'


def test_write_jsonl_of_nothing_writes_no_file(tmp_path):
    assert write_jsonl([], tmp_path) == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "items"),
    [({"per_file": 0}, [{}]), ({"prefix": ".hidden"}, [{}]), ({"prefix": "a/b"}, [{}]), ({}, ["two\nlines"])],
)
def test_write_jsonl_rejects_what_a_streaming_reader_would_mishandle(tmp_path, kwargs, items):
    with pytest.raises(ValueError):
        write_jsonl(items, tmp_path, **kwargs)


# --------------------------------------------------------------------------------------------------
# The bundled fixtures
# --------------------------------------------------------------------------------------------------


def _make_fixtures() -> ModuleType:
    return load_script("make_fixtures")


def test_committed_fixtures_equal_what_the_script_regenerates(tmp_path):
    committed_dir = ROOT / "fixtures" / "orders"
    regenerated = _make_fixtures().write_fixtures(tmp_path)

    assert sorted(p.name for p in committed_dir.glob("*.jsonl")) == sorted(p.name for p in regenerated)
    for path in regenerated:
        assert (committed_dir / path.name).read_bytes() == path.read_bytes(), (
            f"fixtures/orders/{path.name} drifted: run `uv run python scripts/make_fixtures.py`"
        )


def test_fixtures_stay_small():
    assert sum(p.stat().st_size for p in (ROOT / "fixtures").rglob("*") if p.is_file()) < 5_000_000


def test_edge_cases_are_valid_or_invalid_as_documented():
    module = _make_fixtures()
    lines = (ROOT / "fixtures" / "orders" / module.EDGE_CASES_FILE).read_text(encoding="utf-8").splitlines()

    assert lines == [line for _, _, line in module.EDGE_CASES]
    for (case, valid, _), line in zip(module.EDGE_CASES, lines, strict=True):
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            assert not valid, case
            continue
        assert (schema_errors(event) == []) is valid, f"{case}: {schema_errors(event)}"


def test_edge_cases_hold_the_duplicates_the_pipeline_must_tell_apart():
    lines = [line for _, _, line in _make_fixtures().EDGE_CASES]
    transport = [line for line in lines if '"edge-transport-duplicate"' in line]
    same_content = [json.loads(line) for line in lines if '"edge-same-content-' in line]

    assert len(transport) == 2 and transport[0] == transport[1]  # the very same event, delivered twice
    assert len(same_content) == 2
    assert same_content[0]["event_id"] != same_content[1]["event_id"]
    assert {**same_content[0], "event_id": ""} == {**same_content[1], "event_id": ""}
