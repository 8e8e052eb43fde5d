"""``_uncontacted`` (migration m009): the customers with no activity at all, kept by triggers.

Whatever writes ``customer`` or ``activity`` — commands, import, merge, delete, undo and
redo, another tool — the table must hold exactly what ``schema.UNCONTACTED_FILL`` gives
from scratch.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salescli import store
from salescli.store import schema

NOON = "2026-11-01 12:00:00"


def kept(conn: sqlite3.Connection) -> list[int]:
    return [row[0] for row in conn.execute("SELECT customer_id FROM _uncontacted ORDER BY 1")]


def recomputed(conn: sqlite3.Connection) -> list[int]:
    """What the fill gives from scratch (in a temporary copy)."""
    conn.execute("CREATE TEMP TABLE expected (customer_id INTEGER PRIMARY KEY)")
    conn.execute(schema.UNCONTACTED_FILL.replace("INSERT INTO _uncontacted", "INSERT INTO temp.expected"))
    rows = [row[0] for row in conn.execute("SELECT customer_id FROM temp.expected ORDER BY 1")]
    conn.execute("DROP TABLE temp.expected")
    return rows


@pytest.fixture
def shop(tmp_path: Path) -> sqlite3.Connection:
    """A migrated file with customers 1–4, autocommit, foreign keys off (another tool)."""
    conn = store.connect(tmp_path / "uncontacted.db", create=True)
    conn.isolation_level = None
    conn.execute("PRAGMA foreign_keys = OFF")
    for customer in (1, 2, 3, 4):
        conn.execute(
            "INSERT INTO customer (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
            [customer, f"c{customer}", NOON, NOON],
        )
    return conn


def log(conn: sqlite3.Connection, customer: int, *, conflict: str = "", id_: int | None = None) -> int:
    cursor = conn.execute(
        f"INSERT {conflict} INTO activity (id, customer_id, type, done_at, created_at) VALUES (?, ?, 'call', ?, ?)",
        [id_, customer, "2026-11-02", NOON],
    )
    return int(cursor.lastrowid or 0)


def test_a_customer_is_uncontacted_until_an_activity_and_again_after_the_last_goes(shop):
    assert kept(shop) == [1, 2, 3, 4]
    first, second = log(shop, 1), log(shop, 1)
    assert kept(shop) == [2, 3, 4]
    shop.execute("DELETE FROM activity WHERE id = ?", [first])
    assert kept(shop) == [2, 3, 4]  # one activity left
    shop.execute("UPDATE activity SET customer_id = 2 WHERE id = ?", [second])  # moved to another customer
    assert kept(shop) == recomputed(shop) == [1, 3, 4]
    shop.execute("UPDATE customer SET id = 9 WHERE id = 2")  # renumbered: its activities do not follow
    assert kept(shop) == recomputed(shop) == [1, 3, 4, 9]
    shop.execute("DELETE FROM customer WHERE id = 3")
    assert kept(shop) == recomputed(shop) == [1, 4, 9]


def test_replacing_an_activity_keeps_it_exact(shop):
    first = log(shop, 1)
    log(shop, 2, conflict="OR REPLACE", id_=first)  # the row of customer 1 goes, one of 2 comes
    assert kept(shop) == recomputed(shop) == [1, 3, 4]


operation = st.one_of(
    st.tuples(st.just("log"), st.integers(1, 6)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("move"), st.integers(0, 30), st.integers(1, 6)),
    st.tuples(st.just("add"), st.integers(5, 6)),
    st.tuples(st.just("drop"), st.integers(1, 6)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, max_size=25))
def test_any_sequence_of_writes_keeps_it_exact(shop, operations):
    shop.execute("DELETE FROM activity")
    shop.execute("DELETE FROM customer WHERE id > 4")
    for op in operations:
        ids = [row[0] for row in shop.execute("SELECT id FROM activity ORDER BY id")]
        if op[0] == "log":
            log(shop, op[1])  # also for a customer not there (yet): another tool may
        elif ids and op[0] == "delete":
            shop.execute("DELETE FROM activity WHERE id = ?", [ids[op[1] % len(ids)]])
        elif ids and op[0] == "move":
            shop.execute("UPDATE activity SET customer_id = ? WHERE id = ?", [op[2], ids[op[1] % len(ids)]])
        elif op[0] == "add":
            shop.execute(
                "INSERT OR IGNORE INTO customer (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                [op[1], f"c{op[1]}", NOON, NOON],
            )
        elif op[0] == "drop":
            shop.execute("DELETE FROM customer WHERE id = ?", [op[1]])
        assert kept(shop) == recomputed(shop), op


def test_commands_import_merge_undo_and_redo_keep_it_exact(cli, isolated, tmp_path):
    cli("config", "set", "first_contact_hours", "0")
    cli("customer", "add", "Acme")  # plans its first contact: an activity
    cli("customer", "add", "Beta")
    conn = sqlite3.connect(isolated, isolation_level=None)  # autocommit: no snapshot held between reads
    assert kept(conn) == recomputed(conn) == []
    cli("activity", "delete", "1", "--yes")
    assert kept(conn) == recomputed(conn) == [1]
    cli("undo")
    assert kept(conn) == recomputed(conn) == []
    cli("undo", "--redo")
    assert kept(conn) == recomputed(conn) == [1]
    source = tmp_path / "customers.csv"
    source.write_text("name,created_at\nGamma,2026-11-01 09:00:00\nDelta,2026-11-01 09:00:00\n")
    cli("import", "customers", source)  # imported customers get no first-contact task
    assert kept(conn) == recomputed(conn) and len(kept(conn)) == 3
    activities = tmp_path / "activities.csv"
    activities.write_text("customer,type,done_at\nGamma,call,2026-11-02\n")
    cli("import", "activities", activities)
    assert kept(conn) == recomputed(conn) and len(kept(conn)) == 2
    cli("undo")  # the import of activities
    assert kept(conn) == recomputed(conn) and len(kept(conn)) == 3
    cli("customer", "merge", "Beta", "Gamma")  # Beta's activity goes to Gamma, Beta goes
    assert kept(conn) == recomputed(conn)
    cli("undo")
    assert kept(conn) == recomputed(conn)
    cli("customer", "delete", "Acme", "--cascade", "--yes")
    assert kept(conn) == recomputed(conn)
    cli("undo")
    assert kept(conn) == recomputed(conn)
