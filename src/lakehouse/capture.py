"""Azure Event Hubs Capture files -> the fixed bronze schema (``lakehouse.source=eventhubs_capture``).

Event Hubs Capture writes every event of a hub to storage as Avro, one file per partition and time
window, under ``{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}``
(the default naming). Each record is the event as Event Hubs stored it: :data:`CAPTURE_AVRO_SCHEMA`.

On Databricks the folder is read by Auto Loader (``cloudFiles.format=avro``); locally by Spark's own
Avro file stream (the ``spark-avro`` package, fetched like Delta's jars). Both give the same rows,
and :func:`capture_to_bronze` maps them to bronze the same way:

===================  ===========================================================================
bronze column        from
===================  ===========================================================================
``raw_payload``      ``Body`` decoded as UTF-8 (the producer's JSON, exactly as sent)
``kafka_key``        the partition key (``SystemProperties['x-opt-partition-key']``), if any
``topic``            the Event Hub name, from the Capture path (NULL for a non-default layout)
``partition``        the partition id, from the Capture path (Capture records do not carry it)
``offset``           ``SequenceNumber``: the per-partition ordinal, what a Kafka offset is on
                     the Event Hubs Kafka endpoint (the Capture ``Offset`` is a byte position)
``kafka_timestamp``  ``EnqueuedTimeUtc`` (Capture writes ``M/d/yyyy h:mm:ss AM``; ISO accepted)
``file_path`` ...    the Avro file and its modification time
===================  ===========================================================================
"""

from __future__ import annotations

import json
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse import compat

# The schema Event Hubs Capture writes (record EventData, namespace Microsoft.ServiceBus.Messaging).
CAPTURE_AVRO_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "EventData",
    "namespace": "Microsoft.ServiceBus.Messaging",
    "fields": [
        {"name": "SequenceNumber", "type": "long"},
        {"name": "Offset", "type": "string"},
        {"name": "EnqueuedTimeUtc", "type": "string"},
        {"name": "SystemProperties", "type": {"type": "map", "values": ["long", "double", "string", "bytes"]}},
        {"name": "Properties", "type": {"type": "map", "values": ["long", "double", "string", "bytes"]}},
        {"name": "Body", "type": ["null", "bytes"]},
    ],
}

# What spark-avro makes of that schema: a union of several types becomes a struct of members.
_SYSTEM_VALUE = "struct<member0: bigint, member1: double, member2: string, member3: binary>"
CAPTURE_SPARK_SCHEMA = (
    "SequenceNumber bigint, Offset string, EnqueuedTimeUtc string, "
    f"SystemProperties map<string, {_SYSTEM_VALUE}>, Properties map<string, {_SYSTEM_VALUE}>, Body binary"
)

# {Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}.avro
_CAPTURE_PATH = r"/([^/]+)/([^/]+)/([0-9]+)/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2}/[0-9]{2}/[0-9]{2}[^/]*\.avro$"
_ENQUEUED_FORMATS = ("M/d/yyyy h:mm:ss a", "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSX", "yyyy-MM-dd'T'HH:mm:ssX")


def avro_schema_json() -> str:
    """The Capture schema as the ``avroSchema`` reader option takes it."""
    return json.dumps(CAPTURE_AVRO_SCHEMA)


def autoloader_capture_options(schema_location: str) -> dict[str, str]:
    """Auto Loader over a Capture container (Databricks): Avro with the fixed Capture schema.

    Capture folders nest seven levels deep; Auto Loader lists them recursively by default, and the
    empty files Capture writes for idle windows hold no records, so they add no rows.
    """
    return {
        "cloudFiles.format": "avro",
        "cloudFiles.schemaLocation": schema_location,
        "avroSchema": avro_schema_json(),
        "pathGlobFilter": "*.avro",
    }


def local_capture_options() -> dict[str, str]:
    """Spark's Avro file stream (open-source): the same schema, nested folders listed recursively."""
    return {"avroSchema": avro_schema_json(), "recursiveFileLookup": "true", "pathGlobFilter": "*.avro"}


def enqueued_time(col: Column) -> Column:
    """``EnqueuedTimeUtc`` as a timestamp (UTC); NULL when it has neither known form."""
    return F.coalesce(*[F.try_to_timestamp(col, F.lit(fmt)) for fmt in _ENQUEUED_FORMATS])


def capture_to_bronze(raw: DataFrame, ingested_at: Column) -> DataFrame:
    """Capture records in the fixed bronze schema (see the module docstring for each column)."""
    path = F.col("_metadata.file_path")
    return raw.select(
        F.decode(F.col("Body"), "UTF-8").alias("raw_payload"),
        F.col("SystemProperties").getItem("x-opt-partition-key").getField("member2").cast("string").alias("kafka_key"),
        F.nullif(F.regexp_extract(path, _CAPTURE_PATH, 2), F.lit("")).alias("topic"),
        F.nullif(F.regexp_extract(path, _CAPTURE_PATH, 3), F.lit("")).cast("int").alias("partition"),
        F.col("SequenceNumber").cast("bigint").alias("offset"),
        enqueued_time(F.col("EnqueuedTimeUtc")).alias("kafka_timestamp"),
        path.alias("file_path"),
        F.col("_metadata.file_modification_time").alias("file_modification_time"),
        ingested_at.alias("ingested_at"),
    )


def capture_stream(spark: SparkSession, folder: str) -> DataFrame:
    """The Capture files under ``folder`` as a stream: Auto Loader on Databricks, Spark's Avro source locally."""
    if compat.on_databricks():
        options = autoloader_capture_options(f"{folder.rstrip('/')}/_schemas")
        return spark.readStream.format("cloudFiles").options(**options).load(folder)
    return spark.readStream.format("avro").schema(CAPTURE_SPARK_SCHEMA).options(**local_capture_options()).load(folder)
