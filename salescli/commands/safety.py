"""Top-level commands (placeholder)."""

from __future__ import annotations

from salescli.commands.common import App


def register(app: App) -> None:
    """Attach this module's top-level commands to the root app."""
