"""Builds bronze frames (the fixed bronze schema) from payload strings, for the transform tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pyspark.sql import DataFrame, SparkSession

BRONZE_DDL = (
    "raw_payload string, kafka_key string, topic string, partition int, offset bigint, "
    "kafka_timestamp timestamp, file_path string, file_modification_time timestamp, ingested_at timestamp"
)

INGESTED = datetime(2019, 12, 9, 12, 0, 0)


def bronze_frame(spark: SparkSession, payloads: Sequence[str]) -> DataFrame:
    rows = [(p, None, "orders", 0, i, None, None, None, INGESTED) for i, p in enumerate(payloads)]
    return spark.createDataFrame(rows, BRONZE_DDL)
