"""The funnel's and the forecast's aggregates (migration m010), kept by triggers.

Whatever writes ``deal``, ``stage_history`` or ``_stage_stay`` — commands, import, merge,
undo and redo, stage edits, another tool — every aggregate must hold exactly what its fill
(``schema.DERIVED_TABLES``) builds from scratch, and the reports must show what the SQL
they ran before over every deal and its history (``old_funnel``, ``old_open_deals``) gives.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salescli import store
from salescli.parse import Period
from salescli.reports import daily
from salescli.store import analysis, reporting, schema
from dbcheck import pick, rebuilt, table_rows

AGGREGATES = ("_deal_reach", "_funnel", "_funnel_stay", "_forecast", "_source_customers", "_source_deals", "_source_closed")
TODAY = dt.date(2026, 11, 23)
PERIODS = [None, Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), "2026-11"),
           Period(dt.date(2026, 11, 3), dt.date(2026, 11, 4), "two days")]


def recomputed(conn: sqlite3.Connection, table: str) -> list[tuple]:
    """What the table's fill gives, from scratch."""
    fill = schema.DERIVED_TABLES[table]
    if table != "_funnel":
        return rebuilt(conn, table, fill)
    # the deals' sets as they are now, not as _deal_reach holds them
    conn.execute("CREATE TEMP TABLE reach AS SELECT * FROM _deal_reach WHERE 0")
    try:
        conn.execute(schema.DERIVED_TABLES["_deal_reach"].replace("INTO _deal_reach", "INTO temp.reach"))
        return rebuilt(conn, table, fill.replace("JOIN _deal_reach r ON r.deal_id = d.id", "JOIN temp.reach r ON r.deal_id = d.id"))
    finally:
        conn.execute("DROP TABLE temp.reach")


def old_funnel(conn: sqlite3.Connection, period: Period | None, owner_id: int | None) -> tuple:
    """The funnel's input as the report read it before m010: every deal and its history."""
    conn.row_factory = sqlite3.Row
    ladder = reporting.stages(conn)
    params: list = []
    created = reporting._created_in("d.created_at", period, params)
    owned = reporting._owned_by("d.owner_id", owner_id, params)
    cohort = f"WITH cohort AS (SELECT d.* FROM deal d WHERE {created} AND {owned}) "
    kinds = {s["id"]: s["kind"] for s in ladder}
    positions = {s["id"]: s["position"] for s in ladder if s["kind"] == "open"}
    conn.create_function("open_position", 1, positions.get)
    conn.create_function("won", 1, lambda stage: kinds.get(stage) == "won")
    conn.create_function("known", 1, lambda stage: stage in kinds)
    groups = conn.execute(
        cohort + """
        , deal_reach AS (
            SELECT c.stage_id, c.amount,
                   CASE WHEN won(c.stage_id) THEN julianday(c.closed_at) - julianday(date(c.created_at)) END AS cycle_days,
                   max(coalesce(max(open_position(h.stage_id)), -1), coalesce(open_position(c.stage_id), -1)) AS position
            FROM cohort c LEFT JOIN stage_history h ON h.deal_id = c.id WHERE known(c.stage_id) GROUP BY c.id
        )
        SELECT stage_id, CASE WHEN position >= 0 THEN position END AS furthest, count(*) AS deals, sum(amount) AS value,
               sum(cycle_days) AS cycle_days, count(cycle_days) AS cycle_deals
        FROM deal_reach GROUP BY stage_id, position""",
        params,
    ).fetchall()
    stays = conn.execute(
        cohort + "SELECT stage_id, count(*) AS stays, sum(days) AS days FROM _stage_stay "
        "WHERE deal_id IN (SELECT id FROM cohort) GROUP BY stage_id",
        params,
    ).fetchall()
    return ladder, groups, stays


