"""Gold: the three CondoManage reports over valid silver rows."""

from pyspark import pipelines as dp

from lakehouse.condo import gold
from lakehouse.condo.settings import CondoSettings

settings = CondoSettings.from_conf(spark.conf)


def silver(table):
    return spark.read.table(settings.layers.silver_table(f"condo_{table}"))


@dp.materialized_view(
    name=settings.layers.gold_table("condo_transactions_by_condominium"),
    comment="Transactions per condominium of the property: total_value (decimal(18,2)) and count",
)
def condo_transactions_by_condominium():
    return gold.transactions_by_condominium(silver("transacoes"), silver("condominios"))


@dp.materialized_view(
    name=settings.layers.gold_table("condo_transactions_by_resident"),
    comment="Transactions per resident id (homonyms stay apart); residents without transactions are not listed",
)
def condo_transactions_by_resident():
    return gold.transactions_by_resident(silver("transacoes"), silver("moradores"))


@dp.materialized_view(
    name=settings.layers.gold_table("condo_daily_transactions_by_property_type"),
    comment="Transactions per day and property type: total_value and count",
)
def condo_daily_transactions_by_property_type():
    return gold.daily_transactions_by_property_type(silver("transacoes"), silver("imoveis"))
