"""The records of one landed file, whatever its shape: JSON lines, a JSON array, one document, CSV.

Landing folders are meant to hold JSON lines, but exports arrive as arrays or pretty-printed
objects too. Read line by line, such a file becomes one fragment per line, each failing every rule,
a quoted CSV field holding a line break becomes two broken lines, and an empty file leaves no trace
at all. So the file sources read each file whole and bronze splits it here, by the shape of that
file. :func:`json_records`:

- **empty** (no visible character): one empty record, so the file's arrival is on record and the
  silver rules quarantine it as ``payload_not_empty``;
- **JSON array** (first character ``[``): one record per element, re-serialised compactly; an
  array that does not parse (``NaN`` and ``Infinity`` included: they are not JSON) is one record,
  the whole file, quarantined as not a JSON object;
- **one JSON document** (an object spread over several lines, whose first line is not an object by
  itself): one record, the document;
- otherwise **JSON lines**: one record per line that has a visible character, kept exactly as
  received (a truncated or broken line is a record of its own, quarantined with its reason).

:func:`csv_records` splits CSV text into records at the line breaks outside quotes (RFC 4180), so a
quoted field may hold line breaks; an unclosed quote runs to the next quote, as in any CSV reader,
and the record is quarantined whole. An empty file is one empty record there too.

A record's position in its file (``offset`` in bronze, from 0) makes it unique with ``file_path``.
The same function runs on Databricks (Auto Loader reading whole text files) and locally.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

# A byte-order mark is not content: it is ignored when telling the file's shape.
_EDGES = r"^[\s\x{FEFF}]+|\s+$"
OBJECT_PROBE = "map<string,string>"
# ``NaN`` and ``Infinity`` are not JSON (RFC 8259). Spark's reader takes them by default and writes an
# element holding one back with the constant quoted (``"NaN"``), which would turn an unreadable record
# into a readable one; refused, the array is one record, the file as received.
_STRICT_JSON = {"allowNonNumericNumbers": "false"}


def _starts_with(text: Column, char: str) -> Column:
    """Whether the first visible character of ``text`` (byte-order marks aside) is ``char``."""
    return text.rlike(r"^[\s\x{FEFF}]*\Q" + char + r"\E")


def _lines(text: Column) -> Column:
    """The lines of ``text`` that have a visible character. A file without a carriage return (the
    usual case) is cut by a plain ``\\n`` split, which Java does without a regular expression."""
    split = F.when(text.contains("\r"), F.split(text, r"\r\n|\r|\n")).otherwise(F.split(text, "\n"))
    return F.filter(split, lambda line: line.rlike(r"\S"))


def json_records(text: Column) -> Column:
    """The JSON records of a file's text, as ``array<string>`` (see the module docstring).

    Cost: a file is one value of up to many megabytes, so each pass over it counts. The shape is
    told from the file's first visible character, found by anchored patterns that stop there; the
    text with its edges trimmed (a copy of the file) is made only for an array or a document. The
    lines are computed once and bound to a lambda variable (``transform`` over a one-element array)
    rather than repeated in each branch, where Spark would evaluate them again: a file of JSON
    lines is cut about four times faster than by the plain reading of the rules
    (``tests/unit/test_file_records.py`` holds that reading as the model both must agree with).
    """
    body = F.regexp_replace(text, _EDGES, "")

    def document_or_lines(lines: Column) -> Column:
        first_line = F.regexp_replace(F.element_at(lines, 1), _EDGES, "")
        one_document = (
            _starts_with(text, "{")
            & (F.size(lines) > 1)
            & F.from_json(first_line, OBJECT_PROBE).isNull()
            & F.from_json(body, OBJECT_PROBE).isNotNull()
        )
        return F.when(one_document, F.array(body)).otherwise(lines)

    return (
        F.when(text.isNull() | ~text.rlike(r"[^\s\x{FEFF}]"), F.array(F.lit("")))
        .when(_starts_with(text, "["), F.coalesce(F.from_json(body, "array<string>", _STRICT_JSON), F.array(text)))
        .otherwise(F.element_at(F.transform(F.array(_lines(text)), document_or_lines), 1))
    )


# One CSV record: runs of unquoted characters and quoted fields ("" escapes a quote; line breaks
# allowed inside), or an unclosed quote to the end of its line. Possessive quantifiers keep the
# match linear in the file's length.
_CSV_RECORD = r'(?:[^"\r\n]++|"(?:[^"]++|"")*+"|"[^\r\n]*+)++'


def csv_records(text: Column) -> Column:
    """The CSV records of a file's text, as ``array<string>``; blank lines are not records."""
    records = F.filter(F.regexp_extract_all(text, F.lit(_CSV_RECORD), 0), lambda record: record.rlike(r"\S"))
    blank = text.isNull() | (F.regexp_replace(text, _EDGES, "") == F.lit(""))
    return F.when(blank, F.array(F.lit(""))).otherwise(records)
