from __future__ import annotations

import pytest
from pyspark.errors import PySparkException

from lakehouse import compat

RULES = {"positive_price": "price > 0", "known_sku": "sku IS NOT NULL"}


def frame(spark):
    return spark.createDataFrame([("a", 1.0), ("b", 0.0), (None, 2.0), ("d", None)], "sku string, price double")


def test_local_drop_keeps_rows_passing_every_rule_and_treats_null_as_failed(spark, monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    query = compat.expectations(drop=RULES)(lambda: frame(spark))
    assert [r.sku for r in query().collect()] == ["a"]


def test_local_warnings_keep_rows_and_are_recorded_for_the_run_summary(spark, monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    query = compat.expectations(warn={"has_sku": "sku IS NOT NULL"})(lambda: frame(spark))
    assert query().count() == 4
    assert getattr(query, compat.WARNINGS_ATTRIBUTE) == {"has_sku": "sku IS NOT NULL"}


def test_local_fail_stops_on_the_first_violation_with_the_rule_name(spark, monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    query = compat.expectations(fail={"positive_price": "price > 0"})(lambda: frame(spark))
    with pytest.raises(PySparkException, match="positive_price"):
        query().collect()


def test_databricks_is_detected_from_its_runtime_variable(monkeypatch):
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "16.4")
    assert compat.on_databricks()
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION")
    assert not compat.on_databricks()


def test_locally_a_secret_comes_only_from_the_named_environment_variable(monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    monkeypatch.setenv("EH_TEST_SECRET", "s3cr3t")
    assert compat.secret("scope", "key", env_var="EH_TEST_SECRET") == "s3cr3t"
    monkeypatch.delenv("EH_TEST_SECRET")
    with pytest.raises(compat.NotOnDatabricksError, match="secret scope"):
        compat.secret("scope", "key", env_var="EH_TEST_SECRET")


def test_auto_loader_is_refused_locally_instead_of_faked(spark, monkeypatch):
    from lakehouse.settings import PipelineSettings
    from lakehouse.sources import read_bronze

    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    conf = {"lakehouse.landing_path": "/landing", "lakehouse.source": "autoloader"}
    with pytest.raises(compat.NotOnDatabricksError, match="only on Databricks; use source=files"):
        read_bronze(spark, PipelineSettings.from_conf(conf).source, "orders")


def test_auto_cdc_refuses_what_create_auto_cdc_flow_would_refuse(spark):
    with pytest.raises(ValueError, match="1 or 2"):
        compat.auto_cdc(
            spark, target="t", source="s", keys=["id"], sequence_by="lsn", stored_as_scd_type=3, column_list=["id"]
        )
    with pytest.raises(ValueError, match="SCD type 2 only"):
        compat.auto_cdc(
            spark,
            target="t",
            source="s",
            keys=["id"],
            sequence_by="lsn",
            stored_as_scd_type=1,
            column_list=["id", "updated_at"],
            track_history_except_column_list=["updated_at"],
        )
