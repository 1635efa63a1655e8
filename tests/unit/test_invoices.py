from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from chispa import assert_df_equality

from lakehouse.invoices import gold as invoices_gold
from lakehouse.invoices import silver as invoices_silver
from lakehouse.quality import keep_rejected, keep_valid
from tests.unit.bronze import BRONZE_DDL

INGESTED = datetime(2020, 1, 2, 6, 0, tzinfo=UTC)
REFERENCE = date(2020, 1, 1)

INVOICE_DDL = "customer string, account string, month date, invoice decimal(18,2), ingested_at timestamp"
AVERAGES_DDL = (
    "customer string, account string, reference_date date, avg_invoice_3m decimal(18,2), avg_invoice_6m decimal(18,2)"
)


def bronze(spark, *lines: str | None):
    rows = [(line, None, None, None, None, None, "invoices.csv", None, INGESTED) for line in lines]
    return spark.createDataFrame(rows, BRONZE_DDL)


def failed(spark, *lines: str) -> list[list[str]]:
    rejected = keep_rejected(invoices_silver.parse_invoices(bronze(spark, *lines)), invoices_silver.quarantine_rules())
    return [list(row.failed_rules) for row in rejected.collect()]


def invoices(spark, rows):
    """Silver invoices from (customer, account, month, invoice) tuples, all received at INGESTED."""
    return spark.createDataFrame(
        [(c, a, date.fromisoformat(m), Decimal(i), INGESTED) for c, a, m, i in rows], INVOICE_DDL
    )


def averages(*rows):
    return [
        (c, a, REFERENCE, None if m3 is None else Decimal(m3), None if m6 is None else Decimal(m6))
        for c, a, m3, m6 in rows
    ]


# ---- parsing and rules ---------------------------------------------------------------------------


