"""Invoice CSV lines -> typed monthly invoices per customer account, with the rules that guard them.

The source sends CSV lines ``customer,account,month,invoice`` where ``month`` is the first day of the
invoiced month (``2019-12-01``) and ``invoice`` a number (``80000``, ``1234.50``). Bronze holds every
line as received, header lines included: a header line is not a record, so it is dropped here
explicitly and never reaches silver or the quarantine. Every other line is a record, however broken.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.columns import MONEY, SOURCE_COLUMNS

HEADER = "customer,account,month,invoice"


# Every field as a string, typed afterwards with try_ functions: a bad value becomes NULL and fails a
# named rule. ``_corrupt_record`` is filled when a line has too few or too many fields.
CSV_SCHEMA = "customer string, account string, month string, invoice string, _corrupt_record string"


CSV_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt_record"}


MONTH_FORMAT = "yyyy-MM-dd"


INVOICE_COLUMNS = ("customer", "account", "month", "invoice", "ingested_at")


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
