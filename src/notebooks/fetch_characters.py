# Databricks notebook source
# MAGIC %md
# MAGIC # Characters: land every page of the Disney API
# MAGIC The fetch task of the `characters_refresh` job: every page of `GET /character` becomes one raw
# MAGIC JSON file in `<landing_path>/characters` (a Unity Catalog volume), named after the job's run id,
# MAGIC so runs never overwrite each other and a retried task resumes instead of landing pages twice.
# MAGIC The `characters` pipeline task that follows reads those files into `bronze.characters_raw`.
# MAGIC On Databricks the parameters are widgets (the job passes `run_id = {{job.run_id}}`); locally
# MAGIC they are environment variables, and a test runs this notebook against a local HTTP server.

# COMMAND ----------

import os
import sys
from pathlib import Path

try:
    import lakehouse  # noqa: F401
except ImportError:  # the bundle's workspace files: the package is src/lakehouse, next to this folder
    sys.path.insert(0, str(Path.cwd().parent))

from lakehouse.fetch.characters import DEFAULT_BASE_URL, FetchOptions, PageDone, fetch_characters, new_run_id


def parameter(name: str, env_var: str, default: str) -> str:
    """A job parameter (widget) on Databricks, an environment variable locally."""
    try:
        dbutils.widgets.text(name, default)  # type: ignore[name-defined]
        return dbutils.widgets.get(name)  # type: ignore[name-defined]
    except NameError:
        return os.environ.get(env_var, default)


landing_path = parameter("landing_path", "LAKEHOUSE_LANDING_PATH", "/Volumes/main/landing/raw")
run_id = parameter("run_id", "LAKEHOUSE_RUN_ID", "") or new_run_id()
base_url = parameter("base_url", "LAKEHOUSE_CHARACTERS_API_URL", DEFAULT_BASE_URL)
page_size = int(parameter("page_size", "LAKEHOUSE_CHARACTERS_PAGE_SIZE", "50"))
max_pages = parameter("max_pages", "LAKEHOUSE_CHARACTERS_MAX_PAGES", "")

# COMMAND ----------


def progress(done: PageDone) -> None:
    note = " (already landed)" if done.reused else (f" ({done.retries} retries)" if done.retries else "")
    print(f"page {done.page}/{done.total_pages if done.total_pages is not None else '?'}{note}", flush=True)


options = FetchOptions(base_url=base_url, page_size=page_size, max_pages=int(max_pages) if max_pages else None)
folder = Path(landing_path.rstrip("/")) / "characters"
report = fetch_characters(folder, run_id, options, on_page=progress)
print(
    f"run {report.run_id}: {len(report.pages)} pages ({report.fetched} fetched, {report.reused} already landed), "
    f"{report.characters} characters, {report.retries} retries -> {folder}"
)
