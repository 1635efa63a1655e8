"""AUTO CDC (SCD type 1 and 2) on open-source Spark, as pure ``DataFrame -> DataFrame`` functions.

Databricks applies a change feed to a target with ``dp.create_auto_cdc_flow``. Open-source Spark 4.2
has the API for SCD type 1 only and refuses Delta targets (``AUTOCDC_TARGET_DOES_NOT_SUPPORT_MERGE``),
so :func:`lakehouse.compat.auto_cdc` declares these functions as materialized views over the whole
change table instead. Recomputing from every change gives the semantics AUTO CDC promises:

* the result depends only on ``sequence_by``, never on arrival order (late, replayed or duplicated
  changes land where their sequence puts them);
* a delete stays a delete: a late change *older* than a delete never resurrects the row. Databricks
  keeps delete tombstones for a retention window to get this; a recompute keeps them forever, so
  locally the window is unbounded (the two agree for any change that arrives within Databricks'
  window);
* exact duplicates (same key, same sequence, same content) count once.

Only lazily analysed operators are used (select, filter, aggregation, windows): the functions run
inside pipeline query functions, where open-source Spark refuses eager analysis (``.columns``,
``dropDuplicates``). The target's columns are therefore given (``column_list``, as AUTO CDC takes
it), not read off the source.

Two *different* changes of one key at the same sequence value are not something AUTO CDC defines;
here the tie is broken deterministically (a delete wins, then the greater row by its JSON text), so
even that case does not depend on arrival order.

SCD type 2 follows AUTO CDC's rules: a change opens a new version when a tracked column differs from
the current version (``__START_AT`` = its sequence, and the previous version gets ``__END_AT`` = the
same value); a change of untracked columns only (``track_history_except``) updates the current
version in place; a delete closes the current version and opens none; a change after a delete opens
a new version. NULL ``__END_AT`` marks the current version.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.window import WindowSpec

START_AT = "__START_AT"
END_AT = "__END_AT"

_DELETE = "__cdc_is_delete"
_ORDER = "__cdc_order"
_START = "__cdc_starts_version"
_VERSION = "__cdc_version"


def _target_columns(keys: Sequence[str], column_list: Sequence[str]) -> list[str]:
    """Target columns, keys first (as AUTO CDC lays them out); every key must be one of them."""
    missing = [k for k in keys if k not in column_list]
    if missing:
        raise ValueError(f"key columns {missing} must be in column_list")
    return [*keys, *[c for c in column_list if c not in keys]]


def _prepared(changes: DataFrame, columns: Sequence[str], sequence_by: str, apply_as_deletes: str) -> DataFrame:
    """Changes with a delete flag and a total order per key.

    Rows equal in that order are equal in everything the target keeps, so exact duplicates need no
    removal: whichever copy comes first, the result is the same (and ``dropDuplicates`` would be
    analysed eagerly, which pipeline query functions do not allow).
    """
    is_delete = F.coalesce(F.expr(apply_as_deletes), F.lit(False))
    content = F.to_json(F.struct(*[F.col(c) for c in columns]))
    order = F.struct(F.col(sequence_by).alias("seq"), is_delete.alias("del"), content.alias("row"))
    return changes.select("*", is_delete.alias(_DELETE), order.alias(_ORDER))


def scd1(
    changes: DataFrame,
    keys: Sequence[str],
    sequence_by: str,
    apply_as_deletes: str,
    column_list: Sequence[str],
) -> DataFrame:
    """The current row per key: the latest change by ``sequence_by``; keys whose latest is a delete vanish."""
    columns = _target_columns(keys, column_list)
    latest = F.max_by(F.struct(*[F.col(c) for c in [*columns, _DELETE]]), F.col(_ORDER)).alias("latest")
    current = _prepared(changes, columns, sequence_by, apply_as_deletes).groupBy(*keys).agg(latest)
    return current.filter(~F.col(f"latest.{_DELETE}")).select(*[F.col(f"latest.{c}").alias(c) for c in columns])


def _differs(columns: Sequence[str], window: WindowSpec) -> Column:
    """True when any of ``columns`` differs (NULL-safe) from the previous change of the key."""
    if not columns:
        return F.lit(False)
    unchanged = [F.lag(F.col(c)).over(window).eqNullSafe(F.col(c)) for c in columns]
    same = unchanged[0]
    for condition in unchanged[1:]:
        same = same & condition
    return ~same


def scd2(
    changes: DataFrame,
    keys: Sequence[str],
    sequence_by: str,
    apply_as_deletes: str,
    column_list: Sequence[str],
    track_history_except: Sequence[str] = (),
) -> DataFrame:
    """Every version per key with ``__START_AT`` / ``__END_AT`` (the ``sequence_by`` values that bound it).

    Each change either starts a version (no open version, or a tracked column changed), or is
    absorbed by the open one (untracked columns only: the version takes its values), or closes it
    (a delete). A version's columns are those of the last change it absorbed.
    """
    columns = _target_columns(keys, column_list)
    untracked = set(track_history_except)
    tracked = [c for c in columns if c not in keys and c not in untracked]
    ordered = Window.partitionBy(*keys).orderBy(_ORDER)
    running = ordered.rowsBetween(Window.unboundedPreceding, Window.currentRow)

    prepared = _prepared(changes, columns, sequence_by, apply_as_deletes)
    previous_deleted = F.coalesce(F.lag(F.col(_DELETE)).over(ordered), F.lit(True))
    starts = ~F.col(_DELETE) & (previous_deleted | _differs(tracked, ordered))
    flagged = prepared.select("*", starts.alias(_START))
    versioned = flagged.select("*", F.sum(F.col(_START).cast("int")).over(running).alias(_VERSION))
    # Version 0 holds deletes of keys that had no open version: they close nothing.
    versions = (
        versioned.filter(F.col(_VERSION) > 0)
        .groupBy(*keys, _VERSION)
        .agg(
            F.min(F.when(F.col(_START), F.col(sequence_by))).alias(START_AT),
            F.min(F.when(F.col(_DELETE), F.col(sequence_by))).alias("__cdc_deleted_at"),
            F.max_by(
                F.struct(*[F.col(c) for c in columns if c not in keys]),
                F.when(~F.col(_DELETE), F.col(_ORDER)),
            ).alias("latest"),
        )
    )
    following = Window.partitionBy(*keys).orderBy(_VERSION)
    end_at = F.coalesce(F.col("__cdc_deleted_at"), F.lead(START_AT).over(following)).alias(END_AT)
    values = [F.col(c) if c in keys else F.col(f"latest.{c}").alias(c) for c in columns]
    return versions.select(*values, F.col(START_AT), end_at)
