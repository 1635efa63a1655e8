"""The package's shape, checked statically: no import cycles, a lean runtime for pipeline code.

Pipeline files are installed on Databricks with ``--editable ${workspace.file_path}``, which brings
the package's base dependencies only. Every module a pipeline file reaches must therefore import
nothing but the standard library, PySpark and what the Databricks runtime provides - a stray
``import yaml`` would fail on Databricks, not here, unless this test catches it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = "lakehouse"
# What a Databricks runtime provides to pipeline code besides the standard library.
RUNTIME_PROVIDED = {"pyspark", "databricks"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in (SRC / PACKAGE).rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file, function-level ones included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def package_imports(path: Path) -> set[str]:
    return {name for name in imports_of(path) if name in MODULES}


def test_the_package_has_no_import_cycle():
    graph = {name: package_imports(path) - {name} for name, path in MODULES.items()}
    # A package's __init__ is imported with each of its modules; edges to it are not cycles of their own.
    graph = {name: {d for d in deps if not name.startswith(d + ".")} for name, deps in graph.items()}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        assert name not in visiting, "import cycle: " + " -> ".join([*visiting[visiting.index(name) :], name])
        visiting.append(name)
        for dependency in sorted(graph[name]):
            visit(dependency)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def reached_from_pipeline_files() -> set[str]:
    """The package modules pipeline code loads, transitively."""
    pending = [name for file in (SRC / "pipelines").rglob("*.py") for name in package_imports(file)]
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending += package_imports(MODULES[name])
    return reached


def test_pipeline_code_imports_only_the_standard_library_and_the_runtime():
    reached = reached_from_pipeline_files()
    assert "lakehouse.orders.silver" in reached and "lakehouse.sources" in reached
    files = [*(SRC / "pipelines").rglob("*.py"), *(MODULES[name] for name in reached)]
    stray = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in imports_of(path)
        if (top := name.split(".")[0]) != PACKAGE and top not in RUNTIME_PROVIDED and top not in sys.stdlib_module_names
    }
    assert not stray, f"pipeline code imports what Databricks does not install: {sorted(stray)}"
    assert not any(name.startswith(("lakehouse.cli", "lakehouse.local", "lakehouse.produce")) for name in reached)


def test_the_package_base_dependencies_are_only_what_pipeline_code_needs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == [], "the bundle installs these into every serverless pipeline"


def test_lakehouse_produce_never_imports_pyspark(tmp_path):
    script = (
        "import sys\n"
        "from lakehouse.cli.app import app\n"
        f"app(['produce', 'orders', '--synthetic', '20', '--to-dir', {str(tmp_path)!r}], standalone_mode=False)\n"
        "assert 'pyspark' not in sys.modules, 'lakehouse produce imported pyspark'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(tmp_path.glob("*.jsonl")), "the producer wrote no file"


def test_only_compat_and_the_local_entry_import_pyspark_pipelines():
    importers = {name for name, path in MODULES.items() if "pyspark.pipelines" in imports_of(path)}
    local_side = {"lakehouse.local.sdp_entry", "lakehouse.local.update", "lakehouse.local.graphs"}
    assert importers <= {"lakehouse.compat", *local_side}, "as the README promises"
