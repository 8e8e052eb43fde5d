"""The daily figures per owner (migration m011: ``_deal_day``, ``_customer_day``,
``_activity_day``), kept by triggers.

Whatever writes ``deal``, ``customer`` or ``activity`` — any column, any order, deletes,
commands, import (new rows and updates), merge, rep reassign, undo and redo, the demo's
bulk load — each table must hold exactly what its ``fill`` (a GROUP BY over the source)
gives from scratch, and the reports that read them (targets, trend, reps) must give what
the SQL over the deals, customers and activities themselves gave before m011.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salescli import parse, store
from salescli.store import analysis, reporting, schema
from dbcheck import rebuilt, table_rows

NOON = "2026-11-01 12:00:00"


def kept(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {aggregate.name: table_rows(conn, aggregate.name) for aggregate in schema.DAILY_FIGURES}


def recomputed(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """What each table's fill gives from scratch."""
    return {aggregate.name: rebuilt(conn, aggregate.name, aggregate.fill()) for aggregate in schema.DAILY_FIGURES}


# ---------------------------------------------------------------- the SQL before m011 (the oracle)

OLD_WON = """
SELECT d.closed_at AS day, d.owner_id, count(*) AS won_deals, sum(d.amount) AS revenue,
       sum(d.amount - d.cost) AS margin, sum(d.quantity) AS units
FROM deal d JOIN stage s ON s.id = d.stage_id
WHERE s.kind = 'won' AND d.closed_at BETWEEN :start AND :end GROUP BY d.closed_at, d.owner_id"""
OLD_CUSTOMERS = """
SELECT date(created_at) AS day, owner_id, count(*) AS new_customers FROM customer
WHERE created_at >= :start AND created_at < date(:end, '+1 day') GROUP BY day, owner_id"""
OLD_ACTIVITIES = """
SELECT done_at AS day, owner_id, count(*) AS activities, count(score) AS scored, sum(score >= 4) AS satisfied
FROM activity WHERE done_at BETWEEN :start AND :end GROUP BY owner_id, done_at"""
OLD_LOST = """
SELECT d.closed_at AS day, count(*) AS lost_deals FROM deal d JOIN stage s ON s.id = d.stage_id
WHERE s.kind = 'lost' AND d.closed_at BETWEEN :start AND :end GROUP BY d.closed_at"""
OLD_REPS = """
WITH by_stage AS (
    SELECT owner_id, stage_id, COUNT(*) AS deals, SUM(amount) AS amount, COUNT(cost) AS costed_deals,
           SUM(CASE WHEN cost IS NOT NULL THEN amount ELSE 0 END) AS costed_revenue,
           SUM(CASE WHEN cost IS NOT NULL THEN amount - cost ELSE 0 END) AS margin_cents,
           SUM(julianday(closed_at) - julianday(substr(created_at, 1, 10))) AS cycle_days
    FROM deal WHERE stage_id IN (SELECT id FROM stage WHERE kind = 'open') OR {closed}
    GROUP BY owner_id, stage_id
), deals AS (
    SELECT d.owner_id,
           SUM(CASE WHEN s.kind = 'won' THEN d.deals ELSE 0 END) AS won_deals,
           SUM(CASE WHEN s.kind = 'won' THEN d.amount ELSE 0 END) AS revenue,
           SUM(CASE WHEN s.kind = 'won' THEN d.costed_deals ELSE 0 END) AS costed_deals,
           SUM(CASE WHEN s.kind = 'won' THEN d.costed_revenue ELSE 0 END) AS costed_revenue,
           SUM(CASE WHEN s.kind = 'won' THEN d.margin_cents ELSE 0 END) AS margin_cents,
           SUM(CASE WHEN s.kind = 'lost' THEN d.deals ELSE 0 END) AS lost_deals,
           SUM(CASE WHEN s.kind = 'won' THEN d.cycle_days ELSE 0 END) AS cycle_days,
           SUM(CASE WHEN s.kind = 'open' THEN d.amount * s.probability ELSE 0 END) AS open_weighted_raw
    FROM by_stage d JOIN stage s ON s.id = d.stage_id GROUP BY d.owner_id
), added AS (
    SELECT owner_id, COUNT(*) AS new_customers FROM customer WHERE {created} GROUP BY owner_id
), people AS (
    SELECT id, handle, active, commission_rate FROM rep UNION ALL SELECT NULL, NULL, 0, 0
)
SELECT p.handle, p.active, p.commission_rate,
       COALESCE(d.won_deals, 0) AS won_deals, COALESCE(d.revenue, 0) AS revenue,
       COALESCE(d.costed_deals, 0) AS costed_deals, COALESCE(d.costed_revenue, 0) AS costed_revenue,
       COALESCE(d.margin_cents, 0) AS margin_cents, COALESCE(d.lost_deals, 0) AS lost_deals,
       COALESCE(d.cycle_days, 0) AS cycle_days, COALESCE(d.open_weighted_raw, 0) AS open_weighted_raw,
       COALESCE(a.new_customers, 0) AS new_customers,
       (SELECT COUNT(*) FROM activity WHERE owner_id IS p.id AND done_at IS NOT NULL AND {done}) AS activities
FROM people p LEFT JOIN deals d ON d.owner_id IS p.id LEFT JOIN added a ON a.owner_id IS p.id"""

