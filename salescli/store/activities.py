"""Activities: what was done with a customer (logged, ``done_at`` set) and what is planned
(``due`` set, ``done_at`` NULL until ``activity done``).

A recurring plan keeps its rule in ``recurrence``; completing it inserts the next
occurrence as a new open row (``salescli.recurrence``), so a series has one open row.
Logging or completing a contact (call, email, meeting, visit) with a customer answers
that customer's open "First contact" task, which goes: the contact is the one activity
that counts (``customers.close_first_contact``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from typing import Any

from salescli import parse, recurrence
from salescli.errors import Invalid, UsageError
from salescli.store.customers import CONTACT_TYPES, close_first_contact

TYPES = ("call", "email", "meeting", "visit", "note", "task")

LIST_SQL = """
SELECT a.id, c.name AS customer, a.deal_id AS deal, a.type, a.summary, r.handle AS owner,
       a.due, a.done_at, a.score, a.recurrence, a.created_at
FROM activity a
JOIN customer c ON c.id = a.customer_id
LEFT JOIN rep r ON r.id = a.owner_id
"""
def parse_type(text: str) -> str:
    return parse.parse_choice(text, TYPES, what="activity type")


def parse_score(text: str | None) -> int | None:
    """A satisfaction score: a whole number from 1 to 5."""
    if text is None:
        return None
    value = text.strip()
    if value not in ("1", "2", "3", "4", "5"):
        raise UsageError(f"score '{text}' is not from 1 to 5: give 1 (poor) to 5 (excellent)")
    return int(value)


def _owner_id(customer: sqlite3.Row, owner: sqlite3.Row | None, *, planning: bool) -> int | None:
    """The rep given, else the customer's owner. Work is not planned for an inactive rep."""
    if owner is None:
        return customer["owner_id"]
    if planning and not owner["active"]:
        raise Invalid(f"rep '{owner['handle']}' is inactive: plan the follow-up for an active rep")
    return owner["id"]


def _check_deal(conn: sqlite3.Connection, customer: sqlite3.Row, deal: sqlite3.Row | None) -> int | None:
    if deal is None:
        return None
    if deal["customer_id"] != customer["id"]:
        other = conn.execute("SELECT name FROM customer WHERE id = ?", [deal["customer_id"]]).fetchone()
        raise Invalid(
            f"deal #{deal['id']} ({deal['title']}) belongs to {other[0] if other else 'another customer'}, "
            f"not {customer['name']}"
        )
    return deal["id"]


def _check_done_on(day: dt.date) -> str:
    if day > parse.today():
        raise Invalid(f"{day.isoformat()} is in the future: an activity is done on or before today")
    return day.isoformat()


def _insert(conn: sqlite3.Connection, **values: Any) -> int:
    values.setdefault("created_at", parse.timestamp())
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = conn.execute(f"INSERT INTO activity ({columns}) VALUES ({marks}) RETURNING id", list(values.values()))
    return int(cursor.fetchone()[0])


def _answer_first_contact(conn: sqlite3.Connection, customer_id: int, kind: str) -> list[int]:
    """A contact with the customer answers its open "First contact" task (removed)."""
    return close_first_contact(conn, customer_id) if kind in CONTACT_TYPES else []


def log(
    conn: sqlite3.Connection,
    customer: sqlite3.Row,
    kind: str,
    *,
    done_on: dt.date,
    summary: str | None = None,
    deal: sqlite3.Row | None = None,
    owner: sqlite3.Row | None = None,
    score: int | None = None,
    follow_up: tuple[str, dt.date] | None = None,
) -> dict[str, Any]:
    """Record an activity that happened and, with ``follow_up`` (summary, due), plan the
    next step (a task for the same customer, deal and owner) in the same go.

    Returns ``{"id", "next_id", "first_contact"}`` (the ids of First-contact tasks answered).
    """
    deal_id = _check_deal(conn, customer, deal)
    done_at = _check_done_on(done_on)
    owner_id = _owner_id(customer, owner, planning=follow_up is not None)
    if follow_up is not None and follow_up[1] < done_on:
        raise Invalid(f"the next step is due {follow_up[1]}, before this activity ({done_at})")
    activity_id = _insert(
        conn,
        customer_id=customer["id"],
        deal_id=deal_id,
        type=kind,
        summary=summary,
        owner_id=owner_id,
        done_at=done_at,
        score=score,
    )
    next_id = None
    if follow_up is not None:
        next_id = _insert(
            conn,
            customer_id=customer["id"],
            deal_id=deal_id,
            type="task",
            summary=parse.require_text(follow_up[0], what="the next step (--next)"),
            owner_id=owner_id,
            due=follow_up[1].isoformat(),
        )
    return {"id": activity_id, "next_id": next_id, "first_contact": _answer_first_contact(conn, customer["id"], kind)}


def plan(
    conn: sqlite3.Connection,
    customer: sqlite3.Row,
    summary: str,
    *,
    due: dt.date,
    kind: str = "task",
    deal: sqlite3.Row | None = None,
    owner: sqlite3.Row | None = None,
    rule: str | None = None,
) -> int:
    """Plan a follow-up; with ``rule`` (an RRULE string, ``parse.parse_recurrence``) a recurring one."""
    return _insert(
        conn,
        customer_id=customer["id"],
        deal_id=_check_deal(conn, customer, deal),
        type=kind,
        summary=parse.require_text(summary, what="the summary"),
        owner_id=_owner_id(customer, owner, planning=True),
        due=due.isoformat(),
        recurrence=rule,
    )


