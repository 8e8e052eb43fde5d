"""Domain errors, raised at the bottom and translated into one stderr line at the edge.

Exit statuses (README "Exit codes"): 0 success, 1 a failed operation, 2 a usage error
(bad option, unparseable date / money / period), 3 `report due --check` found work,
130 interrupted (before the command's write was committed: nothing was written).
"""

from __future__ import annotations

from pathlib import Path

WORK_FOUND = 3  # `report due --check`: something is overdue or uncontacted
INTERRUPTED = 130


class SalesError(Exception):
    """Base class: a failed operation (exit status 1)."""

    exit_code = 1


class UsageError(SalesError):
    """Input that cannot be parsed or is not allowed (exit status 2)."""

    exit_code = 2


class NotFound(SalesError):
    """A reference names nothing."""


class Ambiguous(SalesError):
    """A reference matches several records; the message lists them."""

    def __init__(self, kind: str, text: str, candidates: list[str]):
        shown = ", ".join(candidates[:10])
        more = f" and {len(candidates) - 10} more" if len(candidates) > 10 else ""
        super().__init__(f"{kind} '{text}' is ambiguous: it matches {shown}{more}")
        self.candidates = candidates


class Invalid(SalesError):
    """A well-formed request that breaks a rule of the data (duplicate name, ...)."""


class SchemaTooNew(SalesError):
    """The file was written by a newer salescli."""


class Damaged(SalesError):
    """The file is not a readable SQLite database (garbage, truncated, corrupt pages)."""

    def __init__(self, path: Path, reason: str):
        super().__init__(
            f"the database file is damaged ({path}: {reason}): restore a backup "
            '(README "Your data is safe"), or give the right file with --db'
        )
