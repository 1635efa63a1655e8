"""No secret value in the repository or in any configuration the bundle renders."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from lakehouse.local import bundle
from lakehouse.local.engine import RunOptions, pipeline_configuration, write_spec
from lakehouse.local.home import Home

ROOT = Path(__file__).resolve().parents[2]
# Built at run time so that this file itself holds no secret-shaped string.
SENTINEL = "Endpoint=sb://leak.servicebus.windows.net/;SharedAccessKeyName=k;" + "SharedAccessKey=" + "TOPSECRET" * 3
SECRET_SHAPES = [
    re.compile(r"SharedAccessKey=[A-Za-z0-9+/]{20,}={0,2}"),
    re.compile(r"dapi[0-9a-f]{32}"),  # Databricks personal access token
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
]


def test_no_committed_file_holds_a_secret():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    leaks = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(errors="ignore")
        leaks += [f"{name}: {shape.pattern}" for shape in SECRET_SHAPES if shape.search(text)]
    assert not leaks


def test_rendered_configuration_never_holds_the_connection_string(monkeypatch, tmp_path):
    monkeypatch.setenv("EVENTHUBS_CONNECTION_STRING", SENTINEL)
    for target in ("local", "dev", "prod"):
        for pipeline in bundle.pipelines(ROOT, target).values():
            if "lakehouse.secrets.eventhubs_key" not in pipeline.configuration:
                continue  # file-fed pipelines have no broker credentials at all
            configuration = pipeline_configuration(
                pipeline, ROOT, RunOptions(overrides={"lakehouse.source": "eventhubs"})
            )
            assert SENTINEL not in str(configuration)
            spec = write_spec(Home(tmp_path / target), pipeline, configuration)
            assert "TOPSECRETVALUE" not in spec.read_text()
            assert configuration["lakehouse.secrets.eventhubs_key"]  # only the key's name travels
