"""Direct SQL for test set-up that no command of this branch offers yet (customers are
added by `customer add` on another branch), and counting rows to prove nothing was written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

STAMP = "2026-11-01 09:00:00"


def connect(db: Path | str) -> sqlite3.Connection:
    """The test's database (a file, or a PostgreSQL database's URL) through the store."""
    from salescli import store

    return store.connect(db)


def customer(
    cli, db: Path, name: str, *, owner: str | None = None, source: str | None = None, credit_limit: int | None = None
) -> int:
    """Insert a customer (credit_limit in cents); the database is created first by a command."""
    cli("stage", "list")
    with connect(db) as conn:
        owner_id = conn.execute("SELECT id FROM rep WHERE handle = ?", [owner]).fetchone()[0] if owner else None
        cursor = conn.execute(
            "INSERT INTO customer (name, owner_id, source, credit_limit, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [name, owner_id, source, credit_limit, STAMP, STAMP],
        )
        return int(cursor.fetchone()[0])


def activity(db: Path, customer_id: int, deal_id: int, summary: str, *, done_at: str | None = None, due: str | None = None) -> int:
    with connect(db) as conn:
        cursor = conn.execute(
            "INSERT INTO activity (customer_id, deal_id, type, summary, due, done_at, created_at) "
            "VALUES (?, ?, 'call', ?, ?, ?, ?) RETURNING id",
            [customer_id, deal_id, summary, due, done_at, STAMP],
        )
        return int(cursor.fetchone()[0])


def counts(db: Path, *tables: str) -> dict[str, int]:
    with connect(db) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with connect(db) as conn:
        return [tuple(row) for row in conn.execute(sql, params)]