def old_open_deals(conn: sqlite3.Connection, owner_id: int | None) -> list[tuple]:
    params: list = [TODAY.isoformat()]
    return sorted(
        (tuple(row) for row in conn.execute(
            "SELECT substr(d.expected_close, 1, 7) AS month, d.expected_close < ? AS past, count(*), sum(d.amount), "
            "sum(d.amount * s.probability) FROM deal d JOIN stage s ON s.id = d.stage_id "
            f"WHERE s.kind = 'open' AND {reporting._owned_by('d.owner_id', owner_id, params)} GROUP BY month, past",
            params,
        )),
        key=repr,
    )


def old_sources(conn: sqlite3.Connection, period: Period | None, rep_id: int | None) -> list[dict]:
    """Report sources' figures as read before m010: every customer and deal."""
    added, added_args = analysis._on_timestamps("created_at", period)
    created, created_args = analysis._on_timestamps("d.created_at", period)
    closed, closed_args = analysis._on_dates("d.closed_at", period)
    owner, owner_args = analysis._owned_by("owner_id", rep_id)
    deal_owner, deal_owner_args = analysis._owned_by("d.owner_id", rep_id)
    sql = f"""
    SELECT source, SUM(customers) AS customers, SUM(deals) AS deals, SUM(won) AS won,
           SUM(lost) AS lost, SUM(revenue) AS revenue
    FROM (
        SELECT lower(NULLIF(trim(source), '')) AS source, 1 AS customers, 0 AS deals, 0 AS won,
               0 AS lost, 0 AS revenue
        FROM customer WHERE {added} AND {owner}
        UNION ALL
        SELECT lower(COALESCE(NULLIF(trim(d.source), ''),
                              (SELECT NULLIF(trim(c.source), '') FROM customer c WHERE c.id = d.customer_id))),
               0, created, won, lost, CASE WHEN won THEN d.amount ELSE 0 END
        FROM (
            SELECT d.source, d.customer_id, d.amount, ({created}) AS created,
                   (s.kind = 'won' AND {closed}) AS won, (s.kind = 'lost' AND {closed}) AS lost
            FROM deal d JOIN stage s ON s.id = d.stage_id
            WHERE {deal_owner}
        ) d
        WHERE created OR won OR lost
    )
    GROUP BY source
    """
    args = [*added_args, *owner_args, *created_args, *closed_args, *closed_args, *deal_owner_args]
    # A won deal with no close date (written by another tool) made its channel's won count
    # NULL when it was all there was: the aggregates count 0.
    return [{key: 0 if value is None and key != "source" else value for key, value in row.items()}
            for row in analysis._dicts(conn.execute(sql, args))]


def assert_exact(conn: sqlite3.Connection) -> None:
    for table in AGGREGATES:
        assert table_rows(conn, table) == recomputed(conn, table), table
    conn.row_factory = sqlite3.Row
    owners = [None, *(row[0] for row in conn.execute("SELECT id FROM rep"))]
    for owner in owners:
        for period in PERIODS:
            assert daily.funnel(*reporting.funnel(conn, period, owner)) == daily.funnel(*old_funnel(conn, period, owner))
            assert sorted(analysis.source_figures(conn, period, owner), key=repr) == sorted(
                old_sources(conn, period, owner), key=repr
            )
        open_deals, _ = reporting.forecast(conn, TODAY, owner)
        assert sorted((tuple(row) for row in open_deals), key=repr) == old_open_deals(conn, owner)
    conn.row_factory = None


# ---------------------------------------------------------------- any write, by another tool


@pytest.fixture
def shop(tmp_path: Path) -> sqlite3.Connection:
    """A migrated file with two reps, one customer and no deal, autocommit."""
    conn = store.connect(tmp_path / "aggregates.db", create=True)
    conn.isolation_level = None
    conn.row_factory = None
    for rep in (1, 2):
        conn.execute("INSERT INTO rep (id, handle, created_at) VALUES (?, ?, '2026-01-01')", [rep, f"rep{rep}"])
    conn.execute("INSERT INTO customer (id, name, created_at, updated_at) VALUES (1, 'Acme', '2026-01-01', '2026-01-01')")
    return conn


