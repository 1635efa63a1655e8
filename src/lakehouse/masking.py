"""PII masking as ``Column -> Column`` functions, the same on Databricks and locally.

Gold tables never hold PII in clear text. Where analysts need to join on a person without seeing
them, they get a keyed hash (HMAC-SHA256): without the key, which lives in a secret scope, nobody can
rebuild the hash from a guessed e-mail or name, as they could with a plain SHA-256 and a dictionary.

HMAC is written with Spark's own ``sha2`` (RFC 2104: ``H((K ^ opad) || H((K ^ ipad) || m))``), so it
runs as a SQL expression on both engines with no Python UDF on the hot path; the unit tests check it
against Python's :mod:`hmac`.
"""

from __future__ import annotations

import hashlib

from pyspark.sql import Column
from pyspark.sql import functions as F

_BLOCK_SIZE = 64  # SHA-256's block size in bytes


def _padded_keys(key: bytes) -> tuple[bytes, bytes]:
    if not key:
        raise ValueError("an HMAC key must not be empty")
    if len(key) > _BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK_SIZE, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def keyed_hash(col: Column, key: bytes) -> Column:
    """HMAC-SHA256 of the UTF-8 text of ``col`` as 64 lower-case hex digits; NULL stays NULL."""
    inner_key, outer_key = _padded_keys(key)
    inner = F.unhex(F.sha2(F.concat(F.lit(inner_key), col.cast("string").cast("binary")), 256))
    return F.when(col.isNotNull(), F.sha2(F.concat(F.lit(outer_key), inner), 256))
