"""Two JVM starts that would resolve the same new packages at once take turns; later ones do not wait."""

from __future__ import annotations

import fcntl
import threading
import time

import pytest

from lakehouse.local.packages import resolved_alone

PACKAGES = "io.delta:delta-spark_4.2_2.13:4.4.0,org.apache.spark:spark-avro_2.13:4.2.0"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_CACHE", str(tmp_path))
    return tmp_path


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


def test_once_resolved_a_start_does_not_wait_for_the_lock(cache):
    with resolved_alone(PACKAGES):
        pass
    with open(cache / "spark-packages" / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        started = time.monotonic()
        with resolved_alone(",".join(reversed(PACKAGES.split(",")))):  # the same set, in another order
            pass
        assert time.monotonic() - started < 1


def test_a_start_that_failed_is_not_recorded(cache):
    with pytest.raises(RuntimeError), resolved_alone(PACKAGES):
        raise RuntimeError("JAVA_GATEWAY_EXITED")
    assert not list((cache / "spark-packages").glob("*.resolved"))


def test_no_packages_take_no_lock(cache):
    with resolved_alone(""):
        pass
    assert not (cache / "spark-packages").exists()
