from __future__ import annotations

import pytest

from lakehouse import sources
from lakehouse.columns import BRONZE_COLUMNS
from lakehouse.errors import NotOnDatabricksError
from lakehouse.settings import EventHubsSettings, KafkaSettings, PipelineSettings, SettingsError


class Conf(dict):
    """Stands in for ``spark.conf`` (same ``get(key, default)`` contract)."""

    def get(self, key, default=None):  # type: ignore[override]
        return super().get(key, default)


def test_defaults_give_the_files_source_and_plain_layer_names():
    settings = PipelineSettings.from_conf(Conf({"lakehouse.landing_path": "/landing"}))
    assert settings.source.kind == "files"
    assert settings.layers.silver_table("order_lines") == "silver.order_lines"


def test_dev_targets_prefix_layer_schemas():
    conf = Conf({"lakehouse.landing_path": "/l", "lakehouse.schema.gold": "ana_gold"})
    assert PipelineSettings.from_conf(conf).layers.gold_table("x") == "ana_gold.x"


def test_an_unknown_source_is_a_clear_error():
    with pytest.raises(SettingsError, match=r"lakehouse\.source must be one of"):
        PipelineSettings.from_conf(Conf({"lakehouse.source": "ftp"}))


def test_the_kafka_source_needs_a_topic():
    with pytest.raises(SettingsError, match=r"'lakehouse\.kafka\.topic' is required"):
        PipelineSettings.from_conf(Conf({"lakehouse.source": "kafka"}))


def test_a_malformed_rate_limit_names_its_key():
    conf = Conf(
        {"lakehouse.source": "kafka", "lakehouse.kafka.topic": "t", "lakehouse.kafka.max_offsets_per_trigger": "lots"}
    )
    with pytest.raises(SettingsError, match="max_offsets_per_trigger"):
        PipelineSettings.from_conf(conf)


def test_kafka_options():
    kafka = KafkaSettings("127.0.0.1:9092", "orders", "latest", 500, False)
    assert sources.kafka_options(kafka) == {
        "kafka.bootstrap.servers": "127.0.0.1:9092",
        "subscribe": "orders",
        "startingOffsets": "latest",
        "maxOffsetsPerTrigger": "500",
        "failOnDataLoss": "false",
    }


def test_eventhubs_options_use_the_kafka_endpoint_with_sasl_plain():
    hubs = EventHubsSettings(namespace="shop-ns", hub="orders", consumer_group="lakehouse")
    secret = "Endpoint=sb://shop-ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=abc="
    assert sources.eventhubs_options(hubs, secret) == {
        "kafka.bootstrap.servers": "shop-ns.servicebus.windows.net:9093",
        "subscribe": "orders",
        "kafka.group.id": "lakehouse",
        "kafka.security.protocol": "SASL_SSL",
        "kafka.sasl.mechanism": "PLAIN",
        "kafka.sasl.jaas.config": "kafkashaded.org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="$ConnectionString" password="{secret}";',
        "kafka.request.timeout.ms": "60000",
        "kafka.session.timeout.ms": "30000",
        "startingOffsets": "earliest",
        "maxOffsetsPerTrigger": "100000",
        "failOnDataLoss": "true",
    }


def test_autoloader_reads_whole_text_files_for_exports_and_refuses_locally(spark, tmp_path):
    assert sources.autoloader_text_options() == {"cloudFiles.format": "text", "wholetext": "true", "encoding": "UTF-8"}
    conf = Conf({"lakehouse.landing_path": str(tmp_path), "lakehouse.source": "autoloader"})
    with pytest.raises(NotOnDatabricksError, match="use source=files"):
        sources.read_bronze(spark, PipelineSettings.from_conf(conf).source, "condo/imoveis", records=None)


def test_files_options():
    assert sources.files_options() == {"wholetext": "true", "encoding": "UTF-8"}


def test_file_lines_land_in_bronze_with_their_file(spark, tmp_path):
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "a.jsonl").write_text('{"a": 1}\nnot json\n')
    settings = PipelineSettings.from_conf(Conf({"lakehouse.landing_path": str(tmp_path)}))
    sources.register_file_readers(spark, settings.source)
    stream = sources.read_bronze(spark, settings.source, "orders")
    query = stream.writeStream.format("memory").queryName("bronze_files").trigger(availableNow=True).start()
    query.awaitTermination()
    rows = spark.table("bronze_files").orderBy("offset").collect()
    assert [(r.offset, r.raw_payload) for r in rows] == [(0, '{"a": 1}'), (1, "not json")]
    assert all(r.file_path.endswith("/orders/a.jsonl") and r.ingested_at is not None for r in rows)
    assert tuple(spark.table("bronze_files").columns) == BRONZE_COLUMNS
