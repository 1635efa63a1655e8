"""Which pipeline file belongs to which medallion layer, and in which order they run locally.

Open-source Spark 4.2 analyses some operators (``withWatermark``, ``dropDuplicates``, ``drop``)
while it *registers* a flow, against the catalog, not against the pipeline graph. A silver flow
that de-duplicates bronze therefore registers only once bronze exists as a table. Databricks
analyses the whole graph first and has no such limit, so there the pipeline is one graph; locally
the layers are registered and run as graphs of their own, in medallion order, inside one
``spark-pipelines`` process. Tables within a layer may read each other only through lazily
analysed operators (select, filter, joins, aggregations). A quarantine that checks records against
silver's finished table (:mod:`lakehouse.duplicates`) is a layer of its own, ``quarantine.py``, run
after silver.

Layers that do not read each other share a graph (a *stage*): the quarantine reads bronze and
silver, gold reads silver only, so both run side by side once silver is done, and one graph fewer
is registered and wound down (1-2 s each). Over 694,000 notification events the two took 39 s
together against 41 s one after the other: the machine's two cores were already busy. Gold must
therefore not read the quarantine (``tests/unit/test_layers.py`` holds every ``gold.py`` to it).
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.errors import LakehouseError

# ``quarantine`` (optional) follows silver: it checks records against silver's finished table.
LAYER_ORDER = ("bronze", "silver", "quarantine", "gold")
# The stage each layer runs in; a stage's layers share one graph (see the module docstring).
STAGE = {"bronze": 0, "silver": 1, "quarantine": 2, "gold": 2}

Stage = list[tuple[str, Path]]


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


def layer_stages(pipeline_dir: Path) -> list[Stage]:
    """:func:`layer_files` grouped into the stages that run one after another, each as one graph."""
    stages: dict[int, Stage] = {}
    for layer, file in layer_files(pipeline_dir):
        stages.setdefault(STAGE[layer], []).append((layer, file))
    return [stages[index] for index in sorted(stages)]


def layer_schemas(configuration: dict[str, str]) -> list[str]:
    """The schemas a pipeline's tables live in (a quarantine lives in the silver schema)."""
    return [configuration.get(f"lakehouse.schema.{layer}", layer) for layer in ("bronze", "silver", "gold")]
