"""Backups: a consistent copy of the database through SQLite's online backup API.

The copy is read through a connection of its own, in one step inside one read
transaction: it is the database as last committed, as of one moment, even while other
processes write (WAL lets them carry on) and even when the caller is in the middle of a
write of its own (``import`` backs up inside its transaction, before its first write).
It is written to a private temporary file (mode 0600) next to the destination and
renamed into place, so a crash never leaves half a backup under the destination's name.

``salescli backup`` names its copies ``sales-YYYYMMDD-HHMMSS.db`` and never deletes one.
The copy ``import`` takes first is labelled (``sales-import-YYYYMMDD-HHMMSS.db``), and
only the newest few copies with that label are kept.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from pathlib import Path

from salescli import parse
from salescli.errors import Invalid, SalesError

BUSY_TIMEOUT_SECONDS = 10.0


def database_file(conn: sqlite3.Connection) -> Path:
    """The file behind ``conn``'s main database."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main" and row[2]:
            return Path(row[2])
    raise SalesError("the database has no file to back up")


def _pattern(database: Path, label: str) -> re.Pattern[str]:
    """``sales[-label]-YYYYMMDD-HHMMSS[-N].db`` → (stamp, N)."""
    prefix = re.escape(f"{database.stem}-{label}-" if label else f"{database.stem}-")
    return re.compile(prefix + r"(\d{8}-\d{6})(?:-(\d+))?\.db")


def _copies(database: Path, label: str) -> list[tuple[str, int, Path]]:
    """The default-named copies of ``database`` in its folder, oldest first."""
    pattern = _pattern(database, label)
    found = []
    for candidate in database.parent.iterdir() if database.parent.is_dir() else ():
        match = pattern.fullmatch(candidate.name)
        if match:
            found.append((match[1], int(match[2] or 1), candidate))
    return sorted(found)


def default_path(database: Path, moment: dt.datetime | None = None, *, label: str = "") -> Path:
    """``sales-YYYYMMDD-HHMMSS.db`` (or ``sales-LABEL-…``) next to ``sales.db``; a copy
    taken in the same second as another gets the next number (``-2``, ``-3``…)."""
    stamp = (moment or parse.now()).strftime("%Y%m%d-%H%M%S")
    number = 1 + max((n for s, n, _ in _copies(database, label) if s == stamp), default=0)
    name = f"{database.stem}-{label}-{stamp}" if label else f"{database.stem}-{stamp}"
    return database.with_name(f"{name}-{number}.db" if number > 1 else f"{name}.db")


def copy(
    conn: sqlite3.Connection, destination: Path | None = None, *, label: str = "", keep: int | None = None
) -> Path:
    """Back the database up to ``destination`` (a file, or a directory to put the default
    name in; default: next to the database). Returns the path written. An existing file
    at ``destination`` is replaced, but never the database itself.

    ``label`` goes into the default name; ``keep`` (with a label, without a destination)
    then deletes all but the newest ``keep`` copies of that label, this one included.
    """
    source = database_file(conn)
    if destination is None:
        target = default_path(source, label=label)
    else:
        target = Path(destination).expanduser()
        if target.is_dir():
            target = default_path(target / source.name, label=label)
    if target.exists() and target.resolve() == source.resolve():
        raise Invalid(f"{target} is the database itself: give another path for the backup")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as error:  # not ours to remove
        raise SalesError(f"cannot write the backup {target}: {error.strerror}") from None
    try:
        _backup(source, temporary)
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except (OSError, sqlite3.Error) as error:
        _remove(temporary)
        reason = error.strerror if isinstance(error, OSError) else str(error)
        raise SalesError(f"cannot write the backup {target}: {reason}") from None
    except BaseException:
        _remove(temporary)
        raise
    if label and keep is not None and destination is None:
        for _, _, old in _copies(source, label)[:-keep]:
            old.unlink(missing_ok=True)
    return target


def _backup(source: Path, target: Path) -> None:
    """Copy the committed database at ``source`` into the file ``target``."""
    reading = sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        copied = sqlite3.connect(target)
        try:
            reading.backup(copied)  # all pages in one step: one read transaction, one moment
        finally:
            copied.close()
    finally:
        reading.close()


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
