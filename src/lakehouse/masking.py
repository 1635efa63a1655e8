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


# Masks for display: they keep just enough to recognise a record (first name, e-mail domain, last
# digits) and nothing that identifies a person on its own. NULL and blank values give NULL; a value
# that does not have the expected shape gives ``***``, so a malformed value never leaks through.
MALFORMED = "***"
MIN_KEY_LENGTH = 16
# Lower-case particles of Portuguese names carry no initial: "Maria da Silva" -> "Maria S.".
NAME_PARTICLES = ("da", "das", "de", "do", "dos", "e", "di", "du")


def _blank_to_null(col: Column) -> Column:
    trimmed = F.trim(col.cast("string"))
    return F.when(trimmed != F.lit(""), trimmed)


def _digits(col: Column) -> Column:
    return F.regexp_replace(col.cast("string"), r"[^0-9]", "")


def mask_name(col: Column) -> Column:
    """``Maria Silva Oliveira`` -> ``Maria S. O.``: the first name and the initials of the others."""
    parts = F.split(F.regexp_replace(_blank_to_null(col), r"\s+", " "), " ")
    others = F.filter(F.slice(parts, 2, 1_000), lambda p: ~F.lower(p).isin(*NAME_PARTICLES))
    initials = F.transform(others, lambda p: F.concat(F.upper(F.substring(p, 1, 1)), F.lit(".")))
    masked = F.concat_ws(" ", F.element_at(parts, 1), F.array_join(initials, " "))
    return F.when(parts.isNotNull(), F.trim(masked))


def normalise_email(col: Column) -> Column:
    """Trimmed and lower-cased; blank -> NULL. What the keyed hash of an e-mail is taken of."""
    return F.lower(_blank_to_null(col))


def mask_email(col: Column) -> Column:
    """``maria.silva@example.com`` -> ``m***@example.com``; anything that is no e-mail -> ``***``."""
    email = normalise_email(col)
    shaped = email.rlike(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    masked = F.concat(F.substring(email, 1, 1), F.lit("***@"), F.substring_index(email, "@", -1))
    return F.when(email.isNotNull(), F.when(shaped, masked).otherwise(F.lit(MALFORMED)))


def mask_cpf(col: Column) -> Column:
    """``123.456.789-40`` (or ``12345678940``) -> ``***.***.***-40``; any other shape -> ``***``."""
    value = _blank_to_null(col)
    shaped = value.rlike(r"^[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}$")
    masked = F.concat(F.lit("***.***.***-"), F.substring(value, -2, 2))
    return F.when(value.isNotNull(), F.when(shaped, masked).otherwise(F.lit(MALFORMED)))


def mask_phone(col: Column) -> Column:
    """``+55 (11) 98765-4321`` -> ``***-4321``: the last four digits; under 8 digits -> ``***``."""
    value = _blank_to_null(col)
    digits = _digits(value)
    masked = F.concat(F.lit("***-"), F.substring(digits, -4, 4))
    return F.when(value.isNotNull(), F.when(F.length(digits) >= 8, masked).otherwise(F.lit(MALFORMED)))


def hash_key(secret: str) -> bytes:
    """The HMAC key from its secret text; a short key is refused (a guessable key is no protection)."""
    from lakehouse.errors import SettingsError

    key = secret.strip().encode("utf-8")
    if len(key) < MIN_KEY_LENGTH:
        raise SettingsError(f"the PII hash key must be at least {MIN_KEY_LENGTH} characters long")
    return key
