#!/usr/bin/env bash
# Set up and run every check: lint, format, types, then the tests (unit, local pipelines, real brokers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.local/bin:$PATH"
# The real Databricks CLI for the `bundle` tests: built once per machine, cached outside the repo.
DATABRICKS_CLI="$(bash scripts/databricks-cli.sh)"
export DATABRICKS_CLI
uv run ruff check src tests scripts bench
uv run ruff format --check src tests scripts bench
uv run mypy
uv run pytest "$@"
