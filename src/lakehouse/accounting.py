"""Where every bronze record of a run went: silver, the quarantine, or dropped as a transport duplicate.

A de-duplicating silver table declares, with :func:`accounted`, the bronze table it reads, its
quarantine and where a record's id sits in the raw payload. The local runner then counts, from the
Delta tables alone, the records this run added to bronze that passed every rule and the distinct
new ids among them: ``duplicates dropped`` is the difference. Silver must have written exactly one
row per new id, so ``bronze = silver + quarantine + duplicates`` holds only when nothing was lost
silently (the tests assert it). On Databricks the declaration is inert; the event log counts there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

ACCOUNTING_ATTRIBUTE = "__lakehouse_accounting__"

Query = TypeVar("Query", bound=Callable[..., object])


@dataclass(frozen=True)
class Accounting:
    """``bronze`` and ``quarantine`` are table names; ``key`` is a JSON path into ``raw_payload``."""

    bronze: str
    quarantine: str
    key: str


def accounted(bronze: str, quarantine: str, key: str) -> Callable[[Query], Query]:
    """Declare a de-duplicating silver table's accounting (place it under ``@dp.table``)."""

    def declare(query: Query) -> Query:
        setattr(query, ACCOUNTING_ATTRIBUTE, Accounting(bronze, quarantine, key))
        return query

    return declare
