"""The store: the only code that speaks SQL.

``connect()`` opens the SQLite file in WAL mode and brings its schema up to date through
``sqlite_utils.Migrations``; it refuses, before anything in it changes, a file that is
missing (unless asked to create it), damaged, or another application's.
``transaction()`` wraps one command's writes, waiting as long as it takes for another
command's write to finish. Per-noun modules (``store.customers``, ``store.deals``, ...)
hold the queries; they take a ``sqlite3.Connection`` and return plain dicts or rows, and
raise the domain errors of ``salescli.errors``.

Reads run on the plain ``sqlite3`` connection; sqlite-utils is imported only to migrate
and to write, so read-only commands start fast.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from salescli import parse
from salescli.errors import Damaged, Invalid, SalesError, SchemaTooNew
from salescli.store import schema

BUSY_TIMEOUT_SECONDS = 10.0  # a read, or the switch to WAL, meeting a lock held for a moment
LOCK_TRY_SECONDS = 0.2  # one try for the write lock; Ctrl-C is heard between tries
WAIT_NOTICE_SECONDS = 1.0  # waiting longer than this for the write lock is worth saying
SQLITE_HEADER = b"SQLite format 3\x00"

Notice = Callable[[], None]


def connect(target: Path | str, *, create: bool = False, waiting: Notice | None = None) -> sqlite3.Connection:
    """Open the salescli database at ``target``, migrating it as needed.

    A missing file is an error unless ``create`` (write commands), and then only the file
    is created (mode 0600), never its folder. A damaged file, or an SQLite file of another
    application, is refused before anything in it changes. ``waiting`` is called once
    when a migration has waited a moment for another command's write to finish.
    A ``postgresql://`` URL opens a database on a server instead (store/postgres.py).
    """
    if parse.is_database_url(target):
        from salescli.store import postgres

        return postgres.connect(str(target), create=create, waiting=waiting)  # type: ignore[return-value]
    path = Path(target).expanduser()
    if not path.exists():
        if not create:
            raise SalesError(f"no database at {path}; `salescli init` creates one")
        _create_private_file(path)
    _check_header(path)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        # INSERT OR REPLACE fires delete triggers only with this on: the undo record needs them.
        conn.execute("PRAGMA recursive_triggers = ON")
        _ensure_schema(conn, path, waiting)
    except BaseException as error:
        conn.close()
        if isinstance(error, sqlite3.DatabaseError) and is_damage(error):
            raise Damaged(path, str(error)) from None
        if isinstance(error, sqlite3.DatabaseError):
            raise SalesError(f"cannot open {path} as a salescli database: {error}") from None
        raise
    return conn


def _create_private_file(path: Path) -> None:
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except FileNotFoundError:
        raise SalesError(f"cannot create the database file {path}: there is no folder {path.parent}") from None
    except OSError as error:
        raise SalesError(f"cannot create the database file {path}: {error.strerror}") from None


def _check_header(path: Path) -> None:
    """Refuse a file that is not an SQLite database, or is shorter than its header says.

    An empty file is a new one. The length is checked only without a ``-wal`` file: while
    a checkpoint grows the file, its first page runs ahead of its length."""
    try:
        with open(path, "rb") as file:
            header = file.read(100)
        size = path.stat().st_size
    except OSError as error:
        raise SalesError(f"cannot read the database file {path}: {error.strerror}") from None
    if not header:
        return
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        raise Damaged(path, "it is not an SQLite file")
    page_size = int.from_bytes(header[16:18], "big")
    pages = int.from_bytes(header[28:32], "big")
    counted = pages and header[24:28] == header[92:96]  # the header's page count is current
    expected = pages * (65536 if page_size == 1 else page_size)
    if counted and size < expected and not Path(f"{path}-wal").exists():
        raise Damaged(path, f"it is cut short: {size:,} of its {expected:,} bytes are there")


def is_damage(error: sqlite3.DatabaseError) -> bool:
    """Whether SQLite found the file corrupt, or not a database at all."""
    return getattr(error, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def is_busy(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    try:
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id",
            [schema.MIGRATION_SET],
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    return [row[0] for row in rows]


def _ensure_schema(conn: sqlite3.Connection, path: Path, waiting: Notice | None) -> None:
    applied = applied_migrations(conn)
    if not applied:
        _refuse_foreign(conn, path)
    refuse_newer(applied)
    if len(applied) == len(schema.NAMES):
        return
    from sqlite_utils import Database

    conn.execute("PRAGMA journal_mode = WAL")
    db = Database(conn, execute_plugins=False)
    # A migration may rebuild a table (m008): dropping the old one must not cascade. The
    # setting is ignored inside a transaction, so it goes off before and back on after.
    conn.execute("PRAGMA foreign_keys = OFF")
    begin_immediate(conn, waiting)  # one process migrates; the others wait, then see it done
    try:
        if len(applied_migrations(conn)) == len(schema.NAMES):  # done by another while this one waited
            conn.execute("COMMIT")
            return
        schema.migrations().apply(db)
        from salescli.store import history

        history.install_triggers(conn)  # the undo capture follows the schema as migrated
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def refuse_newer(applied: list[str]) -> None:
    """A database with a migration this salescli does not know was written by a newer one."""
    unknown = [name for name in applied if name not in schema.NAMES]
    if unknown:
        raise SchemaTooNew(
            "this database was written by a newer salescli (it has migration "
            f"{unknown[0]!r}, which this version does not know): upgrade salescli to open it"
        )


def _refuse_foreign(conn: sqlite3.Connection, path: Path) -> None:
    objects = conn.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY type <> 'table', name"
    ).fetchall()
    if objects:
        refuse_foreign(str(path), [name for kind, name in objects if kind == "table"])


def refuse_foreign(database: str, tables: list[str]) -> None:
    """A database without salescli's migrations must be empty (``tables``: its tables, if it
    has any schema objects at all): salescli does not take over another application's
    database (nor add its tables and triggers to it)."""
    holds = f"table{'s' if len(tables) > 1 else ''} {', '.join(tables[:5])}{', …' if len(tables) > 5 else ''}" if tables else "a schema of its own"
    raise SalesError(
        f"{database} is not a salescli database (it has {holds}), so it was left as it is: "
        "give the path of a salescli database, or of a new file to start one"
    )


def begin_immediate(conn: sqlite3.Connection, waiting: Notice | None = None) -> None:
    """Take the write lock, waiting as long as another command holds it (calling
    ``waiting`` once, after a moment). Tries in short steps, so Ctrl-C is heard."""
    conn.execute(f"PRAGMA busy_timeout = {int(LOCK_TRY_SECONDS * 1000)}")
    notice_at = time.monotonic() + WAIT_NOTICE_SECONDS
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not is_busy(error):
                    raise
            if waiting is not None and time.monotonic() >= notice_at:
                waiting()
                waiting = None
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")


@contextmanager
def transaction(
    conn: sqlite3.Connection, *, waiting: Notice | None = None, committing: Notice | None = None
) -> Iterator[sqlite3.Connection]:
    """One command's writes: all of them, or (on any error) none.

    ``BEGIN IMMEDIATE`` takes the write lock up front, waiting for another command's write
    to finish however long it takes (``waiting`` hears when that is more than a moment),
    so a command that reads before it writes cannot fail with "database is locked";
    any error rolls the whole transaction back. No savepoint inside it: SQLite would copy
    every page the command changes into a statement journal (a temporary file; in memory,
    a list it walks from the start on every row of a big import).
    ``committing`` is called just before ``COMMIT``: from there on the write counts as done.
    """
    if not isinstance(conn, sqlite3.Connection):
        from salescli.store import postgres

        with postgres.transaction(conn, waiting=waiting, committing=committing):
            yield conn
        return
    begin_immediate(conn, waiting)
    try:
        yield conn
        if committing is not None:
            committing()
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def taken(conn: sqlite3.Connection, table: str, column: str, value: str, *, exclude: int | None = None) -> str | None:
    """How another row of ``table`` spells ``value`` in ``column`` (any case), if one has it."""
    row = conn.execute(
        f"SELECT {column} FROM {table} WHERE {column} = ? COLLATE NOCASE AND id IS DISTINCT FROM ?", [value, exclude]
    ).fetchone()
    return row[0] if row else None


def update(conn: sqlite3.Connection, table: str, row_id: int, changes: dict[str, object]) -> None:
    """Set some columns of one row (``changes``: column → value); nothing when empty."""
    if not changes:
        return
    assignments = ", ".join(f"{column} = ?" for column in changes)
    conn.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*changes.values(), row_id])


def created_moment(day: dt.date | None, what: str) -> dt.datetime:
    """When ``what`` (``a deal``) was created: now, or back-dated to ``day`` (``--created``),
    which cannot be in the future."""
    if day is not None and day > parse.today():
        raise Invalid(f"{day} is in the future: {what} is created today or earlier")
    return parse.backdated(day)


def tuples(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], sqlite3.Cursor]:
    """The column names of ``sql`` and a cursor streaming its rows as plain tuples: for
    the big listings and exports, where a ``sqlite3.Row`` (or dict) per row costs more
    than the rest of writing it."""
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(sql, params)
    return [d[0] for d in cursor.description], cursor


# ---------------------------------------------------------------- settings


def settings(conn: sqlite3.Connection) -> dict[str, str]:
    stored = dict(conn.execute("SELECT key, value FROM setting").fetchall())
    return {**schema.DEFAULT_SETTINGS, **stored}


def setting(conn: sqlite3.Connection, key: str) -> str:
    return settings(conn)[key]


def number_setting(conn: sqlite3.Connection, key: str) -> int:
    """A numeric setting, within its range (a file written before the ranges may hold more)."""
    low, high = schema.SETTING_RANGES[key]
    return min(max(int(setting(conn, key)), low), high)


def set_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO setting (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
