"""Fetch jobs: poll an HTTP API and land every page as a raw file for a bronze table.

Nothing here imports PySpark: the same code runs as ``lakehouse fetch`` on a laptop and as the fetch
task of a Databricks job, before the pipeline that reads the landed files.
"""
