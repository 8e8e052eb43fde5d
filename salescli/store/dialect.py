"""Where SQLite and PostgreSQL differ when the store runs (issue 15; docs/postgresql.md).

One function per difference, so the store's modules keep one copy of every query. A
connection is SQLite's own ``sqlite3.Connection`` or a ``postgres.Connection``; nothing
here imports the PostgreSQL side unless the connection is one (start-up time).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any


def on_server(conn: Any) -> bool:
    """Whether ``conn`` is a PostgreSQL connection (store/postgres.py)."""
    return not isinstance(conn, sqlite3.Connection)


def read_snapshot(conn: Any) -> None:
    """From here on, until a write, the connection reads one snapshot of the database
    (on PostgreSQL: a ``REPEATABLE READ READ ONLY`` transaction, which a write ends). A
    SQLite file is read statement by statement, each from the last commit."""
    if on_server(conn):
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")


def hint(conn: Any, text: str) -> str:
    """SQLite's planner hints (``INDEXED BY x``, ``NOT INDEXED``); PostgreSQL plans alone."""
    return "" if on_server(conn) else text


def in_order(conn: Any) -> str:
    """A join SQLite must do in the order written (its ``CROSS JOIN``)."""
    return "JOIN" if on_server(conn) else "CROSS JOIN"


def casefold(conn: Any) -> None:
    """``casefold(text)`` in SQL: Python's on SQLite, so names sort as the reports always
    sorted them; on PostgreSQL ``lower()`` (defined by ``postgres.COMPAT``)."""
    if not on_server(conn):
        conn.create_function("casefold", 1, str.casefold, deterministic=True)


def regexp(conn: Any) -> None:
    """``text REGEXP pattern`` in SQL: whether Python's ``re`` finds ``pattern`` in the text
    (SQLite has the operator but no function behind it); on PostgreSQL ``~``, as
    ``postgres.to_postgres`` translates it."""
    if not on_server(conn):
        conn.create_function("regexp", 2, _found, deterministic=True)


def _found(pattern: str, text: str | None) -> bool | None:
    return None if text is None else _compiled(pattern).search(text) is not None


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def json_values(conn: Any, json_array: str) -> str:
    """SQL: the values of the JSON array ``json_array`` (an expression), one row each, as ``value``."""
    if on_server(conn):
        return f"SELECT value::bigint AS value FROM json_array_elements_text({json_array}::json) AS j(value)"
    return f"SELECT value FROM json_each({json_array})"


def database_user(conn: Any) -> str | None:
    """The user the connection logged in as (a file has none): ``session_user``, which a
    role taken on at login (``ALTER ROLE ann IN DATABASE sales SET role TO sales``, so
    that the team's role owns the tables) does not change."""
    return conn.execute("SELECT session_user").fetchone()[0] if on_server(conn) else None


def references(conn: Any, table: str) -> dict[str, str]:
    """``table``'s foreign keys: column → the table it refers to."""
    if on_server(conn):
        from salescli.store import postgres

        return postgres.references(conn, table)
    return {row["from"]: row["table"] for row in conn.execute(f"PRAGMA foreign_key_list({table})")}


def columns(conn: Any, table: str) -> list[str]:
    """The column names, in order, of ``table`` (as written in SQL)."""
    return [d[0] for d in conn.execute(f"SELECT * FROM {table} LIMIT 0").description]


def trigger_exists(conn: Any, name: str) -> bool:
    if on_server(conn):
        return conn.execute("SELECT 1 FROM pg_trigger WHERE tgname = ? AND NOT tgisinternal", [name]).fetchone() is not None
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?", [name]).fetchone() is not None


@contextmanager
def trigger_off(conn: Any, table: str, name: str, create_sql: str | None = None) -> Iterator[None]:
    """Inside a transaction: the trigger ``name`` on ``table`` does not fire in the block
    (SQLite: dropped and made again from ``create_sql``, by default its own text;
    PostgreSQL: disabled, which takes no more than a write's lock). A rollback brings it
    back too: DDL is transactional."""
    quoted = '"' + name.replace('"', '""') + '"'
    if create_sql is None and not on_server(conn):
        create_sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", [name]).fetchone()[0]
    if on_server(conn):
        conn.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER {quoted}')
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER {quoted}')
        return
    conn.execute(f"DROP TRIGGER {quoted}")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute(create_sql)


def schema_text(conn: Any, sql: str) -> list[str]:
    """The statements that run one statement written in the schema's SQLite text
    (``salescli.store.schema``): on PostgreSQL as its migrations are translated."""
    if on_server(conn):
        from salescli.store import postgres

        return postgres.to_postgres(sql)
    return [sql]


