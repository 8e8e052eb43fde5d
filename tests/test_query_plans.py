"""The queries that must stay fast at 1,000,000 activities and 250,000 deals read through
indexes, never a full pass over ``activity`` or ``deal`` (SPEC §9); the reports that do
need a full pass (funnel, targets, search) make it as cheap as it can be.

SQLite's plan does not depend on how many rows there are (the file has no ANALYZE
statistics), so a small demo file shows the plan the reference-scale file gets.
``assert_uses_index`` checks one query; the ``*_as_run`` tests trace what the real
commands send to SQLite and check every query they run.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner
from dbcheck import traced_statements

from salescli import demo, store
from salescli.cli import app
from salescli.store import bulk, dialect, lines, reporting, schema

BIG_TABLES = ("activity", "deal")
_NOT_AN_ALIAS = {
    "on", "where", "join", "left", "inner", "cross", "natural", "indexed", "not", "group", "order", "limit",
    "using", "union", "outer", "window", "having",
}
_TABLE_REFERENCE = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", re.IGNORECASE)


def query_plan(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> list[str]:
    """The ``EXPLAIN QUERY PLAN`` lines of ``sql``."""
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def table_names(sql: str) -> dict[str, str]:
    """What each name in ``FROM``/``JOIN`` stands for: alias → table, table → table."""
    names: dict[str, str] = {}
    for table, alias in _TABLE_REFERENCE.findall(sql):
        names[table.lower()] = table.lower()
        if alias and alias.lower() not in _NOT_AN_ALIAS:
            names[alias.lower()] = table.lower()
    return names


def full_scans(conn: sqlite3.Connection, sql: str, params: tuple = (), tables: tuple[str, ...] = BIG_TABLES) -> list[str]:
    """The plan lines that read the whole of one of ``tables`` (or the whole of one of its indexes)."""
    names = table_names(sql)
    scans = []
    for line in query_plan(conn, sql, params):
        words = line.split()
        if len(words) >= 2 and words[0] == "SCAN" and names.get(words[1].lower(), words[1].lower()) in tables:
            scans.append(line)
    return scans


def assert_uses_index(conn: sqlite3.Connection, sql: str, params: tuple = (), *, index: str | None = None) -> None:
    """``sql`` reads ``activity`` and ``deal`` only through indexes (``index`` among them)."""
    plan = query_plan(conn, sql, params)
    scans = full_scans(conn, sql, params)
    assert not scans, f"full scan {scans} in the plan {plan} of:\n{sql}"
    if index is not None:
        assert any(re.search(rf"\bINDEX {index}\b", line) for line in plan), f"{index} not used: {plan} for:\n{sql}"


@pytest.fixture(scope="module")
def small_file(tmp_path_factory) -> Path:
    """A demo business of 400 customers (1,000 deals, 4,000 activities)."""
    path = tmp_path_factory.mktemp("plans") / "small.db"
    conn = store.connect(path, create=True)
    with bulk.fast_writes(conn), store.transaction(conn):
        demo.fill(conn, demo.scaled(400), seed=1, today=dt.date(2026, 11, 23))
    conn.close()
    return path


@pytest.fixture
def conn(small_file) -> sqlite3.Connection:
    return sqlite3.connect(small_file)


# ---------------------------------------------------------------- the helper itself


def test_the_check_catches_a_full_scan(conn):
    with pytest.raises(AssertionError, match="full scan"):
        assert_uses_index(conn, "SELECT count(*) FROM activity a WHERE a.summary = ?", ("x",))
    with pytest.raises(AssertionError, match="full scan"):
        assert_uses_index(conn, "SELECT id FROM deal ORDER BY amount")
    with pytest.raises(AssertionError, match="deal_stage not used"):
        assert_uses_index(conn, "SELECT id FROM deal d WHERE d.customer_id = ?", (1,), index="deal_stage")
    assert table_names("SELECT 1 FROM activity a JOIN deal AS d ON d.id = a.deal_id LEFT JOIN rep r ON 1 WHERE 1") == {
        "activity": "activity", "a": "activity", "deal": "deal", "d": "deal", "rep": "rep", "r": "rep",
    }


# ---------------------------------------------------------------- the key queries

DUE_SQL = """
SELECT f.id, f.due, f.type, f.summary, f.deal_id, f.customer, r.handle AS owner
FROM _open_follow_up f
LEFT JOIN rep r ON r.id = f.owner_id
WHERE f.due <= ?
ORDER BY f.due, f.id
"""
OPEN_DUE_SQL = """
SELECT a.id, a.due, a.type, a.summary, a.deal_id, c.name AS customer, r.handle AS owner
FROM activity a INDEXED BY activity_open_due
JOIN customer c ON c.id = a.customer_id
LEFT JOIN rep r ON r.id = a.owner_id
WHERE a.done_at IS NULL AND a.due <= ?
ORDER BY a.due, a.id
"""


def test_due_follow_ups_read_their_table_in_order(conn):
    """``report due`` reads the open follow-ups due by a day from ``_open_follow_up`` in
    its key's order (due, id), with their customer names: no customer looked up, no sort."""
    for sql, params in ((DUE_SQL, ("2026-11-30",)), (DUE_SQL.replace("f.due <= ?", "f.due <= ? AND f.owner_id = ?"), ("2026-11-30", 2))):
        plan = query_plan(conn, sql, params)
        assert plan[0] == "SEARCH f USING PRIMARY KEY (due<?)", plan
        assert not any("TEMP B-TREE" in line or "customer" in line for line in plan), plan


