"""Settings of the chatbot pipeline, read once from the pipeline configuration."""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.chatbot.flows import parse_flow_views
from lakehouse.settings import Conf, Layers, SourceSettings, pipeline_setting, read_layers, read_source

KEYS: dict[str, str] = {
    "lakehouse.chatbot.flow_views": "F1000=name,cpf,delivery_confirmed;F2000=nota,recomenda",
}


@dataclass(frozen=True)
class ChatbotSettings:
    layers: Layers
    source: SourceSettings
    flow_views: dict[str, list[str]]

    @classmethod
    def from_conf(cls, conf: Conf) -> ChatbotSettings:
        return cls(
            layers=read_layers(conf.get),
            source=read_source(conf.get),
            flow_views=parse_flow_views(pipeline_setting(conf, KEYS, "lakehouse.chatbot.flow_views")),
        )
