"""Bulk writes for generated data (`salescli demo`, the benchmark's reference-scale file).

Rows arrive as tuples from ``salescli.demo`` and go in with ``executemany`` in batches,
inside the caller's one transaction (``session.write()``): a demo that fails half-way
leaves the file as it was. Nothing here goes row by row through the command layer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from itertools import islice
from typing import Any

from salescli.store import dialect, history, schema

BATCH_ROWS = 10_000

# The tables that hold a business's records, children before parents (the order a
# clear-out deletes them in). Stages and settings are configuration, and stay.
RECORD_TABLES = ("payment", "activity", "stage_history", "target", "deal", "customer_tag", "customer", "product", "rep")


def record_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many rows each record table holds."""
    return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in RECORD_TABLES}


def has_records(conn: sqlite3.Connection) -> bool:
    return any(conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() for table in RECORD_TABLES)


def clear_records(conn: sqlite3.Connection) -> None:
    """Delete every business record (reps, customers, deals, ...); keep stages and settings."""
    for table in RECORD_TABLES:
        conn.execute(f"DELETE FROM {table}")


def stage_ladder(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """The stages in pipeline order: ``id``, ``name``, ``position``, ``probability``, ``kind``."""
    return conn.execute("SELECT id, name, position, probability, kind FROM stage ORDER BY position, id").fetchall()


def id_offsets(conn: sqlite3.Connection) -> dict[str, int]:
    """Per record table with an id, the largest id it ever handed out (0 in a new file):
    generated rows numbered from 1 go in above it (``insert(..., offsets=)``), so that no
    id is used twice, even after the records were cleared."""
    with_ids = [table for table in RECORD_TABLES if history.shape(conn, table).range_column in ("rowid", "id")]
    return {table: history.range_floor(conn, table) for table in with_ids}


def insert(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    offsets: dict[str, int] | None = None,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) in batches; return how many went in.

    ``rows`` may be a generator: at most one batch is held in memory at a time. Inside a
    command (``session.write()``) the rows are recorded for undo as one id range, not one
    change each (``history.bulk_inserts``): their ids (for ``customer_tag``, their
    customer ids) must be above the table's largest. A table with no integer key is
    captured row by row as usual. ``offsets`` (table → n, from ``id_offsets``) adds n to
    the table's ids, and to the columns that refer to that table.
    """
    names = ", ".join(f'"{column}"' for column in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    count = 0
    iterator = iter(_shifted(conn, table, columns, rows, offsets or {}))
    ranged = history.shape(conn, table).range_column is not None
    with history.bulk_inserts(conn, table) if ranged else nullcontext():
        while batch := list(islice(iterator, BATCH_ROWS)):
            conn.executemany(sql, batch)
            count += len(batch)
    return count


def _shifted(
    conn: sqlite3.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], offsets: dict[str, int]
) -> Iterable[Sequence[Any]]:
    """``rows`` with ``offsets`` added to the ids and references (``insert``)."""
    refers_to = dialect.references(conn, table)
    refers_to["id"] = table
    shifts = [offsets.get(refers_to.get(column, ""), 0) for column in columns]
    if not any(shifts):
        return rows
    return (tuple(v if v is None or not n else v + n for v, n in zip(row, shifts)) for row in rows)


@contextmanager
def roomy_writes(conn: sqlite3.Connection, *, cache_mib: int = 8, **more: object) -> Iterator[None]:
    """Around one big transaction (entered outside it: SQLite ignores or refuses these
    settings inside one): a larger page cache, so that a page is sent to the write-ahead
    log once rather than each time the cache is full, and temporary data (statement
    journals, sorts) in temporary files; ``more`` sets further pragmas. All are put back
    after.

    A statement journal holds every page its statement changes, and an ``INSERT …
    SELECT`` of thousands of rows into a table whose indexes span millions changes as
    many pages: in memory it grew with the file (an import into a million customers took
    130 MiB). In a file (SQLite keeps the first 64 KiB in memory) it costs no more time.

    Only with no savepoint open across the writes (``store.transaction`` opens none):
    under one, every statement journals again every page changed since the savepoint.
    """
    with dialect.pragmas(conn, {"cache_size": -1024 * cache_mib, "temp_store": "FILE", **more}):
        yield


@contextmanager
def fast_writes(conn: sqlite3.Connection, *, cache_mib: int = 64) -> Iterator[None]:
    """Around one big build's transaction: ``roomy_writes`` with temporary data in memory,
    and no fsync and no foreign-key lookups while writing (the generator's rows are consistent by
    construction, and its tests check them with ``PRAGMA foreign_key_check``); then, with
    the settings put back, fold the write-ahead log into the file and shrink it
    (on PostgreSQL a build is an ordinary transaction).

    The checkpoint runs with ``synchronous`` as it was, so it syncs the log and then the
    file: once the build is done it is as durable as any other command's writes.
    """
    with roomy_writes(conn, cache_mib=cache_mib, temp_store="MEMORY", synchronous="OFF", foreign_keys="OFF"):
        yield
    if not dialect.on_server(conn):
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def indexes_deferred(conn: sqlite3.Connection, tables: Sequence[str] = RECORD_TABLES) -> Iterator[None]:
    """Drop the indexes of ``tables`` for a bulk insert and build them again afterwards
    (a third faster than keeping them up to date row by row). Inside the caller's
    transaction, so a failure puts them back as they were; a UNIQUE index that the new
    rows break fails to build, and with it the whole build. (On PostgreSQL their foreign
    keys too: ``postgres.indexes_deferred``.)"""
    if dialect.on_server(conn):
        from salescli.store import postgres

        with postgres.indexes_deferred(conn, tables):  # type: ignore[arg-type]
            yield
        return
    with dialect.sqlite_dropped(conn, "index", tables):
        yield


@contextmanager
def derived_deferred(conn: sqlite3.Connection) -> Iterator[None]:
    """Around a bulk load of the record tables (inside the caller's transaction): drop the
    triggers that keep the derived tables up to date row by row (``schema.DERIVED_TABLES``;
    some are on derived tables themselves), then build those tables again in one pass, in
    that order, and put the triggers back. The undo record's own triggers stay
    (``history.bulk_inserts`` deals with them). On PostgreSQL the triggers keep them
    row by row (SQLite only: its triggers are its schema's text)."""
    if dialect.on_server(conn):
        yield
        return
    tables = [*RECORD_TABLES, *schema.DERIVED_TABLES]
    marks = ", ".join("?" * len(tables))
    triggers = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks}) AND name NOT LIKE ?",
        [*tables, history.PREFIX + "%"],
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    yield
    for table, fill in schema.DERIVED_TABLES.items():
        conn.execute(f"DELETE FROM {table}")
        conn.execute(fill)
    for _, sql in triggers:
        conn.execute(sql)


def recent_performance(conn: sqlite3.Connection, since: str, until: str) -> dict[int, dict[str, int]]:
    """Per rep id, over ``since``…``until`` (dates): revenue won (cents), deals won,
    customers created, activities done — what the demo sets its targets from."""
    result: dict[int, dict[str, int]] = {}

    def add(rows: Iterable[sqlite3.Row], *keys: str) -> None:
        for row in rows:
            figures = result.setdefault(row[0], dict.fromkeys(("revenue", "won_deals", "new_customers", "activities"), 0))
            for index, key in enumerate(keys, start=1):
                figures[key] = row[index] or 0

    add(
        conn.execute(
            "SELECT d.owner_id, sum(d.amount), count(*) FROM deal d JOIN stage s ON s.id = d.stage_id "
            "WHERE s.kind = 'won' AND d.closed_at BETWEEN ? AND ? AND d.owner_id IS NOT NULL GROUP BY d.owner_id",
            [since, until],
        ),
        "revenue",
        "won_deals",
    )
    add(
        conn.execute(
            "SELECT owner_id, count(*) FROM customer WHERE created_at >= ? AND created_at < date(?, '+1 day') "
            "AND owner_id IS NOT NULL GROUP BY owner_id",
            [since, until],
        ),
        "new_customers",
    )
    add(
        conn.execute(
            "SELECT owner_id, count(*) FROM activity WHERE done_at BETWEEN ? AND ? AND owner_id IS NOT NULL "
            "GROUP BY owner_id",
            [since, until],
        ),
        "activities",
    )
    return result
