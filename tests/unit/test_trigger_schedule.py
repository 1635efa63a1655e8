"""``lakehouse run --every``: updates start on multiples of the interval, as Spark's processing-time
trigger starts its batches, so a per-minute panel's lag does not depend on when the JVM started."""

from __future__ import annotations

import pytest

from lakehouse.local.sdp_entry import next_start


@pytest.mark.parametrize(
    ("began", "every", "expected"),
    [
        (1_000_000_000.0, 60.0, 1_000_000_020.0),  # 40 s into a minute (epoch seconds): the next minute
        (1_000_000_020.0, 60.0, 1_000_000_080.0),  # exactly on a multiple: the one after, not itself
        (1_000_000_079.9, 60.0, 1_000_000_080.0),
        (12.5, 5.0, 15.0),
    ],
)
def test_the_next_update_starts_on_the_next_multiple_of_the_interval(began, every, expected):
    assert next_start(began, every) == pytest.approx(expected)


def test_an_update_that_ran_past_the_next_multiple_is_followed_at_once():
    began, every = 1_000_000_020.0, 60.0
    ended = began + 75.0  # the update took longer than the interval
    assert next_start(began, every) - ended < 0  # the caller sleeps max(0, that): no wait


def test_updates_shorter_than_the_interval_keep_the_same_phase_whatever_they_take():
    every, began = 60.0, 1_000_000_027.0  # 7 s past a whole minute
    starts = []
    for took in (41.0, 3.0, 58.5, 12.0):
        began = max(next_start(began, every), began + took)
        starts.append(began % every)
    assert starts == [0.0, 0.0, 0.0, 0.0]  # each on a whole minute