def test_due_tsv_lines_read_their_table_in_order(conn, monkeypatch):
    """``report due -f tsv`` has SQLite make the lines of a thousand follow-ups at a time as
    it reads ``_open_follow_up`` in its key's order, up to a key and then from it: no sort,
    so the lines are joined in due order."""
    monkeypatch.setattr(lines, "BATCH", 7)
    statements = []
    conn.set_trace_callback(statements.append)
    for owner in (None, 2):
        list(reporting.due_activity_lines(
            conn, dt.date(2026, 11, 23), dt.date(2027, 11, 30), owner, kinds=["text", "id", "date", "int", "text", "id", "text", "text", "text"], risky="=+-@"
        ))
    conn.set_trace_callback(None)
    follow_ups = [sql for sql in statements if "_open_follow_up" in sql]
    assert len(follow_ups) > 4 and any("(f.due, f.id) > (" in sql for sql in follow_ups)
    for sql in follow_ups:
        plan = query_plan(conn, sql)
        assert plan[0] in (
            "SEARCH f USING PRIMARY KEY (due<?)", "SEARCH f USING PRIMARY KEY ((due,id)>(?,?) AND due<?)",
            "SEARCH f USING PRIMARY KEY ((due,id)<(?,?))", "SEARCH f USING PRIMARY KEY ((due,id)>(?,?) AND (due,id)<(?,?))",
        ), plan
        assert not any("TEMP B-TREE" in line or "customer" in line for line in plan), plan


def test_open_follow_ups_read_the_open_due_index(conn):
    assert_uses_index(conn, OPEN_DUE_SQL, ("2026-11-30",), index="activity_open_due")
    assert_uses_index(conn, OPEN_DUE_SQL.replace("a.due <= ?", "a.due <= ? AND a.owner_id = ?"), ("2026-11-30", 2),
                      index="activity_open_due")
    # already in due order: no sorting of the rows
    assert not any("TEMP B-TREE" in line for line in query_plan(conn, OPEN_DUE_SQL, ("2026-11-30",)))


def test_without_indexed_by_the_due_query_may_take_another_index(conn):
    """Left to itself SQLite (3.40) reads ``done_at IS NULL`` from ``activity_done`` — every
    open follow-up, then a sort — rather than the partial index; the due query names its
    index. (This documents the planner; it is not a rule for the code.)"""
    plan = query_plan(conn, OPEN_DUE_SQL.replace("INDEXED BY activity_open_due", ""), ("2026-11-30",))
    assert not full_scans(conn, OPEN_DUE_SQL.replace("INDEXED BY activity_open_due", ""), ("2026-11-30",))
    assert any("activity_open_due" in line or "activity_done" in line for line in plan)


