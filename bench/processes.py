"""What every benchmark here does: time one step as its own process from a cold JVM, and count rows.

Imported by the ``bench_*.py`` scripts, which run as files (``uv run python bench/<name>.py``), so
this folder is on their import path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lakehouse.local import class_archive

ROOT = Path(__file__).resolve().parents[1]
LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")

# The floor any Spark job pays: land the files' lines in Delta, parsing nothing. argv: folder, target.
BARE_COPY = """
import sys
from lakehouse.local.warehouse import open_session
spark = open_session()
spark.read.text(sys.argv[1]).write.format("delta").mode("overwrite").save(sys.argv[2])
print("ROWS=" + str(spark.read.format("delta").load(sys.argv[2]).count()))
"""


def timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds a command took, and its stdout; a failed step stops the benchmark with its output."""
    started = time.monotonic()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    return seconds, done.stdout


def rows_printed(out: str) -> int:
    """The ``ROWS=n`` line a step script prints last."""
    return int(out.strip().splitlines()[-1].removeprefix("ROWS="))


def table_rows(home: Path, table: str) -> int:
    """Rows of a table of the local warehouse in ``home``, through ``lakehouse sql``."""
    env = {**os.environ, "LAKEHOUSE_HOME": str(home)}
    _, out = timed([LAKEHOUSE, "sql", f"SELECT count(*) AS n FROM {table}", "--format", "csv"], env)
    return int(out.strip().splitlines()[-1])


def class_archive_recorded() -> None:
    """Record this checkout's class archive before anything is timed.

    The first pipeline JVM of a checkout records the archive every later JVM maps
    (:mod:`lakehouse.local.class_archive`); that one run is slower (a first notifications run measured
    155.7 s instead of 102.3 s). It is a one-off per checkout, not what a run costs, so a benchmark
    pays it here, on the orders fixtures, unless the archive exists or is turned off.
    """
    if not class_archive.enabled() or class_archive.archive_path().is_file():
        return
    print("recording this checkout's class archive first (one orders run on its fixtures)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "fixtures" / "orders", Path(tmp) / "landing" / "orders")
        env = {**os.environ, "LAKEHOUSE_HOME": str(Path(tmp) / "home")}
        timed([LAKEHOUSE, "run", "orders", "--landing", str(Path(tmp) / "landing")], env)
