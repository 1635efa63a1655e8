"""Sales metrics for BI, computed from silver order lines. Money is decimal(18,2) throughout.

Sums are wider than ``decimal(18,2)``; bringing them back uses ``try_cast``, so a total beyond the
type is NULL (visible, never mistaken for zero) instead of an ANSI overflow that would stop the
stream on every retry.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

MONEY = "decimal(18,2)"


def _sold(col: Column) -> Column:
    """``col`` for sales lines, NULL for cancellations (aggregates then skip them)."""
    return F.when(~F.col("is_cancellation"), col)


def _cancelled(col: Column) -> Column:
    return F.when(F.col("is_cancellation"), col)


def _money(col: Column) -> Column:
    """An aggregate as money: 0 when there was nothing to sum, NULL when it does not fit."""
    return F.coalesce(col, F.lit(0)).try_cast(MONEY)


def aggregate_daily_sales(lines: DataFrame) -> DataFrame:
    """Per order date and country: orders, units, gross, cancelled and net revenue, customers."""
    gross = _money(F.sum(_sold(F.col("line_amount"))))
    cancelled = _money(F.abs(F.sum(_cancelled(F.col("line_amount")))))
    return (
        lines.groupBy("order_date", "country")
        .agg(
            F.count_distinct(_sold(F.col("transaction_no"))).alias("orders"),
            F.coalesce(F.sum(_sold(F.col("quantity"))), F.lit(0)).cast("bigint").alias("units"),
            gross.alias("gross_revenue"),
            cancelled.alias("cancelled_amount"),
            F.count_distinct(F.col("customer_no")).alias("customers"),
        )
        .select(
            "order_date",
            "country",
            "orders",
            "units",
            "gross_revenue",
            "cancelled_amount",
            F.try_subtract(F.col("gross_revenue"), F.col("cancelled_amount")).try_cast(MONEY).alias("net_revenue"),
            "customers",
        )
    )


def aggregate_sales_per_minute(lines: DataFrame, watermark: str) -> DataFrame:
    """The real-time panel: one-minute windows on ``event_time``, emitted once the watermark passes.

    Streaming aggregations cannot count distinct values, so ``orders`` is the size of the set of
    sold transaction numbers in the window - exact, and bounded by the window.
    """
    return (
        lines.withWatermark("event_time", watermark)
        .groupBy(F.window("event_time", "1 minute"))
        .agg(
            F.size(F.collect_set(_sold(F.col("transaction_no")))).cast("bigint").alias("orders"),
            F.coalesce(F.sum(_sold(F.col("quantity"))), F.lit(0)).cast("bigint").alias("units"),
            _money(F.sum("line_amount")).alias("net_revenue"),
        )
        .select(
            F.col("window.start").alias("window_start"),
            F.col("window.end").alias("window_end"),
            "orders",
            "units",
            "net_revenue",
        )
    )


def aggregate_product_sales(lines: DataFrame) -> DataFrame:
    """Per product: what sold, what came back, and the net effect."""
    return lines.groupBy("product_no").agg(
        F.max("product_name").alias("product_name"),
        F.count_distinct(_sold(F.col("transaction_no"))).alias("orders"),
        F.coalesce(F.sum(_sold(F.col("quantity"))), F.lit(0)).cast("bigint").alias("units_sold"),
        F.coalesce(F.abs(F.sum(_cancelled(F.col("quantity")))), F.lit(0)).cast("bigint").alias("units_cancelled"),
        _money(F.sum("line_amount")).alias("net_revenue"),
    )


def summarise_customers(lines: DataFrame) -> DataFrame:
    """Per known customer: first and last order date, orders, net revenue and country.

    The country is the one of the customer's latest line (ties broken by the larger name), so a
    customer who moved shows where they buy now.
    """
    known = lines.filter(F.col("customer_no").isNotNull())
    return known.groupBy("customer_no").agg(
        F.min(_sold(F.col("order_date"))).alias("first_order_date"),
        F.max(_sold(F.col("order_date"))).alias("last_order_date"),
        F.count_distinct(_sold(F.col("transaction_no"))).alias("orders"),
        _money(F.sum("line_amount")).alias("net_revenue"),
        F.max_by(F.col("country"), F.struct(F.col("event_time"), F.col("country"))).alias("country"),
    )
