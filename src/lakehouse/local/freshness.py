"""Which layers of a local pipeline are up to date, so a run does only the work its new input needs.

Every local run used to register and run every layer: with no new data, bronze still committed its
table properties, silver then ran an empty stateful batch (about 9 s) and gold recomputed every
materialized view from all of silver. Databricks skips such work (an unchanged source means an
unchanged materialized view); this is the local equivalent, decided from facts on disk alone:

- a layer is up to date when its *fingerprint* - its pipeline file, the ``lakehouse`` package,
  the configuration and the Spark version - is the one of its last successful run, its tables
  exist, and none of its *inputs* changed since: no commit that added or removed data on a table
  of an earlier layer (``_delta_log``, :mod:`lakehouse.local.delta_log`), and for bronze, reading
  files, the same landed files (name, size, modification time) as then;
- bronze of any other source (Kafka, Event Hubs) is never up to date: only the broker knows.

Each layer's record is written after it succeeded, with the inputs as they were when it started:
input that arrives during a run is new input for the next one. A killed layer keeps its older
record, so the next run does its work. ``--full-refresh`` ignores the records. Gold reads only
silver, and nothing reads the clock (``current_timestamp`` is bronze's arrival time only), so an
up-to-date layer's tables are exactly what running it again would leave.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import pyspark

import lakehouse
from lakehouse.local import delta_log, landing
from lakehouse.local.layers import Stage
from lakehouse.local.summary import touches_data

RECORDS_FILE = "layers.json"
LANDING_INPUT = "landing"


@dataclass(frozen=True)
class LayerRecord:
    """A layer's last successful run: its fingerprint, its inputs then, the tables it writes."""

    fingerprint: str
    inputs: dict[str, str]
    outputs: list[str]


def _package_digest() -> str:
    digest = hashlib.sha256()
    root = Path(lakehouse.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fingerprint(layer_file: Path, configuration: Mapping[str, str]) -> str:
    """What a layer computes with: changing any of it makes the layer run again."""
    digest = hashlib.sha256()
    digest.update(layer_file.read_bytes())
    digest.update(_package_digest().encode())
    digest.update(json.dumps(dict(configuration), sort_keys=True).encode())
    digest.update(pyspark.__version__.encode())
    return digest.hexdigest()


def landing_digest(configuration: Mapping[str, str]) -> str | None:
    """The landed files as a file source lists them; ``None`` when bronze does not read files."""
    if not landing.entity_folders(configuration):
        return None
    digest = hashlib.sha256()
    for path in landing.landed_files(configuration):
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def table_inputs(warehouse: Path, tables: Iterable[str]) -> dict[str, str]:
    """The latest version of each input table, as recorded before a layer runs."""
    return {table: str(delta_log.latest_version(warehouse, table)) for table in tables}


def layer_inputs(warehouse: Path, tables: Iterable[str], configuration: Mapping[str, str]) -> dict[str, str] | None:
    """A layer's inputs now: earlier layers' tables, or for bronze the landing folder; ``None`` when
    they cannot be known without the source (bronze reading a broker)."""
    tables = list(tables)
    if tables:
        return table_inputs(warehouse, tables)
    digest = landing_digest(configuration)
    return None if digest is None else {LANDING_INPUT: digest}


def _changed_since(warehouse: Path, table: str, version: int) -> bool:
    found = delta_log.commits(warehouse, table, version)
    return found is None or any(touches_data(commit) for commit in found)


def up_to_date(warehouse: Path, record: LayerRecord | None, current: str, inputs: Mapping[str, str] | None) -> bool:
    """Whether running the layer again could change nothing (see the module docstring)."""
    if record is None or inputs is None or record.fingerprint != current or set(record.inputs) != set(inputs):
        return False
    if not all(delta_log.latest_version(warehouse, table) >= 0 for table in record.outputs):
        return False
    for name, value in inputs.items():
        if name == LANDING_INPUT:
            if value != record.inputs[name]:
                return False
        elif _changed_since(warehouse, name, int(record.inputs[name])):
            return False
    return True


def load(folder: Path) -> dict[str, LayerRecord]:
    path = folder / RECORDS_FILE
    if not path.is_file():
        return {}
    return {layer: LayerRecord(**fields) for layer, fields in json.loads(path.read_text()).items()}


def save(folder: Path, records: Mapping[str, LayerRecord]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RECORDS_FILE
    tmp = path.with_name(f".{RECORDS_FILE}.tmp")
    tmp.write_text(json.dumps({layer: asdict(r) for layer, r in records.items()}, indent=2))
    tmp.replace(path)


def outputs_if_all_up_to_date(
    warehouse: Path, storage: Path, stages: Iterable[Stage], configuration: Mapping[str, str]
) -> list[str] | None:
    """Every table of the pipeline when all its layers are up to date (a run would do nothing, so it
    need not start Spark at all); ``None`` as soon as one layer has work to do. A layer's inputs are
    the tables of the stages before its own (:func:`lakehouse.local.layers.layer_stages`)."""
    records = load(storage)
    outputs: list[str] = []
    for stage in stages:
        inputs = layer_inputs(warehouse, outputs, configuration)
        for layer, file in stage:
            record = records.get(layer)
            if record is None or not up_to_date(warehouse, record, fingerprint(file, configuration), inputs):
                return None
            outputs += record.outputs
    return outputs
