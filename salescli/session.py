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

_state: dict[str, object] = {"path": None, "conn": None, "command": None, "committed": False}


def configure(path: Path | None) -> None:
    """Point this invocation at ``path`` (None: the default); closes any open connection."""
    conn = _state["conn"]
    if isinstance(conn, sqlite3.Connection):
        conn.close()
    _state.update(path=path, conn=None, committed=False)


def _chosen_path() -> Path | None:
    """The path given with ``--db`` or ``SALESCLI_DB``, if one was."""
    path = _state["path"]
    if isinstance(path, Path):
        return path.expanduser()
    env = os.environ.get("SALESCLI_DB")
    return Path(env).expanduser() if env else None


def db_path() -> Path:
    import typer

    return _chosen_path() or Path(typer.get_app_dir("salescli")) / "sales.db"


def connection(*, create: bool = False) -> sqlite3.Connection:
    """The open, migrated connection (opened on first use). A missing file is an error,
    unless ``create`` (a write command): then it is created, with the app directory
    (mode 0700) when it is the default path."""
    conn = _state["conn"]
    if isinstance(conn, sqlite3.Connection):
        return conn
    from salescli import files, output, store

    path = db_path()
    if create and _chosen_path() is None:
        files.make_private_dir(path.parent)
    conn = store.connect(path, create=create, waiting=_say_waiting)
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


def _committing() -> None:
    _state["committed"] = True


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
    with store.transaction(conn, waiting=_say_waiting, committing=_committing), history.recording(conn, command_line()):
        yield conn
