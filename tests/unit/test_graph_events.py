"""A stage's run tells its caller once every flow has completed, before the run has ended."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from lakehouse.local.graphs import watch_flows


def event(message: str) -> dict[str, Any]:
    return {"pipeline_event_result": SimpleNamespace(event=SimpleNamespace(message=message))}


def replay(messages: list[str], flows: int) -> list[str]:
    """What happened, in order: each event passed on, and the call of ``flows_done``."""
    seen: list[str] = []
    stream = [{"pipeline_command_result": None}, *(event(m) for m in messages)]
    for item in watch_flows(iter(stream), flows, lambda: seen.append("flows done")):
        result = item.get("pipeline_event_result")
        if result is not None:
            seen.append(result.event.message)
    return seen


def test_called_once_right_after_the_last_flow_completed_and_before_the_run_ended():
    messages = [
        "Flow spark_catalog.gold.a is RUNNING.",
        "Flow spark_catalog.silver.q is RUNNING.",
        "Flow spark_catalog.gold.a has COMPLETED.",
        "Flow spark_catalog.silver.q has COMPLETED.",
        "Run is COMPLETED.",
    ]
    assert replay(messages, flows=2) == [*messages[:4], "flows done", messages[4]]


def test_a_flow_that_completes_again_after_a_retry_counts_once():
    messages = [
        "Flow spark_catalog.silver.n has COMPLETED.",
        "Flow 'spark_catalog.silver.n' has FAILED.",
        "Flow spark_catalog.silver.n is RUNNING.",
        "Flow spark_catalog.silver.n has COMPLETED.",
        "Run is COMPLETED.",
    ]
    assert replay(messages, flows=2) == messages


def test_not_called_when_a_flow_never_completes():
    messages = [
        "Flow spark_catalog.gold.a has COMPLETED.",
        "Flow spark_catalog.gold.b is SKIPPED.",
        "Run is COMPLETED.",
    ]
    assert "flows done" not in replay(messages, flows=2)
