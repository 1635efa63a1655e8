#!/usr/bin/env bash
# Installs everything a fresh machine needs for the local engine: uv, the Python environment
# (pyspark + delta-spark, pinned in uv.lock), and checks Java, Maven and PostgreSQL's server
# (Kafka's and Debezium's jars come from Maven Central on the first `lakehouse kafka start` /
# `lakehouse cdc start`; Delta's on the first pipeline run; `lakehouse cdc start` runs PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
  echo "setup: installing uv from PyPI"
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
  export PATH="$HOME/.local/bin:$PATH"
fi

missing=()
command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ] || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
# The users CDC source: PostgreSQL's server binaries (initdb, pg_ctl, postgres), Debian's layout.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${LAKEHOUSE_PG_BINDIR:-}" ] || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: please install ${missing[*]} (Java 17+ runs Spark and Kafka; Maven fetches Kafka's jars;" \
      "postgresql is the users CDC source)" >&2
    exit 1
  fi
fi

# Bytecode compiled once here: this machine's Python writes no bytecode cache (PYTHONDONTWRITEBYTECODE),
# and every process of a local run (the CLI, one per layer, each Spark Python worker) would compile
# PySpark, pandas and pyarrow again - 1.3 s of CPU each.
uv sync --frozen --quiet --compile-bytecode
uv run --frozen python scripts/compile_worker_zips.py
echo "setup: ready ($(uv run python -c 'import pyspark, delta; print("pyspark", pyspark.__version__)'))"
