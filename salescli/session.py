"""The database this invocation works on, opened once and shared by its commands.

The path comes from ``--db``, then ``SALESCLI_DB``, then ``sales.db`` in the per-user
app directory (``typer.get_app_dir("salescli")``; ``salescli config path`` prints it).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_state: dict[str, object] = {"path": None, "conn": None}


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


@contextmanager
def write() -> Iterator[sqlite3.Connection]:
    """One command's writes, as one transaction: all or nothing."""
    from salescli import store

    conn = connection()
    with store.transaction(conn):
        yield conn
