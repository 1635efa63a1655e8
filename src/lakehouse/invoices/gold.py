"""Retroactive 3- and 6-month invoice averages relative to a reference date.

Amounts are ``decimal(18,2)`` and averaged in decimal arithmetic, rounded half-up to cents; a
window with a missing month averages to NULL rather than to a misleading smaller figure. Sum,
division and cast are the ``try_`` forms: under ANSI mode an overflow would otherwise stop the
stream; here it gives NULL.
"""

from __future__ import annotations

import calendar
from datetime import date

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.columns import MONEY

AVERAGE_WINDOWS_IN_MONTHS = (3, 6)


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
    total = F.try_sum(F.when(in_window, F.col("invoice")))
    mean = F.round(F.try_divide(total, held.try_cast("decimal(20,0)")), 2).try_cast(MONEY)
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
