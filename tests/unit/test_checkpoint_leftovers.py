"""A process killed while writing a flow's first offset must not break that flow for good.

The leftover is the one found in a CI home after a SIGKILL: ``offsets/.0.<uuid>.tmp`` and its
``.crc``, no batch file. Spark 4.2's "checkpoint must be empty on batch 0" guard then fails every
restart; the local engine's session settings turn the guard off (see ``session_confs``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.errors import StreamingQueryException
from pyspark.sql import SparkSession

from lakehouse.local.home import session_confs
from tests.conftest import REMOTE

pytestmark = pytest.mark.skipif(REMOTE, reason="a local checkpoint folder; Databricks manages its own")

GUARD = "spark.sql.streaming.verifyCheckpointDirectoryEmptyOnStart"


@pytest.fixture
def killed_checkpoint(tmp_path: Path) -> Path:
    offsets = tmp_path / "checkpoint" / "offsets"
    offsets.mkdir(parents=True)
    leftover = ".0.47fbfd2a-ecee-456b-9a93-972842348697.tmp"
    (offsets / leftover).write_text('v1\n{"batchWatermarkMs":0}')
    (offsets / f".{leftover}.crc").write_bytes(b"crc")
    return tmp_path / "checkpoint"


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    lines = [json.dumps({"minute": minute % 3}) for minute in range(10)]
    (folder / "part-0.json").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture
def guard(spark: SparkSession) -> Iterator[None]:
    before = spark.conf.get(GUARD, None)
    yield
    if before is None:
        spark.conf.unset(GUARD)
    else:
        spark.conf.set(GUARD, before)


def _count_per_minute(spark: SparkSession, landing: Path, checkpoint: Path) -> dict[int, int]:
    """A stateful streaming aggregation, as the gold per-minute flows are, run to the end."""
    counts = spark.readStream.schema("minute INT").json(str(landing)).groupBy("minute").count()
    query = (
        counts.writeStream.format("memory")
        .queryName("per_minute")
        .outputMode("complete")
        .option("checkpointLocation", str(checkpoint))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    return {row["minute"]: row["count"] for row in spark.table("per_minute").collect()}


@pytest.mark.usefixtures("guard")
def test_sparks_guard_alone_fails_the_flow_after_the_kill(spark, landing, killed_checkpoint):
    spark.conf.set(GUARD, "true")
    with pytest.raises(StreamingQueryException, match="STATE_STORE_CHECKPOINT_LOCATION_NOT_EMPTY"):
        _count_per_minute(spark, landing, killed_checkpoint)


@pytest.mark.usefixtures("guard")
def test_the_local_engine_restarts_the_flow_from_its_first_batch(spark, landing, killed_checkpoint):
    spark.conf.set(GUARD, session_confs()[GUARD])
    assert _count_per_minute(spark, landing, killed_checkpoint) == {0: 4, 1: 3, 2: 3}
    assert (killed_checkpoint / "commits" / "0").exists()
