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
Auto Loader            ``cloudFiles`` over whole text files,   refused (:func:`require_databricks`):
                       cut into records as locally             use ``source=files``
Event Hubs Capture     ``cloudFiles`` with ``format=avro``     Spark's Avro file stream (spark-avro),
                                                               :func:`lakehouse.capture.capture_stream`
secrets                ``dbutils.secrets.get(scope, key)``     an environment variable, if named
AUTO CDC, SCD type 1   ``dp.create_auto_cdc_flow`` into a      a materialized view recomputed from the
                       streaming table (``auto_cdc``)          change table (``lakehouse.cdc_local``)
AUTO CDC, SCD type 2   the same, ``stored_as_scd_type=2``      the same, ``__START_AT``/``__END_AT``
AUTO CDC from          ``dp.create_auto_cdc_from_snapshot_``   a materialized view of the newest
snapshots (SCD 1)      ``flow``, fed every landed snapshot     snapshot (:mod:`lakehouse.snapshots`)
                       in order by a source function
=====================  ======================================  =======================================

AUTO CDC locally: open-source Spark 4.2 has ``create_auto_cdc_flow`` for SCD type 1 only and refuses
Delta targets, so :func:`auto_cdc` declares an equivalent: same table shape and same rows, proved
against a plain-Python model of AUTO CDC by property-based tests (``tests/unit/test_cdc_local.py``).

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
from collections.abc import Callable, Sequence
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.errors import NotOnDatabricksError
from lakehouse.quality import Rules, all_rules_pass, null_safe
from lakehouse.snapshots import FileSnapshots

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


def auto_cdc(
    spark: SparkSession,
    *,
    target: str,
    source: str,
    keys: Sequence[str],
    sequence_by: str,
    stored_as_scd_type: int,
    column_list: Sequence[str],
    apply_as_deletes: str | None = None,
    track_history_except_column_list: Sequence[str] = (),
    comment: str | None = None,
) -> None:
    """Declare ``target`` as ``source`` (a change table) applied by key in ``sequence_by`` order.

    On Databricks: a streaming table fed by ``dp.create_auto_cdc_flow``. Locally: a materialized
    view computed by :func:`lakehouse.cdc_local.scd1` / :func:`~lakehouse.cdc_local.scd2` over the
    whole of ``source``, with the same columns and rows. Call it from a pipeline file.

    ``column_list`` names the target's columns (keys included; ``__START_AT``/``__END_AT`` come on
    top for SCD type 2): the local equivalent must know them without analysing ``source``, which a
    pipeline query function may not do.
    """
    if stored_as_scd_type not in (1, 2):
        raise ValueError(f"stored_as_scd_type must be 1 or 2, got {stored_as_scd_type!r}")
    if track_history_except_column_list and stored_as_scd_type != 2:
        raise ValueError("track_history_except_column_list applies to SCD type 2 only")
    from pyspark import pipelines as dp  # the pipeline runtime's module; only pipeline files call this

    if on_databricks():
        native: Any = dp  # Databricks' module takes SCD type 2 and history arguments the OSS stubs lack
        history = {"track_history_except_column_list": list(track_history_except_column_list)}
        native.create_streaming_table(name=target, comment=comment)
        native.create_auto_cdc_flow(
            target=target,
            source=source,
            keys=list(keys),
            sequence_by=F.col(sequence_by),
            apply_as_deletes=F.expr(apply_as_deletes) if apply_as_deletes else None,
            column_list=list(column_list),
            stored_as_scd_type=stored_as_scd_type,
            **(history if track_history_except_column_list else {}),
        )
        return
    from lakehouse import cdc_local

    def query() -> DataFrame:
        changes = spark.read.table(source)
        deletes = apply_as_deletes or "false"
        if stored_as_scd_type == 1:
            return cdc_local.scd1(changes, keys, sequence_by, deletes, column_list)
        return cdc_local.scd2(changes, keys, sequence_by, deletes, column_list, track_history_except_column_list)

    query.__name__ = target.rsplit(".", 1)[-1]
    dp.materialized_view(name=target, comment=comment)(query)


def auto_cdc_from_snapshot(
    spark: SparkSession,
    *,
    target: str,
    snapshots: FileSnapshots,
    keys: Sequence[str],
    comment: str | None = None,
) -> None:
    """Declare ``target`` as the landed snapshots of a table applied in order (SCD type 1).

    On Databricks: a streaming table fed by ``dp.create_auto_cdc_from_snapshot_flow``, whose source
    function hands it every snapshot after the last one applied. Locally: a materialized view of the
    newest snapshot, which is what applying them all leaves (rows whose keys the newest snapshot
    lacks are gone, as AUTO CDC deletes them). Call it from a pipeline file.
    """
    from pyspark import pipelines as dp  # the pipeline runtime's module; only pipeline files call this

    if on_databricks():
        native: Any = dp  # the snapshot flow is Databricks-only; the OSS module does not define it
        native.create_streaming_table(name=target, comment=comment)
        native.create_auto_cdc_from_snapshot_flow(
            target=target, source=snapshots.next_after, keys=list(keys), stored_as_scd_type=1
        )
        return

    def query() -> DataFrame:
        return snapshots.latest()

    query.__name__ = target.rsplit(".", 1)[-1]
    dp.materialized_view(name=target, comment=comment)(query)


def require_databricks(feature: str, instead: str) -> None:
    """Refuse, with what to use instead, a feature that has no honest local equivalent."""
    if not on_databricks():
        raise NotOnDatabricksError(f"{feature} runs only on Databricks; {instead}")
