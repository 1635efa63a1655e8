"""The four CSV exports as they really are, turned into one row per data line with its fields.

Why not Spark's CSV reader: the ids of an export are the 1-based row order of its file (the source's
SERIALs assigned them that way), so line order must be exact, and ``endereco`` holds unquoted commas
(``Condomínio A,Rua das Palmeiras, 123, Centro``). Each file is therefore read whole (bronze keeps
it as received) and split here: a BOM is dropped, CRLF and LF both end a line, blank lines are no
rows, and the **last** column takes everything after the comma before it. Quoted fields
(``"Rua do Porto, 45"``, ``""`` for a quote) work in every column.

An export may also carry its id column first (``condominio_id,nome,endereco``); then its ids win.
A header that matches neither layout marks every line of the file, and the quarantine says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.columns import SOURCE_COLUMNS

# One CSV field that is not the last one: quoted (with "" for a quote inside) or without commas.
# Possessive quantifiers: Java's regex engine recurses once per character of a backtracking
# ``(?:[^"]|"")*``, so a quoted field of a few thousand characters overflowed the stack and killed the
# JVM (every retry of the stream would do the same); possessive matching never backtracks.
FIELD = r'(?:"(?:[^"]++|"")*+"|[^,"]*+)'
QUOTED = r'^"(?:[^"]++|"")*+"$'
BOM = "\ufeff"


@dataclass(frozen=True)
class Export:
    """One exported table: its name, its SERIAL column and its other columns, in file order."""

    table: str
    id_column: str
    columns: tuple[str, ...]

    @property
    def with_id(self) -> tuple[str, ...]:
        return (self.id_column, *self.columns)


CONDOMINIOS = Export("condominios", "condominio_id", ("nome", "endereco"))
IMOVEIS = Export("imoveis", "imovel_id", ("tipo", "condominio_id", "valor"))
MORADORES = Export("moradores", "morador_id", ("nome", "condominio_id", "data_registro"))
TRANSACOES = Export("transacoes", "transacao_id", ("imovel_id", "morador_id", "data_transacao", "valor_transacao"))
EXPORTS = (CONDOMINIOS, IMOVEIS, MORADORES, TRANSACOES)


def line_pattern(fields: int) -> str:
    """A whole line of ``fields`` fields, one group each; the last field is the rest of the line."""
    return "^" + "".join(f"({FIELD})," for _ in range(fields - 1)) + "(.*)$"


def file_lines(files: DataFrame) -> DataFrame:
    """One row per data line of each landed file (bronze: one row per file), numbered from 1.

    The header travels with every line, so each line can be parsed on its own.
    """
    text = F.regexp_replace(F.col("raw_payload"), f"^{BOM}", "")
    lines = F.filter(F.split(text, "\r?\n"), lambda line: F.trim(line) != F.lit(""))
    data = F.filter(lines, lambda _line, index: index > 0)
    exploded = files.select(
        F.try_element_at(lines, F.lit(1)).alias("header"),
        F.posexplode(data).alias("position", "line"),
        *[F.col(c) for c in SOURCE_COLUMNS[1:]],
        F.col("file_modification_time"),
    )
    return exploded.select(
        (F.col("position") + 1).cast("int").alias("line_number"),
        F.col("header"),
        F.col("line").alias("raw_payload"),
        *[F.col(c) for c in SOURCE_COLUMNS[1:]],
        F.col("file_modification_time"),
    )


def unquote(field: Column) -> Column:
    """A quoted CSV field without its quotes (``""`` -> ``"``); an unquoted one trimmed."""
    trimmed = F.trim(field)
    inner = F.regexp_replace(F.regexp_extract(trimmed, r'^"(.*)"$', 1), '""', '"')
    return F.when(trimmed.rlike(QUOTED), inner).otherwise(trimmed)


def header_names(header: Column) -> Column:
    """The header's column names, unquoted and lower-cased, as ``array<string>``."""
    return F.transform(F.split(header, ","), lambda name: F.lower(unquote(name)))


def names_equal(header: Column, names: tuple[str, ...]) -> Column:
    return F.coalesce(header_names(header) == F.array(*[F.lit(n) for n in names]), F.lit(False))


def parse_lines(lines: DataFrame, export: Export) -> DataFrame:
    """Lines of one export with ``has_id_column``, ``header_ok``, ``fields_ok``, ``id`` and text fields.

    Fields are text here (``<column>_text``); typing and rules come in :mod:`lakehouse.condo.silver`.
    ``record_id`` is the file's id column when it has one (NULL unless a whole number), else the line number.
    """
    has_id = names_equal(F.col("header"), export.with_id)
    header_ok = has_id | names_equal(F.col("header"), export.columns)
    with_id, without_id = line_pattern(len(export.with_id)), line_pattern(len(export.columns))
    line = F.col("raw_payload")

    def field(index: int) -> Column:
        return unquote(
            F.when(has_id, F.regexp_extract(line, with_id, index + 2)).otherwise(
                F.regexp_extract(line, without_id, index + 1)
            )
        )

    id_text = unquote(F.regexp_extract(line, with_id, 1))
    record_id = F.when(has_id, F.when(id_text.rlike(r"^[0-9]{1,9}$"), id_text.try_cast("int"))).otherwise(
        F.col("line_number")
    )
    return lines.select(
        F.lit(export.table).alias("export"),
        F.col("line_number"),
        record_id.alias("record_id"),
        header_ok.alias("header_ok"),
        F.when(has_id, line.rlike(with_id)).otherwise(line.rlike(without_id)).alias("fields_ok"),
        *[field(i).alias(f"{name}_text") for i, name in enumerate(export.columns)],
        *[F.col(c) for c in SOURCE_COLUMNS],
    )
