"""``LAKEHOUSE_JAVA_OPTIONS`` reaches the local Spark JVM's options, after the engine's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.local.home import Home, static_confs


def java_options(home: Path) -> list[str]:
    return static_confs(Home(home), packages=[])["spark.driver.extraJavaOptions"].split()


def test_the_options_are_added_after_the_engines_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEHOUSE_JAVA_OPTIONS", " -XX:TieredStopAtLevel=1 -Dx=y ")
    options = java_options(tmp_path)
    assert options[0] == f"-Dderby.system.home={tmp_path}"
    assert options[-3:-1] == ["-XX:TieredStopAtLevel=1", "-Dx=y"]


def test_c1_alone_keeps_the_usual_code_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With C1 alone the JVM would reserve 48 MB for compiled code; a Spark run filled it and died."""
    monkeypatch.setenv("LAKEHOUSE_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1")
    assert java_options(tmp_path)[-1] == "-XX:ReservedCodeCacheSize=240m"
    monkeypatch.setenv("LAKEHOUSE_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=300m")
    assert [o for o in java_options(tmp_path) if "CodeCache" in o] == ["-XX:ReservedCodeCacheSize=300m"]


def test_without_the_variable_the_jvm_keeps_its_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAKEHOUSE_JAVA_OPTIONS", raising=False)
    assert not any(option.startswith("-XX:Tiered") for option in java_options(tmp_path))
