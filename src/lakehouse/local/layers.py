"""Which pipeline file belongs to which medallion layer, and in which order they run locally.

Open-source Spark 4.2 analyses some operators (``withWatermark``, ``dropDuplicates``, ``drop``)
while it *registers* a flow, against the catalog, not against the pipeline graph. A silver flow
that de-duplicates bronze therefore registers only once bronze exists as a table. Databricks
analyses the whole graph first and has no such limit, so there the pipeline is one graph; locally
each layer is registered and run as its own graph, in medallion order, inside one
``spark-pipelines`` process. Tables within a layer may read each other only through lazily
analysed operators (select, filter, joins, aggregations). A quarantine that checks records against
silver's finished table (:mod:`lakehouse.duplicates`) is a layer of its own, ``quarantine.py``, run
after silver.
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.errors import LakehouseError

# ``quarantine`` (optional) follows silver: it checks records against silver's finished table.
LAYER_ORDER = ("bronze", "silver", "quarantine", "gold")


class LayoutError(LakehouseError):
    """A pipeline folder does not follow the ``bronze.py`` / ``silver.py`` / ``gold.py`` layout."""


def layer_files(pipeline_dir: Path) -> list[tuple[str, Path]]:
    """``(layer, file)`` pairs in run order; every ``.py`` file must be named after its layer."""
    files = sorted(p for p in pipeline_dir.glob("*.py") if not p.name.startswith("_"))
    if not files:
        raise LayoutError(f"no pipeline files in {pipeline_dir}")
    unknown = [p.name for p in files if p.stem not in LAYER_ORDER]
    if unknown:
        raise LayoutError(
            f"{pipeline_dir}: files must be named after their layer ({', '.join(LAYER_ORDER)}); "
            f"found {', '.join(unknown)}"
        )
    by_layer = {p.stem: p for p in files}
    return [(layer, by_layer[layer]) for layer in LAYER_ORDER if layer in by_layer]


def layer_schemas(configuration: dict[str, str]) -> list[str]:
    """The schemas a pipeline's tables live in (a quarantine lives in the silver schema)."""
    return [configuration.get(f"lakehouse.schema.{layer}", layer) for layer in ("bronze", "silver", "gold")]