def test_deals_by_stage_read_the_stage_index(conn):
    assert_uses_index(conn, "SELECT d.id, d.title, d.amount FROM deal d WHERE d.stage_id = ?", (4,), index="deal_stage")
    assert_uses_index(
        conn, "SELECT d.id FROM deal d WHERE d.stage_id = ? AND d.owner_id = ?", (4, 2), index="deal_stage"
    )
    open_deals = (
        "SELECT d.id, d.amount, s.probability FROM deal d JOIN stage s ON s.id = d.stage_id WHERE s.kind = 'open'"
    )
    assert_uses_index(conn, open_deals, index="deal_stage")
    assert_uses_index(conn, open_deals + " AND d.owner_id = ?", (2,))  # deal_owner serves it as well


def test_period_queries_read_their_date_indexes(conn):
    assert_uses_index(
        conn,
        "SELECT d.closed_at, count(*), sum(d.amount) FROM deal d JOIN stage s ON s.id = d.stage_id "
        "WHERE s.kind = 'won' AND d.closed_at BETWEEN ? AND ? GROUP BY d.closed_at",
        ("2026-11-01", "2026-11-30"),
    )
    assert_uses_index(
        conn, "SELECT count(*) FROM activity WHERE done_at BETWEEN ? AND ?", ("2026-11-01", "2026-11-30"),
        index="activity_done",
    )
    assert_uses_index(
        conn, "SELECT count(*) FROM deal WHERE created_at >= ? AND created_at < ?", ("2026-10-01", "2027-01-01"),
        index="deal_created",
    )
    assert_uses_index(
        conn, "SELECT stage_id, entered_on FROM stage_history WHERE deal_id = ? ORDER BY entered_on", (7,),
        index="stage_history_deal",
    )
    assert_uses_index(conn, "SELECT * FROM activity WHERE customer_id = ? ORDER BY done_at", (7,), index="activity_customer")


# ---------------------------------------------------------------- the queries the commands run


def traced(monkeypatch, small_file: Path, *args: str, fmt: str = "tsv") -> list[str] | None:
    """The SELECTs that ``salescli --db small_file ARGS --format FMT`` runs (None: no such command yet)."""
    statements = traced_statements(monkeypatch)
    result = CliRunner().invoke(app, ["--db", str(small_file), *args, "--format", fmt])
    if result.exit_code == 2 and "No such command" in result.stderr:
        return None
    assert result.exit_code in (0, 1), result.stderr
    return [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]


@pytest.mark.parametrize("args", [("report", "due"), ("report", "due", "--days", "400"), ("report", "due", "--owner", "bob")])
def test_report_due_as_run(monkeypatch, small_file, conn, args):
    statements = traced(monkeypatch, small_file, *args)
    if statements is None:
        pytest.skip("`salescli report due` is not available yet")
    for sql in statements:
        assert not full_scans(conn, sql), f"{' '.join(args)} scans: {full_scans(conn, sql)} in\n{sql}"
    # the follow-ups, with their customers' names, read in order from their own table (in
    # TSV, which this runs: a thousand at a time, by key)
    plans = [query_plan(conn, sql) for sql in statements if "_open_follow_up" in sql]
    assert plans and all(plan[0].startswith("SEARCH f USING PRIMARY KEY (") for plan in plans), plans
    assert not any("TEMP B-TREE" in line or "customer" in line for plan in plans for line in plan), plans


def test_deal_list_by_stage_as_run(monkeypatch, small_file, conn):
    statements = traced(monkeypatch, small_file, "deal", "list", "--stage", "proposal")
    if statements is None:
        pytest.skip("`salescli deal list` is not available yet")
    deal_queries = [sql for sql in statements if "deal" in table_names(sql).values()]
    assert deal_queries
    for sql in deal_queries:
        assert not full_scans(conn, sql), f"deal list --stage scans: {full_scans(conn, sql)} in\n{sql}"
    assert any("deal_stage" in " ".join(query_plan(conn, sql)) for sql in deal_queries)


def test_rep_list_as_run(monkeypatch, small_file, conn):
    """The tracing itself, on a command that exists from the start: counting each rep's open
    deals looks them up by owner."""
    statements = traced(monkeypatch, small_file, "rep", "list")
    assert statements and any("deal" in table_names(sql).values() for sql in statements)
    for sql in statements:
        assert not full_scans(conn, sql), f"rep list scans: {full_scans(conn, sql)} in\n{sql}"


