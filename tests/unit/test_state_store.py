"""Streaming state in RocksDB (``session_confs``), and checkpoints written before keep their provider.

Runs a de-duplicating stream, as silver does, under the engine's settings: a new checkpoint writes
RocksDB changelogs; one started under the default provider goes on with it after the switch, and
its state still remembers the ids it saw.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyspark.sql import SparkSession

from lakehouse.local.home import session_confs
from tests.unit.streams import write_available

PROVIDER = "spark.sql.streaming.stateStore.providerClass"
HDFS_STATE_STORE = "org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider"
STATE_CONFS = {key: value for key, value in session_confs().items() if key.startswith("spark.sql.streaming.state")}


@contextmanager
def settings(spark: SparkSession, confs: dict[str, str]) -> Iterator[None]:
    saved = {key: spark.conf.get(key, None) for key in confs}
    for key, value in confs.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def deduplicate(spark: SparkSession, folder: Path, ids: list[str]) -> list[str]:
    """Land ``ids`` as one more file and run silver's kind of de-duplication over what is new."""
    landing = folder / "landing"
    spark.createDataFrame([(i,) for i in ids], "id string").coalesce(1).write.mode("append").parquet(str(landing))
    stream = spark.readStream.schema("id string").parquet(str(landing)).dropDuplicates(["id"])
    write_available(stream, folder / "kept", folder / "checkpoint")
    return sorted(row.id for row in spark.read.parquet(str(folder / "kept")).collect())


def state_files(folder: Path, suffix: str) -> list[Path]:
    return sorted((folder / "checkpoint" / "state").rglob(f"*{suffix}"))


def test_a_new_checkpoint_keeps_its_state_in_rocksdb(spark, tmp_path):
    with settings(spark, STATE_CONFS):
        assert deduplicate(spark, tmp_path, ["a", "b", "a"]) == ["a", "b"]
        assert deduplicate(spark, tmp_path, ["b", "c"]) == ["a", "b", "c"]
    assert state_files(tmp_path, ".changelog"), "RocksDB with changelog checkpointing writes changelogs"
    assert not state_files(tmp_path, ".delta")


def test_a_checkpoint_started_before_goes_on_with_its_own_provider(spark, tmp_path):
    with settings(spark, {PROVIDER: HDFS_STATE_STORE}):
        assert deduplicate(spark, tmp_path, ["a", "b"]) == ["a", "b"]
    with settings(spark, STATE_CONFS):
        assert deduplicate(spark, tmp_path, ["b", "c"]) == ["a", "b", "c"], "the state remembered b"
    assert len(state_files(tmp_path, ".delta")) >= 2, "both batches wrote the default provider's files"
    assert not state_files(tmp_path, ".changelog")
