"""The condo transforms on local PySpark: export lines, fields, ids, rules, foreign keys, reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from chispa import assert_df_equality

from lakehouse.condo import exports, gold, silver
from lakehouse.condo.exports import CONDOMINIOS, IMOVEIS, MORADORES, TRANSACOES
from lakehouse.quality import with_failed_rules
from tests.unit.bronze import BRONZE_DDL

LANDED = datetime(2025, 1, 31, 6, 0)


def files(spark, *texts: str, table: str = "condominios"):
    rows = [
        (text, None, None, None, None, None, f"/landing/condo/{table}/{i}.csv", LANDED, LANDED)
        for i, text in enumerate(texts)
    ]
    return spark.createDataFrame(rows, BRONZE_DDL)


def lines(spark, text: str, table: str = "condominios"):
    return exports.file_lines(files(spark, text, table=table))


def checked_rows(frame) -> dict[int, list[str]]:
    """line_number -> failed rules, for every checked line."""
    return {r["line_number"]: r["failed_rules"] for r in frame.select("line_number", "failed_rules").collect()}


def failures(frame, rules) -> dict[int, list[str]]:
    from lakehouse.quality import with_failed_rules

    return checked_rows(with_failed_rules(frame, rules))


def test_lines_are_numbered_from_one_after_the_header_whatever_the_line_ends(spark):
    text = "\ufeffnome,endereco\r\nA,Rua 1\r\n\r\nB,Rua 2"  # BOM, CRLF, a blank line, no trailing newline
    got = lines(spark, text).select("line_number", "header", "raw_payload", "file_path")
    path = "/landing/condo/condominios/0.csv"
    expected = spark.createDataFrame(
        [(1, "nome,endereco", "A,Rua 1", path), (2, "nome,endereco", "B,Rua 2", path)],
        "line_number int, header string, raw_payload string, file_path string",
    )
    assert_df_equality(got, expected, ignore_nullable=True, ignore_row_order=True)


def test_a_file_with_only_its_header_or_nothing_has_no_lines(spark):
    assert lines(spark, "nome,endereco\n").count() == 0
    assert lines(spark, "").count() == 0


def test_the_address_is_everything_after_the_first_comma_and_quotes_work(spark):
    text = 'nome,endereco\nCondomínio A,Rua das Palmeiras, 123, Centro\n"Torre ""Sul"", Bloco 2","Rua X, 9"\n'
    got = exports.parse_lines(lines(spark, text), CONDOMINIOS).select(
        "record_id", "fields_ok", "nome_text", "endereco_text"
    )
    expected = spark.createDataFrame(
        [(1, True, "Condomínio A", "Rua das Palmeiras, 123, Centro"), (2, True, 'Torre "Sul", Bloco 2', "Rua X, 9")],
        "record_id int, fields_ok boolean, nome_text string, endereco_text string",
    )
    assert_df_equality(got, expected, ignore_nullable=True, ignore_row_order=True)


def test_an_export_with_its_id_column_keeps_its_ids(spark):
    text = "imovel_id,tipo,condominio_id,valor\n101,Casa,1,10.00\n7,Duplex,1,20.00\nx,Casa,1,1.00\n"
    got = exports.parse_lines(lines(spark, text, "imoveis"), IMOVEIS).select("line_number", "record_id", "tipo_text")
    expected = spark.createDataFrame(
        [(1, 101, "Casa"), (2, 7, "Duplex"), (3, None, "Casa")], "line_number int, record_id int, tipo_text string"
    )
    assert_df_equality(got, expected, ignore_nullable=True, ignore_row_order=True)


def test_an_unknown_header_and_a_short_line_are_rejected_with_their_reason(spark):
    unknown = silver.check_condominios(lines(spark, "name,address\nA,Rua 1\n"))
    assert failures(unknown, silver.CONDOMINIO_RULES) == {1: ["header_known"]}
    short = silver.check_imoveis(lines(spark, "tipo,condominio_id,valor\nCasa,1\n", "imoveis"), condos(spark))
    assert "line_well_formed" in failures(short, silver.IMOVEL_RULES)[1]


def test_duplicate_ids_in_an_export_that_carries_them_are_rejected(spark):
    text = "condominio_id,nome,endereco\n1,A,Rua 1\n1,B,Rua 2\n2,C,Rua 3\n"
    got = failures(silver.check_condominios(lines(spark, text)), silver.CONDOMINIO_RULES)
    assert got == {1: ["id_unique"], 2: ["id_unique"], 3: []}


def condos(spark, *ids: int):
    rows = [(i, f"C{i}", "Rua") for i in ids or (1,)]
    return spark.createDataFrame(rows, "condominio_id int, nome string, endereco string")


@pytest.mark.parametrize(
    ("line", "rules"),
    [
        ("Casa,1,950000.00", []),
        ("Casa,1,-1.00", ["valor_not_negative"]),
        ("Casa,1,1.234", ["valor_is_decimal"]),
        ("Casa,1,", ["valor_is_decimal"]),
        (",1,10.00", ["tipo_present"]),
        ("Casa,x,10.00", ["condominio_id_is_whole_number"]),
        ("Casa,2,10.00", ["condominio_exists"]),
    ],
)
def test_property_rules(spark, line, rules):
    checked = silver.check_imoveis(lines(spark, f"tipo,condominio_id,valor\n{line}", "imoveis"), condos(spark, 1))
    assert failures(checked, silver.IMOVEL_RULES) == {1: rules}


def test_a_key_ended_by_a_unicode_line_terminator_is_rejected_not_an_error(spark):
    """Found by test_condo_properties: ``$`` matches before a final U+2028, and the plain cast raised."""
    text = "tipo,condominio_id,valor\nCasa,1\u2028,10.00\nCasa,1\u0085,10.00\nCasa,1,10.00\n"
    checked = with_failed_rules(
        silver.check_imoveis(lines(spark, text, "imoveis"), condos(spark, 1)), silver.IMOVEL_RULES
    )
    got = checked.select("line_number", "condominio_id", "failed_rules")
    rejected = ["condominio_id_is_whole_number"]
    want = spark.createDataFrame(
        [(1, None, rejected), (2, None, rejected), (3, 1, [])],
        "line_number int, condominio_id int, failed_rules array<string>",
    )
    assert_df_equality(got, want, ignore_nullable=True, ignore_row_order=True)


def test_an_id_column_value_ended_by_a_unicode_line_terminator_is_rejected_not_an_error(spark):
    text = "condominio_id,nome,endereco\n1\u2028,A,Rua 1\n2,B,Rua 2\n"
    got = failures(silver.check_condominios(lines(spark, text)), silver.CONDOMINIO_RULES)
    assert got == {1: ["id_is_whole_number"], 2: []}


def test_a_quoted_field_of_any_length_is_read_not_a_stack_overflow(spark):
    """A 100,000-character quoted (or unclosed) field once overflowed the regex stack and killed the JVM."""
    long = "x" * 100_000
    text = f'condominio_id,nome,endereco\n1,"{long}",Rua 1\n2,"{long},Rua 2\n3,C,Rua 3\n'
    checked = silver.check_condominios(lines(spark, text))
    got = failures(checked, silver.CONDOMINIO_RULES)
    assert got[1] == [] and got[3] == [] and got[2] != []


def test_dates_must_exist_on_the_calendar(spark):
    text = "nome,condominio_id,data_registro\nA,1,2024-02-29\nB,1,2024-02-30\nC,1,01/02/2024\n"
    got = failures(silver.check_moradores(lines(spark, text, "moradores"), condos(spark, 1)), silver.MORADOR_RULES)
    assert got == {1: [], 2: ["data_registro_is_date"], 3: ["data_registro_is_date"]}


def parents(spark):
    imoveis = spark.createDataFrame(
        [(1, "Casa", 1, Decimal("10.00")), (2, "Apartamento", 2, Decimal("20.00"))],
        "imovel_id int, tipo string, condominio_id int, valor decimal(18,2)",
    )
    moradores = spark.createDataFrame(
        [(1, "Ana", 1, date(2024, 1, 1)), (2, "Ana", 2, date(2024, 6, 1))],
        "morador_id int, nome string, condominio_id int, data_registro date",
    )
    return imoveis, moradores


def test_a_transaction_with_a_missing_or_rejected_parent_is_quarantined_not_dropped(spark):
    header = "imovel_id,morador_id,data_transacao,valor_transacao"
    text = f"{header}\n1,1,2024-02-01,5.00\n3,1,2024-02-01,5.00\n1,9,2024-02-01,5.00\n"
    checked = silver.check_transacoes(lines(spark, text, "transacoes"), *parents(spark))
    assert failures(checked, silver.TRANSACAO_RULES) == {1: [], 2: ["imovel_exists"], 3: ["morador_exists"]}
    quarantine = silver.to_condo_quarantine({"transacoes": checked})
    assert sorted(r["line_number"] for r in quarantine.collect()) == [2, 3]
    assert [r["transacao_id"] for r in silver.to_silver(checked, TRANSACOES).collect()] == [1]


def test_warnings_keep_the_row_and_say_what_is_odd(spark):
    text = "imovel_id,morador_id,data_transacao,valor_transacao\n1,1,2024-02-01,5.00\n1,2,2024-02-01,5.00\n"
    kept = silver.to_silver(silver.check_transacoes(lines(spark, text, "transacoes"), *parents(spark)), TRANSACOES)
    flagged = failures(kept, silver.TRANSACAO_WARNINGS)
    assert flagged == {
        1: [],
        2: ["resident_lives_in_property_condominium", "dated_on_or_after_resident_registration"],
    }


def silver_transactions(spark, rows):
    return spark.createDataFrame(
        rows, "transacao_id int, imovel_id int, morador_id int, data_transacao date, valor_transacao decimal(18,2), "
        "imovel_condominio_id int"
    )  # fmt: skip


def test_reports_attribute_to_the_property_keep_homonyms_apart_and_keep_the_day(spark):
    imoveis, moradores = parents(spark)
    condominios = condos(spark, 1, 2, 3)
    day = date(2024, 3, 1)
    transacoes = silver_transactions(
        spark,
        [
            (1, 1, 2, day, Decimal("1.10"), 1),
            (2, 1, 2, day, Decimal("2.20"), 1),
            (3, 2, 1, date(2024, 3, 2), Decimal("5.00"), 2),
        ],
    )
    by_condominium = gold.transactions_by_condominium(transacoes, condominios)
    assert [tuple(r) for r in by_condominium.collect()] == [
        (1, "C1", Decimal("3.30"), 2),
        (2, "C2", Decimal("5.00"), 1),
        (3, "C3", Decimal("0.00"), 0),
    ]
    by_resident = gold.transactions_by_resident(transacoes, moradores)
    assert [tuple(r) for r in by_resident.collect()] == [
        (1, "Ana", 1, Decimal("5.00"), 1),
        (2, "Ana", 2, Decimal("3.30"), 2),
    ]
    daily = gold.daily_transactions_by_property_type(transacoes, imoveis)
    assert [tuple(r) for r in daily.collect()] == [
        (day, "Casa", Decimal("3.30"), 2),
        (date(2024, 3, 2), "Apartamento", Decimal("5.00"), 1),
    ]
    assert dict(daily.dtypes)["total_value"] == "decimal(18,2)"


def test_every_export_has_rules_and_silver_columns():
    for export in (CONDOMINIOS, IMOVEIS, MORADORES, TRANSACOES):
        assert set(silver.RECORD_RULES) <= set(silver.RULES[export.table])
        assert silver.SILVER_COLUMNS[export.table][0] == export.id_column