day = st.integers(1, 6).map(lambda n: f"2026-11-{n:02d}")
operation = st.one_of(
    st.tuples(st.just("add"), st.integers(1, 7), st.sampled_from([None, 1, 2]), day, st.integers(0, 900)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("edit"), st.integers(0, 30), st.sampled_from([
        "stage_id", "owner_id", "amount", "created_at", "closed_at", "expected_close", "source", "customer_id"]), st.integers(0, 7)),
    st.tuples(st.just("enter"), st.integers(0, 30), st.integers(1, 7), day),
    st.tuples(st.just("forget"), st.integers(0, 30)),
    st.tuples(st.just("restage"), st.integers(0, 30), st.integers(1, 7), st.integers(0, 30)),
    st.tuples(st.just("customer"), st.sampled_from([None, " Web", "web ", "ads", ""]), st.sampled_from([None, 1, 2])),
    st.tuples(st.just("channel"), st.integers(0, 30), st.sampled_from([None, "Web", "fair", " "])),
    st.tuples(st.just("ladder"), st.integers(1, 7), st.integers(0, 80), st.sampled_from(["open", "won", "lost"])),
)
EDITS = {
    "stage_id": lambda n: max(n, 1), "owner_id": lambda n: [None, 1, 2][n % 3], "amount": lambda n: n * 100,
    "created_at": lambda n: f"2026-11-0{n % 6 + 1} 10:00:00", "closed_at": lambda n: f"2026-11-1{n}" if n else None,
    "expected_close": lambda n: f"2026-{10 + n % 3}-1{n}" if n else None,
    "source": lambda n: [None, "", "Web", "ads"][n % 4],
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, max_size=30))
def test_any_sequence_of_writes_keeps_them_exact(shop, operations):
    for op in operations:
        at = op[1] if isinstance(op[1], int) else 0
        deal, entry = pick(shop, "deal", at), pick(shop, "stage_history", at)
        if op[0] == "add":
            cursor = shop.execute(
                "INSERT INTO deal (title, customer_id, amount, stage_id, owner_id, created_at, expected_close) "
                "VALUES ('d', 1, ?, ?, ?, ?, ?)", [op[4] * 100, op[1], op[2], f"{op[3]} 09:00:00", op[3]],
            )
            shop.execute("INSERT INTO stage_history (deal_id, stage_id, entered_on) VALUES (?, ?, ?)",
                         [cursor.lastrowid, op[1], op[3]])
        elif op[0] == "delete" and deal:
            shop.execute("DELETE FROM deal WHERE id = ?", [deal])
        elif op[0] == "edit" and deal:
            # a customer that is there (an id of none breaks the foreign key, and the write)
            value = pick(shop, "customer", op[3]) if op[2] == "customer_id" else EDITS[op[2]](op[3])
            shop.execute(f"UPDATE deal SET {op[2]} = ? WHERE id = ?", [value, deal])
        elif op[0] == "enter" and deal:
            shop.execute("INSERT INTO stage_history (deal_id, stage_id, entered_on) VALUES (?, ?, ?)", [deal, op[2], op[3]])
        elif op[0] == "forget" and entry:
            shop.execute("DELETE FROM stage_history WHERE id = ?", [entry])
        elif op[0] == "restage" and entry and deal:
            shop.execute("UPDATE stage_history SET stage_id = ?, deal_id = ? WHERE id = ?", [op[2], deal, entry])
        elif op[0] == "customer":
            shop.execute("INSERT INTO customer (name, source, owner_id, created_at, updated_at) "
                         "VALUES ('c' || (SELECT max(id) + 1 FROM customer), ?, ?, '2026-11-04 08:00:00', '')", op[1:])
        elif op[0] == "channel":
            shop.execute("UPDATE customer SET source = ? WHERE id = ?", [op[2], pick(shop, "customer", op[1])])
        elif op[0] == "ladder":  # a stage moved, or of another kind: the aggregates stay, the reports follow
            shop.execute("UPDATE stage SET position = ?, kind = ? WHERE id = ?", [op[2], op[3], op[1]])
        assert_exact(shop)


