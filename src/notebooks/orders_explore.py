# Databricks notebook source
# MAGIC %md
# MAGIC # Orders: explore the gold tables
# MAGIC Sales per day and country, the real-time per-minute panel, best sellers and customers.
# MAGIC On Databricks it reads the catalog of the bundle's target; on a laptop it reads the local
# MAGIC warehouse written by `lakehouse run orders` (the same cells run in a test).

# COMMAND ----------

import os

from lakehouse.session import get_spark

spark = get_spark()
gold = os.environ.get("LAKEHOUSE_GOLD_SCHEMA", "gold")
try:  # a widget on Databricks, an environment variable locally
    dbutils.widgets.text("gold_schema", gold)  # type: ignore[name-defined]
    gold = dbutils.widgets.get("gold_schema")  # type: ignore[name-defined]
except NameError:
    pass


def show(frame, rows: int = 20):
    """``display`` in a workspace, a plain table in a terminal."""
    if "display" in globals():
        display(frame)  # type: ignore[name-defined]
    else:
        frame.show(rows, truncate=False)


# COMMAND ----------

# MAGIC %md ## Revenue per day

# COMMAND ----------

daily = spark.sql(f"""
    SELECT order_date, sum(orders) AS orders, sum(units) AS units,
           sum(gross_revenue) AS gross_revenue, sum(cancelled_amount) AS cancelled_amount,
           sum(net_revenue) AS net_revenue
    FROM {gold}.orders_daily_sales GROUP BY order_date ORDER BY order_date
""")
show(daily)

# COMMAND ----------

total = spark.sql(f"SELECT sum(net_revenue) AS net FROM {gold}.orders_daily_sales").first()
print(f"TOTAL_NET_REVENUE={total.net}")

# COMMAND ----------

# MAGIC %md ## Countries, best sellers, customers

# COMMAND ----------

show(
    spark.sql(f"""
    SELECT country, sum(net_revenue) AS net_revenue, sum(orders) AS orders
    FROM {gold}.orders_daily_sales GROUP BY country ORDER BY net_revenue DESC LIMIT 10
""")
)
show(spark.sql(f"SELECT * FROM {gold}.orders_product_sales ORDER BY net_revenue DESC LIMIT 10"))
show(spark.sql(f"SELECT * FROM {gold}.orders_customer_summary ORDER BY net_revenue DESC LIMIT 10"))

# COMMAND ----------

# MAGIC %md ## The real-time panel (closed one-minute windows)

# COMMAND ----------

show(spark.sql(f"SELECT * FROM {gold}.orders_sales_per_minute ORDER BY window_start DESC LIMIT 30"))
