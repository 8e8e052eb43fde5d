"""`report customers` (ABC tiers and RFM) and `customer classify [--apply]` (SPEC §6).

The business is ``analysis_data.scenario``; today is 2026-11-23.
Revenue won in 2026-Q4 per customer: Acme 7,000 (D1 4,000 + D2 3,000), Birch 1,000 (D3),
Cobalt 1,000 (D5), Dune 500 (D6), Fjord 300 (D7), Grove 200 (D9), Elm and Heath 0;
total 10,000.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
from analysis_data import Q4, scenario, snapshot

from salescli import store
from salescli.reports import analysis


def _book(cli, db):
    scenario(db)


@pytest.fixture
def book(any_store, copy_of):
    """The scenario's business, written once per test process and store and copied for each test."""
    return copy_of(_book)


def tiers(path) -> dict[str, str | None]:
    conn = store.connect(path)
    try:
        return dict(conn.execute("SELECT name, tier FROM customer ORDER BY name"))
    finally:
        conn.close()


def test_customers_q4_tiers_and_rfm(cli, book):
    report = cli.json("report", "customers", "--period", "2026-Q4")
    assert (report["report"], report["period"]) == ("customers", Q4)
    assert report["rows"] == [
        # Acme: nobody above it (0 % < 80 %) → A. Last won D2 11-20: 3 days ago; 2 deals.
        {"id": 1, "customer": "Acme", "owner": "alice", "tier": "A", "recency_days": 3, "frequency": 2,
         "monetary": 7000, "share": 0.7, "cumulative_share": 0.7},
        # Birch and Cobalt tie at 1,000: the customers ranked above either are Acme only,
        # 7,000 ÷ 10,000 = 70 % < 80 % → both A (listed by name). Counting Birch above Cobalt
        # would have made it 80 % → B: ties share their rank.
        # Birch: D3 won 10-01 → 53 days; Cobalt: D5 won 10-15 → 39 days.
        {"id": 2, "customer": "Birch", "owner": "alice", "tier": "A", "recency_days": 53, "frequency": 1,
         "monetary": 1000, "share": 0.1, "cumulative_share": 0.8},
        {"id": 3, "customer": "Cobalt", "owner": "bob", "tier": "A", "recency_days": 39, "frequency": 1,
         "monetary": 1000, "share": 0.1, "cumulative_share": 0.9},
        # Dune: above = 9,000 → 90 %: not below 80 %, below 95 % → B. D6 won 11-12 → 11 days.
        {"id": 4, "customer": "Dune", "owner": "bob", "tier": "B", "recency_days": 11, "frequency": 1,
         "monetary": 500, "share": 0.05, "cumulative_share": 0.95},
        # Fjord: above = 9,500 → exactly 95 %, not below → C. D7 won today → 0 days
        # (D8, won 09-01, is outside the period).
        {"id": 6, "customer": "Fjord", "owner": "bob", "tier": "C", "recency_days": 0, "frequency": 1,
         "monetary": 300, "share": 0.03, "cumulative_share": 0.98},
        # Grove: above = 9,800 → 98 % → C. D9 won 11-05 → 18 days.
        {"id": 7, "customer": "Grove", "owner": "carol", "tier": "C", "recency_days": 18, "frequency": 1,
         "monetary": 200, "share": 0.02, "cumulative_share": 1.0},
        # No revenue in the period: C, no recency.
        {"id": 5, "customer": "Elm", "owner": "carol", "tier": "C", "recency_days": None, "frequency": 0,
         "monetary": 0, "share": 0.0, "cumulative_share": 1.0},
        {"id": 8, "customer": "Heath", "owner": "dave", "tier": "C", "recency_days": None, "frequency": 0,
         "monetary": 0, "share": 0.0, "cumulative_share": 1.0},
    ]
    assert report["summary"] == {"customers": 8, "revenue": 10000, "tier_a": 3, "tier_b": 1, "tier_c": 4}


