"""The database this invocation works on, opened once and shared by its commands.

The path comes from ``--db``, then ``SALESCLI_DB``, then ``sales.db`` in the per-user
app directory (``typer.get_app_dir("salescli")``; ``salescli config path`` prints it).
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_state: dict[str, object] = {"path": None, "conn": None, "command": None}


def configure(path: Path | None) -> None:
    """Point this invocation at ``path`` (None: the default); closes any open connection."""
    conn = _state["conn"]
    if isinstance(conn, sqlite3.Connection):
        conn.close()
    _state.update(path=path, conn=None)


def db_path() -> Path:
    path = _state["path"]
    if isinstance(path, Path):
        return path.expanduser()
    env = os.environ.get("SALESCLI_DB")
    if env:
        return Path(env).expanduser()
    import typer

    return Path(typer.get_app_dir("salescli")) / "sales.db"


def connection() -> sqlite3.Connection:
    """The open, migrated connection (opened on first use)."""
    conn = _state["conn"]
    if isinstance(conn, sqlite3.Connection):
        return conn
    from salescli import output, store

    conn = store.connect(db_path())
    output.CURRENCY["symbol"] = store.setting(conn, "currency")
    _state["conn"] = conn
    return conn


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

    conn = connection()
    with store.transaction(conn), history.recording(conn, command_line()):
        yield conn
