"""Typing, rules and foreign keys of the four exports: what silver keeps and what it quarantines.

Every rule is data (``{name: sql}``) evaluated on the parsed line (:func:`lakehouse.condo.exports.
parse_lines`) so the quarantine can name each rule a line failed. Foreign keys resolve against the
*valid* silver rows of the parent with a left join: a transaction whose property or resident does
not exist, or was itself quarantined, fails ``imovel_exists`` / ``morador_exists`` and is
quarantined - an inner join would have dropped it without a trace.

Two facts are warnings, not rejections (the rows stay; the run summary counts them): a resident who
lives in another condominium than the property, and a transaction dated before the resident's
``data_registro``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.columns import MONEY
from lakehouse.condo.exports import CONDOMINIOS, IMOVEIS, MORADORES, TRANSACOES, Export, parse_lines
from lakehouse.quality import Rules, keep_valid
from lakehouse.quarantine import to_quarantine

WHOLE_NUMBER = "^[0-9]{1,9}$"
DECIMAL = "^-?[0-9]{1,13}([.][0-9]{1,2})?$"
ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

RECORD_RULES: Rules = {
    "header_known": "header_ok",
    "line_well_formed": "fields_ok",
    "id_is_whole_number": "record_id IS NOT NULL",
    "id_unique": "id_occurrences = 1",
}


def present(column: str) -> dict[str, str]:
    return {f"{column}_present": f"length({column}_text) > 0"}


def whole_number_rule(column: str) -> dict[str, str]:
    """On the typed value, not the text: a text the pattern admits but the cast refuses fails here
    (see :func:`whole_number`) instead of reaching silver as a NULL key."""
    return {f"{column}_is_whole_number": f"{column} IS NOT NULL"}


def money_rules(column: str) -> dict[str, str]:
    return {
        f"{column}_is_decimal": f"{column}_text RLIKE '{DECIMAL}'",
        f"{column}_not_negative": f"{column} IS NULL OR {column} >= 0",
    }


def date_rule(column: str) -> dict[str, str]:
    return {f"{column}_is_date": f"{column} IS NOT NULL"}


def exists_rule(parent: str, column: str) -> dict[str, str]:
    """A malformed key already fails its own rule; this one says the parent is missing or rejected."""
    return {f"{parent}_exists": f"{column} IS NULL OR {parent}_found"}


CONDOMINIO_RULES: Rules = {**RECORD_RULES, **present("nome"), **present("endereco")}
IMOVEL_RULES: Rules = {
    **RECORD_RULES,
    **present("tipo"),
    **whole_number_rule("condominio_id"),
    **exists_rule("condominio", "condominio_id"),
    **money_rules("valor"),
}
MORADOR_RULES: Rules = {
    **RECORD_RULES,
    **present("nome"),
    **whole_number_rule("condominio_id"),
    **exists_rule("condominio", "condominio_id"),
    **date_rule("data_registro"),
}
TRANSACAO_RULES: Rules = {
    **RECORD_RULES,
    **whole_number_rule("imovel_id"),
    **exists_rule("imovel", "imovel_id"),
    **whole_number_rule("morador_id"),
    **exists_rule("morador", "morador_id"),
    **date_rule("data_transacao"),
    **money_rules("valor_transacao"),
}
TRANSACAO_WARNINGS: Rules = {
    "resident_lives_in_property_condominium": "morador_condominio_id = imovel_condominio_id",
    "dated_on_or_after_resident_registration": "data_transacao >= morador_data_registro",
}
RULES: Mapping[str, Rules] = {
    CONDOMINIOS.table: CONDOMINIO_RULES,
    IMOVEIS.table: IMOVEL_RULES,
    MORADORES.table: MORADOR_RULES,
    TRANSACOES.table: TRANSACAO_RULES,
}

SILVER_COLUMNS: Mapping[str, tuple[str, ...]] = {
    CONDOMINIOS.table: ("condominio_id", "nome", "endereco"),
    IMOVEIS.table: ("imovel_id", "tipo", "condominio_id", "valor"),
    MORADORES.table: ("morador_id", "nome", "condominio_id", "data_registro"),
    TRANSACOES.table: (
        "transacao_id",
        "imovel_id",
        "morador_id",
        "data_transacao",
        "valor_transacao",
        "imovel_condominio_id",
        "morador_condominio_id",
        "morador_data_registro",
    ),
}
PROVENANCE = ("file_path", "line_number", "ingested_at")


def whole_number(text: Column) -> Column:
    r"""A whole number that fits an int, NULL otherwise - never an error.

    ``try_cast``, not ``cast``: a regex's ``$`` also matches before a line terminator that ends the
    text, so ``1\u2028`` (or ``\u0085``, ``\u2029``) passes :data:`WHOLE_NUMBER`, and a plain cast of
    it raised under ANSI mode and failed every run of the view.
    """
    return F.when(text.rlike(WHOLE_NUMBER), text.try_cast("int"))


def money(text: Column) -> Column:
    return F.when(text.rlike(DECIMAL), text.cast(MONEY))


def calendar_date(text: Column) -> Column:
    """An ISO date that exists (``2024-02-30`` does not): NULL otherwise, never an error."""
    return F.when(text.rlike(ISO_DATE), text.try_cast("date"))


def text(value: Column) -> Column:
    return value


TYPES: Mapping[str, Callable[[Column], Column]] = {
    "int": whole_number,
    "money": money,
    "date": calendar_date,
    "text": text,
}


def typed(lines: DataFrame, export: Export, types: Mapping[str, str]) -> DataFrame:
    """Parsed lines with each column typed (``<column>``) next to its text and the id's count."""
    parsed = parse_lines(lines, export)
    return parsed.select(
        "*",
        F.count(F.lit(1)).over(Window.partitionBy("record_id")).alias("id_occurrences"),
        *[TYPES[types.get(c, "text")](F.col(f"{c}_text")).alias(c) for c in export.columns],
    )


