"""Reps: the people who own customers, deals and follow-ups."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from salescli import parse, store
from salescli.errors import Invalid, UsageError

HANDLE = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")

LIST_SQL = """
SELECT r.id, r.handle, r.name, r.email, r.active, r.commission_rate, r.regions, r.industries,
       (SELECT count(*) FROM customer c WHERE c.owner_id = r.id) AS customers,
       (SELECT count(*) FROM deal d JOIN stage s ON s.id = d.stage_id
         WHERE d.owner_id = r.id AND s.kind = 'open') AS open_deals
FROM rep r
"""


def check_handle(handle: str) -> str:
    value = handle.strip().lower()
    if not HANDLE.match(value):
        raise UsageError(
            f"rep handle '{handle}' is not valid: use a short lowercase word such as 'alice' "
            "(letters, digits, '.', '_' or '-', starting with a letter)"
        )
    return value


def as_dict(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["active"] = bool(item["active"])
    item["regions"] = json.loads(item["regions"])
    item["industries"] = json.loads(item["industries"])
    return item


def add(
    conn: sqlite3.Connection,
    handle: str,
    *,
    name: str | None = None,
    email: str | None = None,
    commission_rate: float = 0.0,
    regions: list[str] | None = None,
    industries: list[str] | None = None,
) -> int:
    handle = check_handle(handle)
    if conn.execute("SELECT 1 FROM rep WHERE handle = ?", [handle]).fetchone():
        raise Invalid(f"a rep '{handle}' already exists")
    cursor = conn.execute(
        "INSERT INTO rep (handle, name, email, commission_rate, regions, industries, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [
            handle,
            name or handle.title(),
            email,
            commission_rate,
            json.dumps(regions or [], ensure_ascii=False),
            json.dumps(industries or [], ensure_ascii=False),
            parse.timestamp(),
        ],
    )
    return int(cursor.fetchone()[0])


def listing(conn: sqlite3.Connection, *, include_inactive: bool = True) -> list[dict[str, Any]]:
    where = "" if include_inactive else " WHERE r.active = 1"
    return [as_dict(row) for row in conn.execute(LIST_SQL + where + " ORDER BY r.handle")]


def get(conn: sqlite3.Connection, rep_id: int) -> dict[str, Any]:
    return as_dict(conn.execute(LIST_SQL + " WHERE r.id = ?", [rep_id]).fetchone())


def edit(conn: sqlite3.Connection, rep_id: int, changes: dict[str, Any]) -> None:
    """Apply ``changes`` (column → new value; lists are stored as JSON)."""
    if "handle" in changes:
        changes["handle"] = check_handle(changes["handle"])
        clash = conn.execute(
            "SELECT 1 FROM rep WHERE handle = ? AND id != ?", [changes["handle"], rep_id]
        ).fetchone()
        if clash:
            raise Invalid(f"a rep '{changes['handle']}' already exists")
    for key in ("regions", "industries"):
        if key in changes:
            changes[key] = json.dumps(changes[key], ensure_ascii=False)
    if "active" in changes:
        changes["active"] = int(bool(changes["active"]))
    store.update(conn, "rep", rep_id, changes)


SHOWN = 5  # open items named per kind when a deactivation is refused

OPEN_WORK = {
    "customers": "SELECT name FROM customer WHERE owner_id = ? ORDER BY name COLLATE NOCASE",
    "open deals": "SELECT '#' || d.id || ' ' || d.title FROM deal d JOIN stage s ON s.id = d.stage_id "
    "WHERE d.owner_id = ? AND s.kind = 'open' ORDER BY d.id",
    "open follow-ups": "SELECT '#' || a.id || ' ' || coalesce(a.summary, a.type) || ' (' || c.name || ')' "
    "FROM activity a JOIN customer c ON c.id = a.customer_id WHERE a.owner_id = ? AND a.done_at IS NULL "
    "ORDER BY a.due, a.id",
}


def _open_work(conn: sqlite3.Connection, rep_id: int) -> str:
    """What a rep still holds — ``2 customers (Acme, Beta); 1 open deal (#3 Pumps)`` — or ''."""
    parts = []
    for kind, sql in OPEN_WORK.items():
        names = [row[0] for row in conn.execute(sql, [rep_id])]
        if names:
            shown = ", ".join(names[:SHOWN]) + (f", … {len(names) - SHOWN} more" if len(names) > SHOWN else "")
            parts.append(f"{len(names)} {kind.rstrip('s') if len(names) == 1 else kind} ({shown})")
    return "; ".join(parts)


def deactivate(conn: sqlite3.Connection, rep_id: int, reassign_to: int | None) -> dict[str, int]:
    """Mark a rep inactive and hand their customers, open deals and open follow-ups over.
    Without someone to hand them to, a rep who still holds any is refused: work would be
    stranded with a rep nobody sees."""
    moved = {"customers": 0, "deals": 0, "activities": 0}
    if reassign_to is None:
        work = _open_work(conn, rep_id)
        if work:
            handle = conn.execute("SELECT handle FROM rep WHERE id = ?", [rep_id]).fetchone()[0]
            raise Invalid(f"rep '{handle}' still has {work}: hand them over with --reassign-to REP")
    else:
        if reassign_to == rep_id:
            raise Invalid("a rep cannot be reassigned to themselves")
        moved["customers"] = conn.execute(
            "UPDATE customer SET owner_id = ? WHERE owner_id = ?", [reassign_to, rep_id]
        ).rowcount
        moved["deals"] = conn.execute(
            "UPDATE deal SET owner_id = ? WHERE owner_id = ? "
            "AND stage_id IN (SELECT id FROM stage WHERE kind = 'open')",
            [reassign_to, rep_id],
        ).rowcount
        moved["activities"] = conn.execute(
            "UPDATE activity SET owner_id = ? WHERE owner_id = ? AND done_at IS NULL",
            [reassign_to, rep_id],
        ).rowcount
    conn.execute("UPDATE rep SET active = 0 WHERE id = ?", [rep_id])
    return moved


def choose_owner(conn: sqlite3.Connection, region: str | None, industry: str | None) -> int | None:
    """The rep a new customer goes to (SPEC §4); see ``Assigner``."""
    return Assigner(conn).choose(region, industry)


class Assigner:
    """Owners for new customers by the assignment rules (SPEC §4): an active rep whose
    regions / industries match (both matching beats one), else the active rep with the
    fewest open customers (customers with an open deal or no deal closed yet), ties to the
    lowest handle. The reps and their loads are read once; each customer given out adds
    to its rep's load, so a whole import is spread as one customer at a time would be."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.reps = [
            {
                "id": row["id"],
                "handle": row["handle"],
                "regions": {value.casefold() for value in json.loads(row["regions"])},
                "industries": {value.casefold() for value in json.loads(row["industries"])},
                "load": row["load"],
            }
            for row in conn.execute(
                "SELECT r.id, r.handle, r.regions, r.industries, "
                "(SELECT count(*) FROM customer c WHERE c.owner_id = r.id AND NOT EXISTS ("
                "  SELECT 1 FROM deal d JOIN stage s ON s.id = d.stage_id"
                "  WHERE d.customer_id = c.id AND s.kind = 'won')) AS load "
                "FROM rep r WHERE r.active = 1"
            )
        ]

    def choose(self, region: str | None, industry: str | None) -> int | None:
        if not self.reps:
            return None
        region, industry = (region or "").casefold(), (industry or "").casefold()

        def matches(rep: dict[str, Any]) -> int:
            return int(bool(region) and region in rep["regions"]) + int(bool(industry) and industry in rep["industries"])

        best = max(map(matches, self.reps))
        chosen = min((rep for rep in self.reps if matches(rep) == best), key=lambda rep: (rep["load"], rep["handle"]))
        chosen["load"] += 1
        return int(chosen["id"])

    def took(self, rep_id: int) -> None:
        """A new customer went to ``rep_id`` otherwise (the file named its owner)."""
        for rep in self.reps:
            if rep["id"] == rep_id:
                rep["load"] += 1
