"""Monthly invoices per customer account -> silver invoices -> retroactive 3- and 6-month averages.

The source sends CSV lines ``customer,account,month,invoice`` where ``month`` is the first day of the
invoiced month (``2019-12-01``) and ``invoice`` a number (``80000``, ``1234.50``). Bronze holds every
line as received, header lines included: a header line is not a record, so it is dropped here
explicitly and never reaches silver or the quarantine. Every other line is a record, however broken.

Amounts are ``decimal(18,2)`` and averaged in decimal arithmetic, rounded half-up to cents.
"""

from __future__ import annotations

import calendar
from datetime import date

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

HEADER = "customer,account,month,invoice"

# Every field as a string, typed afterwards with try_ functions: a bad value becomes NULL and fails a
# named rule. ``_corrupt_record`` is filled when a line has too few or too many fields.
CSV_SCHEMA = "customer string, account string, month string, invoice string, _corrupt_record string"
CSV_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt_record"}

MONTH_FORMAT = "yyyy-MM-dd"
MONEY = "decimal(18,2)"

SOURCE_COLUMNS = ("raw_payload", "topic", "partition", "offset", "file_path", "ingested_at")

INVOICE_COLUMNS = ("customer", "account", "month", "invoice", "ingested_at")

AVERAGE_WINDOWS_IN_MONTHS = (3, 6)

_BYTE_ORDER_MARK = "\ufeff"


def invoice_rules() -> dict[str, str]:
    """The rules a parsed invoice line must pass to reach silver."""
    return {
        "four_fields": "has_four_fields",
        "customer_present": "customer IS NOT NULL",
        "account_present": "account IS NOT NULL",
        "month_parsable": "month IS NOT NULL",
        "month_is_first_day": "dayofmonth(month) = 1",
        "invoice_parsable": "invoice IS NOT NULL",
        "invoice_not_negative": "invoice >= 0",
    }


INVOICE_RULES: dict[str, str] = invoice_rules()

# A line that is not four fields is not an invoice at all: it is removed before the row rules, which
# are evaluated on silver's own columns (and, on Databricks, as native expectations).
STRUCTURE_RULES: dict[str, str] = {"four_fields": INVOICE_RULES["four_fields"]}
INVOICE_ROW_RULES: dict[str, str] = {k: v for k, v in INVOICE_RULES.items() if k not in STRUCTURE_RULES}


def is_header(line: Column) -> Column:
    """True for a line equal to the header (ignoring surrounding blanks and a byte-order mark)."""
    return F.trim(F.regexp_replace(line, _BYTE_ORDER_MARK, "")) == F.lit(HEADER)


def _text(col: Column) -> Column:
    """Trimmed text, NULL when empty."""
    return F.nullif(F.trim(col), F.lit(""))


def parse_invoices(bronze: DataFrame) -> DataFrame:
    """Every invoice line except headers, with typed columns (NULL where unparsable) and metadata."""
    lines = bronze.filter(F.col("raw_payload").isNull() | ~is_header(F.col("raw_payload")))
    return lines.select(
        F.from_csv(F.col("raw_payload"), CSV_SCHEMA, CSV_OPTIONS).alias("line"),
        *[F.col(c) for c in SOURCE_COLUMNS],
    ).select(
        _text(F.col("line.customer")).alias("customer"),
        _text(F.col("line.account")).alias("account"),
        F.try_to_date(_text(F.col("line.month")), MONTH_FORMAT).alias("month"),
        _text(F.col("line.invoice")).try_cast(MONEY).alias("invoice"),
        (F.col("line").isNotNull() & F.col("line._corrupt_record").isNull()).alias("has_four_fields"),
        *[F.col(c) for c in SOURCE_COLUMNS],
    )


def to_invoices(valid: DataFrame) -> DataFrame:
    """Silver invoices: one row per valid line, with the time it was received.

    ``ingested_at`` stays so that the averages can prefer the latest copy of an invoice that was
    sent twice (see :func:`latest_invoices`).
    """
    return valid.select(*[F.col(c) for c in INVOICE_COLUMNS])


def months_before(day: date, months: int) -> date:
    """``day`` moved back by whole months, clamped to the month's last day (like SQL ``add_months``)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def latest_invoices(invoices: DataFrame) -> DataFrame:
    """One row per (customer, account, month): the latest received (ties: the larger invoice)."""
    return invoices.groupBy(F.col("customer"), F.col("account"), F.col("month")).agg(
        F.max(F.struct(F.col("ingested_at"), F.col("invoice")))["invoice"].alias("invoice")
    )


def _average_over(months: int, reference_date: date) -> Column:
    """Mean invoice of the ``months`` months before ``reference_date``; NULL unless all are present.

    The window holds months ``>= reference_date - months`` and ``< reference_date``. The sum of
    ``decimal(18,2)`` values divided by the count stays decimal; rounding is half-up.
    """
    start = months_before(reference_date, months)
    in_window = (F.col("month") >= F.lit(start)) & (F.col("month") < F.lit(reference_date))
    held = F.count(F.when(in_window, F.lit(1)))
    total = F.sum(F.when(in_window, F.col("invoice")))
    mean = F.round(total / held.cast("decimal(20,0)"), 2).cast(MONEY)
    return F.when(held >= F.lit(months), mean)


def invoice_averages(invoices: DataFrame, reference_date: date) -> DataFrame:
    """Per account with history before ``reference_date``: the 3- and 6-month invoice averages.

    An account whose invoices all fall on or after the reference date has no row. An average is NULL
    when its window holds fewer invoices than months (a young account or a missing month).
    """
    history = latest_invoices(invoices).filter(F.col("month") < F.lit(reference_date))
    return history.groupBy(F.col("customer"), F.col("account")).agg(
        F.lit(reference_date).alias("reference_date"),
        *[_average_over(n, reference_date).alias(f"avg_invoice_{n}m") for n in AVERAGE_WINDOWS_IN_MONTHS],
    )
