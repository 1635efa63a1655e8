"""Two JVM starts that would resolve the same new packages at once take turns; later ones are given
the jars the first resolved, and do not wait."""

from __future__ import annotations

import fcntl
import threading
import time

import pytest

from lakehouse.local.packages import jar_confs, resolved_alone

PACKAGES = "io.delta:delta-spark_4.2_2.13:4.4.0,org.apache.spark:spark-avro_2.13:4.2.0"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_CACHE", str(tmp_path))
    return tmp_path


@pytest.fixture
def jars(tmp_path):
    """Two jars as Ivy leaves them, and ``spark.jars`` as a started JVM reports them."""
    folder = tmp_path / "ivy" / "jars"
    folder.mkdir(parents=True)
    paths = [folder / "io.delta_delta-spark_4.2_2.13-4.4.0.jar", folder / "org.apache.spark_spark-avro_2.13-4.2.0.jar"]
    for path in paths:
        path.write_bytes(b"PK")
    return paths, ",".join(f"file://{path}" for path in paths)


def test_first_starts_of_one_set_take_turns():
    inside, overlaps = [], []

    def start() -> None:
        with resolved_alone(PACKAGES):
            inside.append(1)
            overlaps.append(len(inside))
            time.sleep(0.3)
            inside.pop()

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == [1, 1, 1]


def test_once_resolved_a_start_does_not_wait_for_the_lock(cache, jars):
    with resolved_alone(PACKAGES) as record:
        record(jars[1])
    with open(cache / "spark-packages" / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        started = time.monotonic()
        with resolved_alone(",".join(reversed(PACKAGES.split(",")))):  # the same set, in another order
            pass
        assert time.monotonic() - started < 1


def test_a_start_that_failed_is_not_recorded(cache, jars):
    with pytest.raises(RuntimeError), resolved_alone(PACKAGES):
        raise RuntimeError("JAVA_GATEWAY_EXITED")
    assert jar_confs(PACKAGES.split(",")) == {"spark.jars.packages": PACKAGES}
    assert not list((cache / "spark-packages").glob("*.jars"))


def test_no_packages_take_no_lock(cache):
    with resolved_alone(""):
        pass
    assert not (cache / "spark-packages").exists()


def test_later_starts_are_given_the_resolved_jars_instead_of_the_packages(jars):
    paths, reported = jars
    assert jar_confs(PACKAGES.split(",")) == {"spark.jars.packages": PACKAGES}
    with resolved_alone(PACKAGES) as record:
        record(reported)
    assert jar_confs(list(reversed(PACKAGES.split(",")))) == {"spark.jars": ",".join(map(str, paths))}
    assert jar_confs([]) == {}


def test_a_recorded_jar_gone_from_the_cache_means_resolving_again(jars, cache):
    paths, reported = jars
    with resolved_alone(PACKAGES) as record:
        record(reported)
    paths[1].unlink()  # Ivy's cache emptied
    assert jar_confs(PACKAGES.split(",")) == {"spark.jars.packages": PACKAGES}
    with open(cache / "spark-packages" / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        waited = threading.Event()

        def start() -> None:
            with resolved_alone(PACKAGES):
                waited.set()

        thread = threading.Thread(target=start)
        thread.start()
        assert not waited.wait(0.5), "a start resolving again must take the lock"
    thread.join()
    assert waited.is_set()
