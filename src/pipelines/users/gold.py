"""Gold: current users with PII masked, users per state, changes per day."""

from pyspark import pipelines as dp

from lakehouse import compat, masking
from lakehouse.users import gold
from lakehouse.users.settings import PII_KEY_ENV, UsersSettings

settings = UsersSettings.from_conf(spark.conf)
current = settings.layers.silver_table("users")
changes = settings.layers.silver_table("users_changes")
key = masking.hash_key(compat.secret(settings.secret_scope, settings.pii_hash_secret, env_var=PII_KEY_ENV))


@dp.materialized_view(
    name=settings.layers.gold_table("users"), comment="Current users; names, e-mails, CPFs, phones masked"
)
def users():
    return gold.mask_users(spark.read.table(current), key)


@dp.materialized_view(name=settings.layers.gold_table("users_by_state"), comment="Users and active users per state")
def users_by_state():
    return gold.users_by_state(spark.read.table(current))


@dp.materialized_view(
    name=settings.layers.gold_table("users_daily_changes"), comment="Inserts, updates and deletes per day"
)
def users_daily_changes():
    return gold.daily_changes(spark.read.table(changes))
