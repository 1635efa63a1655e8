"""The machine's class-data-sharing archive: recorded by one pipeline run, used by every later JVM."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from lakehouse.local import class_archive


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_CACHE", str(tmp_path))
    monkeypatch.delenv("LAKEHOUSE_CLASS_ARCHIVE", raising=False)
    return tmp_path


def test_only_a_pipeline_run_records_the_archive():
    assert class_archive.java_options(record=False) == ""
    pending = class_archive.archive_path().with_name(f"{class_archive.archive_path().name}.{os.getpid()}.tmp")
    assert class_archive.java_options(record=True) == f"-XX:ArchiveClassesAtExit={pending}"


def test_a_finished_recording_becomes_the_archive_every_jvm_uses():
    archive = class_archive.archive_path()
    archive.with_name(f"{archive.name}.123.tmp").write_bytes(b"classes")
    assert class_archive.java_options(record=False) == f"-XX:SharedArchiveFile={archive}"
    assert archive.read_bytes() == b"classes"
    assert list(archive.parent.glob("*.tmp")) == []


def test_a_recording_still_being_written_is_left_alone():
    archive = class_archive.archive_path()
    pending = archive.with_name(f"{archive.name}.77.tmp")
    pending.write_bytes(b"half")
    # A live process naming the file on its command line is a JVM still writing it at exit.
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    writer = subprocess.Popen([*sleeper, f"-XX:ArchiveClassesAtExit={pending}"])
    try:
        deadline = time.monotonic() + 10
        while not class_archive._recording(pending) and time.monotonic() < deadline:
            time.sleep(0.05)  # until the writer's command line is visible in /proc
        class_archive.adopt_recorded()
        assert pending.exists() and not archive.exists()
    finally:
        writer.kill()
        writer.wait()
    class_archive.adopt_recorded()
    assert archive.read_bytes() == b"half" and not pending.exists()


def test_a_killed_jvm_leaves_an_empty_recording_that_is_dropped():
    archive = class_archive.archive_path()
    archive.with_name(f"{archive.name}.9.tmp").write_bytes(b"")
    class_archive.adopt_recorded()
    assert not archive.exists() and list(archive.parent.glob("*.tmp")) == []


def test_it_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_CLASS_ARCHIVE", "off")
    assert class_archive.java_options(record=True) == ""


def test_another_checkout_with_identical_jars_records_its_own_archive(tmp_path, monkeypatch):
    """An archive recorded from other jars (even byte-identical hard links, as uv installs them) once
    gave a CI clone Derby classes sealed to the other checkout: its metastore hung on a sealing violation."""
    checkouts = []
    for name in ("main", "clone"):
        package = tmp_path / name / "pyspark"
        (package / "jars").mkdir(parents=True)
        checkouts.append(package)
    original = checkouts[0] / "jars" / "derby.jar"
    original.write_bytes(b"derby classes")
    os.link(original, checkouts[1] / "jars" / "derby.jar")

    def archive_of(package):
        monkeypatch.setattr(class_archive.pyspark, "__file__", str(package / "__init__.py"))
        return class_archive.archive_path()

    assert archive_of(checkouts[0]) != archive_of(checkouts[1])
    before = archive_of(checkouts[0])
    assert archive_of(checkouts[0]) == before
    (checkouts[0] / "jars" / "delta.jar").write_bytes(b"another jar")
    assert archive_of(checkouts[0]) != before


def test_only_the_newest_archives_are_kept(cache):
    for age in range(5):
        archive = cache / f"spark-4.2.0-{age}.jsa"
        archive.write_bytes(b"classes")
        os.utime(archive, ns=(time.time_ns() - age * 10**9, time.time_ns() - age * 10**9))
    class_archive.prune(cache, keep=3)
    assert sorted(path.name for path in cache.glob("*.jsa")) == [f"spark-4.2.0-{age}.jsa" for age in range(3)]
