"""Silver: typed users changes, then the current users (SCD1) and their history (SCD2) by lsn."""

from pyspark import pipelines as dp

from lakehouse import compat
from lakehouse.users import silver as users
from lakehouse.users.settings import UsersSettings

settings = UsersSettings.from_conf(spark.conf)
bronze = settings.layers.bronze_table("users_changes_raw")
changes = settings.layers.silver_table("users_changes")


@dp.table(name=changes, comment="One typed row per change of public.usuarios (op, lsn, changed_at, row image)")
@compat.expectations(drop=users.CHANGE_RULES)
def users_changes():
    return users.to_user_changes(users.parse_user_changes(spark.readStream.table(bronze)))


@dp.table(
    name=settings.layers.silver_table("users_changes_quarantine"),
    comment="Users messages rejected by a rule: raw payload, failed rule names, source metadata",
)
def users_changes_quarantine():
    return users.to_user_change_quarantine(users.parse_user_changes(spark.readStream.table(bronze)))


@dp.table(
    name=settings.layers.silver_table("users_tombstones"),
    comment="Kafka tombstones (null values after deletes): recorded and counted, never applied",
)
def users_tombstones():
    return users.to_tombstones(users.parse_user_changes(spark.readStream.table(bronze)))


compat.auto_cdc(
    spark,
    target=settings.layers.silver_table("users"),
    source=changes,
    keys=["id"],
    sequence_by="lsn",
    apply_as_deletes="op = 'd'",
    column_list=users.USER_COLUMNS,
    stored_as_scd_type=1,
    comment="Current row per user (SCD type 1), deletes applied, ordered by lsn",
)

compat.auto_cdc(
    spark,
    target=settings.layers.silver_table("users_history"),
    source=changes,
    keys=["id"],
    sequence_by="lsn",
    apply_as_deletes="op = 'd'",
    column_list=users.USER_COLUMNS,
    stored_as_scd_type=2,
    track_history_except_column_list=["updated_at"],
    comment="Every version per user (SCD type 2): __START_AT/__END_AT are lsns; updated_at alone is no version",
)
