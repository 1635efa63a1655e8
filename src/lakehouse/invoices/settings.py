"""Settings of the invoices pipeline, read once from the pipeline configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lakehouse.settings import Conf, Layers, SourceSettings, as_date, pipeline_setting, read_layers, read_source

KEYS: dict[str, str] = {
    "lakehouse.invoices.reference_date": "2020-01-01",
}


@dataclass(frozen=True)
class InvoicesSettings:
    layers: Layers
    source: SourceSettings
    reference_date: date

    @classmethod
    def from_conf(cls, conf: Conf) -> InvoicesSettings:
        key = "lakehouse.invoices.reference_date"
        return cls(
            layers=read_layers(conf.get),
            source=read_source(conf.get),
            reference_date=as_date(pipeline_setting(conf, KEYS, key), key),
        )
