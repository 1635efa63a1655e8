"""Users for BI with PII masked, and counts per state and per day.

Gold never holds a name, e-mail, CPF or phone number in clear text: display masks
(:mod:`lakehouse.masking`) and a keyed hash of the normalised e-mail, which lets analysts join or
count distinct people without seeing who they are.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse import masking

USER_COLUMNS = (
    "id",
    "nome_masked",
    "email_masked",
    "cpf_masked",
    "telefone_masked",
    "email_hash",
    "cidade",
    "estado",
    "status",
    "created_at",
)
ACTIVE = "ativo"


def mask_users(current: DataFrame, key: bytes) -> DataFrame:
    """One row per current user (the SCD1 table), every PII column masked or hashed."""
    return current.select(
        F.col("id"),
        masking.mask_name(F.col("nome")).alias("nome_masked"),
        masking.mask_email(F.col("email")).alias("email_masked"),
        masking.mask_cpf(F.col("cpf")).alias("cpf_masked"),
        masking.mask_phone(F.col("telefone")).alias("telefone_masked"),
        masking.keyed_hash(masking.normalise_email(F.col("email")), key).alias("email_hash"),
        F.col("cidade"),
        F.col("estado"),
        F.col("status"),
        F.col("created_at"),
    )


def users_by_state(current: DataFrame) -> DataFrame:
    """Current users and active users (status ``ativo``) per state."""
    return current.groupBy("estado").agg(
        F.count("*").alias("users"),
        F.count_if(F.col("status") == F.lit(ACTIVE)).alias("active_users"),
    )


def daily_changes(changes: DataFrame) -> DataFrame:
    """Inserts, updates and deletes per day of ``changed_at`` (UTC); snapshot reads are no change."""
    return (
        changes.groupBy(F.to_date("changed_at").alias("change_date"))
        .agg(
            F.count_if(F.col("op") == F.lit("c")).alias("inserts"),
            F.count_if(F.col("op") == F.lit("u")).alias("updates"),
            F.count_if(F.col("op") == F.lit("d")).alias("deletes"),
        )
        .filter("inserts + updates + deletes > 0")
    )
