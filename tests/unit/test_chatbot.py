from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from chispa import assert_df_equality

from lakehouse.chatbot import flows
from lakehouse.chatbot import gold as chatbot_gold
from lakehouse.chatbot import silver as chatbot_silver
from lakehouse.quality import keep_rejected, keep_valid
from tests.unit.bronze import BRONZE_DDL

INGESTED = datetime(2019, 12, 16, 15, 0, tzinfo=UTC)

ANSWERS_DDL = "customer string, flow string, session string, key string, value string, answered_at timestamp"
SESSIONS_DDL = (
    "customer string, flow string, session string, first_answer_dt timestamp, last_answer_dt timestamp, "
    "answers map<string,string>"
)


def answer(key: str, value: object, timestamp: str, *, session: str = "S1000", flow: str = "F1000") -> dict:
    return {"customer": "C1000", "flow": flow, "session": session, "timestamp": timestamp, "content": {key: value}}


def array_file(*elements: object) -> str:
    return json.dumps(list(elements), indent=2, ensure_ascii=False)


def lines_file(*elements: object) -> str:
    return "".join(json.dumps(element, ensure_ascii=False) + "\n" for element in elements)


def bronze(spark, *files: tuple[str, str]):
    """One bronze row per file: (path, whole text)."""
    rows = [(text, None, None, None, None, None, path, None, INGESTED) for path, text in files]
    return spark.createDataFrame(rows, BRONZE_DDL)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def answers_of(spark, *files: tuple[str, str]):
    parsed = chatbot_silver.parse_chatbot_files(bronze(spark, *files))
    return chatbot_silver.to_answers(keep_valid(parsed, chatbot_silver.CHATBOT_RULES))


def sessions_of(spark, *files: tuple[str, str]):
    return chatbot_gold.chatbot_sessions(answers_of(spark, *files)).orderBy("customer", "flow", "session")


def failed(spark, *files: tuple[str, str]) -> list[list[str]]:
    rejected = keep_rejected(chatbot_silver.parse_chatbot_files(bronze(spark, *files)), chatbot_silver.QUARANTINE_RULES)
    return [list(row.failed_rules) for row in rejected.collect()]


# ---- parsing and rules ---------------------------------------------------------------------------


