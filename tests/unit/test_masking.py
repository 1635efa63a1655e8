from __future__ import annotations

import hashlib
import hmac

import pytest

from lakehouse.masking import keyed_hash


def python_hmac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("key", [b"k", b"a-32-byte-key-from-the-scope!!!!", b"x" * 100])
def test_keyed_hash_equals_python_hmac(spark, key):
    texts = ["maria.silva@example.com", "", "José Ñandú 漢字", "a" * 500]
    df = spark.createDataFrame([(t,) for t in texts], "text string")
    got = [row.h for row in df.select(keyed_hash(df.text, key).alias("h")).collect()]
    assert got == [python_hmac(key, t) for t in texts]


def test_keyed_hash_keeps_null(spark):
    df = spark.createDataFrame([(None,)], "text string")
    assert df.select(keyed_hash(df.text, b"k").alias("h")).first().h is None


def test_keyed_hash_depends_on_the_key(spark):
    df = spark.createDataFrame([("maria@example.com",)], "text string")
    one = df.select(keyed_hash(df.text, b"one").alias("h")).first().h
    two = df.select(keyed_hash(df.text, b"two").alias("h")).first().h
    assert one != two != hashlib.sha256(b"maria@example.com").hexdigest()


def test_empty_key_is_refused(spark):
    df = spark.createDataFrame([("x",)], "text string")
    with pytest.raises(ValueError, match="must not be empty"):
        keyed_hash(df.text, b"")


# --- display masks (Column -> Column) ---

from lakehouse import masking  # noqa: E402


def masked(spark, function, values):
    df = spark.createDataFrame([(v,) for v in values], "v string")
    return [row.m for row in df.select(function(df.v).alias("m")).collect()]


def test_mask_name_keeps_the_first_name_and_initials(spark):
    values = ["Maria Silva Oliveira", "  joão   pedro  ", "Ana", "Maria da Silva dos Santos", None, "", "   "]
    assert masked(spark, masking.mask_name, values) == [
        "Maria S. O.",
        "joão P.",
        "Ana",
        "Maria S. S.",
        None,
        None,
        None,
    ]


def test_mask_email_shows_the_first_letter_and_the_domain(spark):
    values = [" Maria.Silva@Example.COM ", "a@b.io", "no-at-sign", "@example.com", "x@nodot", "a@b@c.com", None, ""]
    assert masked(spark, masking.mask_email, values) == [
        "m***@example.com",
        "a***@b.io",
        "***",
        "***",
        "***",
        "***",
        None,
        None,
    ]


def test_mask_cpf_shows_only_the_check_digits(spark):
    values = ["123.456.789-40", "12345678940", "1234", "123.456.789-4x0", None, " "]
    assert masked(spark, masking.mask_cpf, values) == [
        "***.***.***-40",
        "***.***.***-40",
        "***",
        "***",
        None,
        None,
    ]


def test_mask_phone_shows_the_last_four_digits(spark):
    values = ["+55 (11) 98765-4321", "1133334444", "12345", "abc", None]
    assert masked(spark, masking.mask_phone, values) == ["***-4321", "***-4444", "***", "***", None]


def test_the_email_hash_is_of_the_normalised_address(spark):
    key = b"a-key-of-sixteen-or-more"
    df = spark.createDataFrame([(" Maria@Example.com",), ("maria@example.com",), ("",)], "v string")
    hashes = [r.h for r in df.select(keyed_hash(masking.normalise_email(df.v), key).alias("h")).collect()]
    assert hashes[0] == hashes[1] == python_hmac(key, "maria@example.com")
    assert hashes[2] is None


def test_a_short_hash_key_is_refused_with_a_clear_error():
    from lakehouse.errors import SettingsError

    with pytest.raises(SettingsError, match="at least 16"):
        masking.hash_key("short")
    assert masking.hash_key(" a-key-of-sixteen-or-more ") == b"a-key-of-sixteen-or-more"
