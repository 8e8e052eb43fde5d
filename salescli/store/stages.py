"""Stages: the steps of the pipeline in order, each of kind open, won or lost.

Positions are kept as 10, 20, 30, … (the spacing of the built-in stages) and renumbered
after every change of order. Open stages come before the won and lost ones, and there is
always at least one stage of each kind: a deal needs an open stage to start in and a won
and a lost stage to finish in.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from salescli import parse, store
from salescli.errors import Invalid
from salescli.grammar import inflect, plural

KINDS = ("open", "won", "lost")
SPACING = 10

LIST_SQL = """
SELECT s.id, s.name, s.position, s.probability / 100.0 AS probability, s.kind,
       count(d.id) AS deals, coalesce(sum(d.amount), 0) AS amount
FROM stage s LEFT JOIN deal d ON d.stage_id = s.id
GROUP BY s.id
ORDER BY s.position, s.id
"""


def listing(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every stage in order, with the deals now in it and their value."""
    return [dict(row) for row in conn.execute(LIST_SQL)]


def first(conn: sqlite3.Connection, kind: str) -> sqlite3.Row:
    """The first stage of ``kind`` by position (where new, won or lost deals go by default)."""
    row = conn.execute(
        "SELECT * FROM stage WHERE kind = ? ORDER BY position, id LIMIT 1", [kind]
    ).fetchone()
    if row is None:
        raise Invalid(f"there is no {kind} stage: add one with 'salescli stage add NAME --kind {kind}'")
    return row


def _ordered(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM stage ORDER BY position, id").fetchall()


def _check_name(conn: sqlite3.Connection, name: str, *, exclude: int | None = None) -> str:
    name = parse.require_text(name, what="stage name")
    clash = store.taken(conn, "stage", "name", name, exclude=exclude)
    if clash:
        raise Invalid(f"a stage '{clash}' already exists")
    return name


def _renumber(conn: sqlite3.Connection, order: list[int]) -> None:
    conn.executemany(
        "UPDATE stage SET position = ? WHERE id = ?",
        [(SPACING * (number + 1), stage_id) for number, stage_id in enumerate(order)],
    )


def _place(
    conn: sqlite3.Connection,
    stage_id: int,
    kind: str,
    *,
    after: sqlite3.Row | None = None,
    before: sqlite3.Row | None = None,
) -> None:
    """Put the stage after ``after`` / before ``before`` (default: last of its kind, a won
    stage after the open ones, a lost stage at the very end), keep open stages ahead of
    closed ones, and renumber every position."""
    rows = _ordered(conn)
    kinds = {row["id"]: row["kind"] for row in rows}
    names = {row["id"]: row["name"] for row in rows}
    order = [row["id"] for row in rows if row["id"] != stage_id]
    anchor = after if after is not None else before
    if anchor is not None:
        if anchor["id"] == stage_id:
            raise Invalid(f"a stage cannot be placed next to itself ('{anchor['name']}')")
        index = order.index(anchor["id"]) + (1 if after is not None else 0)
    elif kind == "lost":
        index = len(order)
    else:
        same = [i for i, other in enumerate(order) if kinds[other] == kind]
        opens = [i for i, other in enumerate(order) if kinds[other] == "open"]
        index = (same or opens or [-1])[-1] + 1
    order.insert(index, stage_id)
    if kind == "open" and any(kinds[other] != "open" for other in order[:index]):
        closed = next(names[other] for other in order if kinds[other] != "open")
        raise Invalid(f"open stages come before the won and lost ones: place it before '{closed}'")
    if kind != "open" and any(kinds[other] == "open" for other in order[index + 1 :]):
        last_open = [names[other] for other in order if kinds[other] == "open"][-1]
        raise Invalid(f"won and lost stages come after the open ones: place it after '{last_open}'")
    _renumber(conn, order)


def add(
    conn: sqlite3.Connection,
    name: str,
    *,
    probability: int,
    kind: str = "open",
    after: sqlite3.Row | None = None,
    before: sqlite3.Row | None = None,
) -> int:
    name = _check_name(conn, name)
    cursor = conn.execute(
        "INSERT INTO stage (name, position, probability, kind) VALUES (?, 0, ?, ?) RETURNING id",
        [name, probability, kind],
    )
    stage_id = int(cursor.fetchone()[0])
    _place(conn, stage_id, kind, after=after, before=before)
    return stage_id


def edit(
    conn: sqlite3.Connection,
    stage: sqlite3.Row,
    *,
    name: str | None = None,
    probability: int | None = None,
    after: sqlite3.Row | None = None,
    before: sqlite3.Row | None = None,
) -> None:
    if name is not None:
        name = _check_name(conn, name, exclude=stage["id"])
        conn.execute("UPDATE stage SET name = ? WHERE id = ?", [name, stage["id"]])
    if probability is not None:
        conn.execute("UPDATE stage SET probability = ? WHERE id = ?", [probability, stage["id"]])
    if after is not None or before is not None:
        _place(conn, stage["id"], stage["kind"], after=after, before=before)


def delete(conn: sqlite3.Connection, stage: sqlite3.Row) -> None:
    """Delete a stage no deal is in or has passed through; never the last of its kind."""
    name = stage["name"]
    deals = conn.execute("SELECT count(*) FROM deal WHERE stage_id = ?", [stage["id"]]).fetchone()[0]
    if deals:
        raise Invalid(f"stage '{name}' has {plural(deals, 'deal')} in it: move {inflect(deals, 'it')} to another stage first")
    passed = conn.execute(
        "SELECT count(DISTINCT deal_id) FROM stage_history WHERE stage_id = ?", [stage["id"]]
    ).fetchone()[0]
    if passed:
        raise Invalid(
            f"stage '{name}' is in the stage history of {plural(passed, 'deal')}, which the reports read: "
            "rename it with 'salescli stage edit' instead"
        )
    same_kind = conn.execute("SELECT count(*) FROM stage WHERE kind = ?", [stage["kind"]]).fetchone()[0]
    if same_kind <= 1:
        raise Invalid(f"stage '{name}' is the only {stage['kind']} stage, and the pipeline needs one")
    conn.execute("DELETE FROM stage WHERE id = ?", [stage["id"]])
    _renumber(conn, [row["id"] for row in _ordered(conn)])
