"""The three CondoManage reports over valid silver rows: decimal(18,2) money, deterministic order.

Totals are attributed to the **property's** condominium (report 1), kept per resident **id** so two
residents with one name stay apart (report 2), and per day *and* property type (report 3).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.columns import MONEY


def totals(value: str = "valor_transacao") -> list[Column]:
    return [
        F.sum(value).cast(MONEY).alias("total_value"),
        F.count(F.lit(1)).alias("transactions"),
    ]


def transactions_by_condominium(transacoes: DataFrame, condominios: DataFrame) -> DataFrame:
    """Every condominium, with the transactions on its properties (0 and 0.00 when none)."""
    per_condominium = transacoes.groupBy(F.col("imovel_condominio_id").alias("condominio_id")).agg(*totals())
    joined = condominios.alias("c").join(per_condominium.alias("t"), "condominio_id", "left")
    return joined.select(
        F.col("condominio_id"),
        F.col("c.nome").alias("nome"),
        F.coalesce(F.col("t.total_value"), F.lit(0).cast(MONEY)).alias("total_value"),
        F.coalesce(F.col("t.transactions"), F.lit(0)).alias("transactions"),
    ).orderBy("condominio_id")


def transactions_by_resident(transacoes: DataFrame, moradores: DataFrame) -> DataFrame:
    """Residents who made transactions, by id; ``condominio_id`` is where the resident lives."""
    per_resident = transacoes.groupBy("morador_id").agg(*totals())
    joined = moradores.alias("m").join(per_resident.alias("t"), "morador_id", "inner")
    return joined.select(
        F.col("morador_id"),
        F.col("m.nome").alias("nome"),
        F.col("m.condominio_id").alias("condominio_id"),
        F.col("t.total_value").alias("total_value"),
        F.col("t.transactions").alias("transactions"),
    ).orderBy("morador_id")


def daily_transactions_by_property_type(transacoes: DataFrame, imoveis: DataFrame) -> DataFrame:
    """Per day and property type: the total and the number of transactions."""
    joined = transacoes.alias("t").join(imoveis.alias("i"), "imovel_id", "inner")
    return (
        joined.groupBy(F.col("t.data_transacao").alias("transaction_date"), F.col("i.tipo").alias("tipo"))
        .agg(*totals("t.valor_transacao"))
        .orderBy("transaction_date", "tipo")
    )
