#!/usr/bin/env bash
# Set up and run every test: unit tests, the local pipelines, and the real Kafka broker scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.local/bin:$PATH"
uv run ruff check src tests scripts bench
uv run pytest "$@"
