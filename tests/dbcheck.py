"""Looking into the database file a test's commands wrote, without going through salescli."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def snapshot(db: Path | str) -> list[Any]:
    """The whole database as SQL text (a file) or as every row of every table (a
    PostgreSQL database's URL): equal before and after means nothing was written."""
    if isinstance(db, str):
        return server_tables(db)
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def server_tables(url: str) -> list[tuple]:
    """Every row of every table of the PostgreSQL database at ``url``, table by table."""
    import psycopg

    with psycopg.connect(url) as server:
        tables = [r[0] for r in server.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")]
        return [(t, *row) for t in tables for row in server.execute(f'SELECT * FROM "{t}" ORDER BY 1')]


def rows(db: Path | str, sql: str, params: Any = ()) -> list[tuple]:
    """The rows of ``sql`` (``?`` placeholders) in the database at ``db`` (a file or a URL)."""
    if isinstance(db, str):
        from salescli.store import postgres

        conn = postgres.connect(db)
        try:
            return [tuple(row) for row in conn.execute(sql, params).fetchall()]
        finally:
            conn.close()
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# Derived tables (``schema.DERIVED_TABLES``), on an open connection: what a table holds,
# and what its fill gives from scratch, both in the order of every column.


def table_rows(conn: Any, table: str) -> list[tuple]:
    width = len(conn.execute(f"SELECT * FROM {table} LIMIT 0").description)
    # by the bytes on SQLite too: a column declared NOCASE sorts otherwise than its copy (``rebuilt``)
    binary = " COLLATE BINARY" if isinstance(conn, sqlite3.Connection) else ""
    order = ", ".join(f"{i}{binary}" for i in range(1, width + 1))
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


def traced_statements(monkeypatch) -> list[str]:
    """Every statement salescli's connections run from now on in this test, in order (the
    list grows as they run): on SQLite as it ran (parameters filled in; a trigger's own
    statements do not show: Python traces the statement that fired it), on PostgreSQL as
    the store asked for it."""
    from salescli import store

    statements: list[str] = []
    connect = store.connect

    def tracing_connect(*args, **kwargs):
        conn = connect(*args, **kwargs)
        if isinstance(conn, sqlite3.Connection):
            conn.set_trace_callback(statements.append)
            return conn
        execute = conn.execute

        def traced(sql, params=()):
            statements.append(sql)
            return execute(sql, params)

        conn.execute = traced
        return conn

    monkeypatch.setattr(store, "connect", tracing_connect)
    return statements


def undo_and_redo_each(cli, commands: int, check) -> None:
    """Undo the last ``commands`` commands one at a time, then redo them one at a time,
    calling ``check("undo")`` / ``check("redo")`` after each."""
    for action, args in (("undo", ("undo",)), ("redo", ("undo", "--redo"))):
        for _ in range(commands):
            cli(*args)
            check(action)


@contextmanager
def team(pg_url: str, members: tuple[str, ...], others: tuple[str, ...] = ()) -> Iterator[tuple[str, dict[str, str]]]:
    """README "A team on one server" on the test's database: a team role that owns it,
    ``members`` logging in as themselves and taking the team's role there, ``others``
    logins outside it. Yields the team's name and each person's login name → URL (names
    made unique: roles belong to the whole server); drops them all after."""
    import psycopg

    server, database = pg_url.rsplit("/", 1)
    suffix = uuid.uuid4().hex[:8]
    name = f"team_{suffix}"
    logins = {person: f"{person}_{suffix}" for person in (*members, *others)}
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} NOLOGIN")
        admin.execute(f"ALTER DATABASE {database} OWNER TO {name}")
        for person, login in logins.items():
            admin.execute(f"CREATE ROLE {login} LOGIN{f' IN ROLE {name}' if person in members else ''}")
            if person in members:
                admin.execute(f"ALTER ROLE {login} IN DATABASE {database} SET role TO {name}")
    try:
        yield name, {login: f"{server.replace('salescli@', login + '@')}/{database}" for login in logins.values()}
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {database} WITH (FORCE)")  # what the roles own goes with it
            admin.execute(f"CREATE DATABASE {database}")  # for the fixture to drop
            for role in (*logins.values(), name):
                admin.execute(f"DROP ROLE {role}")