# ---------------------------------------------------------------- the reports' heavier queries
#
# The funnel and the targets read every deal or a quarter of the activities: a full pass
# is right for them, so what is checked is that the pass costs as little as it can —
# covering indexes (no row fetched from the table behind them), grouping in index order
# (no sort), no window over the whole stage history.


def plans_of(conn, statements: list[str]) -> list[tuple[str, list[str]]]:
    return [(sql, query_plan(conn, sql)) for sql in statements]


AGGREGATES = ("_funnel", "_funnel_stay", "_forecast")


def aggregate_reads(plans: list[tuple[str, list[str]]]) -> list[str]:
    """The plan lines that read one of m010's aggregates."""
    return [line for _, plan in plans for line in plan if re.search(rf"\b({'|'.join(AGGREGATES)})\b", line)]


@pytest.mark.parametrize("args", [(), ("--owner", "bob"), ("--period", "2026-Q4"), ("--period", "2026-11-05..2026-11-20")])
def test_report_funnel_as_run(monkeypatch, small_file, conn, args):
    """The funnel reads the aggregates (migration m010) by owner and creation day, and
    neither a deal nor its history."""
    statements = traced(monkeypatch, small_file, "report", "funnel", *args)
    plans = plans_of(conn, statements)
    tables = {table for sql in statements for table in table_names(sql).values()}
    assert not tables & {"deal", "stage_history", "_stage_stay"}, statements
    reads = aggregate_reads(plans)
    assert len(reads) == 2 and all(re.search(r"^SEARCH \w+ USING PRIMARY KEY \(owner=\?", line) for line in reads), reads
    if args[:1] == ("--period",):
        assert all("created>? AND created<?" in line for line in reads), reads
    assert not any(re.search(r"\bOVER\s*\(", sql, re.IGNORECASE) for sql in statements), "no window over the history"


@pytest.mark.parametrize("args", [(), ("--owner", "bob")])
def test_report_forecast_as_run(monkeypatch, small_file, conn, args):
    """The forecast reads the open stages' rows of ``_forecast`` (migration m010), and the
    deals won this month by their close date: never every open deal."""
    statements = traced(monkeypatch, small_file, "report", "forecast", *args)
    plans = plans_of(conn, statements)
    reads = aggregate_reads(plans)
    assert reads and all(re.search(r"^SEARCH \w+ USING PRIMARY KEY \(owner=\? AND stage_id=\?\)", line) for line in reads), reads
    (won,) = [(sql, plan) for sql, plan in plans if {"deal", "stage"} <= set(table_names(sql).values())]
    index = "deal_owner (owner_id=?)" if args else "deal_closed (closed_at>? AND closed_at<?)"
    assert any(f"USING INDEX {index}" in line for line in won[1]), won


DAILY_FIGURES = ("_deal_day", "_customer_day", "_activity_day")


@pytest.mark.parametrize(
    "args",
    [
        ("report", "targets"),
        ("report", "targets", "--rep", "bob"),
        ("report", "trend"),
        ("report", "trend", "--owner", "bob"),
        ("report", "reps", "--period", "2026-11"),
        ("report", "reps", "--period", "2026-11", "--rep", "bob"),
        ("report", "reps"),
    ],
)
def test_targets_trend_and_reps_read_only_the_daily_figures(monkeypatch, small_file, conn, args):
    """No deal, customer or activity is read: only the daily figures per owner (migration
    m011). The targets and the trend read them over their days through the key (``day``
    leads it); the reps read them whole (the open pipeline is in them whatever the
    period): a few rows per day and rep."""
    statements = traced(monkeypatch, small_file, *args)
    if statements is None:
        pytest.skip(f"`salescli {' '.join(args)}` is not available yet")
    reading = [sql for sql in statements if set(table_names(sql).values()) & set(DAILY_FIGURES)]
    assert reading
    for sql in statements:
        assert not set(table_names(sql).values()) & {"deal", "customer", "activity", "stage_history"}, sql
    ranged = args[1] != "reps"
    for sql in reading:
        plan = query_plan(conn, sql)
        reads = [line for line in plan if re.match(rf"(SCAN|SEARCH) ({'|'.join(DAILY_FIGURES)}|d)\b", line)]
        assert reads, plan
        for line in reads:
            assert not ranged or re.search(r"^SEARCH \w+ USING PRIMARY KEY \(day>\? AND day<\?\)", line), (line, sql)


