"""Settings of the characters pipeline, read once from the pipeline configuration."""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.settings import Conf, Layers, SourceSettings, pipeline_setting, read_layers, read_source, required

KEYS: dict[str, str] = {
    # The name of the HMAC key in the secret scope (``lakehouse.secrets.scope``); never the key itself.
    "lakehouse.characters.hash_key_secret": "pii-hash-key",
}

# Locally the key comes from this variable, the same one the users pipeline reads.
HASH_KEY_ENV_VAR = "LAKEHOUSE_PII_HASH_KEY"


@dataclass(frozen=True)
class CharactersSettings:
    layers: Layers
    source: SourceSettings
    secret_scope: str
    hash_key_secret: str

    @classmethod
    def from_conf(cls, conf: Conf) -> CharactersSettings:
        return cls(
            layers=read_layers(conf.get),
            source=read_source(conf.get),
            secret_scope=required(conf.get, "lakehouse.secrets.scope"),
            hash_key_secret=pipeline_setting(conf, KEYS, "lakehouse.characters.hash_key_secret"),
        )