def resolve(child: DataFrame, parents: DataFrame, column: str, parent: str, carry: Mapping[str, str]) -> DataFrame:
    """``child`` with ``<parent>_found`` (its ``column`` is a valid parent) and parent columns as ``carry``.

    A left join on the parents' unique ids: every child row stays, found or not.
    """
    key = f"{parent}_id"
    found = parents.select(
        F.col(key).alias("__parent_key"),
        F.lit(True).alias(f"{parent}_found"),
        *[F.col(source).alias(name) for name, source in carry.items()],
    )
    joined = child.alias("child").join(
        found.alias("parent"), F.col(f"child.{column}") == F.col("parent.__parent_key"), "left"
    )
    # Aliases, not ``child.columns``: a query function must not analyse a table of its own layer.
    return joined.select(
        "child.*",
        F.coalesce(F.col(f"parent.{parent}_found"), F.lit(False)).alias(f"{parent}_found"),
        *[F.col(f"parent.{name}") for name in carry],
    )


def check_condominios(lines: DataFrame) -> DataFrame:
    return typed(lines, CONDOMINIOS, {})


def check_imoveis(lines: DataFrame, condominios: DataFrame) -> DataFrame:
    imoveis = typed(lines, IMOVEIS, {"condominio_id": "int", "valor": "money"})
    return resolve(imoveis, condominios, "condominio_id", "condominio", {})


def check_moradores(lines: DataFrame, condominios: DataFrame) -> DataFrame:
    moradores = typed(lines, MORADORES, {"condominio_id": "int", "data_registro": "date"})
    return resolve(moradores, condominios, "condominio_id", "condominio", {})


def check_transacoes(lines: DataFrame, imoveis: DataFrame, moradores: DataFrame) -> DataFrame:
    transacoes = typed(
        lines,
        TRANSACOES,
        {"imovel_id": "int", "morador_id": "int", "data_transacao": "date", "valor_transacao": "money"},
    )
    with_property = resolve(transacoes, imoveis, "imovel_id", "imovel", {"imovel_condominio_id": "condominio_id"})
    return resolve(
        with_property,
        moradores,
        "morador_id",
        "morador",
        {"morador_condominio_id": "condominio_id", "morador_data_registro": "data_registro"},
    )


def to_silver(checked: DataFrame, export: Export) -> DataFrame:
    """The rows that pass every rule of ``export``, with their id under its source name."""
    columns = SILVER_COLUMNS[export.table]
    renamed = {export.id_column: "record_id"}
    return keep_valid(checked, RULES[export.table]).select(
        *[F.col(renamed.get(c, c)).alias(c) for c in columns], *PROVENANCE
    )


def to_condo_quarantine(checked: Mapping[str, DataFrame]) -> DataFrame:
    """Rejected lines of every export in one table: the line as received, its export and id, the rules."""
    rejected = [
        to_quarantine(frame, RULES[table], identifiers=("export", "line_number", "record_id"))
        for table, frame in checked.items()
    ]
    union = rejected[0]
    for frame in rejected[1:]:
        union = union.unionByName(frame)
    return union
