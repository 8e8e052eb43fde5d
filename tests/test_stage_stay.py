"""``_stage_stay`` (migration m004): the stays in a stage that have ended, kept by triggers.

Whatever writes ``stage_history`` — in any order, same-day entries, deletes, edits by
another tool, undo — the table must hold exactly what pairing every entry with the next
one of its deal (``schema.STAGE_STAY_FILL``, a window over all history) gives.
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


def stays(conn: sqlite3.Connection) -> list[tuple]:
    return [tuple(row) for row in conn.execute("SELECT stage_id, deal_id, history_id, days FROM _stage_stay ORDER BY 1, 2, 3")]


def recomputed(conn: sqlite3.Connection) -> list[tuple]:
    """What the window over all history gives, from scratch (in a temporary copy)."""
    conn.execute("CREATE TEMP TABLE expected AS SELECT * FROM _stage_stay WHERE 0")
    conn.execute(schema.STAGE_STAY_FILL.replace("INSERT INTO _stage_stay", "INSERT INTO temp.expected"))
    rows = [tuple(row) for row in conn.execute("SELECT stage_id, deal_id, history_id, days FROM temp.expected ORDER BY 1, 2, 3")]
    conn.execute("DROP TABLE temp.expected")
    return rows


@pytest.fixture
def shop(tmp_path: Path) -> sqlite3.Connection:
    """A migrated file with one customer and three deals (ids 1–3), autocommit."""
    conn = store.connect(tmp_path / "stays.db", create=True)
    conn.isolation_level = None
    conn.execute("INSERT INTO customer (id, name, created_at, updated_at) VALUES (1, 'Acme', ?, ?)", [NOON, NOON])
    for deal in (1, 2, 3):
        conn.execute(
            "INSERT INTO deal (id, title, customer_id, amount, stage_id, created_at) VALUES (?, 'd', 1, 100, 1, ?)",
            [deal, NOON],
        )
    return conn


def enter(conn: sqlite3.Connection, deal: int, stage: int, day: int, *, conflict: str = "") -> int:
    cursor = conn.execute(
        f"INSERT {conflict} INTO stage_history (deal_id, stage_id, entered_on) VALUES (?, ?, ?)",
        [deal, stage, f"2026-11-{day:02d}"],
    )
    return int(cursor.lastrowid or 0)


def test_a_deal_moving_on_ends_its_stays(shop):
    first = enter(shop, 1, 1, 1)
    assert stays(shop) == []  # still in its first stage
    second = enter(shop, 1, 2, 5)
    third = enter(shop, 1, 1, 9)  # sent back
    assert stays(shop) == [(1, 1, first, 4.0), (2, 1, second, 4.0)]
    enter(shop, 1, 3, 20)
    assert stays(shop) == [(1, 1, first, 4.0), (1, 1, third, 11.0), (2, 1, second, 4.0)]


def test_an_entry_written_out_of_order_goes_where_its_date_puts_it(shop):
    first = enter(shop, 1, 1, 1)
    last = enter(shop, 1, 3, 20)
    middle = enter(shop, 1, 2, 10)  # backdated: between the two
    assert stays(shop) == [(1, 1, first, 9.0), (2, 1, middle, 10.0)]
    assert last not in [row[2] for row in stays(shop)]
    same_day = enter(shop, 1, 4, 10)  # same day as `middle`, written later: comes after it
    assert stays(shop) == [(1, 1, first, 9.0), (2, 1, middle, 0.0), (4, 1, same_day, 10.0)]


def test_deleting_entries_joins_the_stays_around_them(shop):
    ids = [enter(shop, 1, stage, day) for stage, day in ((1, 1), (2, 4), (3, 9))]
    shop.execute("DELETE FROM stage_history WHERE id = ?", [ids[1]])
    assert stays(shop) == [(1, 1, ids[0], 8.0)]
    shop.execute("DELETE FROM deal WHERE id = 1")  # cascades to the history
    assert stays(shop) == []


def test_another_tools_edits_are_followed(shop):
    ids = [enter(shop, 1, stage, day) for stage, day in ((1, 1), (2, 4), (3, 9))]
    shop.execute("UPDATE stage_history SET entered_on = '2026-11-12' WHERE id = ?", [ids[1]])  # now after the third
    assert stays(shop) == recomputed(shop) == [(1, 1, ids[0], 8.0), (3, 1, ids[2], 3.0)]
    shop.execute("UPDATE stage_history SET deal_id = 2 WHERE id = ?", [ids[2]])
    assert stays(shop) == recomputed(shop)
    shop.execute("UPDATE stage_history SET stage_id = 5, id = 99 WHERE id = ?", [ids[0]])
    assert stays(shop) == recomputed(shop)


def test_an_outer_conflict_clause_does_not_leave_a_stay_behind(shop):
    """``INSERT OR IGNORE`` outside turns the triggers' own inserts into OR IGNORE too;
    they delete what they replace first, so nothing stale stays."""
    first = enter(shop, 1, 1, 1, conflict="OR IGNORE")
    enter(shop, 1, 2, 20, conflict="OR IGNORE")
    enter(shop, 1, 3, 10, conflict="OR IGNORE")
    enter(shop, 1, 4, 15, conflict="OR REPLACE")
    assert stays(shop) == recomputed(shop)
    assert stays(shop)[0] == (1, 1, first, 9.0)


operation = st.one_of(
    st.tuples(st.just("enter"), st.integers(1, 3), st.integers(1, 7), st.integers(1, 6)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("move"), st.integers(0, 30), st.integers(1, 3), st.integers(1, 6)),
    st.tuples(st.just("restage"), st.integers(0, 30), st.integers(1, 7)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, max_size=25))
def test_any_sequence_of_writes_keeps_it_exact(shop, operations):
    shop.execute("DELETE FROM stage_history")
    for op in operations:
        ids = [row[0] for row in shop.execute("SELECT id FROM stage_history ORDER BY id")]
        if op[0] == "enter":
            enter(shop, op[1], op[2], op[3])
        elif ids and op[0] == "delete":
            shop.execute("DELETE FROM stage_history WHERE id = ?", [ids[op[1] % len(ids)]])
        elif ids and op[0] == "move":
            shop.execute(
                "UPDATE stage_history SET deal_id = ?, entered_on = ? WHERE id = ?",
                [op[2], f"2026-11-{op[3]:02d}", ids[op[1] % len(ids)]],
            )
        elif ids and op[0] == "restage":
            shop.execute("UPDATE stage_history SET stage_id = ? WHERE id = ?", [op[2], ids[op[1] % len(ids)]])
        assert stays(shop) == recomputed(shop), op


def test_commands_and_undo_keep_it_exact(cli, isolated):
    cli("customer", "add", "Acme")
    cli("deal", "add", "Pumps", "--customer", "Acme", "--amount", "1000")
    cli("deal", "move", "1", "qualified")
    cli("deal", "win", "1")
    conn = sqlite3.connect(isolated, isolation_level=None)  # autocommit: no snapshot held between reads
    assert [row[0] for row in stays(conn)] and stays(conn) == recomputed(conn)
    before = stays(conn)
    cli("deal", "move", "1", "proposal")  # reopened
    assert stays(conn) == recomputed(conn) != before
    cli("undo")
    assert stays(conn) == recomputed(conn) == before
    cli("customer", "delete", "Acme", "--cascade", "--yes")
    assert stays(conn) == []
    cli("undo")
    assert stays(conn) == recomputed(conn) == before
