"""Plain-Python models of how bronze cuts a landed file into records and of the payload rules.

Independent of Spark, they let tests compute what every pipeline must hold from the fixture files
themselves (:mod:`lakehouse.file_records`, :mod:`lakehouse.payload`).
"""

from __future__ import annotations

import json
import re
from typing import Any

JAVA_SPACE = " \t\n\x0b\f\r"  # what Java's regex \s matches, as Spark splits and trims
_EDGES = f"^[{JAVA_SPACE}\ufeff]+|[{JAVA_SPACE}]+$"
_VISIBLE = re.compile(f"[^{JAVA_SPACE}]")
# Python 3.11 has possessive quantifiers too: the same pattern as lakehouse.file_records.
_CSV_RECORD = re.compile(r'(?:[^"\r\n]++|"(?:[^"]++|"")*+"|"[^\r\n]*+)++')


def _starts_an_object(text: str) -> bool:
    try:
        return isinstance(json.JSONDecoder().raw_decode(text)[0], dict)
    except ValueError:
        return False


def json_records(text: str) -> list[str]:
    """What :func:`lakehouse.file_records.json_records` makes of a file."""
    body = re.sub(_EDGES, "", text)
    lines = [line for line in re.split(r"\r\n|\r|\n", text) if _VISIBLE.search(line)]
    if body == "":
        return [""]
    if body.startswith("["):
        try:
            elements = json.loads(body, parse_constant=_refuse)
        except ValueError:
            return [text]
        return [json.dumps(e) for e in elements] if isinstance(elements, list) else [text]
    first_line = re.sub(_EDGES, "", lines[0]) if lines else ""
    if body.startswith("{") and len(lines) > 1 and not _starts_an_object(first_line) and _starts_an_object(body):
        return [body]
    return lines


def csv_records(text: str) -> list[str]:
    """What :func:`lakehouse.file_records.csv_records` makes of a file."""
    if re.sub(_EDGES, "", text) == "":
        return [""]
    return [record for record in _CSV_RECORD.findall(text) if _VISIBLE.search(record)]


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def payload_failure(record: str | None) -> tuple[str | None, dict[str, Any]]:
    """``(rule, {})`` when the record cannot be read (:data:`lakehouse.payload.PAYLOAD_RULES`),
    else ``(None, event)``. Like Spark's reader, the first JSON value counts; NaN is not JSON."""
    if record is None or not _VISIBLE.search(record):
        return "payload_not_empty", {}
    try:
        event = json.JSONDecoder(parse_constant=_refuse).raw_decode(record.lstrip(JAVA_SPACE))[0]
    except ValueError:
        return "payload_is_json_object", {}
    return (None, event) if isinstance(event, dict) else ("payload_is_json_object", {})