WINDOWS = [("2000-01-01", "2099-12-31"), ("2026-11-01", "2026-11-30"), ("2026-11-23", "2026-11-23")]


def _figures(rows: list[sqlite3.Row]) -> dict[tuple, dict[str, Any]]:
    """Per (day, owner): the non-zero figures (as ``reports.daily.Ledger`` reads them)."""
    result: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        row = dict(row)
        key = (row.pop("day"), row.pop("owner_id", None))
        result[key] = {name: value for name, value in row.items() if value}
    return {key: figures for key, figures in result.items() if figures}


def assert_reports_as_before(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    for start, end in WINDOWS:
        window = {"start": start, "end": end}
        new = reporting.target_actuals(conn, start, end, None)
        for got, old in zip(new, (OLD_WON, OLD_CUSTOMERS, OLD_ACTIVITIES), strict=True):
            assert _figures(got) == _figures(conn.execute(old, window).fetchall()), (start, end, old)
        lost = reporting.lost_deals(conn, start, end, None)
        assert _figures(lost) == _figures(conn.execute(OLD_LOST, window).fetchall())
        for per_day, old in zip(reporting.target_actuals(conn, start, end, None, per_owner=False), new, strict=True):
            totals: dict[tuple, dict[str, Any]] = {}
            for (day, _), figures in _figures(old).items():
                for name, value in figures.items():
                    totals.setdefault((day, None), {}).setdefault(name, 0)
                    totals[day, None][name] += value
            assert _figures(per_day) == totals
        period = parse.Period(*(dt.date.fromisoformat(day) for day in (start, end)), "")
        sql = OLD_REPS.format(
            closed="closed_at BETWEEN :start AND :end",
            created="created_at >= :start AND created_at < date(:end, '+1 day')",
            done="done_at BETWEEN :start AND :end",
        )
        old_reps = [dict(row) for row in conn.execute(sql, window)]
        assert analysis.rep_figures(conn, period) == old_reps, (start, end)
    all_time = OLD_REPS.format(closed="1", created="created_at IS NOT NULL", done="1")
    assert analysis.rep_figures(conn, None) == [dict(row) for row in conn.execute(all_time)]


def assert_exact(conn: sqlite3.Connection) -> None:
    assert kept(conn) == recomputed(conn)
    assert_reports_as_before(conn)


# ---------------------------------------------------------------- any write, in SQL


@pytest.fixture
def shop(tmp_path: Path) -> sqlite3.Connection:
    """A migrated file with two reps and two customers, autocommit."""
    conn = store.connect(tmp_path / "figures.db", create=True)
    conn.isolation_level = None
    for rep in (1, 2):
        conn.execute("INSERT INTO rep (id, handle, created_at) VALUES (?, ?, ?)", [rep, f"rep{rep}", NOON])
    for customer in (1, 2):
        conn.execute(
            "INSERT INTO customer (id, name, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [customer, f"c{customer}", customer, NOON, NOON],
        )
    return conn


owners = st.sampled_from([None, 1, 2])
days = st.sampled_from([None, "2026-11-01", "2026-11-02", "2026-11-23"])
DEAL_COLUMNS = {
    "owner_id": owners,
    "stage_id": st.integers(1, 7),
    "closed_at": days,
    "amount": st.integers(0, 1000),
    "cost": st.one_of(st.none(), st.integers(0, 500)),
    "quantity": st.integers(1, 3),
    "created_at": st.sampled_from(["2026-10-01 09:00:00", NOON]),
}
ACTIVITY_COLUMNS = {"owner_id": owners, "done_at": days, "score": st.one_of(st.none(), st.integers(1, 5))}
CUSTOMER_COLUMNS = {"owner_id": owners, "created_at": st.sampled_from([None, "2026-10-01 09:00:00", NOON])}
operation = st.one_of(
    st.tuples(st.just("deal"), st.fixed_dictionaries(DEAL_COLUMNS)),
    st.tuples(st.just("activity"), st.fixed_dictionaries(ACTIVITY_COLUMNS)),
    st.tuples(st.just("customer"), st.fixed_dictionaries(CUSTOMER_COLUMNS)),
    st.tuples(st.just("edit"), st.sampled_from(["deal", "activity", "customer"]), st.integers(0, 20),
              st.sampled_from(list(DEAL_COLUMNS) + ["done_at", "score"]), st.data()),
    st.tuples(st.just("delete"), st.sampled_from(["deal", "activity", "customer"]), st.integers(0, 20)),
)
REQUIRED = {
    "deal": {"title": "d", "customer_id": 1},
    "activity": {"type": "call", "customer_id": 1, "created_at": NOON},
    "customer": {"updated_at": NOON},
}
EDITABLE = {"deal": DEAL_COLUMNS, "activity": ACTIVITY_COLUMNS, "customer": CUSTOMER_COLUMNS}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, max_size=25))
def test_any_sequence_of_writes_keeps_them_exact(shop, operations):
    for table in ("activity", "deal", "customer WHERE id > 2"):
        shop.execute(f"DELETE FROM {table}")
    for number, op in enumerate(operations):
        if op[0] in EDITABLE:
            row = op[1] | REQUIRED[op[0]] | ({"name": f"n{number}"} if op[0] == "customer" else {})
            marks = ", ".join("?" * len(row))
            shop.execute(f"INSERT INTO {op[0]} ({', '.join(row)}) VALUES ({marks})", list(row.values()))
            continue
        table, pick = op[1], op[2]
        ids = [r[0] for r in shop.execute(f"SELECT id FROM {table} WHERE id > {2 if table == 'customer' else 0}")]
        if not ids:
            continue
        chosen = ids[pick % len(ids)]
        if op[0] == "delete":
            shop.execute(f"DELETE FROM {table} WHERE id = ?", [chosen])
        elif op[3] in EDITABLE[table]:
            value = op[4].draw(EDITABLE[table][op[3]])
            shop.execute(f"UPDATE {table} SET {op[3]} = ? WHERE id = ?", [value, chosen])
        assert kept(shop) == recomputed(shop), op
    assert_reports_as_before(shop)


