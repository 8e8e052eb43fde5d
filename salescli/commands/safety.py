"""`salescli log`, `salescli undo [--redo]`, `salescli backup [PATH]` and `salescli restore BACKUP`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from salescli import output, parse, session
from salescli.commands.common import App, FormatOption, WideOption, YesOption, confirm
from salescli.errors import SalesError, UsageError
from salescli.grammar import plural
from salescli.output import Column

COLUMNS = [
    Column("id", kind="int"),
    Column("at", "when"),
    Column("by"),  # only when it tells something (``log``)
    Column("command"),
    Column("changes"),
    Column("undone", kind="bool"),
]

NOUNS = {"stage_history": "stage history entry"}  # the other tables are their nouns ("customer_tag": customer tag)


def count_of(table: str, n: int) -> str:
    """``3 deals``, ``1 activity``, ``2 customer tags``."""
    return plural(n, NOUNS.get(table, table.replace("_", " ")))


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
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many recent write commands to list.", min=1, max=parse.MAX_COUNT)] = 20,
    fmt: FormatOption = None,
    wide: WideOption = False,
) -> None:
    """List recent write commands, newest first: what ran, when, what it changed, whether it was undone; and the reminders e-mailed."""
    from salescli.store import history, reminders

    conn = session.connection()
    rows = [log_row(entry) for entry in history.log(conn, limit)]
    rows += [
        {"at": m["at"], "by": None, "command": "remind",
         "changes": f"e-mailed {m['recipient']} ({m['rep'] or 'team'}): {m['subject']}"}
        for m in reminders.sent(conn, limit)
    ]
    rows = sorted(rows, key=lambda row: row["at"], reverse=True)[:limit]
    # who ran what: on a shared server, or once a file's log holds more than one name
    shown = session.on_server() or len({row["by"] for row in rows if row["by"]}) > 1
    columns = COLUMNS if shown else [column for column in COLUMNS if column.key != "by"]
    if not shown:
        rows = [{key: value for key, value in row.items() if key != "by"} for row in rows]
    output.render(rows, columns, fmt=fmt, wide=wide, limit=limit, empty="No write commands yet.")


def undo(
    redo: Annotated[
        bool, typer.Option("--redo", help="Bring back what the last undo reverted (until something new is written).")
    ] = False,
    anyone: Annotated[
        bool, typer.Option("--anyone", help="On a server: the last write command (or with --redo, undo) of anyone, not your own.")
    ] = False,
) -> None:
    """Revert the last write command; run it again to walk further back. On a server: your own latest."""
    from salescli.store import bulk, history

    # a whole import taken back or brought back: a page cache that holds most pages it changes
    # (its statement journals stay on disk: in memory they would hold as much again)
    with bulk.roomy_writes(session.connection(create=True), cache_mib=32, temp_store="DEFAULT"), session.write() as conn:
        mine = None if anyone or not session.on_server() else session.user(conn)
        result = history.redo(conn, mine) if redo else history.undo(conn, mine)
    if redo:
        output.done(f"Redid #{result.command_id} `{result.line}`: {describe(result.changes)}.")
    else:
        output.done(f"Undid #{result.command_id} `{result.line}`: {describe(result.changes, UNDONE)}.")


def backup(
    path: Annotated[
        Optional[str],
        typer.Argument(
            metavar="PATH",
            help="Where to write the copy: a file (replaced only with --force), or a directory (ending in / it is created) "
            "(default: sales-YYYYMMDD-HHMMSS.db next to the database).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the file PATH if it exists.")] = False,
    keep: Annotated[
        Optional[int],
        typer.Option(
            "--keep",
            min=1,
            metavar="N",
            help="Then delete all but the newest N backups in that directory (only salescli's own backups of this database).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success (for cron).")] = False,
) -> None:
    """Copy the database to a private file (mode 0600), consistently, even while others write, and check the copy.

    On a PostgreSQL server the copy is a SQLite file of the same business (as `db copy` makes it; default: DBNAME-YYYYMMDD-HHMMSS.db in the current directory)."""
    from salescli import files
    from salescli.store import backup as backups

    target = Path(path).expanduser() if path else None
    if path and target and path.endswith(("/", os.sep)):  # a directory is meant: make it
        files.make_private_dir(target)
    if keep is not None and target is not None and not target.is_dir():
        raise UsageError("--keep deletes older backups in a directory: give a directory as PATH, or none")
    if session.on_server():  # a file of the same business (db copy): readable anywhere, restored with db copy
        from salescli.commands import db

        written = db.backup(str(session.target()), target, keep=keep, replace=force)
    else:
        written = backups.copy(session.connection(), target, keep=keep, replace=force)
    if not quiet:
        output.done(str(written))


def restore(
    path: Annotated[Path, typer.Argument(metavar="BACKUP", help="The backup file to put in place of the database.", show_default=False)],
    yes: YesOption = False,
) -> None:
    """Replace the database with a backup, after checking it; the current file is kept as a backup."""
    from salescli.store import backup as backups

    if session.on_server():
        raise SalesError(
            f"restore replaces a database file; {session.describe()} is on a server: copy the backup into a new, empty "
            f"database instead (createdb sales2, then: salescli db copy {path} postgresql://…/sales2) and use that one"
        )
    database = session.db_path()
    aside = backups.restore(path, database, confirm=lambda: confirm(f"Replace the database {database} with {path}?", yes=yes))
    kept = f"; the file it replaced is kept as {aside}" if aside else ""
    output.done(f"Restored {path} to {database}{kept}.")


def register(app: App) -> None:
    """Attach ``log``, ``undo``, ``backup`` and ``restore`` to the root app."""
    app.command("log")(log)
    app.command("undo")(undo)
    app.command("backup")(backup)
    app.command("restore")(restore)
