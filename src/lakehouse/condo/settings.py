"""Settings of the condo pipeline, read once from the pipeline configuration."""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.settings import Conf, Layers, SourceSettings, read_layers, read_source

# The condo pipeline has no keys of its own: layers and the landing folder are the shared ones.
KEYS: dict[str, str] = {}


@dataclass(frozen=True)
class CondoSettings:
    layers: Layers
    source: SourceSettings

    @classmethod
    def from_conf(cls, conf: Conf) -> CondoSettings:
        return cls(layers=read_layers(conf.get), source=read_source(conf.get))