def test_customers_all_time(cli, book):
    report = cli.json("report", "customers")
    assert report["period"] is None
    # All won deals: Acme 7,000; Birch 1,000 + 2,000 (D4) = 3,000; Heath 2,500 (D10);
    # Grove 200 + 1,500 (D11) = 1,700; Fjord 300 + 800 (D8) = 1,100; Cobalt 1,000; Dune 500. Total 16,800.
    # Above: Acme 0 → A; Birch 7,000 (41.7 %) → A; Heath 10,000 (59.5 %) → A;
    # Grove 12,500 (74.4 %) → A; Fjord 14,200 (84.5 %) → B; Cobalt 15,300 (91.1 %) → B;
    # Dune 16,300 (97.0 %) → C; Elm no revenue → C.
    assert [(r["customer"], r["tier"], r["monetary"], r["frequency"], r["recency_days"]) for r in report["rows"]] == [
        ("Acme", "A", 7000, 2, 3),
        ("Birch", "A", 3000, 2, 53),  # last won D3 10-01
        ("Heath", "A", 2500, 1, 623),  # 2025-03-10 → 2026-11-23: 365 + 258
        ("Grove", "A", 1700, 2, 18),
        ("Fjord", "B", 1100, 2, 0),
        ("Cobalt", "B", 1000, 1, 39),
        ("Dune", "C", 500, 1, 11),
        ("Elm", "C", 0, 0, None),
    ]
    assert report["summary"] == {"customers": 8, "revenue": 16800, "tier_a": 4, "tier_b": 2, "tier_c": 2}


def test_customers_past_period_counts_recency_to_its_end(cli, book):
    report = cli.json("report", "customers", "--period", "2025")
    # Won in 2025: Heath 2,500 (03-10), Grove 1,500 (06-15); total 4,000.
    # Heath: above 0 → A; Grove: above 2,500 ÷ 4,000 = 62.5 % → A.
    # Recency to 2025-12-31: Heath 21 (rest of March) + 275 (Apr..Dec) = 296; Grove 15 + 184 = 199.
    assert report["rows"][:2] == [
        {"id": 8, "customer": "Heath", "owner": "dave", "tier": "A", "recency_days": 296, "frequency": 1,
         "monetary": 2500, "share": 0.625, "cumulative_share": 0.625},
        {"id": 7, "customer": "Grove", "owner": "carol", "tier": "A", "recency_days": 199, "frequency": 1,
         "monetary": 1500, "share": 0.375, "cumulative_share": 1.0},
    ]
    assert [r["customer"] for r in report["rows"][2:]] == ["Acme", "Birch", "Cobalt", "Dune", "Elm", "Fjord"]
    assert {r["tier"] for r in report["rows"][2:]} == {"C"}


def test_customers_owner_narrows_rows_but_not_the_tiers(cli, book):
    report = cli.json("report", "customers", "--period", "2026-Q4", "--owner", "bob")
    # bob's customers keep the tiers and shares they have in the whole book (total 10,000).
    assert [(r["customer"], r["tier"], r["share"], r["cumulative_share"]) for r in report["rows"]] == [
        ("Cobalt", "A", 0.1, 0.9),
        ("Dune", "B", 0.05, 0.95),
        ("Fjord", "C", 0.03, 0.98),
    ]
    # 1,000 + 500 + 300
    assert report["summary"] == {"customers": 3, "revenue": 1800, "tier_a": 1, "tier_b": 1, "tier_c": 1}


def test_customers_formats(cli, book):
    csv = cli("report", "customers", "--period", "2026-Q4", "-f", "csv").stdout.splitlines()
    assert csv[0] == "id,customer,owner,tier,recency_days,frequency,monetary,share,cumulative_share"
    assert csv[1] == "1,Acme,alice,A,3,2,7000.00,0.7,0.7"
    assert csv[7] == "5,Elm,carol,C,,0,0.00,0.0,1.0"
    plain = cli("report", "customers", "--period", "2026-Q4").stdout.splitlines()
    assert plain[0] == "Customers — 2026-Q4"
    assert plain[2].split() == ["1", "Acme", "alice", "A", "3", "2", "$7,000.00", "70.0%", "70.0%"]
    markdown = cli("report", "customers", "-p", "2026-Q4", "-f", "markdown").stdout
    assert "| Dune       | bob     | B" in markdown


