#!/usr/bin/env bash
# The main job on a laptop: set up, run the orders pipeline on the bundled fixtures, show gold.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.local/bin:$PATH"
# The fixtures are small: the JIT's first tier is enough (see lakehouse.local.home.extra_java_options).
export LAKEHOUSE_JAVA_OPTIONS="${LAKEHOUSE_JAVA_OPTIONS:--XX:TieredStopAtLevel=1}"
uv run lakehouse run orders "$@"
uv run lakehouse sql "SELECT * FROM gold.orders_daily_sales ORDER BY order_date, net_revenue DESC LIMIT 15"
