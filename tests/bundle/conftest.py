"""Session fixtures of the bundle tests: one CLI build, one stub workspace, one bundle copy.

The CLI comes from ``scripts/databricks-cli.sh`` (built once per machine, cached outside the repo;
``scripts/test.sh`` exports its path as ``DATABRICKS_CLI``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.bundle.cli import BUNDLE_FILES, ROOT, TOKENS, Cli, cli_binary
from tests.bundle.workspace import StubWorkspace, serve


@pytest.fixture(scope="session")
def stub_workspace() -> Iterator[tuple[StubWorkspace, str]]:
    state = StubWorkspace(dict(TOKENS))
    with serve(state) as host:
        yield state, host


@pytest.fixture(scope="session")
def cli(stub_workspace: tuple[StubWorkspace, str], tmp_path_factory: pytest.TempPathFactory) -> Cli:
    state, host = stub_workspace
    copy = tmp_path_factory.mktemp("bundle")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".databricks")
    for name in BUNDLE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, copy / name)
    return Cli(cli_binary(), copy, host, state, tmp_path_factory.mktemp("cli"))
