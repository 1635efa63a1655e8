"""The bundle as Databricks would load it: typed models, globs that match, configuration complete."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from databricks.bundles.jobs import Job
from databricks.bundles.pipelines import Pipeline

from lakehouse.local import bundle
from lakehouse.local.layers import layer_files
from lakehouse.settings import KEYS

ROOT = Path(__file__).resolve().parents[2]
COMMON_KEYS = {k for k in KEYS if k.split(".")[1] in {"schema", "source", "landing_path", "entities"}}


def resources(kind: str) -> dict[str, tuple[Path, dict]]:
    found = {}
    for path in sorted((ROOT / "resources").glob("*.yml")):
        for key, spec in ((yaml.safe_load(path.read_text()).get("resources") or {}).get(kind) or {}).items():
            found[key] = (path, spec)
    return found


PIPELINES = resources("pipelines")
JOBS = resources("jobs")


def keys_of_pipeline(key: str) -> set[str]:
    """The pipeline's own configuration keys: ``KEYS`` of ``lakehouse.<pipeline>.settings``."""
    return set(importlib.import_module(f"lakehouse.{key}.settings").KEYS)


def test_every_pipeline_folder_has_its_logic_package_one_hop_away():
    for key, (path, spec) in PIPELINES.items():
        folder = (path.parent / spec["libraries"][0]["glob"]["include"].removesuffix("/**")).resolve()
        package = ROOT / "src" / "lakehouse" / folder.name
        assert folder.name == key, f"{path.name}: the pipeline folder must be named after the resource key"
        for layer, _ in layer_files(folder):
            if layer != "bronze":
                assert (package / f"{layer}.py").is_file(), f"{folder}/{layer}.py has no lakehouse/{key}/{layer}.py"


def test_the_bundle_has_pipelines_and_jobs():
    assert "orders" in PIPELINES
    assert any(spec.get("tasks") for _, spec in JOBS.values())


@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_pipeline_resources_load_as_databricks_bundles_models(key):
    _, spec = PIPELINES[key]
    model = Pipeline.from_dict(spec)
    assert model.serverless is True
    assert model.environment.dependencies == ["--editable ${workspace.file_path}"]


@pytest.mark.parametrize("key", sorted(JOBS))
def test_job_resources_load_and_point_at_bundle_pipelines(key):
    _, spec = JOBS[key]
    model = Job.from_dict(spec)
    assert model.email_notifications.on_failure
    for task in spec["tasks"]:
        assert task.get("max_retries", 0) >= 1
        if "pipeline_task" in task:
            pipeline = task["pipeline_task"]["pipeline_id"].removeprefix("${resources.pipelines.").removesuffix(".id}")
            assert pipeline in PIPELINES


@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_library_globs_match_layer_files(key):
    path, spec = PIPELINES[key]
    include = spec["libraries"][0]["glob"]["include"]
    folder = (path.parent / include.removesuffix("/**")).resolve()
    assert next(layer for layer, _ in layer_files(folder)) == "bronze"


@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_every_configuration_key_the_code_reads_is_defined(key):
    path, spec = PIPELINES[key]
    configuration = set(spec.get("configuration") or {})
    missing = (COMMON_KEYS | keys_of_pipeline(key)) - configuration
    assert not missing, f"{path.name}: configuration lacks {sorted(missing)}"
    unknown = configuration - set(KEYS) - keys_of_pipeline(key)
    assert not unknown, f"{path.name}: keys no code reads: {sorted(unknown)}"


def test_every_variable_a_resource_uses_is_declared():
    declared = set(bundle.variables(ROOT))
    for path in (ROOT / "resources").glob("*.yml"):
        used = set(bundle.REFERENCE.findall(path.read_text()))
        names = {ref.removeprefix("var.") for ref in used if ref.startswith("var.")}
        assert names <= declared, f"{path.name}: undeclared {sorted(names - declared)}"


