"""Typed pipeline settings, read once at the edge from the pipeline configuration.

Configuration flows one way: bundle variables -> pipeline ``configuration`` -> ``spark.conf`` ->
:class:`PipelineSettings` -> plain arguments of the pure transforms. Nothing below the pipeline files
reads ``spark.conf`` itself, so transforms stay testable without a pipeline runtime.

Every key is listed in :data:`KEYS` with its default; the bundle test checks that each key the code
reads is defined by every pipeline resource that needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lakehouse.errors import SettingsError

PREFIX = "lakehouse."

# key -> default (None: the resource must define it when the feature is used)
KEYS: dict[str, str | None] = {
    "lakehouse.schema.bronze": "bronze",
    "lakehouse.schema.silver": "silver",
    "lakehouse.schema.gold": "gold",
    "lakehouse.source": "files",
    "lakehouse.landing_path": None,
    "lakehouse.kafka.bootstrap_servers": "127.0.0.1:9092",
    "lakehouse.kafka.topic": None,
    "lakehouse.kafka.starting_offsets": "earliest",
    "lakehouse.kafka.max_offsets_per_trigger": "100000",
    "lakehouse.kafka.fail_on_data_loss": "true",
    "lakehouse.eventhubs.namespace": "",
    "lakehouse.eventhubs.hub": "",
    "lakehouse.eventhubs.consumer_group": "$Default",
    "lakehouse.secrets.scope": "lakehouse",
    "lakehouse.secrets.eventhubs_key": "eventhubs-connection-string",
    "lakehouse.entities": None,
    # orders pipeline
    "lakehouse.orders.dedup_watermark": "10 minutes",
    "lakehouse.orders.panel_watermark": "1 minute",
    # notifications pipeline
    "lakehouse.notifications.dedup_watermark": "10 minutes",
    "lakehouse.notifications.panel_watermark": "2 minutes",
    "lakehouse.notifications.channels": "whatsapp,sms,email",
    "lakehouse.notifications.tariff": "whatsapp=0.04",
    # billing pipeline
    "lakehouse.billing.reference_date": "2020-01-01",
    # chatbot pipeline
    "lakehouse.chatbot.flow_views": "F1000=name,cpf,delivery_confirmed;F2000=nota,recomenda",
}

SOURCE_KINDS = ("files", "kafka", "eventhubs", "autoloader")

ConfGetter = Callable[[str, str | None], str | None]


@dataclass(frozen=True)
class Layers:
    """Schema names of the medallion layers; dev targets prefix them, so they are never literals."""

    bronze: str = "bronze"
    silver: str = "silver"
    gold: str = "gold"

    def bronze_table(self, name: str) -> str:
        return f"{self.bronze}.{name}"

    def silver_table(self, name: str) -> str:
        return f"{self.silver}.{name}"

    def gold_table(self, name: str) -> str:
        return f"{self.gold}.{name}"


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str
    topic: str
    starting_offsets: str = "earliest"
    max_offsets_per_trigger: int = 100_000
    fail_on_data_loss: bool = True


@dataclass(frozen=True)
class EventHubsSettings:
    namespace: str
    hub: str
    consumer_group: str = "$Default"
    secret_scope: str = "lakehouse"
    secret_key: str = "eventhubs-connection-string"
    starting_offsets: str = "earliest"
    max_offsets_per_trigger: int = 100_000
    fail_on_data_loss: bool = True

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.namespace}.servicebus.windows.net:9093"


@dataclass(frozen=True)
class SourceSettings:
    kind: str
    landing_path: str | None
    kafka: KafkaSettings | None = None
    eventhubs: EventHubsSettings | None = None


@dataclass(frozen=True)
class PipelineSettings:
    layers: Layers
    source: SourceSettings

    @classmethod
    def from_conf(cls, conf: object) -> PipelineSettings:
        """Build settings from ``spark.conf`` (or any object with ``get(key, default)``)."""
        get: ConfGetter = conf.get  # type: ignore[attr-defined]
        return cls(layers=read_layers(get), source=read_source(get))


def value(get: ConfGetter, key: str) -> str | None:
    """The configured value of ``key``, or its default from :data:`KEYS`."""
    return get(key, KEYS.get(key))


def required(get: ConfGetter, key: str) -> str:
    found = value(get, key)
    if found is None or found == "":
        raise SettingsError(f"pipeline configuration '{key}' is required but not set")
    return found


def as_bool(text: str, key: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise SettingsError(f"pipeline configuration '{key}' must be true or false, got {text!r}")


def as_int(text: str, key: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise SettingsError(f"pipeline configuration '{key}' must be an integer, got {text!r}") from None


def read_layers(get: ConfGetter) -> Layers:
    return Layers(
        bronze=required(get, "lakehouse.schema.bronze"),
        silver=required(get, "lakehouse.schema.silver"),
        gold=required(get, "lakehouse.schema.gold"),
    )


def read_source(get: ConfGetter) -> SourceSettings:
    kind = required(get, "lakehouse.source")
    if kind not in SOURCE_KINDS:
        raise SettingsError(f"lakehouse.source must be one of {', '.join(SOURCE_KINDS)}; got {kind!r}")
    if kind in ("files", "autoloader"):
        return SourceSettings(kind=kind, landing_path=required(get, "lakehouse.landing_path"))
    stream = _stream_position(get)
    if kind == "kafka":
        kafka = KafkaSettings(
            bootstrap_servers=required(get, "lakehouse.kafka.bootstrap_servers"),
            topic=required(get, "lakehouse.kafka.topic"),
            **stream,
        )
        return SourceSettings(kind=kind, landing_path=value(get, "lakehouse.landing_path"), kafka=kafka)
    eventhubs = EventHubsSettings(
        namespace=required(get, "lakehouse.eventhubs.namespace"),
        hub=required(get, "lakehouse.eventhubs.hub"),
        consumer_group=required(get, "lakehouse.eventhubs.consumer_group"),
        secret_scope=required(get, "lakehouse.secrets.scope"),
        secret_key=required(get, "lakehouse.secrets.eventhubs_key"),
        **stream,
    )
    return SourceSettings(kind=kind, landing_path=value(get, "lakehouse.landing_path"), eventhubs=eventhubs)


def _stream_position(get: ConfGetter) -> dict[str, object]:
    """Offsets and rate limits shared by Kafka and Event Hubs (same Kafka reader underneath)."""
    return {
        "starting_offsets": required(get, "lakehouse.kafka.starting_offsets"),
        "max_offsets_per_trigger": as_int(
            required(get, "lakehouse.kafka.max_offsets_per_trigger"),
            "lakehouse.kafka.max_offsets_per_trigger",
        ),
        "fail_on_data_loss": as_bool(
            required(get, "lakehouse.kafka.fail_on_data_loss"), "lakehouse.kafka.fail_on_data_loss"
        ),
    }


def setting(conf: object, key: str) -> str:
    """One pipeline-specific setting (e.g. a watermark) with its registered default."""
    get: ConfGetter = conf.get  # type: ignore[attr-defined]
    return required(get, key)
