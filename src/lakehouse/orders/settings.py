"""Settings of the orders pipeline, read once from the pipeline configuration."""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.settings import Conf, Layers, SourceSettings, interval_setting, read_layers, read_source

KEYS: dict[str, str] = {
    "lakehouse.orders.dedup_watermark": "10 minutes",
    "lakehouse.orders.panel_watermark": "1 minute",
}


@dataclass(frozen=True)
class OrdersSettings:
    layers: Layers
    source: SourceSettings
    dedup_watermark: str
    panel_watermark: str

    @classmethod
    def from_conf(cls, conf: Conf) -> OrdersSettings:
        return cls(
            layers=read_layers(conf.get),
            source=read_source(conf.get),
            dedup_watermark=interval_setting(conf, KEYS, "lakehouse.orders.dedup_watermark"),
            panel_watermark=interval_setting(conf, KEYS, "lakehouse.orders.panel_watermark"),
        )