def ids_given(conn: Any, table: str) -> int | None:
    """The largest id ``table`` ever handed out, if it keeps count (SQLite's AUTOINCREMENT,
    PostgreSQL's identity sequence)."""
    if on_server(conn):
        return conn.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence(?, 'id'))", [table]).fetchone()[0]
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [table]).fetchone()
    return row[0] if row else None


def data_version(conn: Any) -> object:
    """A value equal for two calls only if no other connection committed in between
    (SQLite's ``PRAGMA data_version``). PostgreSQL cannot tell: never equal there."""
    if on_server(conn):
        return object()
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


@contextmanager
def pragmas(conn: Any, settings: dict[str, object]) -> Iterator[None]:
    """SQLite's connection settings for the block, put back after; PostgreSQL has none of them."""
    if on_server(conn):
        yield
        return
    saved = {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in settings}
    for name, value in settings.items():
        conn.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        for name, value in saved.items():
            conn.execute(f"PRAGMA {name} = {value}")


def tables(conn: Any) -> list[str]:
    """Every table of the database (not SQLite's own), by name."""
    if on_server(conn):
        from salescli.store import postgres

        return postgres.tables(conn)
    return [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name")]


def one_snapshot(conn: Any) -> None:
    """From here on, until the connection's transaction ends, every read sees the database
    as of one moment (on SQLite too: a read transaction, which WAL keeps from blocking writers)."""
    if on_server(conn):
        read_snapshot(conn)
        return
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts at the first read


def insert_rows(conn: Any, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]], *, batch: int = 10_000) -> Iterator[int]:
    """Insert ``rows`` (tuples in ``columns`` order, ids included) into ``table``: SQLite's
    ``executemany`` a batch at a time, PostgreSQL's ``COPY``. Yields the count so far after
    each batch."""
    from itertools import islice

    names = ", ".join('"' + column.replace('"', '""') + '"' for column in columns)
    if on_server(conn):
        from salescli.store import postgres

        yield from postgres.copy_in(conn, f'"{table}" ({names})', rows, batch=batch)
        return
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    done = 0
    while chunk := list(islice(rows, batch)):
        conn.executemany(sql, chunk)
        done += len(chunk)
        yield done


def set_ids_given(conn: Any, table: str, given: int) -> None:
    """Make ``table`` hand out ids above ``given`` from now on (the other side of
    ``ids_given``), if it keeps count."""
    if on_server(conn):
        conn.execute("SELECT setval(seq, ?) FROM (SELECT pg_get_serial_sequence(?, 'id') AS seq) AS s WHERE seq IS NOT NULL",
                     [given, table])
        return
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", [given, table])


@contextmanager
def triggers_off(conn: Any, tables: list[str]) -> Iterator[None]:
    """Inside a transaction: no trigger on ``tables`` fires in the block (a bulk copy; the
    caller makes what they keep). SQLite: dropped and made again from their text;
    PostgreSQL: disabled. A rollback brings them back too: DDL is transactional."""
    if on_server(conn):
        for table in tables:
            conn.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        yield
        for table in tables:
            conn.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
        return
    with sqlite_dropped(conn, "trigger", tables):
        yield


@contextmanager
def sqlite_dropped(conn: Any, kind: str, tables: Sequence[str]) -> Iterator[None]:
    """SQLite, inside a transaction: the ``kind`` objects ('trigger', 'index') of ``tables``
    dropped for the block and made again from their text after (a rollback brings them
    back too). Indexes SQLite makes for a key (no text) stay."""
    marks = ", ".join("?" * len(tables))
    dropped = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL AND tbl_name IN ({marks})",
        [kind, *tables],
    ).fetchall()
    for name, _ in dropped:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for _, sql in dropped:
        conn.execute(sql)


def execute_schema(conn: Any, sql: str) -> None:
    """Run one statement written as the migrations are (SQLite's text; on PostgreSQL
    translated as the migrations are: ``postgres.to_postgres``)."""
    if not on_server(conn):
        conn.execute(sql)
        return
    from salescli.store import postgres

    for statement in postgres.to_postgres(sql):
        conn.execute(statement)


def analyze(conn: Any) -> None:
    """After a bulk load: PostgreSQL's planner learns the tables' new sizes now rather than
    when autovacuum comes by (SQLite plans without statistics here)."""
    if on_server(conn):
        conn.execute("ANALYZE")
