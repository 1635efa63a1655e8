"""Invoice CSV lines -> typed monthly invoices per customer account, with the rules that guard them.

The source sends CSV lines ``customer,account,month,invoice`` where ``month`` is the first day of the
invoiced month (``2019-12-01``) and ``invoice`` a number (``80000``, ``1234.50``). Bronze holds every
line as received, header lines included: a header line is not a record, so it is dropped here
explicitly and never reaches silver or the quarantine. Every other line is a record, however broken.

``invoice`` is typed without rounding: ``1234.555`` is rejected (``invoice_has_at_most_two_decimals``),
not billed as 1234.56, and a number beyond ``decimal(18,2)`` is ``invoice_in_range`` rather than a
cast that, under ANSI mode, would stop the stream on every retry. The quarantine names the cause
(:func:`quarantine_rules`); silver's own rules (:data:`INVOICE_ROW_RULES`) read only silver columns,
as Databricks expectations do.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse import payload
from lakehouse.columns import MONEY, SOURCE_COLUMNS
from lakehouse.numbers import decimal_places, exact_decimal, is_number

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


_MONEY_LIMIT = "10000000000000000"  # exclusive bound of decimal(18,2)

# Why the invoice amount could not be typed, read from its text. Each passes when an earlier one
# already explains the problem. Any of them failing leaves ``invoice`` NULL (``invoice_parsable``).
INVOICE_VALUE_RULES: dict[str, str] = {
    "invoice_present": "invoice_text IS NOT NULL",
    "invoice_not_a_number": "invoice_text IS NULL OR invoice_is_number",
    "invoice_has_at_most_two_decimals": "invoice_is_number IS NOT TRUE OR invoice_places <= 2",
    "invoice_in_range": (
        f"invoice_is_number IS NOT TRUE OR invoice_places IS NULL OR invoice_places > 2 "
        f"OR abs(invoice_value) < {_MONEY_LIMIT}"
    ),
}

# The quarantine's form of the rules a NULL column would otherwise fail a second time.
_REASON_FORMS: dict[str, str] = {
    "month_is_first_day": "month IS NULL OR dayofmonth(month) = 1",
    "invoice_not_negative": "invoice IS NULL OR invoice >= 0",
}


def quarantine_rules() -> dict[str, str]:
    """The rules a quarantined line lists: the real causes, not their echoes.

    Accepts exactly the lines :data:`INVOICE_RULES` accepts: ``invoice_parsable`` is replaced by the
    value rules, one of which fails whenever ``invoice`` is NULL.
    """
    rules: dict[str, str] = {}
    for name, expr in INVOICE_RULES.items():
        if name == "invoice_parsable":
            rules.update(INVOICE_VALUE_RULES)
        else:
            rules[name] = _REASON_FORMS.get(name, expr)
    # An empty export lands as one empty record: that is its one reason, not every missing field.
    judged = {name: f"NOT {payload.NOT_EMPTY} OR ({expr})" for name, expr in rules.items()}
    return {payload.NOT_EMPTY: payload.NOT_EMPTY, **judged}


# What :func:`parse_invoices` keeps for :data:`INVOICE_VALUE_RULES` besides the silver columns.
_VALUE_COLUMNS = ("invoice_text", "invoice_is_number", "invoice_places", "invoice_value")


def is_header(line: Column) -> Column:
    """True for a line equal to the header (ignoring surrounding blanks and a byte-order mark)."""
    return F.trim(F.regexp_replace(line, _BYTE_ORDER_MARK, "")) == F.lit(HEADER)


def _text(col: Column) -> Column:
    """Trimmed text, NULL when empty."""
    return F.nullif(F.trim(col), F.lit(""))


def parse_invoices(bronze: DataFrame) -> DataFrame:
    """Every invoice line except headers, with typed columns (NULL where unparsable) and metadata.

    Besides the silver columns it keeps the invoice text and its exact value (``decimal(38,2)``) for
    the quarantine's value rules.
    """
    lines = bronze.filter(F.col("raw_payload").isNull() | ~is_header(F.col("raw_payload")))
    fields = lines.select(
        F.from_csv(F.col("raw_payload"), CSV_SCHEMA, CSV_OPTIONS).alias("line"),
        *[F.col(c) for c in SOURCE_COLUMNS],
    ).select(
        "*",
        _text(F.col("line.invoice")).alias("invoice_text"),
    )
    values = fields.select(
        "*",
        is_number(F.col("invoice_text")).alias("invoice_is_number"),
        decimal_places(F.col("invoice_text")).alias("invoice_places"),
        exact_decimal(F.col("invoice_text"), 2).alias("invoice_value"),
    )
    invoice_ok = (
        F.col("invoice_is_number")
        & (F.col("invoice_places") <= F.lit(2))
        & (F.abs(F.col("invoice_value")) < F.lit(_MONEY_LIMIT).cast("decimal(17,0)"))
    )
    return values.select(
        _text(F.col("line.customer")).alias("customer"),
        _text(F.col("line.account")).alias("account"),
        F.try_to_date(_text(F.col("line.month")), MONTH_FORMAT).alias("month"),
        F.when(invoice_ok, F.col("invoice_value").try_cast(MONEY)).alias("invoice"),
        (F.col("line").isNotNull() & F.col("line._corrupt_record").isNull()).alias("has_four_fields"),
        payload.not_empty(F.col("raw_payload")).alias(payload.NOT_EMPTY),
        *[F.col(c) for c in SOURCE_COLUMNS],
        *[F.col(c) for c in _VALUE_COLUMNS],
    )


def to_invoices(valid: DataFrame) -> DataFrame:
    """Silver invoices: one row per valid line, with the time it was received.

    ``ingested_at`` stays so that the averages can prefer the latest copy of an invoice that was
    sent twice (see :func:`latest_invoices`).
    """
    return valid.select(*[F.col(c) for c in INVOICE_COLUMNS])
