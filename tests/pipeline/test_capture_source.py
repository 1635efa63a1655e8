"""The orders pipeline from Event Hubs Capture files (``source=eventhubs_capture``), end to end.

The bundled order events are written as Capture writes them - Avro with the Capture schema, two
partitions, the default folder naming - and the pipeline runs on Spark's Avro file stream. Gold must
equal the run over the same events as JSON lines (the session's ``gold_home``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.capture_files import write_capture_files
from tests.pipeline import expected_orders
from tests.pipeline.local import PROJECT_ROOT, lakehouse, query
from tests.pipeline.shared_gold import ORDERS_GOLD, group

pytestmark = pytest.mark.pipeline

FIXTURES = PROJECT_ROOT / "fixtures" / "orders"


@pytest.fixture(scope="module")
def capture_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict], str]:
    home = tmp_path_factory.mktemp("capture-home")
    landing = tmp_path_factory.mktemp("capture-landing")
    written = write_capture_files(expected_orders.read_payloads(FIXTURES), landing / "orders", per_file=400)
    done = lakehouse(home, "run", "orders", "--landing", str(landing), "--source", "eventhubs_capture")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return home, written, done.stdout


@pytest.fixture(scope="module")
def capture_tables(capture_run) -> dict:
    home, _, _ = capture_run
    return query(
        home,
        bronze="""SELECT raw_payload, topic, partition, offset, kafka_timestamp, file_path
                  FROM bronze.orders_raw""",
        **ORDERS_GOLD,
    )


@pytest.fixture(scope="module")
def files_tables(gold_tables) -> dict:
    return group(gold_tables, "orders")


def test_bronze_holds_every_captured_event_with_its_partition_and_sequence_number(capture_run, capture_tables):
    _, written, _ = capture_run
    bronze = capture_tables["bronze"]
    assert len(bronze) == len(written) == len(expected_orders.read_payloads(FIXTURES))
    got = sorted((r["partition"], r["offset"], r["raw_payload"]) for r in bronze)
    want = sorted((r["_partition"], r["SequenceNumber"], r["Body"].decode()) for r in written)
    assert got == want
    assert {r["topic"] for r in bronze} == {"orders"}
    assert all(r["kafka_timestamp"] is not None and r["file_path"].endswith(".avro") for r in bronze)


def test_the_summary_names_the_capture_source_run(capture_run):
    _, _, stdout = capture_run
    assert "bronze.orders_raw" in stdout and "silver.order_lines_quarantine" in stdout


@pytest.mark.parametrize("table", sorted(ORDERS_GOLD))
def test_gold_equals_the_run_from_json_files(capture_tables, files_tables, table):
    assert capture_tables[table], f"{table} is empty"
    assert capture_tables[table] == files_tables[table]
