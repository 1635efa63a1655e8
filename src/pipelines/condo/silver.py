"""Silver: the current export of each table (snapshot CDC), its valid rows, and one quarantine."""

from pyspark import pipelines as dp

from lakehouse import compat
from lakehouse.condo import silver as condo
from lakehouse.condo.exports import CONDOMINIOS, EXPORTS, IMOVEIS, MORADORES, TRANSACOES, file_lines
from lakehouse.condo.settings import CondoSettings
from lakehouse.snapshots import FileSnapshots

settings = CondoSettings.from_conf(spark.conf)
current = {e.table: settings.layers.silver_table(f"condo_{e.table}_export") for e in EXPORTS}
valid = {e.table: settings.layers.silver_table(f"condo_{e.table}") for e in EXPORTS}

for export in EXPORTS:
    compat.auto_cdc_from_snapshot(
        spark,
        target=current[export.table],
        snapshots=FileSnapshots(spark, settings.layers.bronze_table(f"condo_{export.table}_files"), file_lines),
        keys=["line_number"],
        comment=f"The lines of the newest {export.table} export, by line number (each file is a full snapshot)",
    )


def lines(export):
    return spark.read.table(current[export.table])


def condominios():
    return condo.check_condominios(lines(CONDOMINIOS))


def imoveis():
    return condo.check_imoveis(lines(IMOVEIS), spark.read.table(valid["condominios"]))


def moradores():
    return condo.check_moradores(lines(MORADORES), spark.read.table(valid["condominios"]))


def transacoes():
    return condo.check_transacoes(
        lines(TRANSACOES), spark.read.table(valid["imoveis"]), spark.read.table(valid["moradores"])
    )


@dp.materialized_view(name=valid["condominios"], comment="Valid condominiums of the current export")
def condo_condominios():
    return condo.to_silver(condominios(), CONDOMINIOS)


@dp.materialized_view(name=valid["imoveis"], comment="Valid properties of a valid condominium")
def condo_imoveis():
    return condo.to_silver(imoveis(), IMOVEIS)


@dp.materialized_view(name=valid["moradores"], comment="Valid residents of a valid condominium")
def condo_moradores():
    return condo.to_silver(moradores(), MORADORES)


@dp.materialized_view(
    name=valid["transacoes"],
    comment="Valid transactions of a valid property and resident; warnings counted, rows kept",
)
@compat.expectations(warn=condo.TRANSACAO_WARNINGS)
def condo_transacoes():
    return condo.to_silver(transacoes(), TRANSACOES)


@dp.materialized_view(
    name=settings.layers.silver_table("condo_quarantine"),
    comment="Export lines rejected by a rule: the line, its export, line number and id, failed rules, file",
)
def condo_quarantine():
    checked = {"condominios": condominios(), "imoveis": imoveis(), "moradores": moradores(), "transacoes": transacoes()}
    return condo.to_condo_quarantine(checked)
