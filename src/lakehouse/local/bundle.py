"""Reads the bundle (``databricks.yml`` + ``resources/*.yml``) the way the local runner needs it.

The local runner takes pipeline definitions from the very files that ``databricks bundle deploy``
deploys, with the ``local`` target's variables, so there is one source of truth. Only what a local
run needs is interpreted: variables (``${var.x}``) and the few workspace references the resources
use; anything else left unresolved is an error, not a silent empty string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lakehouse.errors import LakehouseError

LOCAL_TARGET = "local"
REFERENCE = re.compile(r"\$\{([^}]+)\}")


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


def pipelines(root: Path, target: str = LOCAL_TARGET) -> dict[str, LocalPipeline]:
    """Every pipeline resource of the bundle, resolved for ``target``."""
    values = variables(root, target)
    found: dict[str, LocalPipeline] = {}
    for path in resource_files(root):
        for key, spec in ((load_yaml(path).get("resources") or {}).get("pipelines") or {}).items():
            found[key] = _resolve_pipeline(root, path, key, spec, values)
    return found


def _resolve_pipeline(root: Path, path: Path, key: str, spec: dict[str, Any], values: dict[str, str]) -> LocalPipeline:
    libraries = spec.get("libraries") or []
    globs = [lib["glob"]["include"] for lib in libraries if "glob" in lib]
    if len(globs) != 1 or not globs[0].endswith("/**"):
        raise BundleError(f"{path}: pipeline '{key}' needs exactly one 'glob: include: <folder>/**' library")
    folder = (path.parent / globs[0].removesuffix("/**")).resolve()
    configuration = {
        str(k): resolve(_text(v), values, root, f"{path.name}: {key}.configuration.{k}")
        for k, v in (spec.get("configuration") or {}).items()
    }
    return LocalPipeline(key=key, name=str(spec.get("name", key)), folder=folder, configuration=configuration)


def resolve(text: str, values: dict[str, str], root: Path, where: str) -> str:
    """Substitute ``${var.x}`` and the workspace references a local run can stand in for."""

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
        raise BundleError(f"{where}: '${{{ref}}}' cannot be resolved for a local run")

    # Variables may refer to other variables; two passes cover the bundle's own nesting.
    return REFERENCE.sub(substitute, REFERENCE.sub(substitute, text))
