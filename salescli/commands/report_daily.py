"""The daily reports: funnel, targets, due, forecast, stale."""

from __future__ import annotations

from salescli.commands.common import App


def register(app: App) -> None:
    """Attach these reports to the `report` group."""
