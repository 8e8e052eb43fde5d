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
