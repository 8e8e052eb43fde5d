"""The database this invocation works on, opened once and shared by its commands.

The path comes from ``--db``, then ``SALESCLI_DB``, then ``sales.db`` in the per-user
app directory (``typer.get_app_dir("salescli")``; ``salescli config path`` prints it).
Commands that only read refuse a missing file; write commands create it, but create a
missing folder only for the default path.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_state: dict[str, object] = {"path": None, "conn": None, "command": None, "committed": False, "logged": True}


def configure(target: Path | str | None) -> None:
    """Point this invocation at ``target`` (a file, a ``postgresql://`` URL, or None: the
    default); closes any open connection."""
    conn = _state["conn"]
    if conn is not None:
        conn.close()  # type: ignore[attr-defined]
    _state.update(path=_target(target) if target else None, conn=None, committed=False, logged=True)


def _target(given: Path | str) -> Path | str:
    from salescli import parse

    return parse.database(str(given))


def _chosen() -> Path | str | None:
    """The file or URL given with ``--db`` or ``SALESCLI_DB``, if one was."""
    chosen = _state["path"]
    if chosen is not None:
        return chosen  # type: ignore[return-value]
    env = os.environ.get("SALESCLI_DB")
    return _target(env) if env else None


def _chosen_path() -> Path | None:
    """The file given with ``--db`` or ``SALESCLI_DB``, if one was (a server has none)."""
    chosen = _chosen()
    if isinstance(chosen, str):
        from salescli.errors import SalesError

        raise SalesError("this command works on a database file, not yet on a PostgreSQL server")
    return chosen


def target() -> Path | str:
    """The database in use: its file, or its ``postgresql://`` URL."""
    chosen = _chosen()
    return chosen if isinstance(chosen, str) else db_path()


def describe() -> str:
    """The database in use as salescli shows it: a path, or a URL without its password."""
    chosen = target()
    if isinstance(chosen, str):
        from salescli.store import postgres

        return postgres.describe(chosen)
    return str(chosen)


def short_name() -> str:
    """The database in a few words: its file's name, or its URL (without the password)."""
    return describe() if on_server() else db_path().name


def on_server() -> bool:
    """Whether the database in use is on a PostgreSQL server (not a file)."""
    return isinstance(target(), str)


def exists() -> bool:
    """Whether the database is there already (a server database always is: salescli does
    not create databases on a server)."""
    chosen = target()
    return isinstance(chosen, str) or chosen.exists()


def db_path() -> Path:
    """The database file (an error on a server: for the commands that work on files only)."""
    import typer

    return _chosen_path() or Path(typer.get_app_dir("salescli")) / "sales.db"


def connection(*, create: bool = False) -> sqlite3.Connection:
    """The open, migrated connection (opened on first use). A missing file is an error,
    unless ``create`` (a write command): then it is created, with the app directory
    (mode 0700) when it is the default path."""
    conn = _state["conn"]
    if conn is not None:
        return conn  # type: ignore[return-value]
    from salescli import files, output, store
    from salescli.store import dialect

    database = target()
    if create and _chosen() is None:
        files.make_private_dir(database.parent)  # type: ignore[union-attr]
    conn = store.connect(database, create=create, waiting=_say_waiting)
    dialect.read_snapshot(conn)  # a report is one consistent view, however many queries it makes
    output.CURRENCY["symbol"] = store.setting(conn, "currency")
    _state["conn"] = conn
    return conn


def _say_waiting() -> None:
    from salescli import output

    if output.stderr_isatty():
        output.message("Waiting for another salescli command to finish…")


def committed() -> bool:
    """Whether this invocation's write has reached its commit: from there on, Ctrl-C no
    longer stops it (the change is in, and the command says so)."""
    return bool(_state["committed"])


def committing() -> None:
    """Called as a write commits (``store.transaction``): from here on the write counts as done."""
    _state["committed"] = True


def user(conn: sqlite3.Connection) -> str:
    """Who runs this command, as the command log records it: ``SALESCLI_USER``, else the
    database user on a server, else the login name."""
    from salescli import parse
    from salescli.store import dialect

    given = parse.user_name(os.environ.get("SALESCLI_USER", ""))
    return given or dialect.database_user(conn) or _login_name()


def _login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid, and none in the environment
        return ""


def remember_command(args: list[str]) -> None:
    """The command line after the global options, as typed (for the command log)."""
    _state["command"] = list(args)


def command_line() -> str:
    """``customer merge Acme INTO "Acme Ltd"``: quoted only where a shell would need it."""
    args = _state["command"]
    if not isinstance(args, list):  # not run from the command line (a script using the store)
        args = [Path(sys.argv[0]).name, *sys.argv[1:]]
    return " ".join(_shell_word(arg) for arg in args)


def _shell_word(arg: str) -> str:
    if arg and not any(ch.isspace() or ch in "'\"\\$`;&|<>*?()[]{}!#~" for ch in arg):
        return arg
    if "'" in arg and not any(ch in '"\\$`!' for ch in arg):
        return f'"{arg}"'
    return shlex.quote(arg)


@contextmanager
def write() -> Iterator[sqlite3.Connection]:
    """One command's writes, as one transaction: all or nothing, recorded in the command
    log with what it changed, so that ``salescli undo`` can take it back."""
    from salescli import store
    from salescli.store import history

    conn = connection(create=True)
    with (
        store.transaction(conn, waiting=_say_waiting, committing=committing),
        history.recording(conn, command_line(), user(conn)) as command_id,
    ):
        yield conn
    _state["logged"] = history.logged(conn, command_id)


def changed() -> bool:
    """Whether this invocation's write changed anything (one that changed nothing is not
    in the log, so ``undo`` would take back the command before it)."""
    return bool(_state["logged"])