def test_classify_shows_then_applies_then_is_a_no_op(cli, book):
    conn = store.connect(book)
    conn.execute("UPDATE customer SET tier = 'C' WHERE name = 'Elm'")  # already right: C
    conn.execute("UPDATE customer SET tier = 'A' WHERE name = 'Heath'")  # will become C
    conn.commit()
    conn.close()

    shown = cli.json("customer", "classify", "--period", "2026-Q4")
    assert (shown["report"], shown["period"]) == ("classify", Q4)
    assert shown["rows"][:2] == [
        {"id": 1, "customer": "Acme", "revenue": 7000, "share": 0.7, "cumulative_share": 0.7, "tier": "A",
         "current_tier": None},
        {"id": 2, "customer": "Birch", "revenue": 1000, "share": 0.1, "cumulative_share": 0.8, "tier": "A",
         "current_tier": None},
    ]
    assert shown["rows"][-2:] == [
        {"id": 5, "customer": "Elm", "revenue": 0, "share": 0.0, "cumulative_share": 1.0, "tier": "C",
         "current_tier": "C"},
        {"id": 8, "customer": "Heath", "revenue": 0, "share": 0.0, "cumulative_share": 1.0, "tier": "C",
         "current_tier": "A"},
    ]
    # 8 customers, Elm already C: 7 would change
    assert shown["summary"] == {"customers": 8, "revenue": 10000, "tier_a": 3, "tier_b": 1, "tier_c": 4, "changes": 7}
    assert tiers(book)["Acme"] is None  # showing writes nothing

    applied = cli("customer", "classify", "--period", "2026-Q4", "--apply", "-f", "json")
    assert "7 changed" in applied.stderr
    assert json.loads(applied.stdout) == {
        "report": "classify", "period": Q4,
        "rows": [
            {"tier": "A", "before": 1, "after": 3},  # Heath was A; now Acme, Birch, Cobalt
            {"tier": "B", "before": 0, "after": 1},  # Dune
            {"tier": "C", "before": 1, "after": 4},  # Elm; now Fjord, Grove, Elm, Heath
            {"tier": None, "before": 6, "after": 0},
        ],
        "summary": {"changed": 7},
    }
    assert tiers(book) == {"Acme": "A", "Birch": "A", "Cobalt": "A", "Dune": "B", "Elm": "C", "Fjord": "C",
                           "Grove": "C", "Heath": "C"}
    conn = store.connect(book)
    stamps = dict(conn.execute("SELECT name, updated_at FROM customer"))
    conn.close()
    assert stamps["Acme"] == "2026-11-23 12:00:00"  # changed: stamped now
    assert stamps["Elm"] == "2026-10-20 10:00:00"  # unchanged: left alone

    before = snapshot(book)
    again = cli("customer", "classify", "--period", "2026-Q4", "--apply")
    assert "0 changed" in again.stderr
    assert again.stdout.splitlines()[2].split() == ["A", "3", "3"]
    assert snapshot(book) == before

    # All time the tiers move: Cobalt A→B, Dune B→C, Fjord C→B, Grove C→A, Heath C→A.
    assert "5 changed" in cli("customer", "classify", "--apply").stderr
    assert tiers(book) == {"Acme": "A", "Birch": "A", "Cobalt": "B", "Dune": "C", "Elm": "C", "Fjord": "B",
                           "Grove": "A", "Heath": "A"}


