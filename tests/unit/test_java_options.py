"""``LAKEHOUSE_JAVA_OPTIONS`` reaches the local Spark JVM's options, after the engine's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.local.home import ENGINE_JAVA_OPTIONS, Home, static_confs


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


def test_without_the_variable_the_jvm_gets_the_engines_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAKEHOUSE_JAVA_OPTIONS", raising=False)
    options = java_options(tmp_path)
    assert options[-len(ENGINE_JAVA_OPTIONS) :] == list(ENGINE_JAVA_OPTIONS)
    assert not any(option.startswith("-XX:TieredStopAtLevel") for option in options)


def test_the_variables_options_come_after_the_engines_so_they_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEHOUSE_JAVA_OPTIONS", "-XX:Tier4InvocationThreshold=5000")
    options = java_options(tmp_path)
    assert options.index("-XX:Tier4InvocationThreshold=5000") > options.index("-XX:Tier4InvocationThreshold=20000")


@pytest.mark.parametrize("collector", ["-XX:+UseG1GC", "-XX:+UseSerialGC", "-XX:+UseParallelGC"])
def test_a_collector_chosen_in_the_variable_replaces_the_engines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector: str
) -> None:
    """The JVM refuses to start with two collectors ("Multiple garbage collectors selected")."""
    monkeypatch.setenv("LAKEHOUSE_JAVA_OPTIONS", f"-Xss4m {collector}")
    options = java_options(tmp_path)
    assert [o for o in options if o.startswith("-XX:+Use") and o.endswith("GC")] == [collector]
    assert "-XX:Tier4InvocationThreshold=20000" in options
