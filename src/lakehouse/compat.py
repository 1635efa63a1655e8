"""The one place where Databricks and open-source Spark Declarative Pipelines differ.

Each helper uses the native Databricks feature when the code runs in a Databricks pipeline and an
equivalent local implementation on open-source Spark (``spark-pipelines``). Nothing is faked: where
there is no local equivalent the helper says so with a clear error.

=====================  ======================================  =======================================
feature                on Databricks (native)                  locally (open-source Spark 4.2)
=====================  ======================================  =======================================
expectations: drop     ``dp.expect_all_or_drop``               ``DataFrame.filter`` on the same rules
expectations: warn     ``dp.expect_all`` (event-log metrics)   rows kept; ``lakehouse run`` counts them
expectations: fail     ``dp.expect_all_or_fail``               ``raise_error`` on the first violation
Auto Loader            ``cloudFiles`` (JSON, schema hints)     refused (:func:`require_databricks`):
                                                               use ``source=files``
Event Hubs Capture     ``cloudFiles`` with ``format=avro``     Spark's Avro file stream (spark-avro),
                                                               :func:`lakehouse.capture.capture_stream`
secrets                ``dbutils.secrets.get(scope, key)``     an environment variable, if named
=====================  ======================================  =======================================

Rules are wrapped with :func:`lakehouse.quality.null_safe` on both engines, so NULL always means
"failed". Silver tables that de-duplicate filter with the same rules *before* de-duplicating (an
invalid copy must never shadow a valid event with the same id); the decorator then states the rules
as the table's expectations - on Databricks they are recorded and enforced natively - and the
quarantine table is where rejected rows are counted, with their reasons, on both engines: it is
built from :func:`lakehouse.quality.keep_rejected`, the same code everywhere.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.errors import NotOnDatabricksError
from lakehouse.quality import Rules, all_rules_pass, null_safe

QueryFunction = Callable[[], DataFrame]


def on_databricks() -> bool:
    """Databricks sets this variable on every cluster and serverless pipeline; nothing else does."""
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def expectations(
    drop: Rules | None = None, warn: Rules | None = None, fail: Rules | None = None
) -> Callable[[QueryFunction], QueryFunction]:
    """Decorate a dataset's query function with data-quality rules (place it under ``@dp.table``)."""
    drop, warn, fail = dict(drop or {}), dict(warn or {}), dict(fail or {})

    def decorate(query: QueryFunction) -> QueryFunction:
        if on_databricks():
            return _native_expectations(query, drop, warn, fail)
        return _local_expectations(query, drop, warn, fail)

    return decorate


def _native_expectations(query: QueryFunction, drop: Rules, warn: Rules, fail: Rules) -> QueryFunction:
    from pyspark import pipelines as dp  # Databricks' module; imported only where it runs

    # Looked up by name: open-source ``pyspark.pipelines`` does not define the expectation decorators.
    decorated: QueryFunction = query
    for rules, native in ((warn, "expect_all"), (drop, "expect_all_or_drop"), (fail, "expect_all_or_fail")):
        if rules:
            decorator: Callable[[dict[str, str]], Callable[[QueryFunction], QueryFunction]] = getattr(dp, native)
            decorated = decorator({name: null_safe(expr) for name, expr in rules.items()})(decorated)
    return decorated


WARNINGS_ATTRIBUTE = "__lakehouse_warnings__"


def _local_expectations(query: QueryFunction, drop: Rules, warn: Rules, fail: Rules) -> QueryFunction:
    @functools.wraps(query)
    def checked() -> DataFrame:
        return apply_local_expectations(query(), drop, fail)

    # The local runner reads these off the flow to count warnings in its run summary.
    setattr(checked, WARNINGS_ATTRIBUTE, dict(warn))
    return checked


def apply_local_expectations(df: DataFrame, drop: Rules, fail: Rules) -> DataFrame:
    """What the native decorators do to the data, expressed with plain DataFrame operations."""
    for name, expr in fail.items():
        df = df.filter(fail_on_violation(name, expr))
    return df.filter(all_rules_pass(drop)) if drop else df


def fail_on_violation(name: str, expr: str) -> Column:
    """True for valid rows; stops the flow with the rule's name on the first violating row."""
    return F.when(F.expr(null_safe(expr)), F.lit(True)).otherwise(
        F.raise_error(F.lit(f"expectation '{name}' violated: {expr}"))
    )


def secret(scope: str, key: str, env_var: str | None = None) -> str:
    """A secret from a Databricks secret scope; locally only from the named environment variable."""
    if on_databricks():
        from databricks.sdk.runtime import dbutils  # available inside Databricks runtimes only

        return dbutils.secrets.get(scope=scope, key=key)
    if env_var and os.environ.get(env_var):
        return os.environ[env_var]
    raise NotOnDatabricksError(
        f"secret {scope}/{key} is read from a Databricks secret scope; locally set {env_var or 'it'}"
    )


def require_databricks(feature: str, instead: str) -> None:
    """Refuse, with what to use instead, a feature that has no honest local equivalent."""
    if not on_databricks():
        raise NotOnDatabricksError(f"{feature} runs only on Databricks; {instead}")
