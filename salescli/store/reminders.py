"""Who is reminded of what (``salescli remind``), and the record of reminders sent."""

from __future__ import annotations

import sqlite3
from typing import Any

from salescli import parse


def recipients(conn: sqlite3.Connection, rep_id: int | None) -> list[sqlite3.Row]:
    """Active reps (or only ``rep_id``), with their e-mail address (NULL: none)."""
    params: list[Any] = []
    only = ""
    if rep_id is not None:
        only, params = " AND id = ?", [rep_id]
    return conn.execute(
        f"SELECT id, handle, name, NULLIF(trim(email), '') AS email FROM rep WHERE active{only} ORDER BY handle",
        params,
    ).fetchall()


def sent_today(conn: sqlite3.Connection, day: str, recipient: str, rep_id: int | None) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM _reminder WHERE day = ? AND recipient = ? AND rep_id IS NOT DISTINCT FROM ?", [day, recipient, rep_id]
        ).fetchone()
        is not None
    )


def record(conn: sqlite3.Connection, day: str, recipient: str, rep_id: int | None, subject: str) -> None:
    conn.execute(
        "INSERT INTO _reminder (day, sent_at, rep_id, recipient, subject) VALUES (?, ?, ?, ?, ?)",
        [day, parse.timestamp(), rep_id, recipient, subject],
    )


def sent(conn: sqlite3.Connection, limit: int) -> list[sqlite3.Row]:
    """The latest reminders sent, newest first (for ``salescli log``)."""
    return conn.execute(
        "SELECT m.sent_at AS at, m.recipient, m.subject, r.handle AS rep FROM _reminder m "
        "LEFT JOIN rep r ON r.id = m.rep_id ORDER BY m.id DESC LIMIT ?",
        [limit],
    ).fetchall()
