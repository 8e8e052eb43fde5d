"""The analysis reports: reps, customers, sources, products, lost, receivables."""

from __future__ import annotations

from salescli.commands.common import App


def register(app: App) -> None:
    """Attach these reports to the `report` group."""


def register_customer(app: App) -> None:
    """Attach `customer classify` to the `customer` group."""
