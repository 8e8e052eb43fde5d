"""``_open_follow_up`` (migration m015), kept by triggers: every open follow-up with a due
date, with its customer's name, in `report due`'s order.

Whatever writes activities or customers — commands, import, merge, delete, undo and redo,
another tool — the table must hold exactly what its fill gives from scratch, and
`report due` must list what the query before m015 listed, which read the records themselves.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salescli import store
from salescli.store import reporting, schema
from dbcheck import pick, rebuilt, table_rows, undo_and_redo_each

NOON = "2026-11-01 12:00:00"
TODAY, UNTIL = dt.date(2026, 11, 10), dt.date(2026, 12, 31)

# `report due`'s follow-ups before m015, from the records alone.
DUE_BEFORE = """
SELECT CASE WHEN a.due < :today THEN 'overdue' WHEN a.due = :today THEN 'today' ELSE 'upcoming' END,
       a.id, a.due, CAST(julianday(a.due) - julianday(:today) AS INTEGER), c.name, a.deal_id, a.type, a.summary, r.handle
FROM activity a JOIN customer c ON c.id = a.customer_id LEFT JOIN rep r ON r.id = a.owner_id
WHERE a.done_at IS NULL AND a.due <= :until AND (:owner IS NULL OR a.owner_id = :owner)
ORDER BY a.due, a.id
"""


def assert_exact(conn: sqlite3.Connection, note: object = None) -> None:
    """The table as its fill gives it, and `report due`'s follow-ups as before m015."""
    assert table_rows(conn, "_open_follow_up") == rebuilt(conn, "_open_follow_up", schema.OPEN_FOLLOW_UP_FILL), note
    for owner in (None, 1):
        listed = list(reporting.due_activities(conn, TODAY, UNTIL, owner))
        before = conn.execute(DUE_BEFORE, {"today": TODAY.isoformat(), "until": UNTIL.isoformat(), "owner": owner})
        assert listed == [tuple(row) for row in before], (note, owner)


@pytest.fixture
def shop(tmp_path: Path) -> sqlite3.Connection:
    """A migrated file with reps 1–2 and customers 1–3, autocommit, foreign keys off (another tool)."""
    conn = store.connect(tmp_path / "follow-ups.db", create=True)
    conn.isolation_level = None
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.executemany("INSERT INTO rep (id, handle, created_at) VALUES (?, ?, ?)", [(1, "ann", NOON), (2, "bob", NOON)])
    _customers(conn)
    return conn


def _customers(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM customer")
    for customer, name in ((1, "Émile"), (2, "acme"), (3, "Beta")):
        conn.execute(
            "INSERT INTO customer (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)", [customer, name, NOON, NOON]
        )


def day(n: int | None) -> str | None:
    return None if n is None else (TODAY + dt.timedelta(days=n * 9 - 20)).isoformat()


days = st.none() | st.integers(0, 10)
operation = st.one_of(
    st.tuples(st.just("plan"), st.integers(1, 4), days, st.sampled_from([None, 1, 2]), st.booleans()),
    st.tuples(st.just("replace"), st.integers(0, 20), st.integers(1, 4), days),
    st.tuples(st.just("done"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("edit"), st.integers(0, 20), days, st.sampled_from(["call", "visit"]), st.text("ab,\t\"\n", max_size=3)),
    st.tuples(st.just("reassign"), st.integers(0, 20), st.sampled_from([None, 1, 2]), st.integers(1, 4)),
    st.tuples(st.just("renumber"), st.integers(0, 20)),
    st.tuples(st.just("drop"), st.integers(0, 20)),
    st.tuples(st.just("rename"), st.integers(1, 4), st.sampled_from(["Zed", "=SUM(1)", 'Ann "A"', "acme"])),
    st.tuples(st.just("renumber customer"), st.integers(1, 4), st.integers(1, 5)),
    st.tuples(st.just("drop customer"), st.integers(1, 4)),
    st.tuples(st.just("add customer"), st.integers(1, 5)),
)


def write(conn: sqlite3.Connection, op: tuple) -> None:
    """One write by another tool (``op``: see ``operation``)."""
    kind, *args = op
    activity = pick(conn, "activity", args[0]) if kind in ("replace", "done", "edit", "reassign", "renumber", "drop") else None
    if kind == "plan":
        customer, due, owner, done = args
        conn.execute(
            "INSERT INTO activity (customer_id, type, summary, owner_id, due, done_at, created_at) VALUES (?, 'call', 'x', ?, ?, ?, ?)",
            [customer, owner, day(due), day(0) if done else None, NOON],
        )
    elif kind == "replace" and activity:
        conn.execute(
            "INSERT OR REPLACE INTO activity (id, customer_id, type, due, created_at) VALUES (?, ?, 'task', ?, ?)",
            [activity, args[1], day(args[2]), NOON],
        )
    elif kind == "done" and activity:
        conn.execute("UPDATE activity SET done_at = ? WHERE id = ?", [day(1) if args[1] else None, activity])
    elif kind == "edit" and activity:
        conn.execute("UPDATE activity SET due = ?, type = ?, summary = ? WHERE id = ?", [day(args[1]), args[2], args[3], activity])
    elif kind == "reassign" and activity:
        conn.execute("UPDATE activity SET owner_id = ?, customer_id = ? WHERE id = ?", [args[1], args[2], activity])
    elif kind == "renumber" and activity:
        conn.execute("UPDATE activity SET id = (SELECT max(id) + 1 FROM activity) WHERE id = ?", [activity])
    elif kind == "drop" and activity:
        conn.execute("DELETE FROM activity WHERE id = ?", [activity])
    elif kind == "rename":
        conn.execute("UPDATE OR IGNORE customer SET name = ? WHERE id = ?", [args[1], args[0]])
    elif kind == "renumber customer":
        conn.execute("UPDATE OR IGNORE customer SET id = ? WHERE id = ?", [args[1], args[0]])
    elif kind == "drop customer":
        conn.execute("DELETE FROM customer WHERE id = ?", [args[0]])
    elif kind == "add customer":
        conn.execute(
            "INSERT OR IGNORE INTO customer (id, name, created_at, updated_at) VALUES (?, 'New', ?, ?)", [args[0], NOON, NOON]
        )


def test_a_follow_up_is_listed_while_open_with_its_customers_name(shop):
    shop.execute("INSERT INTO activity (id, customer_id, type, summary, owner_id, due, created_at) VALUES (7, 1, 'call', 'Ring', 1, '2026-11-12', ?)", [NOON])
    assert table_rows(shop, "_open_follow_up") == [("2026-11-12", 7, "Émile", None, "call", "Ring", 1)]
    shop.execute("UPDATE customer SET name = 'Emil' WHERE id = 1")
    assert table_rows(shop, "_open_follow_up") == [("2026-11-12", 7, "Emil", None, "call", "Ring", 1)]
    shop.execute("UPDATE activity SET due = '2026-11-30', owner_id = 2, customer_id = 3 WHERE id = 7")  # reassigned
    assert table_rows(shop, "_open_follow_up") == [("2026-11-30", 7, "Beta", None, "call", "Ring", 2)]
    shop.execute("UPDATE activity SET done_at = '2026-11-09' WHERE id = 7")
    assert table_rows(shop, "_open_follow_up") == []
    shop.execute("UPDATE activity SET done_at = NULL WHERE id = 7")  # reopened
    assert table_rows(shop, "_open_follow_up") == [("2026-11-30", 7, "Beta", None, "call", "Ring", 2)]
    shop.execute("DELETE FROM customer WHERE id = 3")  # gone (foreign keys off): not listed
    assert table_rows(shop, "_open_follow_up") == []
    shop.execute("INSERT INTO customer (id, name, created_at, updated_at) VALUES (3, 'Back', ?, ?)", [NOON, NOON])
    assert table_rows(shop, "_open_follow_up") == [("2026-11-30", 7, "Back", None, "call", "Ring", 2)]
    assert_exact(shop)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, max_size=30))
