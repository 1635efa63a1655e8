"""Settings of the users pipeline, read once from the pipeline configuration.

The PII hash key itself is no setting: only the name of its secret travels in the configuration
(``lakehouse.users.pii_hash_secret`` in the scope ``lakehouse.secrets.scope``); locally the key comes
from the environment variable :data:`PII_KEY_ENV`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.settings import (
    Conf,
    Layers,
    SourceSettings,
    pipeline_setting,
    read_layers,
    read_source,
    required,
)

KEYS: dict[str, str] = {
    "lakehouse.users.pii_hash_secret": "pii-hash-key",
}

PII_KEY_ENV = "LAKEHOUSE_PII_HASH_KEY"


@dataclass(frozen=True)
class UsersSettings:
    layers: Layers
    source: SourceSettings
    secret_scope: str
    pii_hash_secret: str

    @classmethod
    def from_conf(cls, conf: Conf) -> UsersSettings:
        return cls(
            layers=read_layers(conf.get),
            source=read_source(conf.get),
            secret_scope=required(conf.get, "lakehouse.secrets.scope"),
            pii_hash_secret=pipeline_setting(conf, KEYS, "lakehouse.users.pii_hash_secret"),
        )
