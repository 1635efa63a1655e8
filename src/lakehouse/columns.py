"""Column lists and types every pipeline shares, defined once.

Bronze has one fixed schema whatever the source (:data:`BRONZE_COLUMNS`); silver and quarantine keep
the part that says where a record came from (:data:`SOURCE_COLUMNS`), so a rejected row can always
be traced to its file or Kafka offset. Money is ``decimal(18,2)`` everywhere, never a float.
"""

from __future__ import annotations

MONEY = "decimal(18,2)"

SOURCE_COLUMNS = (
    "raw_payload",
    "kafka_key",
    "topic",
    "partition",
    "offset",
    "kafka_timestamp",
    "file_path",
    "ingested_at",
)

BRONZE_COLUMNS = (*SOURCE_COLUMNS[:-1], "file_modification_time", "ingested_at")
