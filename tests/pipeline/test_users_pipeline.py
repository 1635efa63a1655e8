"""`lakehouse run users` on a simulated Debezium feed, twice, checked against the AUTO CDC model.

Run 1 reads two files whose lines are shuffled across them (out of order), a third file replaying the
first, tombstones after deletes and a few broken messages. A handful of changes are held back; run 2
delivers them late (one is an insert older than a delete run 1 already applied), new changes and a
replay of everything run 1 read. Each run is checked against the model over every valid change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.pipeline import users_feed
from tests.pipeline.local import lakehouse, query
from tests.unit import auto_cdc_model as model
from tests.unit.debezium import change, line, user

pytestmark = pytest.mark.pipeline

KEY = "test-only-pii-hash-key-0123456789"
ROW = ("id", "nome", "email", "cpf", "telefone", "cidade", "estado", "status", "created_at", "updated_at")
TS = "date_format({0}, \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'\") AS {0}"
SELECT_ROW = ", ".join(TS.format(c) if c.endswith("_at") else c for c in ROW)
BROKEN = [
    "{not json",
    line(change("c", user(9001), 10, table="condominios")),
    line(change("u", user(9002), None)),
    line(change("t", user(9003), 11)),
]


def write(folder: Path, name: str, lines: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(lines) + "\n")


def lines_of(events: list[dict]) -> list[str]:
    """Each event as a line, and a tombstone line after each delete (what Kafka carries)."""
    out: list[str] = []
    for event in events:
        out.append(line(event))
        if users_feed.payload(event)["op"] == "d":
            out.append("null")
    return out


class Scenario:
    def __init__(self, landing: Path) -> None:
        self.rng = random.Random(11)
        self.folder = landing / "users"
        self.feed = users_feed.simulate(seed=11, snapshot=40, changes=220)
        batch1 = list(self.feed.events)
        self.late = self._hold_back(batch1)
        self.delivered: list[dict] = [e for e in batch1 if e not in self.late]

    def _hold_back(self, events: list[dict]) -> list[dict]:
        """The insert of a user whose last change is a delete, plus a few random changes of others."""
        last: dict[int, str] = {}
        for event in events:
            last[users_feed.typed(event)["id"]] = users_feed.payload(event)["op"]
        inserts = {users_feed.typed(e)["id"]: e for e in events if users_feed.payload(e)["op"] == "c"}
        self.victim = next(uid for uid, op in last.items() if op == "d" and uid in inserts)
        others = [e for e in events if users_feed.typed(e)["id"] != self.victim]
        return [inserts[self.victim], *self.rng.sample(others, 6)]

    def first_batch(self) -> None:
        lines = lines_of(self.delivered) + BROKEN
        self.rng.shuffle(lines)
        half = len(lines) // 2
        write(self.folder, "users-0001.jsonl", lines[:half])
        write(self.folder, "users-0002.jsonl", lines[half:])
        write(self.folder, "users-0003.jsonl", lines[:half])  # a replay of the first file

    def second_batch(self) -> None:
        start = len(self.feed.events)
        users_feed.simulate(seed=12, snapshot=0, changes=90, feed=self.feed)
        new = self.feed.events[start:]
        lines = lines_of(new + self.late)
        self.rng.shuffle(lines)
        write(self.folder, "users-0004.jsonl", lines)
        write(self.folder, "users-0005.jsonl", lines_of(self.delivered))  # the whole topic replayed
        self.delivered += new + self.late

    def changes(self) -> list[dict]:
        return [users_feed.typed(e) for e in self.delivered]


def is_delete(row: dict) -> bool:
    return row["op"] == "d"


def expected_current(changes: list[dict]) -> list[dict]:
    return model.scd1(changes, ["id"], "lsn", is_delete, ROW)


def expected_history(changes: list[dict]) -> list[dict]:
    return model.scd2(changes, ["id"], "lsn", is_delete, ROW, ["updated_at"])


def by_key(rows: list[dict], *columns: str) -> list[tuple]:
    return sorted(tuple(row[c] for c in columns) for row in rows)


def python_hmac(email: str) -> str:
    return hmac.new(KEY.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def tables(home: Path) -> dict[str, list[dict]]:
    return query(
        home,
        bronze="SELECT count(*) AS n, count_if(raw_payload IS NULL OR raw_payload = 'null') AS tombstones "
        "FROM bronze.users_changes_raw",
        changes="SELECT count(*) AS n, count(DISTINCT id, lsn) AS distinct_changes FROM silver.users_changes",
        quarantine="SELECT failed_rules FROM silver.users_changes_quarantine",
        tombstones="SELECT count(*) AS n FROM silver.users_tombstones",
        current=f"SELECT {SELECT_ROW} FROM silver.users",
        history=f"SELECT {SELECT_ROW}, __START_AT, __END_AT FROM silver.users_history",
        gold="SELECT * FROM gold.users",
        by_state="SELECT * FROM gold.users_by_state",
        daily="SELECT CAST(change_date AS STRING) AS change_date, inserts, updates, deletes "
        "FROM gold.users_daily_changes",
    )


def run(home: Path, landing: Path) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAKEHOUSE_PII_HASH_KEY", KEY)
        done = lakehouse(home, "run", "users", "--landing", str(landing))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = tmp_path_factory.mktemp("home")
    landing = tmp_path_factory.mktemp("landing")
    scenario = Scenario(landing)
    scenario.first_batch()
    first_changes = scenario.changes()
    first = {"stdout": run(home, landing), "tables": tables(home), "changes": first_changes}
    first_lines = _all_lines(landing)
    scenario.second_batch()
    second = {"stdout": run(home, landing), "tables": tables(home), "changes": scenario.changes()}
    lines = {"first": first_lines, "second": _all_lines(landing)}
    return {"first": first, "second": second, "scenario": scenario, "lines": lines}


def _all_lines(landing: Path) -> list[str]:
    return [x for f in sorted((landing / "users").glob("*.jsonl")) for x in f.read_text().splitlines()]


RUNS = ["first", "second"]


@pytest.mark.parametrize("which", RUNS)
def test_silver_users_is_the_scd1_of_every_change_by_lsn(runs, which):
    got, changes = runs[which]["tables"], runs[which]["changes"]
    assert by_key(got["current"], *ROW) == by_key(expected_current(changes), *ROW)


@pytest.mark.parametrize("which", RUNS)
def test_silver_users_history_is_the_scd2_of_every_change_by_lsn(runs, which):
    got, changes = runs[which]["tables"], runs[which]["changes"]
    columns = (*ROW, "__START_AT", "__END_AT")
    want = expected_history(changes)
    assert by_key(got["history"], *columns) == by_key(want, *columns)
    # the simulation touches updated_at alone often: those changes made no versions
    assert len(want) < len([c for c in changes if c["op"] != "d"])


def test_a_late_insert_older_than_a_delete_fills_history_but_resurrects_nobody(runs):
    scenario = runs["scenario"]
    insert = users_feed.typed(scenario.late[0])
    first, second = runs["first"]["tables"], runs["second"]["tables"]
    assert scenario.victim not in {r["id"] for r in first["current"] + second["current"]}
    assert insert["lsn"] not in {r["__START_AT"] for r in first["history"] if r["id"] == scenario.victim}
    versions = [r for r in second["history"] if r["id"] == scenario.victim]
    assert insert["lsn"] in {r["__START_AT"] for r in versions}
    assert all(r["__END_AT"] is not None for r in versions)


@pytest.mark.parametrize("which", RUNS)
def test_bronze_keeps_everything_silver_each_change_once_tombstones_are_counted_not_errors(runs, which):
    got = runs[which]["tables"]
    lines = runs["lines"][which]
    assert got["bronze"][0]["n"] == len(lines)
    assert got["bronze"][0]["tombstones"] == lines.count("null") > 0
    assert got["changes"][0]["n"] == got["changes"][0]["distinct_changes"] == len(runs[which]["changes"])
    assert got["tombstones"][0]["n"] == got["bronze"][0]["tombstones"]
    reasons = Counter(rule for row in got["quarantine"] for rule in row["failed_rules"])
    assert len(got["quarantine"]) == sum(lines.count(broken) for broken in BROKEN)
    assert {"payload_parsable", "table_is_usuarios", "lsn_present", "op_known"} <= set(reasons)
    assert "tombstone" not in " ".join(reasons)


@pytest.mark.parametrize("which", RUNS)
def test_gold_users_are_the_current_users_masked_with_a_keyed_email_hash(runs, which):
    got, changes = runs[which]["tables"], runs[which]["changes"]
    want = {row["id"]: row for row in expected_current(changes)}
    gold = {row["id"]: row for row in got["gold"]}
    assert set(gold) == set(want)
    for uid, row in gold.items():
        email = want[uid]["email"]
        local, domain = email.lower().split("@")
        assert row["email_masked"] == f"{local[0]}***@{domain}"
        assert row["email_hash"] == python_hmac(email)
        assert row["cpf_masked"] == "***.***.***-" + want[uid]["cpf"][-2:]
        assert row["telefone_masked"] == "***-" + want[uid]["telefone"][-4:]
        first, *others = want[uid]["nome"].split()
        assert row["nome_masked"] == " ".join([first, *[f"{o[0]}." for o in others]])
        assert (row["cidade"], row["estado"], row["status"]) == tuple(
            want[uid][c] for c in ("cidade", "estado", "status")
        )


@pytest.mark.parametrize("which", RUNS)
def test_gold_counts_per_state_and_per_day(runs, which):
    got, changes = runs[which]["tables"], runs[which]["changes"]
    current = expected_current(changes)
    states = Counter(r["estado"] for r in current)
    active = Counter(r["estado"] for r in current if r["status"] == "ativo")
    assert {r["estado"]: (r["users"], r["active_users"]) for r in got["by_state"]} == {
        s: (n, active[s]) for s, n in states.items()
    }
    days: dict[str, Counter] = {}
    for c in changes:
        day = datetime.fromtimestamp(c["changed_at"] / 1000, tz=UTC).date().isoformat()
        days.setdefault(day, Counter())[c["op"]] += 1
    want = {d: (n["c"], n["u"], n["d"]) for d, n in days.items() if n["c"] + n["u"] + n["d"]}
    assert {r["change_date"]: (r["inserts"], r["updates"], r["deletes"]) for r in got["daily"]} == want


def test_no_raw_name_email_cpf_or_phone_appears_anywhere_in_gold(runs):
    gold = json.dumps([runs[w]["tables"][t] for w in RUNS for t in ("gold", "by_state", "daily")], ensure_ascii=False)
    for row in runs["second"]["changes"]:
        if row["op"] == "d" and row["email"] is None:
            continue
        for raw in (row["nome"], row["email"], row["cpf"], row["cpf"].replace(".", "").replace("-", "")):
            assert raw not in gold
        assert row["telefone"] not in gold and row["nome"].split()[1] not in gold


def test_the_run_summary_counts_tombstones_and_quarantine_reasons(runs):
    stdout = runs["first"]["stdout"]
    assert "silver.users_tombstones" in stdout and "silver.users_changes_quarantine" in stdout
    assert "table_is_usuarios" in stdout
