"""`salescli log`, `salescli undo [--redo]` and `salescli backup [PATH]`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from salescli import output, session
from salescli.commands.common import App, FormatOption
from salescli.errors import SalesError
from salescli.output import Column

COLUMNS = [
    Column("id", kind="int"),
    Column("at", "when"),
    Column("command"),
    Column("changes"),
    Column("undone", kind="bool"),
]

NOUNS = {
    "activity": ("activity", "activities"),
    "customer_tag": ("customer tag", "customer tags"),
    "stage_history": ("stage history entry", "stage history entries"),
}


def count_of(table: str, n: int) -> str:
    """``3 deals``, ``1 activity``, ``2 customer tags``."""
    singular, plural = NOUNS.get(table, (table.replace("_", " "), table.replace("_", " ") + "s"))
    return f"{n} {singular if n == 1 else plural}"


def describe(changes: dict[str, list[int]], verbs: tuple[str, str, str] = ("created", "updated", "deleted")) -> str:
    """``1 customer deleted; 3 deals and 5 activities updated`` from ``{table: [c, u, d]}``."""
    parts = []
    for which, verb in enumerate(verbs):
        counted = [count_of(table, counts[which]) for table, counts in changes.items() if counts[which]]
        if counted:
            listed = counted[0] if len(counted) == 1 else ", ".join(counted[:-1]) + " and " + counted[-1]
            parts.append(f"{listed} {verb}")
    return "; ".join(parts) or "nothing"


def log_row(entry: dict[str, Any]) -> dict[str, Any]:
    changes = describe(entry["changes"])
    if entry["kind"] == "undo":
        changes = f"undid #{entry['about']}: " + describe(entry["changes"], UNDONE)
    elif entry["kind"] == "redo":
        changes = f"redid #{entry['about']}: {changes}"
    return {**entry, "changes": changes}


# How an undo's own changes read from the user's side: what it created was restored, ...
UNDONE = ("restored", "changed back", "removed")


def log(
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many recent write commands to list.", min=1)] = 20,
    fmt: FormatOption = None,
) -> None:
    """List recent write commands, newest first: what ran, when, what it changed, whether it was undone; and the reminders e-mailed."""
    from salescli.store import history, reminders

    conn = session.connection()
    rows = [log_row(entry) for entry in history.log(conn, limit)]
    rows += [
        {"at": m["at"], "command": "remind", "changes": f"e-mailed {m['recipient']} ({m['rep'] or 'team'}): {m['subject']}"}
        for m in reminders.sent(conn, limit)
    ]
    rows = sorted(rows, key=lambda row: row["at"], reverse=True)[:limit]
    output.render(rows, COLUMNS, fmt=fmt, limit=limit, empty="No write commands yet.")


def undo(
    redo: Annotated[
        bool, typer.Option("--redo", help="Bring back what the last undo reverted (until something new is written).")
    ] = False,
) -> None:
    """Revert the last write command; run it again to walk further back."""
    from salescli.store import history

    with session.write() as conn:
        result = history.redo(conn) if redo else history.undo(conn)
    if redo:
        output.done(f"Redid #{result.command_id} `{result.line}`: {describe(result.changes)}.")
    else:
        output.done(f"Undid #{result.command_id} `{result.line}`: {describe(result.changes, UNDONE)}.")


def backup(
    path: Annotated[
        Optional[str],
        typer.Argument(
            metavar="PATH",
            help="Where to write the copy: a file, or a directory (ending in / it is created) "
            "(default: sales-YYYYMMDD-HHMMSS.db next to the database).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Copy the database to a private file (mode 0600), consistently, even while others write."""
    from salescli.store import backup as backups

    target = Path(path).expanduser() if path else None
    if target is not None and path.endswith(("/", os.sep)):  # a directory is meant: make it
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SalesError(f"cannot create the directory {target}: {error.strerror}") from None
    output.done(str(backups.copy(session.connection(), target)))


def register(app: App) -> None:
    """Attach ``log``, ``undo`` and ``backup`` to the root app."""
    app.command("log")(log)
    app.command("undo")(undo)
    app.command("backup")(backup)