@pytest.mark.parametrize("args", [(), ("--owner", "bob")])
def test_uncontacted_leads_come_from_the_few_customers_without_activity(monkeypatch, small_file, conn, args):
    """Not a pass over the customers: only those in ``_uncontacted`` (migration m009) are
    read, each by key; no activity is read at all."""
    statements = traced(monkeypatch, small_file, "report", "due", *args)
    if statements is None:
        pytest.skip("`salescli report due` is not available yet")
    (sql,) = [sql for sql in statements if "_uncontacted" in sql]
    plan = query_plan(conn, sql)
    assert [line for line in plan if line.startswith("SCAN")] == ["SCAN u"], plan
    assert "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    assert "SEARCH d USING INDEX deal_customer (customer_id=?)" in plan, plan  # not every won deal
    assert "activity" not in table_names(sql).values()


@pytest.mark.parametrize("args", [(), ("--owner", "bob"), ("--days", "0")])
def test_report_stale_as_run(monkeypatch, small_file, conn, args):
    """The most idle open deals first, one range of ``_stale_deal`` (migration m016) in
    the order it is stored, up to the first one not idle long enough: no sort, no pass
    over anything, and neither a deal, a customer, an activity nor the history read at
    all; only the stage and the owner looked up by key."""
    statements = traced(monkeypatch, small_file, "report", "stale", *args)
    if statements is None:
        pytest.skip("`salescli report stale` is not available yet")
    (sql,) = [sql for sql in statements if "_stale_deal" in sql]
    plan = query_plan(conn, sql)
    assert plan == [
        "SEARCH i USING PRIMARY KEY (since<?)",
        "SEARCH s USING INTEGER PRIMARY KEY (rowid=?)",
        "SEARCH r USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN",
    ], plan
    assert set(table_names(sql).values()) == {"_stale_deal", "stage", "rep"}


def test_customer_search_as_run(monkeypatch, small_file, conn):
    """One pass over the customers (a substring can be anywhere in six columns); their
    tags and owner looked up by key, only for the customers found; nothing else read."""
    statements = traced(monkeypatch, small_file, "customer", "list", "--search", "golden river")
    if statements is None:
        pytest.skip("`salescli customer list` is not available yet")
    (sql,) = [sql for sql in statements if "LIKE" in sql]
    plan = query_plan(conn, sql)
    assert [line for line in plan if line.startswith("SCAN")] == ["SCAN c"], plan
    assert "SEARCH t USING PRIMARY KEY (customer_id=?)" in plan and "SEARCH r USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN" in plan
    assert not set(table_names(sql).values()) & {"activity", "deal", "stage_history"}


# ---------------------------------------------------------------- listings and analysis reports
#
# A table shows 50 rows: it fetches those (LIMIT) and counts the rest in SQL, from an
# index alone, rather than reading and formatting every row.


@pytest.mark.parametrize(
    "args",
    [("activity", "list"), ("activity", "list", "--done"), ("deal", "list"), ("deal", "list", "--open"),
     ("customer", "list")],
)
def test_listings_to_a_table_fetch_only_the_rows_shown(monkeypatch, small_file, conn, args):
    statements = traced(monkeypatch, small_file, *args, fmt="table")
    table = args[0]
    listed = [sql for sql in statements if re.search(rf"\bFROM {table}\b", sql) and "count(" not in sql]
    counted = [sql for sql in statements if re.search(rf"SELECT count\(\*\) FROM {table}\b", sql)]
    assert listed and all(re.search(r"\bLIMIT \d+\s*$", sql) for sql in listed), listed
    assert counted
    for sql in counted:
        plan = query_plan(conn, sql)
        reads = [line for line in plan if line.split()[0] in ("SCAN", "SEARCH") and line.split()[1] in (table, table[0])]
        assert reads and all("COVERING INDEX" in line for line in reads), plan  # never a row of the table