def test_an_outer_conflict_clause_keeps_them_exact(shop):
    shop.execute("INSERT INTO activity (id, customer_id, type, owner_id, done_at, score, created_at) "
                 "VALUES (9, 1, 'call', 1, '2026-11-02', 5, ?)", [NOON])
    shop.execute("INSERT OR IGNORE INTO activity (id, customer_id, type, owner_id, done_at, created_at) "
                 "VALUES (9, 1, 'call', 2, '2026-11-03', ?)", [NOON])
    assert kept(shop)["_activity_day"] == [("2026-11-02", 1, 1, 1, 1)]
    shop.execute("INSERT OR REPLACE INTO activity (id, customer_id, type, owner_id, done_at, created_at) "
                 "VALUES (9, 1, 'call', 2, '2026-11-03', ?)", [NOON])
    assert kept(shop)["_activity_day"] == [("2026-11-03", 2, 1, 0, 0)] and kept(shop) == recomputed(shop)


def test_a_stage_changing_kind_needs_no_rebuild(shop):
    shop.execute("INSERT INTO deal (title, customer_id, amount, stage_id, owner_id, created_at, closed_at) "
                 "VALUES ('d', 1, 500, 3, 1, ?, '2026-11-02')", [NOON])
    shop.execute("UPDATE stage SET kind = 'won' WHERE id = 3")
    (rep,) = [r for r in analysis.rep_figures(shop, None, 1)]
    assert (rep["won_deals"], rep["revenue"], rep["open_weighted_raw"]) == (1, 500, 0)
    assert_reports_as_before(shop)


