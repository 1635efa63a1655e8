"""Bronze streams: one function turns pipeline settings into the raw stream of an entity.

Whatever the source (a landing folder, Kafka, Azure Event Hubs, Event Hubs Capture files, Auto
Loader), bronze has one fixed schema (:data:`lakehouse.columns.BRONZE_COLUMNS`): the payload exactly
as received plus where it came from. Silver parses ``raw_payload``; nothing is parsed, filtered or
dropped here, so bronze keeps every record, malformed ones included. A landed file is split into its
records by its own shape (JSON lines, a JSON array, one document), the same way on both engines; a
0-byte file, which Spark's file sources never read, comes from :mod:`lakehouse.empty_files` as one
empty record.

The option builders are pure and unit-tested with their exact dicts, including the ones only
Databricks can run (Auto Loader, Event Hubs with a secret from a secret scope).
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse import compat, empty_files
from lakehouse.capture import capture_stream, capture_to_bronze
from lakehouse.file_records import json_records
from lakehouse.settings import EventHubsSettings, KafkaSettings, SourceSettings

# The Kafka login module is shaded on Databricks; open-source Spark uses the plain class name.
DATABRICKS_PLAIN_LOGIN = "kafkashaded.org.apache.kafka.common.security.plain.PlainLoginModule"
OSS_PLAIN_LOGIN = "org.apache.kafka.common.security.plain.PlainLoginModule"


def kafka_options(kafka: KafkaSettings) -> dict[str, str]:
    """Reader options for a plain Kafka topic; offsets and rate limits come from configuration."""
    return {
        "kafka.bootstrap.servers": kafka.bootstrap_servers,
        "subscribe": kafka.topic,
        "startingOffsets": kafka.starting_offsets,
        "maxOffsetsPerTrigger": str(kafka.max_offsets_per_trigger),
        "failOnDataLoss": str(kafka.fail_on_data_loss).lower(),
    }


def eventhubs_options(
    hubs: EventHubsSettings, connection_string: str, login_module: str = DATABRICKS_PLAIN_LOGIN
) -> dict[str, str]:
    """Event Hubs through its Kafka endpoint: SASL_SSL/PLAIN with the connection string as password.

    The connection string is an argument, fetched by :func:`lakehouse.compat.secret` from a secret
    scope at run time: it never lives in YAML or in the repository.
    """
    jaas = f'{login_module} required username="$ConnectionString" password="{connection_string}";'
    return {
        "kafka.bootstrap.servers": hubs.bootstrap_servers,
        "subscribe": hubs.hub,
        "kafka.group.id": hubs.consumer_group,
        "kafka.security.protocol": "SASL_SSL",
        "kafka.sasl.mechanism": "PLAIN",
        "kafka.sasl.jaas.config": jaas,
        "kafka.request.timeout.ms": "60000",
        "kafka.session.timeout.ms": "30000",
        "startingOffsets": hubs.starting_offsets,
        "maxOffsetsPerTrigger": str(hubs.max_offsets_per_trigger),
        "failOnDataLoss": str(hubs.fail_on_data_loss).lower(),
    }


def files_options() -> dict[str, str]:
    """Spark's file stream over a landing folder reads each file whole: bronze then splits it into
    records by the file's own shape (:mod:`lakehouse.file_records`), or keeps it whole."""
    return {"wholetext": "true", "encoding": "UTF-8"}


def autoloader_text_options() -> dict[str, str]:
    """Auto Loader (Databricks only) over whole text files, as the files source reads them."""
    return {"cloudFiles.format": "text", **files_options()}


def landing_folder(source: SourceSettings, entity: str) -> str:
    if not source.landing_path:
        raise ValueError("lakehouse.landing_path is required for file sources")
    return f"{source.landing_path.rstrip('/')}/{entity}"


def reads_empty_files(source: SourceSettings, folder: str | None = None) -> bool:
    """A landing folder the driver can list gets the 0-byte-file stream next to the file stream."""
    folder = folder or source.landing_path or ""
    return source.kind == "files" and empty_files.listable(folder)


def register_file_readers(spark: SparkSession, source: SourceSettings) -> None:
    """Registers :mod:`lakehouse.empty_files` when bronze will read it. A pipeline file calls this
    at its top level: the pipeline engine forbids it inside a dataset's query function."""
    if reads_empty_files(source):
        spark.dataSource.register(empty_files.EmptyFiles)


# How a landed file is cut into records: ``array<string>`` of a file's whole text.
Splitter = Callable[[Column], Column]


