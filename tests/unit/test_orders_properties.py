"""Property: whatever bronze holds, the orders silver query runs and routes every record exactly once.

A record that fails the query fails every retry of the stream (the poison record of issue 13), so
"never raises" is checked on the columns silver writes, all of them evaluated (serialised with
``to_json``, so no column is pruned away). Silver is what the pipeline keeps with
``ORDER_LINE_RULES``, the quarantine what ``to_order_line_quarantine`` writes; together they must
hold each bronze record exactly once, and a quarantined record must name at least one rule.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.orders import quarantine as orders_quarantine
from lakehouse.orders import silver as orders
from lakehouse.quality import keep_valid
from tests.unit.bronze import bronze_frame
from tests.unit.payloads import batches, numeric_text, payloads, property_settings

FIELDS = (
    "event_id",
    "event_time",
    "TransactionNo",
    "Date",
    "ProductNo",
    "ProductName",
    "Price",
    "Quantity",
    "CustomerNo",
    "Country",
)

PLAUSIBLE = {
    "event_id": st.uuids().map(str),
    "event_time": st.sampled_from(["2019-12-09T10:15:00.123Z", "2019-12-09T10:15:00+03:00", "99999-01-01T00:00:00Z"]),
    "TransactionNo": st.from_regex(r"\AC?[0-9]{6}\Z"),
    "Date": st.sampled_from(["12/9/2019", "2/29/2020", "2/30/2019", "12/9/99999", "1/1/0001"]),
    "ProductNo": st.from_regex(r"\A[0-9]{5}[A-Z]?\Z"),
    "Price": st.one_of(
        st.decimals(min_value=-(10**20), max_value=10**20, allow_nan=False, places=2).map(float), numeric_text
    ),
    "Quantity": st.one_of(st.integers(min_value=-(2**40), max_value=2**40), numeric_text),
    "CustomerNo": st.one_of(st.none(), st.from_regex(r"\A[0-9]{5}\Z")),
    "Country": st.sampled_from(["United Kingdom", "EIRE"]),
}


def routed(parsed: DataFrame) -> DataFrame:
    """(offset, where, every output column as JSON) for silver and quarantine rows, as one query."""
    silver = keep_valid(parsed, orders.ORDER_LINE_RULES).select(
        F.col("offset"), F.lit("silver").alias("where"), F.to_json(F.struct(*orders.ORDER_LINE_COLUMNS)).alias("row")
    )
    quarantine = orders_quarantine.to_order_line_quarantine(parsed, parsed.filter(F.lit(False))).select(
        F.col("offset"), F.lit("quarantine").alias("where"), F.to_json(F.struct("*")).alias("row")
    )
    return silver.unionByName(quarantine)


@property_settings
@given(batch=batches(payloads(FIELDS, PLAUSIBLE)))
def test_every_order_record_ends_in_exactly_one_of_silver_or_quarantine(spark, batch):
    rows = routed(orders.parse_order_events(bronze_frame(spark, batch))).collect()
    places = Counter(row.offset for row in rows)
    assert places == Counter(range(len(batch))), [(batch[o], n) for o, n in places.items() if n != 1]
    for row in rows:
        if row.where == "quarantine":
            assert '"failed_rules":[]' not in row.row, row.row
