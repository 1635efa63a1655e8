"""Conflicting duplicates (issue #14 item 2): other content under a kept id is quarantined, never lost.

Silver and the quarantine run as the pipeline runs them: silver's stream writes its table, then the
quarantine streams bronze against silver's finished table (parquet here; Delta in the pipelines).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession

from lakehouse.orders import quarantine as orders_quarantine
from lakehouse.orders import silver as orders
from lakehouse.quality import keep_valid
from tests.unit.bronze import bronze_frame
from tests.unit.streams import write_available
from tests.unit.test_orders_silver import event

WINDOW = "10 minutes"
START = datetime(2019, 12, 9, 12, 0, 0)


def land(spark: SparkSession, folder: Path, batches: list[tuple[timedelta, list[str]]]) -> DataFrame:
    """Bronze as a stream of parquet files, one file per arrival, each with its arrival time."""
    schema = bronze_frame(spark, []).schema
    for index, (after, payloads) in enumerate(batches):
        frame = bronze_frame(spark, payloads).select(*[c for c in schema.names if c != "ingested_at"])
        arrived = START + after
        frame.selectExpr("*", f"timestamp'{arrived}' AS ingested_at").coalesce(1).write.mode("append").parquet(
            str(folder / "bronze")
        )
        assert len(list((folder / "bronze").glob("*.parquet"))) == index + 1
    return spark.readStream.schema(schema).option("maxFilesPerTrigger", 1).parquet(str(folder / "bronze"))


def run_silver_then_quarantine(spark: SparkSession, folder: Path, batches: list[tuple[timedelta, list[str]]]):
    bronze = land(spark, folder, batches)
    lines = orders.to_order_lines(keep_valid(orders.parse_order_events(bronze), orders.ORDER_LINE_RULES), WINDOW)
    write_available(lines, folder / "silver", folder / "silver-checkpoint")
    kept = spark.read.parquet(str(folder / "silver"))
    quarantine = orders_quarantine.to_order_line_quarantine(
        orders.parse_order_events(land(spark, folder / "again", batches)), kept
    )
    query = quarantine.writeStream.format("memory").queryName("quarantine").trigger(availableNow=True).start()
    query.awaitTermination()
    return kept.collect(), spark.table("quarantine").collect()


def test_other_content_under_a_kept_id_is_quarantined_and_a_copy_is_not(spark, tmp_path):
    first, copy = event(event_id="a"), event(event_id="a")
    changed = event(event_id="a", Price=9.99)
    same_batch = [event(event_id="d", Quantity=1), event(event_id="d", Quantity=2)]
    batches = [
        (timedelta(0), [first, event(event_id="b")]),
        (timedelta(seconds=1), [copy, changed, event(event_id="c")]),
        (timedelta(seconds=2), [event(event_id="b", Country="Brazil"), *same_batch]),
    ]
    kept, conflicts = run_silver_then_quarantine(spark, tmp_path, batches)
    assert sorted(row.event_id for row in kept) == ["a", "b", "c", "d"]
    assert {row.failed_rules[0] for row in conflicts} == {"conflicting_duplicate"}
    found = sorted((row.event_id, json.loads(row.raw_payload)) for row in conflicts)
    kept_d = next(row.quantity for row in kept if row.event_id == "d")
    other_d = next(json.loads(p) for p in same_batch if json.loads(p)["Quantity"] != kept_d)
    assert found == sorted(
        [("a", json.loads(changed)), ("b", json.loads(batches[2][1][0])), ("d", other_d)], key=lambda x: x[0]
    )


def test_a_version_long_after_the_first_is_in_silver_or_in_quarantine(spark, tmp_path):
    """How long silver remembers an id depends on when later batches move its watermark: whatever it
    decided for a version 20 minutes late, that version is in exactly one of silver or quarantine."""
    late = event(event_id="a", Price=9.99)
    batches = [
        (timedelta(0), [event(event_id="a")]),
        (timedelta(minutes=1), [event(event_id="z")]),
        (timedelta(minutes=20), [late]),
        (timedelta(minutes=40), [event(event_id="a", Price=7.77)]),
    ]
    kept, conflicts = run_silver_then_quarantine(spark, tmp_path, batches)
    prices = {(row.event_id, str(row.unit_price)) for row in kept}
    quarantined = {(row.event_id, str(json.loads(row.raw_payload)["Price"])) for row in conflicts}
    for version in [("a", "21.47"), ("a", "9.99"), ("a", "7.77"), ("z", "21.47")]:
        assert (version in prices) != (version in quarantined), (version, prices, quarantined)


def test_a_record_failing_a_rule_is_quarantined_for_the_rule_even_under_a_kept_id(spark, tmp_path):
    """The conflict is judged only on records that passed every rule: a broken version of a kept
    event is listed for what is broken, once, not also as a conflicting duplicate."""
    broken = event(event_id="a", Quantity="many")
    batches = [(timedelta(0), [event(event_id="a")]), (timedelta(seconds=1), [broken, event(event_id="a")])]
    kept, quarantined = run_silver_then_quarantine(spark, tmp_path, batches)
    assert [row.event_id for row in kept] == ["a"]
    assert [(json.loads(row.raw_payload), row.failed_rules) for row in quarantined] == [
        (json.loads(broken), ["quantity_not_a_number"])
    ]
