# Databricks notebook source
# MAGIC %md
# MAGIC # Data quality: fail when a rule rejects too many rows
# MAGIC Reads each pipeline's event log, sums rows passed and failed per expectation in its latest
# MAGIC update and fails the task (the job then e-mails `notification_email`) when a rule's failure
# MAGIC rate exceeds `max_failure_rate`. The logic is `lakehouse.quality_monitor`, unit-tested locally
# MAGIC on event-log-shaped rows; `src/sql/quality/expectations.sql` is the same query for the SQL editor.

# COMMAND ----------

import os
import sys

# The bundle syncs src/ next to this notebook's folder; make `lakehouse` importable from there.
sys.path.insert(0, os.path.abspath(".."))

from lakehouse import quality_monitor

dbutils.widgets.text("pipeline_ids", "")
dbutils.widgets.text("max_failure_rate", "0.05")
pipeline_ids = quality_monitor.parse_pipeline_ids(dbutils.widgets.get("pipeline_ids"))
max_failure_rate = quality_monitor.parse_failure_rate(dbutils.widgets.get("max_failure_rate"))

# COMMAND ----------

figures = []
for pipeline_id in pipeline_ids:  # ids are checked to be UUIDs before they reach SQL
    events = spark.sql(f"SELECT * FROM event_log('{pipeline_id}')")
    latest = quality_monitor.latest_update(quality_monitor.expectation_metrics(events))
    display(latest.orderBy("dataset", "rule"))
    figures += quality_monitor.figures_from_metrics(pipeline_id, [row.asDict() for row in latest.collect()])

# COMMAND ----------

quality_monitor.check(figures, max_failure_rate)
print(f"{len(figures)} rules checked in {len(pipeline_ids)} pipelines; none above {max_failure_rate:.1%}")
