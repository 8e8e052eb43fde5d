"""Backups: a consistent copy of the database through SQLite's online backup API.

The copy is taken in one step inside a read transaction, so it is the database as of one
moment even while other processes write (WAL lets them carry on). It is written to a
private temporary file (mode 0600) next to the destination and renamed into place, so a
crash never leaves half a backup under the destination's name.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from salescli import parse
from salescli.errors import Invalid, SalesError


def database_file(conn: sqlite3.Connection) -> Path:
    """The file behind ``conn``'s main database."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main":
            return Path(row[2])
    raise SalesError("the database has no file to back up")


def default_path(database: Path, moment: dt.datetime | None = None) -> Path:
    """``sales-YYYYMMDD-HHMMSS.db`` next to ``sales.db`` (``-2``, ``-3``… if taken)."""
    stamp = (moment or parse.now()).strftime("%Y%m%d-%H%M%S")
    candidate = database.with_name(f"{database.stem}-{stamp}.db")
    number = 1
    while candidate.exists():
        number += 1
        candidate = database.with_name(f"{database.stem}-{stamp}-{number}.db")
    return candidate


def copy(conn: sqlite3.Connection, destination: Path | None = None) -> Path:
    """Back the database up to ``destination`` (a file, or a directory to put the default
    name in; default: next to the database). Returns the path written. An existing file
    at ``destination`` is replaced, but never the database itself."""
    source = database_file(conn)
    if destination is None:
        target = default_path(source)
    else:
        target = Path(destination).expanduser()
        if target.is_dir():
            target = default_path(target / source.name)
    if target.exists() and target.resolve() == source.resolve():
        raise Invalid(f"{target} is the database itself: give another path for the backup")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        copied = sqlite3.connect(temporary)
        try:
            conn.backup(copied)
        finally:
            copied.close()
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise SalesError(f"cannot write the backup {target}: {error.strerror}") from None
    except BaseException:
        _remove(temporary)
        raise
    return target


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