def test_a_deal_deleted_by_cascade_leaves_nothing(shop):
    shop.execute("INSERT INTO deal (id, title, customer_id, amount, stage_id, owner_id, created_at, expected_close) "
                 "VALUES (1, 'd', 1, 500, 3, 1, '2026-11-02 10:00:00', '2026-12-01')")
    for stage, entered in ((1, "2026-11-02"), (2, "2026-11-05"), (3, "2026-11-09")):
        shop.execute("INSERT INTO stage_history (deal_id, stage_id, entered_on) VALUES (1, ?, ?)", [stage, entered])
    assert table_rows(shop, "_deal_reach") == [(1, "1,2,3")]
    assert table_rows(shop, "_funnel_stay") == [("2026-11-02", -1, 1, 1, 3.0), ("2026-11-02", -1, 2, 1, 4.0),
                                          ("2026-11-02", 1, 1, 1, 3.0), ("2026-11-02", 1, 2, 1, 4.0)]
    assert table_rows(shop, "_forecast") == [(-1, 3, "2026-12-01", 1, 500), (1, 3, "2026-12-01", 1, 500)]
    shop.execute("DELETE FROM deal WHERE id = 1")  # the history goes by cascade, after the deal
    assert [table_rows(shop, table) for table in AGGREGATES if table != "_source_customers"] == [[]] * 6


# ---------------------------------------------------------------- every command


def test_commands_import_merge_undo_and_stage_edits_keep_them_exact(cli, isolated, tmp_path):
    cli("rep", "add", "alice")
    cli("rep", "add", "bob")
    cli("customer", "add", "Acme", "--owner", "alice")
    cli("customer", "add", "Acme Ltd", "--owner", "bob")
    cli("deal", "add", "Pumps", "--customer", "Acme", "--amount", "1000", "--close", "2026-12-15")
    cli("deal", "add", "Valves", "--customer", "Acme Ltd", "--amount", "250", "--owner", "bob")
    conn = sqlite3.connect(isolated, isolation_level=None)
    assert_exact(conn)
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "title,customer,amount,stage,expected_close,owner,created_at,closed_at\n"
        "Pipes,Acme,300,qualified,2026-11-30,alice,2026-11-02 09:00:00,\n"
        "Taps,Acme Ltd,700,won,2026-11-10,bob,2026-11-03 09:00:00,2026-11-20\n"
    )
    cli("import", "deals", deals)
    assert_exact(conn)
    for step in (("deal", "move", "1", "qualified"), ("deal", "move", "1", "proposal"), ("deal", "win", "1"),
                 ("deal", "move", "2", "negotiation"), ("deal", "lose", "2", "--reason", "price"),
                 ("deal", "edit", "3", "--amount", "450", "--owner", "bob"),
                 ("customer", "merge", "Acme Ltd", "Acme"),
                 ("stage", "edit", "qualified", "--after", "proposal"),
                 ("stage", "add", "demo", "--after", "contacted", "-p", "30"), ("deal", "move", "3", "demo"),
                 ("undo",), ("undo", "--redo"), ("undo",), ("undo",),
                 ("deal", "delete", "4", "--yes"), ("undo",), ("undo", "--redo")):
        cli(*step)
        assert_exact(conn)
    deals.write_text("id,title,customer,amount,stage,closed_at\n3,Pipes,Acme,990,lost,2026-11-21\n")
    cli("import", "deals", deals, "--on-conflict", "update")
    assert_exact(conn)
    cli("customer", "delete", "Acme", "--cascade", "--yes")
    assert [table_rows(conn, table) for table in AGGREGATES] == [[]] * len(AGGREGATES)
    cli("undo")
    assert_exact(conn)
    assert table_rows(conn, "_funnel")