@pytest.mark.parametrize("command", [("report", "customers"), ("customer", "classify")])
def test_customer_tiers_read_the_ranking_in_order(monkeypatch, small_file, conn, command):
    """Of all time, everything comes from ``_customer_rank`` (migration m014) read in the
    order of its primary key: no sort, no deal, no customer, no lookup; the names NOCASE
    sorts unlike casefold from a partial index."""
    statements = traced(monkeypatch, small_file, *command, fmt="table")
    reads = [(sql, query_plan(conn, sql)) for sql in statements if "_customer_rank" in sql]
    assert len(reads) == 3  # the revenue levels, the inexact names, the rest in order
    assert not any({"deal", "customer", "_customer_won"} & set(table_names(sql).values()) for sql in statements)
    (levels,) = [plan for sql, plan in reads if "k.exact" not in sql]
    (inexact,) = [plan for sql, plan in reads if "NOT k.exact" in sql]
    (ranked,) = [plan for sql, plan in reads if "WHERE k.exact" in sql]
    assert levels == ["SCAN _customer_rank USING COVERING INDEX _customer_rank_level"], levels  # no sort
    assert inexact == ["SCAN k USING INDEX _customer_rank_inexact"], inexact
    assert ranked == ["SCAN k"], ranked


def test_a_range_of_customers_is_ranked_again_through_its_ids(conn):
    """An import, undo or redo of a range of customers works out their ``_customer_rank``
    rows (``schema.KEPT_BY_RANGE``) from the range alone: its ids in the ranking's index by
    customer and in ``customer``, one look-up each of the revenue won, one sort into the
    ranking's order."""
    rank = schema.KEPT_BY_RANGE["customer"][0]
    (delete,), (_, insert) = rank.taken, rank.added
    bounds = {"first": 10, "last": 20}
    dialect.regexp(conn)  # what the store gives its connection for these statements
    assert query_plan(conn, delete, bounds) == [
        "SEARCH _customer_rank USING COVERING INDEX _customer_rank_customer (customer_id>? AND customer_id<?)"
    ]
    assert query_plan(conn, insert, bounds) == [
        "SEARCH c USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
        "SEARCH w USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN",
        "USE TEMP B-TREE FOR ORDER BY",
    ]


def test_a_range_of_customers_is_counted_in_and_out_through_its_ids(conn):
    """The tallies and lists kept by range (``schema.KEPT_BY_RANGE``) read the range's
    customers by id, once per sum (no other customer); whether deals or activities name one
    of them is one index range each."""
    bounds = {"first": 10, "last": 20}
    dialect.regexp(conn)
    for kept in schema.KEPT_BY_RANGE["customer"][1:]:
        for sql in (*kept.added, *kept.taken):
            plan = query_plan(conn, sql, bounds)
            # the range's sums, grouped once (``schema._summed``), are read twice
            reads = [line for line in plan if line.startswith(("SEARCH", "SCAN")) and line != "SCAN summed"]
            if "FROM customer" in sql:
                assert all(
                    line.startswith(("SEARCH c USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
                                     "SEARCH customer USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
                                     "SEARCH a USING COVERING INDEX activity_customer (customer_id=?)"))
                    for line in reads
                ), (sql, plan)
            elif sql.startswith("DELETE FROM _customer_day"):  # one row a day and owner
                assert reads == ["SCAN _customer_day"], plan
            else:
                assert all(line.startswith("SEARCH") for line in reads), (sql, plan)
    idle = [kept.idle for kept in schema.KEPT_BY_RANGE["customer"] if kept.idle]
    assert [query_plan(conn, sql, bounds)[-1] for sql in idle] == [
        "SEARCH deal USING COVERING INDEX deal_customer (customer_id>? AND customer_id<?)",
        "SEARCH activity USING COVERING INDEX activity_customer (customer_id>? AND customer_id<?)",
    ]


def test_a_range_of_the_ranking_is_deleted_one_row_at_a_time_in_its_order(conn):
    """Undoing an import: the range's rows of ``_customer_rank`` found through its customer
    index and sorted into the ranking's order, then deleted one by one in that order."""
    ranking = schema.KEPT_BY_RANGE["customer"][0]
    assert query_plan(conn, ranking.keys_in_order, {"first": 10, "last": 20}) == [
        "SEARCH _customer_rank USING COVERING INDEX _customer_rank_customer (customer_id>? AND customer_id<?)",
        "USE TEMP B-TREE FOR ORDER BY",
    ]
    assert query_plan(conn, ranking.delete_by_key, [1]) == [
        "SEARCH _customer_rank USING COVERING INDEX _customer_rank_customer (customer_id=?)"
    ]