def test_targets_dev_is_default_development_and_prod_runs_as_a_service_principal():
    targets = yaml.safe_load((ROOT / "databricks.yml").read_text())["targets"]
    assert targets["dev"]["mode"] == "development" and targets["dev"]["default"] is True
    assert targets["prod"]["mode"] == "production"
    assert targets["prod"]["run_as"] == {"service_principal_name": "${var.service_principal}"}
    assert targets["prod"]["permissions"]


def test_the_local_target_resolves_every_pipeline_for_a_local_run():
    resolved = bundle.pipelines(ROOT)
    orders = resolved["orders"]
    assert orders.configuration["lakehouse.source"] == "files"
    assert orders.configuration["lakehouse.landing_path"] == "fixtures"
    assert orders.folder == ROOT / "src" / "pipelines" / "orders"
    assert "${" not in str(orders.configuration)


def test_an_unknown_variable_is_a_clear_error(tmp_path):
    (tmp_path / "databricks.yml").write_text("bundle: {name: x}\ninclude: [resources/*.yml]\n")
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "p.yml").write_text(
        "resources:\n  pipelines:\n    p:\n      libraries: [{glob: {include: ../src/**}}]\n"
        "      configuration: {lakehouse.source: '${var.nope}'}\n"
    )
    with pytest.raises(bundle.BundleError, match="unknown variable 'nope'"):
        bundle.pipelines(tmp_path)


def test_schema_references_resolve_locally_to_the_schema_resources_names():
    schemas = bundle.resources(ROOT, "schemas")
    layers = {"bronze", "silver", "gold"}
    assert layers <= set(schemas)
    for target in ("local", "dev"):
        values = bundle.variables(ROOT, target)
        for pipeline in bundle.pipelines(ROOT, target).values():
            for layer in layers:
                expected = bundle.resolve(schemas[layer]["name"], values, ROOT, layer)
                assert pipeline.configuration[f"lakehouse.schema.{layer}"] == expected
    orders = bundle.pipelines(ROOT)["orders"].configuration
    assert (orders["lakehouse.schema.bronze"], orders["lakehouse.schema.gold"]) == ("bronze", "gold")
    assert bundle.pipelines(ROOT, "dev")["orders"].configuration["lakehouse.schema.gold"] == "local_gold"


def _bundle_with(tmp_path, configuration: str, schemas: str = "") -> Path:
    (tmp_path / "databricks.yml").write_text(
        "bundle: {name: x}\ninclude: [resources/*.yml]\n"
        "variables: {gold_schema: {default: g}, prefix: {default: '${var.user}'}, user: {default: ana}}\n"
    )
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "p.yml").write_text(
        "resources:\n  pipelines:\n    p:\n      libraries: [{glob: {include: ../src/**}}]\n"
        f"      configuration: {{lakehouse.schema.gold: '{configuration}'}}\n"
    )
    (tmp_path / "resources" / "s.yml").write_text(
        schemas or "resources:\n  schemas:\n    gold: {name: '${var.gold_schema}'}\n"
    )
    return tmp_path


def test_a_schema_reference_follows_nested_variables(tmp_path):
    root = _bundle_with(
        tmp_path, "${resources.schemas.gold.name}", "resources: {schemas: {gold: {name: '${var.prefix}_g'}}}"
    )
    assert bundle.pipelines(root)["p"].configuration["lakehouse.schema.gold"] == "ana_g"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("${resources.schemas.platinum.name}", "refers to no resources.schemas.platinum"),
        ("${resources.schemas.gold.grants}", "has no plain field 'grants'"),
        ("${resources.pipelines.p.id}", "cannot be resolved for a local run"),
    ],
)
def test_a_reference_a_local_run_cannot_stand_in_for_is_a_clear_error(tmp_path, reference, message):
    root = _bundle_with(tmp_path, reference)
    with pytest.raises(bundle.BundleError, match=message):
        bundle.pipelines(root)


def test_a_reference_cycle_is_a_clear_error(tmp_path):
    root = _bundle_with(
        tmp_path,
        "${resources.schemas.gold.name}",
        "resources: {schemas: {gold: {name: '${resources.schemas.gold.name}'}}}",
    )
    with pytest.raises(bundle.BundleError, match="nest more than"):
        bundle.pipelines(root)
