"""Settings of the notifications pipeline, read once from the pipeline configuration."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lakehouse.notifications.tariff import parse_tariff
from lakehouse.settings import (
    Conf,
    Layers,
    SourceSettings,
    as_list,
    interval_setting,
    pipeline_setting,
    read_layers,
    read_source,
)

KEYS: dict[str, str] = {
    "lakehouse.notifications.dedup_watermark": "10 minutes",
    "lakehouse.notifications.panel_watermark": "2 minutes",
    "lakehouse.notifications.channels": "whatsapp,sms,email",
    "lakehouse.notifications.tariff": "whatsapp=0.04",
}


@dataclass(frozen=True)
class NotificationsSettings:
    layers: Layers
    source: SourceSettings
    dedup_watermark: str
    panel_watermark: str
    channels: tuple[str, ...]
    tariff: dict[str, Decimal]

    @classmethod
    def from_conf(cls, conf: Conf) -> NotificationsSettings:
        def get(key: str) -> str:
            return pipeline_setting(conf, KEYS, key)

        return cls(
            layers=read_layers(conf.get),
            source=read_source(conf.get),
            dedup_watermark=interval_setting(conf, KEYS, "lakehouse.notifications.dedup_watermark"),
            panel_watermark=interval_setting(conf, KEYS, "lakehouse.notifications.panel_watermark"),
            channels=tuple(as_list(get("lakehouse.notifications.channels"))),
            tariff=parse_tariff(get("lakehouse.notifications.tariff")),
        )
