#!/usr/bin/env bash
# Prints the path of the Databricks CLI the bundle tests run, building it once if needed.
#
# The CLI is a Go program; it is built from its release module on the Go module proxy
# (`go install ...@v` is refused for it) with the release's version stamp, because
# `bundle validate` checks `bundle.databricks_cli_version` and the bundle schema against it.
# The binary is cached OUTSIDE the repository, per version, so a machine builds it once:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/lakehouse/databricks-cli/<version>/databricks
# Idempotent: a cached binary that reports the right version is reused as is.
# Progress goes to stderr; stdout is only the path (use: CLI="$(bash scripts/databricks-cli.sh)").
set -euo pipefail

version="${DATABRICKS_CLI_VERSION:-0.298.0}"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/lakehouse/databricks-cli/${version}"
binary="${cache_dir}/databricks"

works() { [ -x "$binary" ] && "$binary" --version 2>/dev/null | grep -qF "v${version}"; }

if works; then
  echo "$binary"
  exit 0
fi

go_bin="$(command -v go || true)"
[ -n "$go_bin" ] || go_bin=/usr/local/go/bin/go
if [ ! -x "$go_bin" ]; then
  echo "databricks-cli: Go is needed to build the Databricks CLI ${version} (not found on PATH nor /usr/local/go/bin)" >&2
  exit 1
fi

mkdir -p "$cache_dir"
exec 9>"${cache_dir}/.lock"
flock 9 # one build at a time; a second caller waits and then reuses the first one's binary
if works; then
  echo "$binary"
  exit 0
fi

# The local Go (never a downloaded toolchain) builds the release as published (go.sum pins its deps).
export GOTOOLCHAIN=local GOFLAGS="-modcacherw -buildvcs=false"
module="github.com/databricks/cli@v${version}"
echo "databricks-cli: downloading ${module} from the Go module proxy" >&2
module_dir="$("$go_bin" mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [ -z "$module_dir" ] || [ ! -f "${module_dir}/go.mod" ]; then
  echo "databricks-cli: could not download ${module}" >&2
  exit 1
fi

IFS=. read -r major minor patch <<<"${version%%-*}"
pkg=github.com/databricks/cli/internal/build
ldflags="-s -w -X ${pkg}.buildVersion=${version} -X ${pkg}.buildMajor=${major}"
ldflags+=" -X ${pkg}.buildMinor=${minor} -X ${pkg}.buildPatch=${patch} -X ${pkg}.buildTag=v${version}"
echo "databricks-cli: building ${module} (once per machine; a few minutes)" >&2
tmp="${binary}.tmp.$$"
(cd "$module_dir" && "$go_bin" build -trimpath -ldflags "$ldflags" -o "$tmp" .)
mv -f "$tmp" "$binary"
if ! works; then
  echo "databricks-cli: the built binary does not report v${version}: $("$binary" --version 2>&1)" >&2
  exit 1
fi
echo "$binary"
