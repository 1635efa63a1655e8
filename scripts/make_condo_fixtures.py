"""Regenerate ``fixtures/condo/``: one export file per CondoManage table, as the source writes them.

The tables come from :func:`lakehouse.produce.condo.synthetic_condo` (seeded, edge cases included);
each file is written in a different byte-level shape the pipeline must read: ``condominios`` with a
BOM, CRLF and no trailing newline, ``imoveis`` with its id column (ids from 101: the file's ids win
over row order), ``moradores`` without a trailing newline. ``tests/unit/test_condo_fixtures.py``
regenerates them and fails if the committed files differ.

    uv run python scripts/make_condo_fixtures.py             # rewrites fixtures/condo/
    uv run python scripts/make_condo_fixtures.py --root DIR  # writes DIR/condo/ instead
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lakehouse.produce.condo import export_text, synthetic_condo
from lakehouse.produce.files import write_atomically

EXPORT_NAME = "{table}-2025-01-31.csv"


def write(root: Path) -> list[Path]:
    tables = synthetic_condo()
    texts = {
        "condominios": export_text(tables.condominios, bom=True, crlf=True, trailing_newline=False),
        "imoveis": export_text(tables.imoveis, id_column="imovel_id"),
        "moradores": export_text(tables.moradores, trailing_newline=False),
        "transacoes": export_text(tables.transacoes),
    }
    return [
        write_atomically(root / "condo" / table / EXPORT_NAME.format(table=table), text)
        for table, text in texts.items()
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1] / "fixtures")
    for path in write(parser.parse_args().root):
        print(path)
