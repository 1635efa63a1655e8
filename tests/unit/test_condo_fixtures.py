"""fixtures/condo: reproducible from the script, with the byte-level shapes the exports really have."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]


def script() -> ModuleType:
    return load_script("make_condo_fixtures")


def test_committed_fixtures_equal_what_the_script_writes(tmp_path: Path) -> None:
    written = script().write(tmp_path)
    for path in written:
        committed = ROOT / "fixtures" / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), f"{committed} differs: run scripts/make_condo_fixtures.py"


def test_the_exports_have_the_shapes_the_pipeline_must_read() -> None:
    folder = ROOT / "fixtures" / "condo"
    condominios = next((folder / "condominios").glob("*.csv")).read_bytes()
    assert condominios.startswith("\ufeff".encode()) and b"\r\n" in condominios and not condominios.endswith(b"\n")
    assert b'"Rua do Porto, 45, Centro"' in condominios  # a quoted address among unquoted ones
    assert next((folder / "imoveis").glob("*.csv")).read_text().startswith("imovel_id,")
    moradores = next((folder / "moradores").glob("*.csv")).read_text()
    assert moradores.count("João Silva") >= 2 and not moradores.endswith("\n")