def read_bronze(
    spark: SparkSession,
    source: SourceSettings,
    entity: str,
    *,
    records: Splitter | None = json_records,
) -> DataFrame:
    """The raw stream of ``entity`` in the bronze schema, whatever ``lakehouse.source`` says.

    From files, one bronze row per record as ``records`` cuts each file (JSON records by default,
    :func:`lakehouse.file_records.csv_records` for CSV), or one per file with ``records=None``, for
    exports that are read as a whole.
    """
    ingested_at = F.current_timestamp()
    if source.kind == "kafka" and source.kafka is not None:
        raw = spark.readStream.format("kafka").options(**kafka_options(source.kafka)).load()
        return kafka_to_bronze(raw, ingested_at)
    if source.kind == "eventhubs" and source.eventhubs is not None:
        hubs = source.eventhubs
        connection = compat.secret(hubs.secret_scope, hubs.secret_key, env_var="EVENTHUBS_CONNECTION_STRING")
        login = DATABRICKS_PLAIN_LOGIN if compat.on_databricks() else OSS_PLAIN_LOGIN
        raw = spark.readStream.format("kafka").options(**eventhubs_options(hubs, connection, login)).load()
        return kafka_to_bronze(raw, ingested_at)
    folder = landing_folder(source, entity)
    if source.kind == "eventhubs_capture":
        return capture_to_bronze(capture_stream(spark, folder), ingested_at)
    if source.kind == "autoloader":
        compat.require_databricks("Auto Loader (source=autoloader)", "use source=files")
        raw = spark.readStream.format("cloudFiles").options(**autoloader_text_options()).load(folder)
    else:
        raw = spark.readStream.format("text").options(**files_options()).load(folder)
    bronze = text_to_bronze(raw, ingested_at) if records is None else records_to_bronze(raw, records, ingested_at)
    if reads_empty_files(source, folder):
        empty = spark.readStream.format(empty_files.NAME).load(folder)
        bronze = bronze.unionByName(empty_files_to_bronze(empty, ingested_at, whole=records is None))
    return bronze


def empty_files_to_bronze(empty: DataFrame, ingested_at: Column, whole: bool) -> DataFrame:
    """A 0-byte file (:mod:`lakehouse.empty_files`) as the file stream would give its one record: an
    empty payload, at position 0 of its file unless files are kept whole."""
    offset = F.lit(None).cast("bigint") if whole else F.lit(0).cast("bigint")
    return empty.select(
        F.lit("").alias("raw_payload"),
        F.lit(None).cast("string").alias("kafka_key"),
        F.lit(None).cast("string").alias("topic"),
        F.lit(None).cast("int").alias("partition"),
        offset.alias("offset"),
        F.lit(None).cast("timestamp").alias("kafka_timestamp"),
        F.col("file_path"),
        F.col("file_modification_time"),
        ingested_at.alias("ingested_at"),
    )


def kafka_to_bronze(raw: DataFrame, ingested_at: Column) -> DataFrame:
    """Kafka records keep key, value, topic, partition, offset and the broker timestamp."""
    return raw.select(
        F.col("value").cast("string").alias("raw_payload"),
        F.col("key").cast("string").alias("kafka_key"),
        F.col("topic"),
        F.col("partition").cast("int").alias("partition"),
        F.col("offset").cast("bigint").alias("offset"),
        F.col("timestamp").alias("kafka_timestamp"),
        F.lit(None).cast("string").alias("file_path"),
        F.lit(None).cast("timestamp").alias("file_modification_time"),
        ingested_at.alias("ingested_at"),
    )


def records_to_bronze(raw: DataFrame, split: Splitter, ingested_at: Column) -> DataFrame:
    """Whole files -> one row per record, ``offset`` its position in the file (from 0)."""
    records = raw.select(F.posexplode(split(F.col("value"))).alias("position", "value"), F.col("_metadata"))
    return text_to_bronze(records, ingested_at, offset=F.col("position").cast("bigint"))


def text_to_bronze(raw: DataFrame, ingested_at: Column, offset: Column | None = None) -> DataFrame:
    """Records (or whole files) of a landing folder keep their file path and modification time."""
    return raw.select(
        F.col("value").alias("raw_payload"),
        F.lit(None).cast("string").alias("kafka_key"),
        F.lit(None).cast("string").alias("topic"),
        F.lit(None).cast("int").alias("partition"),
        (F.lit(None).cast("bigint") if offset is None else offset).alias("offset"),
        F.lit(None).cast("timestamp").alias("kafka_timestamp"),
        F.col("_metadata.file_path").alias("file_path"),
        F.col("_metadata.file_modification_time").alias("file_modification_time"),
        ingested_at.alias("ingested_at"),
    )
