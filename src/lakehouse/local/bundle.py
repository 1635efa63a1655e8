"""Reads the bundle (``databricks.yml`` + ``resources/*.yml``) the way the local runner needs it.

The local runner takes pipeline definitions from the very files that ``databricks bundle deploy``
deploys, with the ``local`` target's variables, so there is one source of truth. Only what a local
run needs is interpreted: variables (``${var.x}``), the few workspace references the resources use,
and references to the bundle's Unity Catalog objects (``${resources.schemas.gold.name}``: pipelines
name their schemas that way so a deploy creates the schemas first; locally the reference is the
schema resource's own field, itself resolved). Anything else left unresolved is an error, not a
silent empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lakehouse.errors import LakehouseError

LOCAL_TARGET = "local"
REFERENCE = re.compile(r"\$\{([^}]+)\}")
# Resource kinds whose plain fields a local run can stand in for (names of schemas and volumes).
CATALOG_RESOURCES = ("schemas", "volumes")
MAX_NESTING = 8

Specs = Mapping[str, Mapping[str, Mapping[str, Any]]]


class BundleError(LakehouseError):
    """The bundle files are missing or malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class LocalPipeline:
    """One pipeline resource, resolved for a local run."""

    key: str
    name: str
    folder: Path
    configuration: dict[str, str]


def find_bundle_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "databricks.yml").is_file():
            return folder
    raise BundleError(f"no databricks.yml in {start} or any parent folder")


def load_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise BundleError(f"{path}: not valid YAML ({error.__class__.__name__})") from None
    if not isinstance(loaded, dict):
        raise BundleError(f"{path}: expected a mapping at the top level")
    return loaded


def variables(root: Path, target: str = LOCAL_TARGET) -> dict[str, str]:
    """Variable defaults overridden by the target's values."""
    bundle = load_yaml(root / "databricks.yml")
    resolved = {name: spec.get("default") for name, spec in (bundle.get("variables") or {}).items()}
    overrides = ((bundle.get("targets") or {}).get(target) or {}).get("variables") or {}
    resolved.update(overrides)
    return {name: "" if val is None else _text(val) for name, val in resolved.items()}


def _text(val: object) -> str:
    return str(val).lower() if isinstance(val, bool) else str(val)


def resource_files(root: Path) -> list[Path]:
    bundle = load_yaml(root / "databricks.yml")
    files: list[Path] = []
    for pattern in bundle.get("include") or []:
        files += sorted(root.glob(pattern))
    return files


def resources(root: Path, kind: str) -> dict[str, dict[str, Any]]:
    """The bundle's resources of one kind (``pipelines``, ``schemas``, ...) by key, as written."""
    found: dict[str, dict[str, Any]] = {}
    for path in resource_files(root):
        found.update((load_yaml(path).get("resources") or {}).get(kind) or {})
    return found


def pipelines(root: Path, target: str = LOCAL_TARGET) -> dict[str, LocalPipeline]:
    """Every pipeline resource of the bundle, resolved for ``target``."""
    values = variables(root, target)
    catalog = {kind: resources(root, kind) for kind in CATALOG_RESOURCES}
    found: dict[str, LocalPipeline] = {}
    for path in resource_files(root):
        for key, spec in ((load_yaml(path).get("resources") or {}).get("pipelines") or {}).items():
            found[key] = _resolve_pipeline(root, path, key, spec, values, catalog)
    return found


def _resolve_pipeline(
    root: Path, path: Path, key: str, spec: dict[str, Any], values: dict[str, str], catalog: Specs
) -> LocalPipeline:
    libraries = spec.get("libraries") or []
    globs = [lib["glob"]["include"] for lib in libraries if "glob" in lib]
    if len(globs) != 1 or not globs[0].endswith("/**"):
        raise BundleError(f"{path}: pipeline '{key}' needs exactly one 'glob: include: <folder>/**' library")
    folder = (path.parent / globs[0].removesuffix("/**")).resolve()
    configuration = {
        str(k): resolve(_text(v), values, root, f"{path.name}: {key}.configuration.{k}", catalog)
        for k, v in (spec.get("configuration") or {}).items()
    }
    return LocalPipeline(key=key, name=str(spec.get("name", key)), folder=folder, configuration=configuration)


def resolve(text: str, values: dict[str, str], root: Path, where: str, catalog: Specs | None = None) -> str:
    """Substitute ``${var.x}``, the workspace references and the ``catalog`` resource fields
    (``${resources.schemas.<key>.<field>}``) a local run can stand in for."""

    def substitute(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith("var."):
            name = ref.removeprefix("var.")
            if name not in values:
                raise BundleError(f"{where}: unknown variable '{name}'")
            return values[name]
        if ref == "workspace.file_path":
            return str(root)
        if ref == "workspace.current_user.short_name":
            return "local"
        if ref.startswith("resources.") and catalog is not None:
            return _catalog_field(ref, catalog, where)
        raise BundleError(f"{where}: '${{{ref}}}' cannot be resolved for a local run")

    # A reference may lead to another (schema name -> variable -> user name): resolve to a fixpoint.
    for _ in range(MAX_NESTING):
        if not REFERENCE.search(text):
            return text
        text = REFERENCE.sub(substitute, text)
    if not REFERENCE.search(text):
        return text
    raise BundleError(f"{where}: references nest more than {MAX_NESTING} levels deep (a cycle?)")


def _catalog_field(ref: str, catalog: Specs, where: str) -> str:
    parts = ref.split(".")
    kind = parts[1] if len(parts) == 4 else ""
    if kind not in CATALOG_RESOURCES:
        raise BundleError(f"{where}: '${{{ref}}}' cannot be resolved for a local run")
    _, _, key, field = parts
    spec = catalog.get(kind, {}).get(key)
    if spec is None:
        raise BundleError(f"{where}: '${{{ref}}}' refers to no resources.{kind}.{key} in the bundle")
    value = spec.get(field)
    if value is None or isinstance(value, dict | list):
        raise BundleError(f"{where}: resources.{kind}.{key} has no plain field '{field}'")
    return _text(value)
