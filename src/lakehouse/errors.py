"""The one root of every error a user can act on.

The CLI catches :class:`LakehouseError` and prints its message as one ``error:`` line (plus a
``details:`` line when the error carries a log path). This module imports nothing from the package,
so any module may raise these errors without creating an import cycle.
"""

from __future__ import annotations

from pathlib import Path


class LakehouseError(Exception):
    """A problem the user can fix or must know about; its message is one line that says what to do."""

    def __init__(self, message: str, *, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


class UserError(LakehouseError, ValueError):
    """A command-line argument or file given by the user is wrong."""


class SettingsError(LakehouseError, ValueError):
    """A pipeline configuration value is missing or malformed; the message names the key."""


class EnvironmentProblem(LakehouseError):
    """Something the machine lacks (Java, a folder, a free port); the message says what to do."""


class SourceUnavailable(LakehouseError):
    """A source or service (Kafka, PostgreSQL, an HTTP API) cannot be reached; nothing was run."""


class NotOnDatabricksError(LakehouseError):
    """A feature exists only on Databricks and has no honest local equivalent."""