def test_customer_tiers_for_one_owner_run_the_sum_over_everyone(monkeypatch, small_file, conn):
    """Of all time, the running sum goes over every customer read in order, and the store
    keeps the owner's; in a period, a window runs it in SQL before the owner's are kept."""
    of_all_time = traced(monkeypatch, small_file, "report", "customers", "--owner", "bob")
    (ranked,) = [sql for sql in of_all_time if "WHERE k.exact" in sql]
    assert "owner_id" not in ranked.split("WHERE")[1]
    in_period = traced(monkeypatch, small_file, "report", "customers", "--owner", "bob", "--period", "2026")
    (ranked,) = [sql for sql in in_period if "ORDER BY c.revenue DESC" in sql]
    assert " OVER (" in ranked and re.search(r"WHERE c.owner_id = \d+", ranked)


@pytest.mark.parametrize("args", [(), ("--owner", "bob")])
def test_receivables_read_only_the_customers_owing(monkeypatch, small_file, conn, args):
    """The customers with a won deal not paid in full, from the partial index
    ``_deal_owed_unpaid`` (migration m012); their won deals from ``_deal_owed_customer``
    alone; no deal or payment read."""
    statements = traced(monkeypatch, small_file, "report", "receivables", *args)
    (sql,) = [sql for sql in statements if "_deal_owed" in sql]
    conn.create_function("casefold", 1, str.casefold)  # what the store gives its connection
    plan = query_plan(conn, sql)
    assert "SCAN _deal_owed USING INDEX _deal_owed_unpaid" in plan, plan
    assert "SEARCH _deal_owed USING COVERING INDEX _deal_owed_customer (customer_id=?)" in plan, plan
    assert [line for line in plan if line.startswith("SCAN")] == ["SCAN _deal_owed USING INDEX _deal_owed_unpaid"], plan
    assert not {"deal", "payment"} & set(table_names(sql).values())


@pytest.mark.parametrize("args", [(), ("--owner", "bob"), ("--period", "2026-Q4")])
def test_sources_read_the_channel_aggregates(monkeypatch, small_file, conn, args):
    """Report sources reads the channels' aggregates (migration m010) by owner (and day),
    never a customer or a deal."""
    statements = traced(monkeypatch, small_file, "report", "sources", *args)
    (sql,) = [sql for sql in statements if "_source_closed" in sql]
    assert not {"customer", "deal"} & set(table_names(sql).values()), sql
    reads = [line for line in query_plan(conn, sql) if re.search(r"\b_source_\w+", line)]
    assert len(reads) == 3 and all(line.startswith("SEARCH") and "PRIMARY KEY (owner=?" in line for line in reads), reads


def test_an_import_writes_each_batch_from_its_own_range_of_the_spool():
    """The write takes each batch of planned rows from the spool by rowid (a SEARCH of that
    range), never by reading the whole spool again for every batch."""
    from salescli.store import transfer

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE customer_tag (customer_id INTEGER, tag TEXT)")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name, owner_id, created_at)")
    spool = transfer.Spool(conn)
    spool.add("create", ["id", "name", "owner_id", "created_at"], [(n, '["vip"]', False, None, f"c{n}", 1, "x") for n in range(10)])
    spool.add("update", ["name"], [(n, None, False, f"u{n}") for n in range(10)])
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    spool.new_ids(1, 3, 6, extra=True)
    spool.insert("t", 1, 3, 6, (0, 99))
    spool.insert_extras("customer_tag", 1, 3, 6, (0, 99))
    spool.first_contacts(1, 3, 6, 2, 3)
    spool.rows("update", 3, 6)
    conn.set_trace_callback(None)
    reads = [sql for sql in statements if "spool.plans_" in sql]
    assert len(reads) == 5
    for sql in reads:
        plan = query_plan(conn, sql)
        assert plan[0].endswith("USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"), (sql, plan)
        assert not [line for line in plan if line.startswith("SCAN") and "VIRTUAL TABLE" not in line], (sql, plan)
    assert query_plan(conn, "SELECT * FROM spool.plans_create")[0].startswith("SCAN")  # the check can fail
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (4,)
    conn.commit()  # (an import detaches its spool after the command's transaction)
    spool.close()