def test_a_line_becomes_typed_columns_with_its_source_metadata(spark):
    got = invoices_silver.parse_invoices(bronze(spark, "C1000,A1100,2019-12-01,80000")).drop(
        "invoice_text", "invoice_is_number", "invoice_places", "invoice_value", "payload_not_empty"
    )
    want = spark.createDataFrame(
        [
            (
                "C1000",
                "A1100",
                date(2019, 12, 1),
                Decimal("80000.00"),
                True,
                "C1000,A1100,2019-12-01,80000",
                None,
                None,
                None,
                None,
                None,
                "invoices.csv",
                INGESTED,
            )
        ],
        "customer string, account string, month date, invoice decimal(18,2), has_four_fields boolean, "
        "raw_payload string, kafka_key string, topic string, partition int, offset bigint, kafka_timestamp timestamp, "
        "file_path string, ingested_at timestamp",
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_header_lines_are_not_records(spark):
    lines = [invoices_silver.HEADER, "\ufeffcustomer,account,month,invoice ", "C1000,A1100,2019-12-01,80000"]
    got = invoices_silver.parse_invoices(bronze(spark, *lines)).select("raw_payload")
    want = spark.createDataFrame([("C1000,A1100,2019-12-01,80000",)], "raw_payload string")
    assert_df_equality(got, want, ignore_nullable=True)


def test_a_valid_line_fails_no_rule(spark):
    assert failed(spark, "C1000,A1100,2019-12-01,1234.50") == []


def test_a_negative_invoice_is_rejected(spark):
    assert failed(spark, "C1000,A1100,2019-12-01,-0.01") == [["invoice_not_negative"]]


def test_a_month_that_is_not_a_first_day_is_rejected(spark):
    assert failed(spark, "C1000,A1100,2019-12-15,100") == [["month_is_first_day"]]


def test_a_missing_account_is_rejected(spark):
    assert failed(spark, "C1000,,2019-12-01,100") == [["account_present"]]


def test_unparsable_month_and_invoice_are_rejected(spark):
    got = failed(spark, "C1000,A1100,2019-13-01,100", "C1000,A1100,2019-12-01,abc")
    assert got == [["month_parsable"], ["invoice_not_a_number"]]


def test_an_invoice_amount_is_never_rounded_and_never_overflows(spark):
    got = failed(spark, "C1,A1,2019-12-01,1234.555", "C1,A1,2019-12-01,1e16", "C1,A1,2019-12-01,99999999999999999999")
    assert got == [["invoice_has_at_most_two_decimals"], ["invoice_in_range"], ["invoice_in_range"]]
    parsed = invoices_silver.parse_invoices(bronze(spark, "C1,A1,2019-12-01,1234.555", "C1,A1,2019-12-01,1234.5"))
    assert [row.invoice for row in parsed.collect()] == [None, Decimal("1234.50")]


def test_a_line_with_too_many_or_too_few_fields_is_rejected(spark):
    got = failed(spark, "C1000,A1100,2019-12-01,100,extra", "C1000,A1100,2019-12-01")
    assert got == [["four_fields"], ["four_fields", "invoice_present"]]


def test_an_empty_record_is_quarantined_with_that_reason_alone(spark):
    """An empty export lands as one empty record (issue 14 item 8): one reason, not every missing field."""
    assert failed(spark, "", " \t") == [["payload_not_empty"]] * 2


def test_silver_invoices_keep_the_typed_columns_and_arrival_time(spark):
    parsed = invoices_silver.parse_invoices(bronze(spark, "C1000,A1100,2019-12-01,80000"))
    got = invoices_silver.to_invoices(keep_valid(parsed, invoices_silver.INVOICE_RULES))
    want = invoices(spark, [("C1000", "A1100", "2019-12-01", "80000.00")])
    assert_df_equality(got, want, ignore_nullable=True)


# ---- averages ------------------------------------------------------------------------------------


def test_averages_from_csv_lines(spark):
    # Hand-checked with reference 2020-01-01 (3 months: Oct-Dec; 6 months: Jul-Dec):
    #   A1100  3m (350.00 + 410.50 + 10.00) / 3 = 256.8333 -> 256.83
    #          6m (120.10 + 80.00 + 99.99 + 350.00 + 410.50 + 10.00) / 6 = 178.4317 -> 178.43
    #   A1200  Oct-Dec only: 3m (900 + 550 + 70) / 3 = 506.67; 6m NULL (3 of 6 months)
    #   A2100  Jun is outside both windows: 3m (730 + 12 + 920) / 3 = 554.00; 6m NULL
    #   A2200  a January invoice only: no row
    lines = [
        invoices_silver.HEADER,
        "C1000,A1100,2019-07-01,120.10",
        "C1000,A1100,2019-08-01,80",
        "C1000,A1100,2019-09-01,99.99",
        "C1000,A1100,2019-10-01,350",
        "C1000,A1100,2019-11-01,410.50",
        "C1000,A1100,2019-12-01,10",
        "C1000,A1200,2019-10-01,900",
        "C1000,A1200,2019-11-01,550",
        "C1000,A1200,2019-12-01,70",
        "C2000,A2100,2019-06-01,100",
        "C2000,A2100,2019-10-01,730",
        "C2000,A2100,2019-11-01,12",
        "C2000,A2100,2019-12-01,920",
        "C2000,A2200,2020-01-01,500",
    ]
    parsed = invoices_silver.parse_invoices(bronze(spark, *lines))
    silver = invoices_silver.to_invoices(keep_valid(parsed, invoices_silver.INVOICE_RULES))
    got = invoices_gold.invoice_averages(silver, REFERENCE)
    want = spark.createDataFrame(
        averages(
            ("C1000", "A1100", "256.83", "178.43"),
            ("C1000", "A1200", "506.67", None),
            ("C2000", "A2100", "554.00", None),
        ),
        AVERAGES_DDL,
    )
    assert_df_equality(got, want, ignore_nullable=True, ignore_row_order=True)


def test_a_month_exactly_n_months_before_the_reference_is_in_the_window(spark):
    rows = [("C1", "A1", f"2019-{m:02d}-01", "10.00") for m in range(7, 13)]  # Jul = reference - 6 months
    got = invoices_gold.invoice_averages(invoices(spark, rows), REFERENCE)
    want = spark.createDataFrame(averages(("C1", "A1", "10.00", "10.00")), AVERAGES_DDL)
    assert_df_equality(got, want, ignore_nullable=True)


def test_an_account_with_fewer_than_n_months_has_a_null_average(spark):
    rows = [("C1", "A1", "2019-11-01", "10.00"), ("C1", "A1", "2019-12-01", "20.00")]
    got = invoices_gold.invoice_averages(invoices(spark, rows), REFERENCE)
    want = spark.createDataFrame(averages(("C1", "A1", None, None)), AVERAGES_DDL)
    assert_df_equality(got, want, ignore_nullable=True)


def test_a_missing_month_in_the_window_makes_the_average_null(spark):
    rows = [
        ("C1", "A1", "2019-09-01", "10.00"),
        ("C1", "A1", "2019-10-01", "10.00"),
        ("C1", "A1", "2019-12-01", "10.00"),
    ]
    got = invoices_gold.invoice_averages(invoices(spark, rows), REFERENCE)
    want = spark.createDataFrame(averages(("C1", "A1", None, None)), AVERAGES_DDL)
    assert_df_equality(got, want, ignore_nullable=True)


def test_an_account_with_invoices_only_from_the_reference_on_has_no_row(spark):
    rows = [("C1", "A1", "2020-01-01", "10.00"), ("C1", "A1", "2020-02-01", "20.00")]
    got = invoices_gold.invoice_averages(invoices(spark, rows), REFERENCE)
    assert got.collect() == []


def test_averages_are_rounded_half_up_in_decimal(spark):
    amounts = ["1.00", "1.00", "1.00", "1.00", "1.00", "1.03"]  # 6m: 6.03 / 6 = 1.005 -> 1.01 (half-even: 1.00)
    rows = [("C1", "A1", f"2019-{m:02d}-01", a) for m, a in zip(range(7, 13), amounts, strict=True)]
    got = invoices_gold.invoice_averages(invoices(spark, rows), REFERENCE)
    want = spark.createDataFrame(averages(("C1", "A1", "1.01", "1.01")), AVERAGES_DDL)
    assert_df_equality(got, want, ignore_nullable=True)


def test_an_invoice_received_twice_counts_once_and_the_latest_copy_wins(spark):
    later = datetime(2020, 1, 3, tzinfo=UTC)
    rows = [
        ("C1", "A1", date(2019, 10, 1), Decimal("10.00"), INGESTED),
        ("C1", "A1", date(2019, 11, 1), Decimal("10.00"), INGESTED),
        ("C1", "A1", date(2019, 12, 1), Decimal("10.00"), INGESTED),
        ("C1", "A1", date(2019, 12, 1), Decimal("40.00"), later),  # corrected invoice
    ]
    got = invoices_gold.invoice_averages(spark.createDataFrame(rows, INVOICE_DDL), REFERENCE)
    want = spark.createDataFrame(averages(("C1", "A1", "20.00", None)), AVERAGES_DDL)
    assert_df_equality(got, want, ignore_nullable=True)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2020, 1, 1), 3, date(2019, 10, 1)),
        (date(2020, 1, 1), 6, date(2019, 7, 1)),
        (date(2020, 3, 31), 1, date(2020, 2, 29)),
        (date(2020, 1, 15), 13, date(2018, 12, 15)),
    ],
)
def test_months_before_moves_back_whole_months(day, months, expected):
    assert invoices_gold.months_before(day, months) == expected
