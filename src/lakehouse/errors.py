"""The errors a user can act on, gathered so the CLI can show each as one line."""

from __future__ import annotations


def known_errors() -> tuple[type[BaseException], ...]:
    from lakehouse.cli.app import UserError
    from lakehouse.cli.produce import ProduceError
    from lakehouse.compat import NotOnDatabricksError
    from lakehouse.local.bundle import BundleError
    from lakehouse.local.engine import PipelineFailed, SourceUnavailable
    from lakehouse.local.home import EnvironmentProblem
    from lakehouse.local.layers import LayoutError
    from lakehouse.settings import SettingsError

    found: list[type[BaseException]] = [
        UserError,
        ProduceError,
        NotOnDatabricksError,
        BundleError,
        PipelineFailed,
        SourceUnavailable,
        EnvironmentProblem,
        LayoutError,
        SettingsError,
        FileNotFoundError,
        ValueError,
    ]
    try:
        from lakehouse.kafka.broker import BrokerError

        found.append(BrokerError)
    except ImportError:  # the broker module is optional for commands that do not use it
        pass
    return tuple(found)
