"""The real Databricks CLI accepts the bundle, strictly, for every target and as every identity.

Runs the pinned CLI release (see conftest) against the stub workspace: the files against the CLI's
own JSON schema, ``bundle validate --strict`` per target as a developer and as the target's
``run_as`` identity, ``bundle summary``, and the resolved configuration (``validate -o json``):
schedules, Unity Catalog grants, the schemas pipelines write to.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from lakehouse.local.bundle import LOCAL_TARGET
from tests.bundle.cli import (
    CLI_VERSION,
    DEVELOPER,
    ROOT,
    SERVICE_PRINCIPAL,
    Cli,
    deployable_targets,
    run_as,
    targets,
    undeployable,
)

pytestmark = pytest.mark.bundle

LAYERS = ("bronze", "silver", "gold")
RESOURCE_REF = re.compile(r"\$\{resources\.(\w+)\.(\w+)\.(\w+)\}")
IDENTITY_PAIRS = sorted(
    {(target, who) for target in deployable_targets() for who in (DEVELOPER, run_as(target))},
    key=lambda pair: (pair[0], pair[1].user_name),
)


def bundle_files() -> list[Path]:
    return [ROOT / "databricks.yml", *sorted((ROOT / "resources").glob("*.yml"))]


def resolve_resource_refs(text: str, rendered: dict[str, Any]) -> str:
    """``${resources.schemas.gold.name}`` -> that field of the rendered resource (the CLI leaves them)."""
    return RESOURCE_REF.sub(lambda m: str(rendered["resources"][m[1]][m[2]][m[3]]), text)


def grants_of(resource: dict[str, Any]) -> dict[str, set[str]]:
    return {grant["principal"]: set(grant["privileges"]) for grant in resource.get("grants") or []}


def test_the_cli_is_the_pinned_release(cli: Cli) -> None:
    done = cli("--version")
    assert done.returncode == 0 and f"v{CLI_VERSION}" in done.stdout


@pytest.mark.parametrize("path", bundle_files(), ids=lambda p: p.name)
def test_bundle_files_match_the_clis_schema(cli: Cli, path: Path, bundle_schema: dict[str, Any]) -> None:
    document = yaml.safe_load(path.read_text())
    errors = sorted(Draft202012Validator(bundle_schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:10])


@pytest.fixture(scope="module")
def bundle_schema(cli: Cli) -> dict[str, Any]:
    done = cli("bundle", "schema", variables={})
    assert done.returncode == 0, done.stderr
    schema: dict[str, Any] = json.loads(done.stdout)
    Draft202012Validator.check_schema(schema)
    return schema


def test_the_schema_check_catches_a_wrong_field(bundle_schema: dict[str, Any]) -> None:
    wrong = {"resources": {"pipelines": {"p": {"serverless": "yes please", "libraries": "none"}}}}
    assert list(Draft202012Validator(bundle_schema).iter_errors(wrong))


@pytest.mark.parametrize(
    ("target", "who"),
    IDENTITY_PAIRS,
    ids=[f"{t}-{'developer' if w == DEVELOPER else 'run_as'}" for t, w in IDENTITY_PAIRS],
)
def test_validate_strict_is_clean(cli: Cli, target: str, who: Any) -> None:
    done = cli("bundle", "validate", "--strict", "-t", target, who=who)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "Validation OK!" in done.stdout
    assert f"User: {who.user_name}" in done.stdout  # the stub's Me answered as this identity
    assert not done.stderr.strip(), done.stderr  # no warning, recommendation or log line at all


def test_every_target_is_validated_or_refused() -> None:
    """Every target is deployable and validated above, except the local runner's, which is refused below."""
    assert {name for name, spec in targets().items() if undeployable(spec)} == {LOCAL_TARGET}
    assert set(deployable_targets()) | {LOCAL_TARGET} == set(targets())
    assert {"dev", "prod"} <= set(deployable_targets())


@pytest.mark.parametrize("target", deployable_targets())
def test_summary_lists_every_resource(cli: Cli, target: str) -> None:
    done = cli("bundle", "summary", "-t", target)
    assert done.returncode == 0, done.stderr
    assert not done.stderr.strip(), done.stderr
    for kind, resources in cli.rendered(target)["resources"].items():
        for key in resources:
            assert f"    {key}:" in done.stdout, f"summary -t {target} lacks {kind}.{key}"


def test_prod_without_a_service_principal_fails_clearly(cli: Cli) -> None:
    done = cli("bundle", "validate", "-t", "prod", who=SERVICE_PRINCIPAL, variables={})
    assert done.returncode != 0
    assert "no value assigned to required variable service_principal" in done.stdout + done.stderr


def test_prod_deploys_once_into_the_service_principals_folder(cli: Cli) -> None:
    prod = cli.rendered("prod")
    sp = SERVICE_PRINCIPAL.user_name
    assert prod["workspace"]["root_path"] == f"/Workspace/Users/{sp}/.bundle/realtime-lakehouse/prod"
    assert {"service_principal_name": sp, "level": "CAN_MANAGE"} in prod["permissions"]
    assert prod["run_as"] == {"service_principal_name": sp}
    for pipeline in prod["resources"]["pipelines"].values():
        assert pipeline["run_as"] == {"service_principal_name": sp} or "run_as" not in pipeline