# ---------------------------------------------------------------- every command that writes


def test_commands_import_merge_reassign_undo_and_redo_keep_them_exact(cli, isolated, tmp_path):
    cli("demo", "--customers", "20")  # the bulk load: triggers off, the tables filled in one pass
    conn = sqlite3.connect(isolated, isolation_level=None)  # autocommit: no snapshot held between reads
    assert kept(conn)["_deal_day"] and kept(conn)["_activity_day"] and kept(conn)["_customer_day"]
    assert_exact(conn)
    handles = [row[0] for row in conn.execute("SELECT handle FROM rep ORDER BY id")]
    cli("customer", "add", "Zeta Works", "--owner", handles[0])
    cli("deal", "add", "Pumps", "-c", "Zeta Works", "--amount", "1200", "--cost", "700", "-q", "3")
    deal = str(conn.execute("SELECT max(id) FROM deal").fetchone()[0])
    cli("deal", "win", deal)
    cli("activity", "log", "Zeta Works", "-t", "call", "-s", "Thanks")
    assert_exact(conn)
    cli("deal", "edit", deal, "--amount", "1500", "--owner", handles[1])
    cli("deal", "move", deal, "proposal")  # reopened
    cli("deal", "lose", deal, "--reason", "price")
    assert_exact(conn)
    cli("undo")
    cli("undo")
    assert_exact(conn)
    cli("undo", "--redo")
    assert_exact(conn)
    exported = tmp_path / "deals.csv"
    cli("export", "deals", "-o", str(exported))
    lines = exported.read_text().splitlines()
    header = lines[0].split(",")
    amount = header.index("amount")
    changed = [",".join(cell if i != amount else "99999" for i, cell in enumerate(line.split(","))) for line in lines[1:4]]
    exported.write_text("\n".join([lines[0], *changed]) + "\n")
    cli("import", "deals", str(exported), "--on-conflict", "update")
    assert_exact(conn)
    customers = tmp_path / "customers.csv"
    customers.write_text(f"name,created_at,owner\nNew One,2026-11-20 09:00:00,{handles[2]}\nNew Two,,\n")
    cli("import", "customers", str(customers))
    activities = tmp_path / "activities.csv"
    activities.write_text("customer,type,done_at,score\nNew One,call,2026-11-21,5\nNew Two,email,2026-11-22,\n")
    cli("import", "activities", str(activities))
    assert_exact(conn)
    cli("undo")
    assert_exact(conn)
    cli("customer", "merge", "New One", "Zeta Works")
    assert_exact(conn)
    cli("rep", "deactivate", handles[0], "--reassign-to", handles[1])
    assert_exact(conn)
    cli("undo")
    assert_exact(conn)
    cli("customer", "delete", "Zeta Works", "--cascade", "--yes")
    assert_exact(conn)
    cli("undo")
    cli("deal", "delete", deal, "--yes")
    assert_exact(conn)
    cli("undo")
    cli("undo", "--redo")
    assert_exact(conn)
