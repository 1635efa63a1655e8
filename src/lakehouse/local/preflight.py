"""Checks made before Spark starts, so that a mistake costs a second and reads as one line.

Everything here reads files only: settings are validated with the pipeline's own settings class,
overrides must name keys the pipeline knows, the landing folder must be the root (one sub-folder per
entity), and the home's record of the last successful run catches two silent failure modes of
streaming state - a landing folder swapped under existing checkpoints, and checkpoints deleted under
tables that still hold their data (which would read every file again and double the tables).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from lakehouse import settings as common
from lakehouse.errors import SettingsError, UserError
from lakehouse.local.bundle import LocalPipeline
from lakehouse.local.home import Home

STATE_FILE = "state.json"


def settings_module(pipeline_key: str) -> ModuleType:
    return importlib.import_module(f"lakehouse.{pipeline_key}.settings")


def known_keys(pipeline_key: str) -> set[str]:
    return set(common.KEYS) | set(settings_module(pipeline_key).KEYS)


def check_overrides(pipeline_key: str, overrides: Mapping[str, str]) -> None:
    """``--set`` may change a key the pipeline reads, or a Spark setting; a typo is refused."""
    keys = known_keys(pipeline_key)
    unknown = sorted(key for key in overrides if key not in keys and not key.startswith("spark."))
    if unknown:
        raise SettingsError(
            f"unknown configuration key {', '.join(repr(k) for k in unknown)} for pipeline {pipeline_key!r}; "
            f"valid keys: {', '.join(sorted(keys))}"
        )


def validate_settings(pipeline_key: str, configuration: Mapping[str, str]) -> None:
    """Build the pipeline's settings exactly as its pipeline files will, so bad values fail here."""
    module = settings_module(pipeline_key)
    settings_class: Any = getattr(module, f"{pipeline_key.title()}Settings")
    settings_class.from_conf(configuration)


def entities(configuration: Mapping[str, str]) -> list[str]:
    return common.as_list(configuration.get("lakehouse.entities") or "")


def check_landing(configuration: Mapping[str, str]) -> None:
    """``--landing landing/orders`` (the entity folder) would silently read an empty ``orders/orders``."""
    if configuration.get("lakehouse.source", "files") != "files":
        return
    landing = Path(configuration["lakehouse.landing_path"])
    for entity in entities(configuration):
        top = entity.split("/")[0]
        if landing.name == top and not (landing / top).exists() and any(landing.iterdir()):
            raise UserError(
                f"--landing {landing} looks like the {top!r} entity folder; give the landing root, "
                f"which holds one sub-folder per entity: --landing {landing.parent}"
            )


def _state_path(home: Home, pipeline: LocalPipeline) -> Path:
    return home.pipeline_dir(pipeline.key) / STATE_FILE


def checkpointed_tables(home: Home, pipeline: LocalPipeline) -> list[str]:
    """``schema.table`` of every streaming table that has a checkpoint in this home."""
    root = home.pipeline_dir(pipeline.key) / "storage" / "_checkpoints"
    return sorted(f"{table.parent.name}.{table.name}" for table in root.glob("*/*/*") if table.is_dir())


def _checkpoint_dir(home: Home, pipeline: LocalPipeline, table: str) -> Iterable[Path]:
    schema, _, name = table.partition(".")
    return (home.pipeline_dir(pipeline.key) / "storage" / "_checkpoints").glob(f"*/{schema}/{name}")


def check_state(home: Home, pipeline: LocalPipeline, configuration: Mapping[str, str], full_refresh: bool) -> None:
    """Refuse a run whose streaming state no longer matches its tables; ``--full-refresh`` rebuilds."""
    path = _state_path(home, pipeline)
    if full_refresh or not path.is_file():
        return
    state = json.loads(path.read_text())
    landing = configuration.get("lakehouse.landing_path")
    source = configuration.get("lakehouse.source")
    if state.get("source") == source == "files" and state.get("landing_path") != landing:
        raise UserError(
            f"this home's {pipeline.key} pipeline reads the landing folder {state.get('landing_path')}; "
            f"to read {landing} instead run with --full-refresh (tables are rebuilt from it) "
            "or use another LAKEHOUSE_HOME"
        )
    lost = [table for table in state.get("checkpointed", []) if not any(_checkpoint_dir(home, pipeline, table))]
    if lost:
        raise UserError(
            f"the streaming checkpoints of {', '.join(lost)} are missing although their tables were written: "
            "running on would read the source again and duplicate rows; run with --full-refresh to rebuild"
        )


def record_state(home: Home, pipeline: LocalPipeline, configuration: Mapping[str, str]) -> None:
    """What the next run checks against: the source it read and the tables that have checkpoints."""
    state = {
        "source": configuration.get("lakehouse.source"),
        "landing_path": configuration.get("lakehouse.landing_path"),
        "checkpointed": checkpointed_tables(home, pipeline),
    }
    _state_path(home, pipeline).write_text(json.dumps(state, indent=2))
