from __future__ import annotations

from datetime import date, datetime

from chispa import assert_df_equality

from lakehouse.users import gold
from lakehouse.users.settings import KEYS, UsersSettings

CURRENT_DDL = (
    "id bigint, nome string, email string, cpf string, telefone string, cidade string, estado string, "
    "status string, created_at timestamp, updated_at timestamp"
)
KEY = b"a-key-of-sixteen-or-more"
AT = datetime(2026, 12, 1, 21, 0)


def current(spark):
    rows = [
        (1, "Maria Silva Oliveira", "maria@example.com", "123.456.789-40", "11987654321", "São Paulo", "SP", "ativo"),
        (2, "João Souza", "joao@example.com", "98765432100", "2133334444", "Rio de Janeiro", "RJ", "bloqueado"),
        (3, "Ana", None, None, None, "Campinas", "SP", "inativo"),
    ]
    return spark.createDataFrame([(*r, AT, AT) for r in rows], CURRENT_DDL)


def test_gold_users_hold_no_raw_pii(spark):
    masked = gold.mask_users(current(spark), KEY)
    assert tuple(masked.columns) == gold.USER_COLUMNS
    rows = {r.id: r for r in masked.collect()}
    assert (rows[1].nome_masked, rows[1].email_masked, rows[1].cpf_masked, rows[1].telefone_masked) == (
        "Maria S. O.",
        "m***@example.com",
        "***.***.***-40",
        "***-4321",
    )
    assert rows[3].email_hash is None and rows[3].email_masked is None
    text = str([r.asDict() for r in masked.collect()])
    for raw in ("Silva", "maria@example.com", "123.456.789-40", "98765432100", "2133334444", "Souza"):
        assert raw not in text


def test_users_by_state_counts_users_and_active_users(spark):
    got = gold.users_by_state(current(spark))
    want = spark.createDataFrame([("SP", 2, 1), ("RJ", 1, 0)], "estado string, users bigint, active_users bigint")
    assert_df_equality(got, want, ignore_row_order=True, ignore_nullable=True)


def test_daily_changes_count_each_kind_per_day_and_ignore_snapshot_reads(spark):
    changes = spark.createDataFrame(
        [
            ("c", datetime(2026, 12, 1, 10)),
            ("u", datetime(2026, 12, 1, 23, 59)),
            ("u", datetime(2026, 12, 2, 0, 1)),
            ("d", datetime(2026, 12, 2, 3)),
            ("r", datetime(2026, 12, 3, 1)),
        ],
        "op string, changed_at timestamp",
    )
    got = gold.daily_changes(changes)
    want = spark.createDataFrame(
        [(date(2026, 12, 1), 1, 1, 0), (date(2026, 12, 2), 0, 1, 1)],
        "change_date date, inserts bigint, updates bigint, deletes bigint",
    )
    assert_df_equality(got, want, ignore_row_order=True, ignore_nullable=True)


def test_settings_name_the_secret_never_hold_the_key():
    conf = {"lakehouse.source": "files", "lakehouse.landing_path": "/landing"}
    settings = UsersSettings.from_conf(_Conf(conf))
    assert settings.pii_hash_secret == KEYS["lakehouse.users.pii_hash_secret"]
    assert settings.secret_scope == "lakehouse"
    assert settings.layers.silver_table("users") == "silver.users"


class _Conf:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)
