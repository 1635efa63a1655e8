"""The real Databricks CLI run against the stub workspace: identities, targets, and the runner.

Every call runs with a throwaway HOME and config file and only the variables set here, so no
profile, token or ``BUNDLE_VAR_*`` of the machine leaks in, and it runs in a copy of the bundle so
its ``.databricks/`` state stays out of the checkout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.bundle.workspace import Identity, StubWorkspace

ROOT = Path(__file__).resolve().parents[2]
# The release scripts/databricks-cli.sh builds (its one pin).
CLI_VERSION = re.search(
    r'version="\$\{DATABRICKS_CLI_VERSION:-([0-9.]+)\}"', (ROOT / "scripts/databricks-cli.sh").read_text()
)[1]
BUNDLE_FILES = ("databricks.yml", "resources", "src", "pyproject.toml", "README.md")

DEVELOPER = Identity("ana.souza@example.com", "Ana Souza", ("users", "data-engineers"))
# A service principal's user name is its application id; the one production runs as.
SERVICE_PRINCIPAL = Identity("6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "lakehouse-prod-deployer")
TOKENS = {"dapi-developer-ana": DEVELOPER, "dapi-sp-lakehouse-prod": SERVICE_PRINCIPAL}
# What CI passes for production (`--var service_principal=...`); dev ignores it.
VARIABLES = {"service_principal": SERVICE_PRINCIPAL.user_name}


def bundle_config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "databricks.yml").read_text())
    return loaded


def targets() -> dict[str, dict[str, Any]]:
    return {name: spec or {} for name, spec in (bundle_config().get("targets") or {}).items()}


def undeployable(spec: dict[str, Any]) -> bool:
    """A target pinned to a reserved ``.invalid`` host (RFC 6761) can never reach a workspace."""
    return str((spec.get("workspace") or {}).get("host", "")).rstrip("/").endswith(".invalid")


def deployable_targets() -> list[str]:
    return sorted(name for name, spec in targets().items() if not undeployable(spec))


def run_as(target: str) -> Identity:
    """The identity a target's resources run as: its service principal, else whoever deploys."""
    principal = (targets()[target].get("run_as") or {}).get("service_principal_name")
    if principal is None:
        return DEVELOPER
    assert principal == "${var.service_principal}", f"{target}: run_as should come from var.service_principal"
    return SERVICE_PRINCIPAL


@dataclass
class Cli:
    """Runs ``databricks <args>`` in the bundle copy as one of the stub's principals."""

    binary: Path
    bundle: Path
    host: str
    workspace: StubWorkspace
    scratch: Path
    rendered_cache: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: int = 0

    def __call__(
        self, *args: str, who: Identity = DEVELOPER, variables: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        self.calls += 1
        home = self.scratch / f"home-{self.calls}"
        home.mkdir()
        token = next(t for t, identity in TOKENS.items() if identity == who)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "DATABRICKS_CONFIG_FILE": str(home / "databrickscfg-none"),
            "DATABRICKS_HOST": self.host,
            "DATABRICKS_TOKEN": token,
            "DATABRICKS_CLI_DISABLE_TELEMETRY": "1",
        }
        var_args = [f"--var={k}={v}" for k, v in (VARIABLES if variables is None else variables).items()]
        command = [str(self.binary), *args, *(var_args if args[:1] == ("bundle",) else [])]
        return subprocess.run(command, cwd=self.bundle, env=env, capture_output=True, text=True, timeout=120)

    def rendered(self, target: str) -> dict[str, Any]:
        """``bundle validate -o json`` of ``target`` as the developer: the configuration as the CLI resolves it."""
        if target not in self.rendered_cache:
            done = self("bundle", "validate", "-o", "json", "-t", target)
            assert done.returncode == 0, done.stderr
            self.rendered_cache[target] = json.loads(done.stdout)
        return self.rendered_cache[target]


def cli_binary() -> Path:
    given = os.environ.get("DATABRICKS_CLI")
    if given:
        return Path(given)
    built = subprocess.run(
        ["bash", str(ROOT / "scripts" / "databricks-cli.sh")], capture_output=True, text=True, timeout=1200
    )
    assert built.returncode == 0, f"scripts/databricks-cli.sh failed:\n{built.stderr}"
    return Path(built.stdout.strip().splitlines()[-1])
