"""Property: whatever lines bronze holds, the invoices silver query runs and routes every line once.

Silver is what the pipeline writes: lines with four fields, then the row rules applied as the local
expectations apply them (``compat.apply_local_expectations``). The quarantine is ``to_quarantine``
with :func:`quarantine_rules`. Header lines are neither, on purpose; every other line is in exactly
one of them.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.compat import apply_local_expectations
from lakehouse.invoices import silver as invoices
from lakehouse.quality import keep_valid
from lakehouse.quarantine import to_quarantine
from tests.unit.bronze import bronze_frame
from tests.unit.payloads import batches, extreme_numbers, numeric_text, odd_text, property_settings

field = st.one_of(
    st.from_regex(r"\A[CA][0-9]{4}\Z"),
    st.sampled_from(["2019-12-01", "2019-12-15", "2019-13-01", "99999-01-01", "0001-01-01", '"2019-12-01"']),
    numeric_text,
    extreme_numbers.map(str),
    odd_text,
)

# Lines of 0..6 fields, mostly 4, sometimes quoted; the header (with a BOM or blanks) now and then.
line = st.one_of(
    st.lists(field, min_size=4, max_size=4).map(",".join),
    st.lists(field, min_size=0, max_size=6).map(",".join),
    st.lists(field, min_size=4, max_size=4).map(lambda fields: ",".join(f'"{f}"' for f in fields)),
    st.sampled_from([invoices.HEADER, "\ufeff" + invoices.HEADER, f"  {invoices.HEADER} ", '"a,b', "a\nb"]),
    odd_text,
)


def is_header(text: str) -> bool:
    """The header test written again in Python (Spark's ``trim`` strips spaces only)."""
    return text.replace("\ufeff", "").strip(" ") == invoices.HEADER


def routed(parsed: DataFrame) -> DataFrame:
    silver = apply_local_expectations(keep_valid(parsed, invoices.STRUCTURE_RULES), invoices.INVOICE_ROW_RULES, {})
    silver = silver.select(
        F.col("offset"), F.lit("silver").alias("where"), F.to_json(F.struct(*invoices.INVOICE_COLUMNS)).alias("row")
    )
    quarantine = to_quarantine(parsed, invoices.quarantine_rules()).select(
        F.col("offset"), F.lit("quarantine").alias("where"), F.to_json(F.struct("*")).alias("row")
    )
    return silver.unionByName(quarantine)


@property_settings
@given(batch=batches(line))
def test_every_invoice_line_ends_in_exactly_one_of_silver_or_quarantine(spark, batch):
    rows = routed(invoices.parse_invoices(bronze_frame(spark, batch))).collect()
    places = Counter(row.offset for row in rows)
    want = Counter(i for i, text in enumerate(batch) if not is_header(text))
    assert places == want, [(batch[o], n) for o, n in (places - want + (want - places)).items()]
    assert all('"failed_rules":[]' not in row.row for row in rows if row.where == "quarantine")