def test_an_array_file_yields_one_row_per_answer_with_its_source(spark):
    text = array_file(
        answer("name", "maria", "2019-12-16T13:59:58+00:00"), answer("cpf", "1", "2019-12-16T14:00:01+00:00")
    )
    got = chatbot_silver.parse_chatbot_files(bronze(spark, ("hour=13.json", text)))
    element = '{"customer":"C1000","flow":"F1000","session":"S1000","timestamp":"2019-12-16T%s+00:00","content":%s}'
    source = (None, None, None, None, None, "hour=13.json", INGESTED, True, True)
    want = spark.createDataFrame(
        [
            (
                "C1000",
                "F1000",
                "S1000",
                "name",
                "maria",
                utc(2019, 12, 16, 13, 59, 58),
                element % ("13:59:58", '{"name":"maria"}'),
                *source,
            ),
            (
                "C1000",
                "F1000",
                "S1000",
                "cpf",
                "1",
                utc(2019, 12, 16, 14, 0, 1),
                element % ("14:00:01", '{"cpf":"1"}'),
                *source,
            ),
        ],
        f"{ANSWERS_DDL}, raw_payload string, kafka_key string, topic string, partition int, offset bigint, "
        "kafka_timestamp timestamp, "
        "file_path string, "
        "ingested_at timestamp, payload_not_empty boolean, payload_is_json_object boolean",
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_a_json_lines_file_is_read_and_blank_lines_skipped(spark):
    text = lines_file(answer("name", "maria", "2019-12-16T13:59:58+00:00")) + "\n  \n"
    got = chatbot_silver.parse_chatbot_files(bronze(spark, ("answers.jsonl", text))).select(
        *chatbot_silver.ANSWER_COLUMNS
    )
    want = spark.createDataFrame(
        [("C1000", "F1000", "S1000", "name", "maria", utc(2019, 12, 16, 13, 59, 58))], ANSWERS_DDL
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_a_timestamp_with_an_offset_is_converted_to_utc(spark):
    text = array_file(answer("name", "maria", "2019-12-16T10:59:58-03:00"))
    got = chatbot_silver.parse_chatbot_files(bronze(spark, ("f.json", text))).select("answered_at")
    want = spark.createDataFrame([(utc(2019, 12, 16, 13, 59, 58),)], "answered_at timestamp")
    assert_df_equality(got, want, ignore_nullable=True)


def test_a_valid_answer_fails_no_rule(spark):
    assert failed(spark, ("f.json", array_file(answer("name", "maria", "2019-12-16T13:59:58+00:00")))) == []


def test_a_non_object_element_is_quarantined_not_lost(spark):
    text = array_file(answer("name", "maria", "2019-12-16T13:59:58+00:00"), 42)
    rejected = keep_rejected(
        chatbot_silver.parse_chatbot_files(bronze(spark, ("f.json", text))), chatbot_silver.QUARANTINE_RULES
    )
    got = rejected.select("raw_payload", "file_path", "failed_rules")
    want = spark.createDataFrame(
        [("42", "f.json", ["payload_is_json_object"])],
        "raw_payload string, file_path string, failed_rules array<string>",
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_an_unreadable_array_file_is_quarantined_whole(spark):
    text = '[{"customer": "C1000", "flow": "F1000"'
    rejected = keep_rejected(
        chatbot_silver.parse_chatbot_files(bronze(spark, ("f.json", text))), chatbot_silver.QUARANTINE_RULES
    )
    got = rejected.select("raw_payload", "failed_rules")
    want = spark.createDataFrame([(text, ["payload_is_json_object"])], "raw_payload string, failed_rules array<string>")
    assert_df_equality(got, want, ignore_nullable=True)


def test_an_empty_array_file_yields_nothing(spark):
    assert chatbot_silver.parse_chatbot_files(bronze(spark, ("f.json", "[]\n"))).collect() == []


@pytest.mark.parametrize(
    ("value", "rules"),
    [("", ["value_not_blank"]), (" \t ", ["value_not_blank"]), (None, ["value_present", "value_not_blank"])],
)
def test_an_empty_blank_or_null_answer_is_rejected(spark, value, rules):
    assert failed(spark, ("f.json", array_file(answer("name", value, "2019-12-16T13:59:58+00:00")))) == [rules]


def test_content_without_a_key_is_rejected(spark):
    element = {**answer("name", "x", "2019-12-16T13:59:58+00:00"), "content": {}}
    assert failed(spark, ("f.json", array_file(element))) == [["key_present", "value_present", "value_not_blank"]]


def test_a_timestamp_without_an_offset_is_rejected(spark):
    assert failed(spark, ("f.json", array_file(answer("name", "maria", "2019-12-16T13:59:58")))) == [
        ["answered_at_parsable"]
    ]


def test_a_timestamp_outside_the_years_1_to_9999_is_rejected(spark):
    file = array_file(
        answer("name", "maria", "0001-01-01T00:00:00+14:00"), answer("cpf", "1", "+99999-01-01T00:00:00Z")
    )
    assert failed(spark, ("f.json", file)) == [["answered_at_parsable"]] * 2


def test_a_repeated_content_key_is_two_answers_not_a_failure(spark):
    """A key twice in ``content`` does not raise (no DUPLICATED_MAP_KEY): each occurrence is an answer.

    The session then keeps one of them by the usual rule (same instant: the larger value).
    """
    text = '[{"customer": "C1", "flow": "F1", "session": "S1", "timestamp": "2019-12-16T13:59:58+00:00", ' + (
        '"content": {"name": "a", "name": "b"}}]'
    )
    got = sorted((r.key, r.value) for r in answers_of(spark, ("f.json", text)).collect())
    assert got == [("name", "a"), ("name", "b")]
    assert [r.answers for r in sessions_of(spark, ("f.json", text)).collect()] == [{"name": "b"}]


# ---- sessions ------------------------------------------------------------------------------------


def test_an_empty_answer_is_superseded_by_the_valid_one_a_second_later(spark):
    text = array_file(
        answer("name", "", "2019-12-16T13:59:58+00:00"),
        answer("name", "joao", "2019-12-16T13:59:59+00:00"),
    )
    got = sessions_of(spark, ("f.json", text))
    want = spark.createDataFrame(
        [("C1000", "F1000", "S1000", utc(2019, 12, 16, 13, 59, 59), utc(2019, 12, 16, 13, 59, 59), {"name": "joao"})],
        SESSIONS_DDL,
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_the_latest_answer_to_a_key_wins(spark):
    text = array_file(
        answer("cpf", "305.584.960-40", "2019-12-16T14:00:01+00:00"),
        answer("cpf", "ZZZ", "2019-12-16T14:00:00+00:00"),
    )
    got = sessions_of(spark, ("f.json", text))
    want = spark.createDataFrame(
        [
            (
                "C1000",
                "F1000",
                "S1000",
                utc(2019, 12, 16, 14, 0, 0),
                utc(2019, 12, 16, 14, 0, 1),
                {"cpf": "305.584.960-40"},
            )
        ],
        SESSIONS_DDL,
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_answers_to_a_key_at_the_same_instant_are_broken_by_the_larger_value(spark):
    text = array_file(
        answer("nota", "9", "2019-12-16T14:00:01+00:00"), answer("nota", "10", "2019-12-16T14:00:01+00:00")
    )
    got = sessions_of(spark, ("f.json", text)).select("answers")
    want = spark.createDataFrame([({"nota": "9"},)], "answers map<string,string>")
    assert_df_equality(got, want, ignore_nullable=True)


def test_events_split_over_an_array_file_and_a_lines_file_make_one_session(spark):
    array = ("hour=13.json", array_file(answer("name", "maria", "2019-12-16T13:59:58+00:00")))
    lines = (
        "hour=14.jsonl",
        lines_file(
            answer("cpf", "305.584.960-40", "2019-12-16T14:00:01+00:00"),
            answer("delivery_confirmed", "true", "2019-12-16T14:00:02+00:00"),
        ),
    )
    got = sessions_of(spark, array, lines)
    want = spark.createDataFrame(
        [
            (
                "C1000",
                "F1000",
                "S1000",
                utc(2019, 12, 16, 13, 59, 58),
                utc(2019, 12, 16, 14, 0, 2),
                {"name": "maria", "cpf": "305.584.960-40", "delivery_confirmed": "true"},
            )
        ],
        SESSIONS_DDL,
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_sessions_of_every_flow_are_kept_apart(spark):
    text = array_file(
        answer("name", "maria", "2019-12-16T13:59:58+00:00"),
        answer("nota", "9", "2019-12-16T14:00:01+00:00", session="S3000", flow="F2000"),
    )
    got = sessions_of(spark, ("f.json", text))
    want = spark.createDataFrame(
        [
            (
                "C1000",
                "F1000",
                "S1000",
                utc(2019, 12, 16, 13, 59, 58),
                utc(2019, 12, 16, 13, 59, 58),
                {"name": "maria"},
            ),
            ("C1000", "F2000", "S3000", utc(2019, 12, 16, 14, 0, 1), utc(2019, 12, 16, 14, 0, 1), {"nota": "9"}),
        ],
        SESSIONS_DDL,
    )
    assert_df_equality(got, want, ignore_nullable=True)


# ---- flow views ----------------------------------------------------------------------------------


def test_a_flow_view_has_a_column_per_key_and_null_while_unanswered(spark):
    sessions = spark.createDataFrame(
        [
            (
                "C1000",
                "F1000",
                "S1000",
                utc(2019, 12, 16, 13, 59, 58),
                utc(2019, 12, 16, 14, 0, 1),
                {"name": "maria", "cpf": "305.584.960-40"},
            ),
            ("C2000", "F2000", "S3000", utc(2019, 12, 16, 13, 59, 59), utc(2019, 12, 16, 14, 0, 1), {"nota": "9"}),
        ],
        SESSIONS_DDL,
    )
    got = chatbot_gold.flow_view(sessions, "F1000", ["name", "cpf", "delivery_confirmed"])
    want = spark.createDataFrame(
        [
            (
                "C1000",
                "S1000",
                "maria",
                "305.584.960-40",
                None,
                utc(2019, 12, 16, 13, 59, 58),
                utc(2019, 12, 16, 14, 0, 1),
            )
        ],
        "customer string, session string, name string, cpf string, delivery_confirmed string, "
        "first_answer_dt timestamp, last_answer_dt timestamp",
    )
    assert_df_equality(got, want, ignore_nullable=True)


def test_parse_flow_views_reads_the_configuration_string():
    got = flows.parse_flow_views(" F1000=name, cpf,delivery_confirmed ; F2000=recomenda,nota;")
    assert got == {"F1000": ["name", "cpf", "delivery_confirmed"], "F2000": ["recomenda", "nota"]}


@pytest.mark.parametrize(
    "text", ["F1000", "F1000=", "=name", "F1000=name;F1000=cpf", "F1000=name,name", "F1000=first name", "F1000=session"]
)
def test_parse_flow_views_refuses_what_cannot_become_columns(text):
    with pytest.raises(ValueError):
        flows.parse_flow_views(text)
