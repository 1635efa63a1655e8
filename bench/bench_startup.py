"""Benchmark: what the machine's class archive saves on every JVM the lakehouse starts.

Every ``lakehouse sql`` and ``lakehouse run`` starts a Spark JVM (``lakehouse.local.class_archive``).
In ONE session of the machine, alternating, it times ``--repeat`` cold ``lakehouse sql "SELECT 1"``
commands and ``--repeat`` first runs of the orders pipeline on its bundled fixtures, each with the
archive (``LAKEHOUSE_CLASS_ARCHIVE=on``, recorded beforehand if missing) and without (``off``), and
prints the medians and their ratio.

    uv run python bench/bench_startup.py [--repeat 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from processes import LAKEHOUSE, ROOT, timed

from lakehouse.local import class_archive


def run_orders(tmp: Path, name: str, archive: str) -> float:
    home, landing = tmp / f"home-{name}", tmp / f"landing-{name}"
    shutil.copytree(ROOT / "fixtures" / "orders", landing / "orders")
    env = {**os.environ, "LAKEHOUSE_HOME": str(home), "LAKEHOUSE_CLASS_ARCHIVE": archive}
    seconds, _ = timed([LAKEHOUSE, "run", "orders", "--landing", str(landing)], env)
    return seconds


def select_one(tmp: Path, archive: str) -> float:
    env = {**os.environ, "LAKEHOUSE_HOME": str(tmp / "sql-home"), "LAKEHOUSE_CLASS_ARCHIVE": archive}
    seconds, _ = timed([LAKEHOUSE, "sql", "SELECT 1 AS x", "--format", "csv"], env)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    times: dict[str, list[float]] = {f"{step}_{mode}": [] for step in ("sql", "run") for mode in ("on", "off")}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if not class_archive.archive_path().is_file():
            run_orders(tmp, "record", "on")  # the first run on a machine records the archive
        for index in range(args.repeat):
            for mode in ("on", "off"):
                times[f"sql_{mode}"].append(select_one(tmp, mode))
                times[f"run_{mode}"].append(run_orders(tmp, f"{mode}-{index}", mode))
    medians = {step: round(statistics.median(values), 1) for step, values in times.items()}
    figures = {
        **medians,
        "sql_ratio": round(medians["sql_on"] / medians["sql_off"], 2),
        "run_ratio": round(medians["run_on"] / medians["run_off"], 2),
    }
    print(f"lakehouse sql 'SELECT 1': {medians['sql_off']} s without the archive, {medians['sql_on']} s with it")
    print(f"orders first run (fixtures): {medians['run_off']} s without, {medians['run_on']} s with")
    print(f"ratios with/without: sql {figures['sql_ratio']}, run {figures['run_ratio']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
