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
