"""Looking into the database file a test's commands wrote, without going through salescli."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def snapshot(db: Path) -> list[str]:
    """The whole file as SQL text: equal before and after means nothing was written."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def rows(db: Path, sql: str, params: Any = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# Derived tables (``schema.DERIVED_TABLES``), on an open connection: what a table holds,
# and what its fill gives from scratch, both in the order of every column.


def table_rows(conn: Any, table: str) -> list[tuple]:
    width = len(conn.execute(f"SELECT * FROM {table} LIMIT 0").description)
    order = ", ".join(str(i) for i in range(1, width + 1))
    return [tuple(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY {order}")]


def rebuilt(conn: Any, table: str, fill: str) -> list[tuple]:
    """The rows ``fill`` (an ``INSERT INTO table …``) gives, put into a temporary copy
    (on PostgreSQL too: the fill translated as the migrations are)."""
    temp = "temp.expected" if isinstance(conn, sqlite3.Connection) else "pg_temp.expected"
    conn.execute(f"CREATE TEMP TABLE expected AS SELECT * FROM {table} LIMIT 0")
    try:
        fill = fill.replace(f"INSERT INTO {table}", f"INSERT INTO {temp}", 1)
        if isinstance(conn, sqlite3.Connection):
            conn.execute(fill)
        else:
            from salescli.store import postgres

            for statement in postgres.to_postgres(fill):
                conn.execute(statement)
        return table_rows(conn, temp)
    finally:
        conn.execute(f"DROP TABLE {temp}")


def pick(conn: sqlite3.Connection, table: str, n: int) -> int | None:
    """The id of the ``n``-th row of ``table`` (round and round), None when it is empty."""
    ids = [row[0] for row in conn.execute(f"SELECT id FROM {table} ORDER BY id")]
    return ids[n % len(ids)] if ids else None


def derived_exact(conn: Any) -> dict[str, tuple[list[tuple], list[tuple]]]:
    """Every derived table (``schema.DERIVED_TABLES``) that does not hold what its fill
    gives from scratch: table → (held, rebuilt). On a SQLite or a PostgreSQL connection."""
    from salescli.store import schema

    wrong = {}
    for table, fill in schema.DERIVED_TABLES.items():
        held, expected = table_rows(conn, table), rebuilt(conn, table, fill)
        if held != expected:
            wrong[table] = (held, expected)
    return wrong
