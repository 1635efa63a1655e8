"""A class-data-sharing archive of the Spark JVM, made once per machine, so every later JVM starts faster.

A local Spark JVM loads some 20,000 classes before it runs its first query, and every ``lakehouse
run`` or ``lakehouse sql`` starts a new JVM. The JDK's dynamic archive (JDK 13+, JEP 350) records
the classes a JVM loaded when it exits (``-XX:ArchiveClassesAtExit``) and later JVMs map them
(``-XX:SharedArchiveFile``) instead of parsing and verifying each class again.
``bench/bench_startup.py`` measured, in one session of this project's 2-core machine (medians of 3):
``lakehouse sql "SELECT 1"`` 13.0 s without the archive and 10.8 s with it; a first orders run on
the fixtures 69.9 s and 62.2 s.

The first JVM of a machine (of a Java and PySpark version) records the archive under a temporary
name; the command that started it adopts it once that JVM is gone. A JVM that cannot use the
archive (another Java, a changed class path) says so in its log and runs without it: the archive
only ever saves time. It lives outside the project, in ``LAKEHOUSE_CACHE`` (default
``~/.cache/lakehouse``); ``LAKEHOUSE_CLASS_ARCHIVE=off`` leaves it out (benchmarks of cold starts).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pyspark

from lakehouse.machine import require_java

DISABLED = ("0", "off", "false", "no")
# Archives of other checkouts and versions kept besides the newest (some 200 MB each): CI clones
# come and go, each with its own archive.
KEPT_ARCHIVES = 3


def cache_dir() -> Path:
    return Path(os.environ.get("LAKEHOUSE_CACHE") or Path.home() / ".cache" / "lakehouse")


def enabled() -> bool:
    return os.environ.get("LAKEHOUSE_CLASS_ARCHIVE", "on").lower() not in DISABLED


def _identity(path: Path) -> str:
    stat = path.stat()
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def class_path_identity() -> str:
    """The Java installation and the exact class path: PySpark's jar folder and every jar in it."""
    jars = Path(pyspark.__file__).resolve().parent / "jars"
    entries = [Path(require_java()).resolve(), *sorted(jars.glob("*.jar"))]
    return "\n".join(_identity(entry) for entry in entries)


def archive_path() -> Path:
    """One archive per Java installation, PySpark version and checkout: any change makes a new one."""
    runtime = hashlib.sha256(class_path_identity().encode()).hexdigest()[:12]
    return cache_dir() / f"spark-{pyspark.__version__}-{runtime}.jsa"


def _pending(archive: Path, pid: int) -> Path:
    return archive.with_name(f"{archive.name}.{pid}.tmp")


def java_options(record: bool) -> str:
    """The JVM options for the archive: use it; or, when this machine has none yet and ``record``,
    record it (pipeline runs record: they load the most classes; a SQL session only uses it)."""
    if not enabled():
        return ""
    archive = archive_path()
    adopt_recorded(archive)
    if archive.is_file():
        return f"-XX:SharedArchiveFile={archive}"
    if not record:
        return ""
    archive.parent.mkdir(parents=True, exist_ok=True)
    return f"-XX:ArchiveClassesAtExit={_pending(archive, os.getpid())}"


def _recording(pending: Path) -> bool:
    """Whether a live process (the JVM writing it at exit) names ``pending`` on its command line."""
    marker = str(pending).encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker in (proc / "cmdline").read_bytes():
                    return True
            except OSError:
                continue
    return False


def adopt_recorded(archive: Path | None = None) -> None:
    """Make a finished recording the machine's archive; drop recordings of killed JVMs."""
    archive = archive or archive_path()
    for pending in archive.parent.glob(f"{archive.name}.*.tmp"):
        if _recording(pending):
            continue
        if pending.stat().st_size > 0 and not archive.exists():
            os.replace(pending, archive)
            prune(archive.parent)
        pending.unlink(missing_ok=True)


def prune(folder: Path, keep: int = KEPT_ARCHIVES) -> None:
    """Drop all but the newest archives (a JVM mapping a dropped one keeps its mapping)."""
    archives = sorted(folder.glob("spark-*.jsa"), key=lambda path: path.stat().st_mtime_ns, reverse=True)
    for stale in archives[keep:]:
        stale.unlink(missing_ok=True)


def wait_for_recording(timeout: float = 120.0) -> None:
    """After this process's run: wait for its JVM to finish writing the archive, then adopt it.

    The JVM writes the archive while it exits, after the Python side that drove it is gone.
    """
    if not enabled():
        return
    archive = archive_path()
    pending = _pending(archive, os.getpid())
    deadline = time.monotonic() + timeout
    while _recording(pending) and time.monotonic() < deadline:
        time.sleep(0.2)
    adopt_recorded(archive)
