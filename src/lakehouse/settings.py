"""Typed pipeline settings, read once at the edge from the pipeline configuration.

Configuration flows one way: bundle variables -> pipeline ``configuration`` -> ``spark.conf`` ->
:class:`PipelineSettings` -> plain arguments of the pure transforms. Nothing below the pipeline files
reads ``spark.conf`` itself, so transforms stay testable without a pipeline runtime.

Keys every pipeline shares are listed in :data:`KEYS` with their defaults; each pipeline's own keys
live in ``lakehouse/<pipeline>/settings.py`` (its ``KEYS`` and a frozen ``<Pipeline>Settings``
dataclass). Values are validated when read, before Spark runs anything, with a message that names
the key and the form it expects. The bundle test checks that every key a pipeline reads is defined by
its resource and that a resource defines no unknown key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypedDict

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
}

SOURCE_KINDS = ("files", "kafka", "eventhubs", "autoloader", "eventhubs_capture")
# Sources that read a landing folder (one sub-folder per entity) rather than a broker.
FOLDER_SOURCES = ("files", "autoloader", "eventhubs_capture")

ConfGetter = Callable[[str, str | None], str | None]


class Conf(Protocol):
    """What settings need of ``spark.conf``: ``get(key, default)``; a plain dict-like works in tests."""

    def get(self, key: str, default: str | None = None) -> str | None: ...


_INTERVAL = re.compile(r"^\s*\d+\s+(second|minute|hour|day|week)s?\s*$", re.IGNORECASE)


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
    def from_conf(cls, conf: Conf) -> PipelineSettings:
        """Build settings from ``spark.conf`` (or any object with ``get(key, default)``)."""
        return cls(layers=read_layers(conf.get), source=read_source(conf.get))


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
    if kind in FOLDER_SOURCES:
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


class _StreamPosition(TypedDict):
    starting_offsets: str
    max_offsets_per_trigger: int
    fail_on_data_loss: bool


def _stream_position(get: ConfGetter) -> _StreamPosition:
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


def pipeline_setting(conf: Conf, keys: Mapping[str, str], key: str) -> str:
    """One pipeline-specific setting with the default its pipeline's ``KEYS`` registers."""
    if key not in keys:
        raise SettingsError(f"'{key}' is not a setting of this pipeline; known: {', '.join(sorted(keys))}")
    found = conf.get(key, keys[key])
    if found is None or found.strip() == "":
        raise SettingsError(f"pipeline configuration '{key}' is required but not set")
    return found.strip()


def as_interval(text: str, key: str) -> str:
    """``'10 minutes'`` as Spark's watermarks take it; anything else is refused with the key's name."""
    if not _INTERVAL.match(text):
        raise SettingsError(f"pipeline configuration '{key}' must be an interval like '10 minutes', got {text!r}")
    return " ".join(text.split()).lower()


def interval_setting(conf: Conf, keys: Mapping[str, str], key: str) -> str:
    """A pipeline-specific interval setting (a watermark), validated."""
    return as_interval(pipeline_setting(conf, keys, key), key)


def as_date(text: str, key: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise SettingsError(f"pipeline configuration '{key}' must be a date YYYY-MM-DD, got {text!r}") from None


def as_list(text: str) -> list[str]:
    """``'a, b,,c'`` -> ``['a', 'b', 'c']``."""
    return [item.strip() for item in text.split(",") if item.strip()]