def test_classify_bad_input_writes_nothing(cli, book):
    before = snapshot(book)
    assert "not a period" in cli.fails("customer", "classify", "--apply", "--period", "last-fortnight", code=2)
    assert "unknown format" in cli.fails("customer", "classify", "--apply", "-f", "xml", code=2)
    assert "not both" in cli.fails("customer", "classify", "--apply", "-p", "2026", "--from", "2026-01-01",
                                   "--to", "2026-02-01", code=2)
    assert "no rep 'zed'" in cli.fails("report", "customers", "--owner", "zed")
    assert "not a period" in cli.fails("report", "customers", "--period", "last-fortnight", code=2)
    assert snapshot(book) == before


# ---------------------------------------------------------------- the ABC rule itself


def tiered(*revenues: tuple[str, int]) -> list[dict]:
    """The customer report's rows for customers named with their revenue, through the
    same steps as the command: revenue levels, their tiers, the ranked rows."""
    tiers, total = analysis.abc_tiers([{"revenue": revenue, "customers": 1} for _, revenue in revenues])
    customers, running = [], 0
    for i, (name, revenue) in sorted(enumerate(revenues, start=1), key=lambda c: (-c[1][1], c[1][0], c[0])):
        running += revenue
        customers.append({"id": i, "customer": name, "owner": None, "current_tier": None, "revenue": revenue,
                          "frequency": 1, "last_won": None, "running": running})
    return list(analysis.customer_tiers(customers, tiers=tiers, total=total, as_of=dt.date(2026, 11, 23)))


def ranked(*revenues: tuple[str, int]) -> dict[str, str]:
    return {row["customer"]: row["tier"] for row in tiered(*revenues)}


def test_abc_boundaries_are_below_not_at():
    # above b: 80 ÷ 100 = 80 % (not below 80) → B; above c: 95 % (not below 95) → C
    assert ranked(("a", 80), ("b", 15), ("c", 5)) == {"a": "A", "b": "B", "c": "C"}
    # above b: 79 % → A; above c: 94 % → B
    assert ranked(("a", 79), ("b", 15), ("c", 6)) == {"a": "A", "b": "A", "c": "B"}


def test_abc_ties_share_a_tier_whatever_their_names():
    # q and r tie: above either is p, 90 % → both B (r would be C at 95 % if q counted as above it)
    assert ranked(("p", 90), ("q", 5), ("r", 5)) == {"p": "A", "q": "B", "r": "B"}
    assert ranked(("p", 90), ("r", 5), ("q", 5)) == {"p": "A", "q": "B", "r": "B"}
    # a single customer with all the revenue is A; with none, everyone is C and shares are unknown
    assert ranked(("solo", 1)) == {"solo": "A"}
    assert ranked(("x", 0), ("y", 0)) == {"x": "C", "y": "C"}
    rows = tiered(("x", 0))
    assert (rows[0]["share"], rows[0]["cumulative_share"]) == (None, None)


def test_customers_of_one_owner_align_as_their_first_thousand_rows_say(cli, isolated):
    """Plain text sizes its columns from the first thousand rows it writes, then only
    widens them: with --owner, the owner's first thousand rows, however many customers
    of others rank among them."""
    cli("rep", "add", "ann")
    cli("rep", "add", "bob")
    conn = sqlite3.connect(isolated)
    with conn:  # another tool: bob's short names, then 1,000 of ann's, then bob's long ones
        names = [("b%04d" % i, 2) for i in range(500)] + [("c%04d" % i, 1) for i in range(1000)]
        names += [("d%04d with a much longer name" % i, 2) for i in range(400)]
        conn.executemany(
            "INSERT INTO customer (name, owner_id, created_at, updated_at) VALUES (?, ?, '2026-11-01', '2026-11-01')", names
        )
    conn.close()
    lines = cli("report", "customers", "--owner", "bob").stdout.splitlines()
    rows = lines[2 : 2 + 900]
    assert rows[0].split()[1:3] == ["b0000", "bob"] and rows[-1].split()[1] == "d0399"
    long_name_ends = rows[-1].index("name") + len("name")
    assert {row.index(" bob ") for row in rows} == {lines[1].index(" owner ")} == {long_name_ends + 1}
