"""The Spark session a notebook should use, wherever it runs.

On Databricks that is the session the runtime already has; on a laptop it is a session over the local
warehouse that ``lakehouse run`` wrote. Notebooks call :func:`get_spark` and nothing else, so the
same notebook is executed by a test after a local pipeline run.
"""

from __future__ import annotations

from pyspark.sql import SparkSession

from lakehouse.compat import on_databricks


def get_spark() -> SparkSession:
    if on_databricks():
        active = SparkSession.getActiveSession()
        if active is None:
            raise RuntimeError("no active Spark session in this Databricks runtime")
        return active
    from lakehouse.local.warehouse import open_session

    return open_session()