def test_any_sequence_of_writes_keeps_it_exact(shop, operations):
    shop.execute("DELETE FROM activity")
    _customers(shop)
    for customer in (1, 2, 3):
        write(shop, ("plan", customer, customer, 1, False))
        write(shop, ("plan", customer, None, 2, False))
    assert_exact(shop, "seed")
    for op in operations:
        write(shop, op)
        assert_exact(shop, op)


def test_commands_import_merge_undo_and_redo_keep_it_exact(cli, isolated, tmp_path):
    cli("rep", "add", "ann")
    cli("rep", "add", "bob")
    cli("customer", "add", "Acme", "--owner", "ann")
    cli("customer", "add", "Beta", "--owner", "bob")
    conn = sqlite3.connect(isolated, isolation_level=None)  # autocommit: no snapshot held between reads
    steps = [
        ("activity", "plan", "Acme", "Send the quote", "--due", "2026-11-25"),
        ("activity", "plan", "Beta", "Monthly check-in", "--due", "2026-11-20", "-t", "call", "--every", "month"),
        ("activity", "log", "Acme", "-t", "visit", "--next", "Call back", "--due", "2026-12-01"),
        ("activity", "reschedule", "3", "2026-11-28"),
        ("customer", "edit", "Acme", "--name", "Acme Tools"),
        ("activity", "done", "4"),  # recurring: the next one is planned
        ("rep", "deactivate", "ann", "--reassign-to", "bob"),
        ("customer", "merge", "Beta", "Acme Tools"),
        ("activity", "delete", "3", "--yes"),
    ]
    for step in steps:
        cli(*step)
        assert_exact(conn, step)
    listed = [(row[1], row[4], row[8]) for row in reporting.due_activities(conn, TODAY, UNTIL, None)]
    assert listed == [(6, "Acme Tools", "bob"), (7, "Acme Tools", "bob")]  # the first contacts answered by then
    undo_and_redo_each(cli, len(steps), lambda action: assert_exact(conn, action))
    activities = tmp_path / "activities.csv"
    activities.write_text(
        "customer,type,summary,due,done_at,owner\n"
        "Acme Tools,call,\"Ring, then write\",2026-11-24,,bob\nAcme Tools,task,Done,,2026-11-02,\n"
    )
    cli("import", "activities", activities)
    assert_exact(conn, "import activities")
    assert table_rows(conn, "_open_follow_up")[0][2:] == ("Acme Tools", None, "call", "Ring, then write", 2)
    cli("undo")
    assert_exact(conn, "undo import")
    cli("undo", "--redo")
    cli("customer", "delete", "Acme Tools", "--cascade", "--yes")
    assert_exact(conn, "delete")
    assert table_rows(conn, "_open_follow_up") == []
    cli("undo")
    assert_exact(conn, "undo delete")
    assert len(table_rows(conn, "_open_follow_up")) == 3