def test_the_local_target_cannot_be_deployed(cli: Cli) -> None:
    asked_before = len(cli.workspace.requests)
    for command in (("bundle", "deploy", "-t", LOCAL_TARGET), ("bundle", "validate", "-t", LOCAL_TARGET)):
        done = cli(*command)
        assert done.returncode != 0, f"{' '.join(command)} should be refused"
        assert ".invalid" in done.stdout + done.stderr
    assert len(cli.workspace.requests) == asked_before  # nothing reached the configured workspace


def schedules(job: dict[str, Any]) -> dict[str, str | None]:
    return {kind: job[kind].get("pause_status") for kind in ("schedule", "trigger", "continuous") if kind in job}


def test_dev_pauses_every_schedule_and_runs_pipelines_triggered(cli: Cli) -> None:
    dev = cli.rendered("dev")
    jobs = dev["resources"]["jobs"]
    assert jobs and all(schedules(job) for job in jobs.values())
    unpaused = {key: schedules(job) for key, job in jobs.items() if set(schedules(job).values()) != {"PAUSED"}}
    assert not unpaused, f"dev jobs not paused: {unpaused}"
    for key, pipeline in dev["resources"]["pipelines"].items():
        assert pipeline.get("development") is True, key
        assert not pipeline.get("continuous"), key


def test_prod_pauses_exactly_the_jobs_of_continuous_pipelines(cli: Cli) -> None:
    prod = cli.rendered("prod")["resources"]
    continuous = {key for key, pipeline in prod["pipelines"].items() if pipeline.get("continuous")}
    assert "notifications" in continuous
    for key, job in prod["jobs"].items():
        triggers = {
            task["pipeline_task"]["pipeline_id"].removeprefix("${resources.pipelines.").removesuffix(".id}")
            for task in job["tasks"]
            if "pipeline_task" in task
        }
        expected = "PAUSED" if triggers & continuous else "UNPAUSED"
        assert (job["schedule"].get("pause_status") or "UNPAUSED") == expected, f"prod job {key}"


@pytest.mark.parametrize("target", deployable_targets())
def test_analysts_read_gold_only_and_engineers_manage_everything(cli: Cli, target: str) -> None:
    rendered = cli.rendered(target)
    engineers = rendered["variables"]["data_engineers_group"]["value"]
    analysts = rendered["variables"]["data_analysts_group"]["value"]
    schemas, volumes = rendered["resources"]["schemas"], rendered["resources"]["volumes"]
    assert set(LAYERS) <= set(schemas) and volumes
    for layer in ("bronze", "silver"):
        assert analysts not in grants_of(schemas[layer]), f"{target}: analysts on {layer} (silver holds raw PII)"
    assert grants_of(schemas["gold"])[analysts] == {"USE_SCHEMA", "SELECT"}
    for key, resource in [*schemas.items(), *volumes.items()]:
        assert resource.get("comment"), f"{target}: {key} has no comment"
        assert {"ALL_PRIVILEGES", "MANAGE"} <= grants_of(resource)[engineers], f"{target}: engineers on {key}"
        if key != "gold":
            assert analysts not in grants_of(resource), f"{target}: analysts on {key}"


@pytest.mark.parametrize("target", deployable_targets())
def test_pipelines_write_to_the_bundles_schemas_and_read_its_landing_volume(cli: Cli, target: str) -> None:
    rendered = cli.rendered(target)
    schemas = rendered["resources"]["schemas"]
    volume = rendered["resources"]["volumes"]["landing"]
    landing = "/Volumes/{}/{}/{}".format(
        volume["catalog_name"], resolve_resource_refs(volume["schema_name"], rendered), volume["name"]
    )
    for key, pipeline in rendered["resources"]["pipelines"].items():
        configuration = {k: resolve_resource_refs(str(v), rendered) for k, v in pipeline["configuration"].items()}
        for layer in LAYERS:
            assert configuration[f"lakehouse.schema.{layer}"] == schemas[layer]["name"], f"{target}: {key} {layer}"
        assert resolve_resource_refs(pipeline["schema"], rendered) == schemas["bronze"]["name"]
        assert pipeline["catalog"] == schemas["bronze"]["catalog_name"]
        assert configuration["lakehouse.landing_path"] == landing, f"{target}: {key}"
    if target == "dev":  # per-user schemas, named once (development mode adds no second prefix)
        assert rendered["workspace"]["current_user"]["short_name"] == "ana_souza"
        assert {schemas[layer]["name"] for layer in LAYERS} == {f"ana_souza_{layer}" for layer in LAYERS}


def test_the_stub_was_asked_only_what_it_knows(cli: Cli) -> None:
    """Last in the file: every call so far (and at least a validate and a summary) hit modelled endpoints."""
    cli.rendered("dev")
    assert cli("bundle", "summary", "-t", "dev").returncode == 0
    assert not cli.workspace.unknown, f"the CLI called endpoints the stub does not model: {cli.workspace.unknown}"
