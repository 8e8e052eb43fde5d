"""The store: the only code that speaks SQL.

``connect()`` opens (creating on demand, mode 0600) the SQLite file in WAL mode with a
busy timeout, and brings its schema up to date through ``sqlite_utils.Migrations``.
``transaction()`` wraps one command's writes. Per-noun modules (``store.customers``,
``store.deals``, ...) hold the queries; they take a ``sqlite3.Connection`` and return
plain dicts or rows, and raise the domain errors of ``salescli.errors``.

Reads run on the plain ``sqlite3`` connection; sqlite-utils is imported only to migrate
and to write, so read-only commands start fast.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from salescli import parse
from salescli.errors import Invalid, SalesError, SchemaTooNew
from salescli.store import schema

BUSY_TIMEOUT_SECONDS = 10.0


def connect(path: Path) -> sqlite3.Connection:
    """Open the database at ``path``, creating and migrating it as needed."""
    path = Path(path).expanduser()
    if not path.exists():
        _create_private_file(path)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        # INSERT OR REPLACE fires delete triggers only with this on: the undo record needs them.
        conn.execute("PRAGMA recursive_triggers = ON")
        _ensure_schema(conn)
    except sqlite3.DatabaseError as error:
        raise SalesError(f"cannot open {path} as a salescli database: {error}") from None
    return conn


def _create_private_file(path: Path) -> None:
    from salescli import files

    files.make_private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as error:
        raise SalesError(f"cannot create the database file {path}: {error.strerror}") from None


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    try:
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id",
            [schema.MIGRATION_SET],
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    return [row[0] for row in rows]


def _ensure_schema(conn: sqlite3.Connection) -> None:
    applied = applied_migrations(conn)
    unknown = [name for name in applied if name not in schema.NAMES]
    if unknown:
        raise SchemaTooNew(
            "this database was written by a newer salescli (it has migration "
            f"{unknown[0]!r}, which this version does not know): upgrade salescli to open it"
        )
    if len(applied) == len(schema.NAMES):
        return
    from sqlite_utils import Database

    conn.execute("PRAGMA journal_mode = WAL")
    db = Database(conn, execute_plugins=False)
    # A migration may rebuild a table (m008): dropping the old one must not cascade. The
    # setting is ignored inside a transaction, so it goes off before and back on after.
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see it done
    try:
        schema.migrations().apply(db)
        from salescli.store import history

        history.install_triggers(conn)  # the undo capture follows the schema as migrated
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One command's writes: all of them, or (on any error) none.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so a command that reads before it
    writes cannot fail with "database is locked" when another process wrote in between;
    sqlite-utils' ``atomic()`` inside it gives the rollback-on-error semantics.
    """
    from sqlite_utils import Database

    db = Database(conn, execute_plugins=False)
    conn.execute("BEGIN IMMEDIATE")
    try:
        with db.atomic():
            yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def taken(conn: sqlite3.Connection, table: str, column: str, value: str, *, exclude: int | None = None) -> str | None:
    """How another row of ``table`` spells ``value`` in ``column`` (any case), if one has it."""
    row = conn.execute(
        f"SELECT {column} FROM {table} WHERE {column} = ? COLLATE NOCASE AND id IS NOT ?", [value, exclude]
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