def _require_open(activity: sqlite3.Row) -> None:
    if activity["done_at"] is not None:
        raise Invalid(f"activity #{activity['id']} was already done on {activity['done_at']}")


def done(
    conn: sqlite3.Connection,
    activity: sqlite3.Row,
    *,
    on: dt.date,
    note: str | None = None,
    score: int | None = None,
) -> dict[str, Any]:
    """Complete a planned activity; for a recurring one, plan the next occurrence.

    Returns ``{"next": {"id", "due", "every"} or None, "ended": str or None,
    "first_contact": [ids]}``; ``ended`` says why a recurring series planned nothing more
    (its UNTIL passed, or a rule brought in from elsewhere that salescli cannot follow).
    """
    _require_open(activity)
    done_at = _check_done_on(on)
    notes = "\n".join(text for text in (activity["notes"], note) if text) or None
    conn.execute(
        "UPDATE activity SET done_at = ?, notes = ?, score = coalesce(?, score) WHERE id = ?",
        [done_at, notes, score, activity["id"]],
    )
    result: dict[str, Any] = {"next": None, "ended": None}
    rule = activity["recurrence"]
    if rule:
        due = dt.date.fromisoformat(activity["due"]) if activity["due"] else on
        try:
            # a rule written elsewhere (an import) may lack the month-end anchor: add it
            rule = recurrence.anchored(recurrence.validate(rule), due, replace=False)
            next_due = recurrence.next_date(rule, due, on)
        except UsageError as problem:
            next_due, result["ended"] = None, str(problem)
        if next_due is None:
            result["ended"] = result["ended"] or "the series has reached its end date"
        else:
            next_id = _insert(
                conn,
                customer_id=activity["customer_id"],
                deal_id=activity["deal_id"],
                type=activity["type"],
                summary=activity["summary"],
                owner_id=activity["owner_id"],
                due=next_due.isoformat(),
                recurrence=rule,
            )
            result["next"] = {"id": next_id, "due": next_due, "every": recurrence.describe(rule)}
    result["first_contact"] = _answer_first_contact(conn, activity["customer_id"], activity["type"])
    return result


def reschedule(conn: sqlite3.Connection, activity: sqlite3.Row, due: dt.date) -> None:
    """Move an open activity to ``due``; a recurring series continues from the new date."""
    _require_open(activity)
    rule = activity["recurrence"]
    conn.execute(
        "UPDATE activity SET due = ?, recurrence = ? WHERE id = ?",
        [due.isoformat(), recurrence.anchored(rule, due) if rule else None, activity["id"]],
    )


def delete(conn: sqlite3.Connection, activity_id: int) -> None:
    conn.execute("DELETE FROM activity WHERE id = ?", [activity_id])


def _list_parts(
    customer_id: int | None,
    deal_id: int | None,
    owner_id: int | None,
    state: str | None,
    kind: str | None,
    period: parse.Period | None,
) -> list[tuple[str, list[Any], str]]:
    """``listing``'s two parts, open then done: each one's conditions, their parameters
    and its order (that of its index: ``activity_open_due``, ``activity_done``)."""
    where, params = [], []
    for column, value in (("a.customer_id", customer_id), ("a.deal_id", deal_id), ("a.owner_id", owner_id), ("a.type", kind)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    parts = []
    if state != "done":
        parts.append(("a.done_at IS NULL", "a.due", "ORDER BY a.due, a.id"))
    if state != "open":
        parts.append(("a.done_at IS NOT NULL", "a.done_at", "ORDER BY a.done_at DESC, a.id DESC"))
    result = []
    for condition, date_column, order in parts:
        clauses, values = [*where, condition], list(params)
        if period is not None:
            clauses.append(f"{date_column} BETWEEN ? AND ?")
            values += [period.start.isoformat(), period.end.isoformat()]
        result.append((" AND ".join(clauses), values, order))
    return result


def listing(
    conn: sqlite3.Connection,
    *,
    customer_id: int | None = None,
    deal_id: int | None = None,
    owner_id: int | None = None,
    state: str | None = None,
    kind: str | None = None,
    period: parse.Period | None = None,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Activities, streamed: open ones soonest due first, then done ones most recent first;
    the first ``limit`` of them (all: None).

    ``state``: ``open`` or ``done``. ``period`` filters on the activity's date: when it was
    done, or for an open one when it is due. Two queries, each in the order of its index
    (``activity_open_due``, ``activity_done``), so the first rows come without a sort of all.
    """
    left = limit
    for clause, values, order in _list_parts(customer_id, deal_id, owner_id, state, kind, period):
        if left is not None:
            if left <= 0:
                return
            order, values = f"{order} LIMIT ?", [*values, left]
        for row in conn.execute(f"{LIST_SQL} WHERE {clause} {order}", values):
            item = dict(row)
            item["recurrence"] = recurrence.describe(item["recurrence"])
            if left is not None:
                left -= 1
            yield item


def count(
    conn: sqlite3.Connection,
    *,
    customer_id: int | None = None,
    deal_id: int | None = None,
    owner_id: int | None = None,
    state: str | None = None,
    kind: str | None = None,
    period: parse.Period | None = None,
) -> int:
    """How many activities ``listing`` gives with the same filters (every activity has its
    customer: the count needs no join)."""
    return sum(
        conn.execute(f"SELECT count(*) FROM activity a WHERE {clause}", values).fetchone()[0]
        for clause, values, _ in _list_parts(customer_id, deal_id, owner_id, state, kind, period)
    )
