#!/usr/bin/env bash
# Set up and run every check: lint, format, types, then the tests (unit, local pipelines, real brokers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.local/bin:$PATH"
uv run ruff check src tests scripts bench
uv run ruff format --check src tests scripts bench
uv run mypy
uv run pytest "$@"
