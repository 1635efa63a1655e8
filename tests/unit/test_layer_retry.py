"""A layer failed by a Python worker that did not start in time is run again; any other error is not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehouse.local import update

TIMED_OUT = (
    "[STREAM_FAILED] Query [id = f751b47a] terminated with exception: Python worker failed to connect back. "
    "SQLSTATE: XXKST"
)


class Layer:
    """Stands in for one stage's graph run: fails with the given errors, then returns ``done``."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors = errors
        self.calls = 0
        self.done = object()

    def __call__(self, *_: Any, **__: Any) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.done


def run(monkeypatch: pytest.MonkeyPatch, layer: Layer) -> Any:
    monkeypatch.setattr(update, "run_stage", layer)
    stage = [("silver", Path("silver.py"))]
    return update.run_stage_retrying(None, None, stage, False, False, attempts=3, pause=0)  # type: ignore[arg-type]


def test_a_layer_whose_python_worker_timed_out_runs_again(monkeypatch, capsys):
    layer = Layer([RuntimeError(TIMED_OUT)])
    assert run(monkeypatch, layer) is layer.done
    assert layer.calls == 2
    assert "layer silver failed on a transient error" in capsys.readouterr().out


def test_the_third_timeout_ends_the_run(monkeypatch):
    layer = Layer([RuntimeError(TIMED_OUT) for _ in range(3)])
    with pytest.raises(RuntimeError, match="connect back"):
        run(monkeypatch, layer)
    assert layer.calls == 3


def test_any_other_error_ends_the_run_at_once(monkeypatch):
    layer = Layer([RuntimeError("[TABLE_OR_VIEW_NOT_FOUND] The table or view `bronze`.`x` cannot be found")])
    with pytest.raises(RuntimeError, match="TABLE_OR_VIEW_NOT_FOUND"):
        run(monkeypatch, layer)
    assert layer.calls == 1
