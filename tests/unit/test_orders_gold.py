from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from chispa import assert_df_equality

from lakehouse.orders import gold

LINES_DDL = (
    "event_id string, event_time timestamp, transaction_no string, is_cancellation boolean, order_date date, "
    "product_no string, product_name string, unit_price decimal(12,2), quantity int, line_amount decimal(18,2), "
    "customer_no string, country string"
)

D = date(2019, 12, 9)


def line(event_id, minute, txn, qty, price, customer="17490", country="United Kingdom", product="22485", second=0):
    amount = (Decimal(price) * qty).quantize(Decimal("0.01"))
    return (
        event_id,
        datetime(2019, 12, 9, 10, minute, second),
        txn,
        txn.startswith("C"),
        D,
        product,
        f"Product {product}",
        Decimal(price),
        qty,
        amount,
        customer,
        country,
    )


def test_daily_sales_separate_sales_from_cancellations(spark):
    lines = spark.createDataFrame(
        [
            line("1", 0, "581482", 2, "10.00"),
            line("2", 0, "581482", 1, "5.50"),
            line("3", 1, "581483", 4, "1.25", customer=None),
            line("4", 2, "C581484", -1, "10.00"),
            line("5", 2, "581485", 1, "3.00", country="France", customer="12345"),
        ],
        LINES_DDL,
    )
    got = gold.aggregate_daily_sales(lines).orderBy("country")
    want = spark.createDataFrame(
        [
            (D, "France", 1, 1, Decimal("3.00"), Decimal("0.00"), Decimal("3.00"), 1),
            (D, "United Kingdom", 2, 7, Decimal("30.50"), Decimal("10.00"), Decimal("20.50"), 1),
        ],
        "order_date date, country string, orders bigint, units bigint, gross_revenue decimal(18,2), "
        "cancelled_amount decimal(18,2), net_revenue decimal(18,2), customers bigint",
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_a_day_with_only_cancellations_has_zero_sales(spark):
    lines = spark.createDataFrame([line("1", 0, "C581484", -2, "10.00")], LINES_DDL)
    row = gold.aggregate_daily_sales(lines).collect()[0]
    assert (row.orders, row.units, row.gross_revenue, row.cancelled_amount, row.net_revenue) == (
        0,
        0,
        Decimal("0.00"),
        Decimal("20.00"),
        Decimal("-20.00"),
    )


def test_product_sales_net_out_returns(spark):
    lines = spark.createDataFrame(
        [
            line("1", 0, "581482", 5, "2.00"),
            line("2", 1, "C581490", -2, "2.00"),
            line("3", 1, "581491", 1, "9.99", product="84029E"),
        ],
        LINES_DDL,
    )
    got = gold.aggregate_product_sales(lines).orderBy("product_no")
    want = spark.createDataFrame(
        [
            ("22485", "Product 22485", 1, 5, 2, Decimal("6.00")),
            ("84029E", "Product 84029E", 1, 1, 0, Decimal("9.99")),
        ],
        "product_no string, product_name string, orders bigint, units_sold bigint, units_cancelled bigint, "
        "net_revenue decimal(18,2)",
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_customer_summary_skips_guests_and_takes_the_latest_country(spark):
    lines = spark.createDataFrame(
        [
            line("1", 0, "581482", 1, "10.00", country="France"),
            line("2", 5, "581499", 1, "5.00", country="Germany"),
            line("3", 6, "581500", 1, "1.00", customer=None),
        ],
        LINES_DDL,
    )
    got = gold.summarise_customers(lines)
    want = spark.createDataFrame(
        [("17490", D, D, 2, Decimal("15.00"), "Germany")],
        "customer_no string, first_order_date date, last_order_date date, orders bigint, "
        "net_revenue decimal(18,2), country string",
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_sales_per_minute_closes_windows_behind_the_watermark(spark, tmp_path):
    """A minute boundary: 10:00:59 and 10:01:00 fall in different windows; the open window waits."""
    rows = [
        line("1", 0, "581482", 2, "10.00", second=59),
        line("2", 1, "581483", 1, "4.00"),
        line("3", 1, "C581484", -1, "4.00", second=30),
        line("4", 9, "581485", 1, "1.00"),
    ]
    folder = tmp_path / "lines"
    spark.createDataFrame(rows, LINES_DDL).write.parquet(str(folder))
    stream = spark.readStream.schema(LINES_DDL).parquet(str(folder))
    panel = gold.aggregate_sales_per_minute(stream, "1 minute")
    query = (
        panel.writeStream.format("memory").queryName("panel").outputMode("append").trigger(availableNow=True).start()
    )
    query.awaitTermination()
    got = spark.table("panel").orderBy("window_start")
    want = spark.createDataFrame(
        [
            (datetime(2019, 12, 9, 10, 0), datetime(2019, 12, 9, 10, 1), 1, 2, Decimal("20.00")),
            (datetime(2019, 12, 9, 10, 1), datetime(2019, 12, 9, 10, 2), 1, 1, Decimal("0.00")),
        ],
        "window_start timestamp, window_end timestamp, orders bigint, units bigint, net_revenue decimal(18,2)",
    )
    assert_df_equality(got, want, ignore_nullable=True)
