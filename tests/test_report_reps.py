"""`report reps`: the leaderboard, team efficiency and commissions (SPEC §6).

The business is ``analysis_data.scenario`` (read its docstring for every deal); today is
2026-11-23. Every figure below is worked out by hand from that table.
"""

from __future__ import annotations

import sqlite3

import pytest
from analysis_data import Q4, Book, scenario, snapshot

from salescli.reports import analysis


def _book(cli, db):
    scenario(db)


@pytest.fixture
def book(any_store, copy_of):
    """The scenario's business, written once per test process and store and copied for each test."""
    return copy_of(_book)


def test_reps_q4_json(cli, book):
    report = cli.json("report", "reps", "--period", "2026-Q4")
    assert report["report"] == "reps"
    assert report["period"] == Q4
    assert report["rows"] == [
        # alice won D1 4,000 (10-10) and D2 3,000 (11-20); D4 (09-30) and lost D15 (08-15) are outside Q4.
        # margin: D1 4,000 − 2,400 = 1,600; D2's cost is unknown, so it is left out:
        # margin_rate = 1,600 ÷ 4,000 = 0.4. win_rate 2 ÷ (2 + 0). avg_deal 7,000 ÷ 2.
        # cycle: D1 09-20 → 10-10 = 20 days, D2 10-06 → 11-20 = 45 days; (20 + 45) ÷ 2 = 32.5.
        # open: D17 5,000 × 80 % = 4,000. commission 7,000 × 5 % = 350.
        # new customers: Acme (added 10-05); activities done: 10-06 and 11-20 (09-29 is outside).
        {"rep": "alice", "won_deals": 2, "revenue": 7000, "margin": 1600, "margin_rate": 0.4,
         "new_customers": 1, "activities": 2, "win_rate": 1.0, "avg_deal": 3500, "avg_cycle_days": 32.5,
         "open_weighted": 4000, "commission": 350},
        # bob won D3 1,000 (10-01), D5 1,000, D6 500, D7 300 → 2,800; lost D13 and D14.
        # margin: D3 1,000 − 600 = 400, D6 500 − 600 = −100, D7 300 − 100 = 200 → 500 (D5 unknown);
        # margin_rate = 500 ÷ (1,000 + 500 + 300) = 0.27777… → 0.2778. win_rate 4 ÷ 6 = 0.6667.
        # avg_deal 2,800 ÷ 4 = 700. cycle: 61 (08-01 → 10-01) + 13 + 2 + 22 = 98 ÷ 4 = 24.5.
        # open: D18 1,000 × 10 % = 100. commission 2,800 × 10 % = 280.
        # new customers: Cobalt (11-02), Dune (11-10); Fjord (09-15) is outside. activities 11-03, 11-11, 11-23.
        {"rep": "bob", "won_deals": 4, "revenue": 2800, "margin": 500, "margin_rate": 0.2778,
         "new_customers": 2, "activities": 3, "win_rate": 0.6667, "avg_deal": 700, "avg_cycle_days": 24.5,
         "open_weighted": 100, "commission": 280},
        # carol won D9 200 (cost unknown → margin unknown), lost D12: win_rate 1 ÷ 2.
        # cycle 10-25 → 11-05 = 11 days. open: D16 2,000 × 60 % = 1,200. commission 0 %.
        # new customers: Elm (10-20); activities: 10-21.
        {"rep": "carol", "won_deals": 1, "revenue": 200, "margin": None, "margin_rate": None,
         "new_customers": 1, "activities": 1, "win_rate": 0.5, "avg_deal": 200, "avg_cycle_days": 11.0,
         "open_weighted": 1200, "commission": 0},
        # dave is inactive and has nothing in Q4: not listed.
    ]
    assert report["summary"] == {
        "reps": 3,
        "won_deals": 7,  # 2 + 4 + 1
        "revenue": 10000,  # 7,000 + 2,800 + 200
        "margin": 2100,  # 1,600 + 500
        "margin_rate": 0.3621,  # 2,100 ÷ (4,000 + 1,800) = 0.36206…
        "new_customers": 4,
        "activities": 6,
        "win_rate": 0.7,  # 7 ÷ (7 + 3 lost)
        "avg_deal": 1428.57,  # 10,000 ÷ 7 = 1,428.571…
        "avg_cycle_days": 24.9,  # (65 + 98 + 11) ÷ 7 = 174 ÷ 7 = 24.857…
        "open_weighted": 5300,  # 4,000 + 100 + 1,200
        "commission": 630,  # 350 + 280 + 0
        "revenue_per_rep": 3333.33,  # 10,000 ÷ 3 reps
    }


def test_reps_from_to_september_lists_an_idle_active_rep(cli, book):
    report = cli.json("report", "reps", "--from", "2026-09-01", "--to", "2026-09-30")
    assert report["period"] == {"start": "2026-09-01", "end": "2026-09-30"}
    assert report["rows"] == [
        # alice: D4 2,000 won 09-30, cost 1,200 → margin 800, rate 0.4; cycle 06-01 → 09-30 = 121 days;
        # commission 2,000 × 5 % = 100; activity 09-29. Open pipeline is "now": still 4,000.
        {"rep": "alice", "won_deals": 1, "revenue": 2000, "margin": 800, "margin_rate": 0.4,
         "new_customers": 0, "activities": 1, "win_rate": 1.0, "avg_deal": 2000, "avg_cycle_days": 121.0,
         "open_weighted": 4000, "commission": 100},
        # bob: D8 800 won 09-01 (cost unknown); cycle 08-10 → 09-01 = 22; commission 80; Fjord added 09-15.
        {"rep": "bob", "won_deals": 1, "revenue": 800, "margin": None, "margin_rate": None,
         "new_customers": 1, "activities": 0, "win_rate": 1.0, "avg_deal": 800, "avg_cycle_days": 22.0,
         "open_weighted": 100, "commission": 80},
        # carol is active with nothing in September: listed, with nothing to divide → nulls.
        {"rep": "carol", "won_deals": 0, "revenue": 0, "margin": None, "margin_rate": None,
         "new_customers": 0, "activities": 0, "win_rate": None, "avg_deal": None, "avg_cycle_days": None,
         "open_weighted": 1200, "commission": 0},
    ]
    assert report["summary"] == {
        "reps": 3, "won_deals": 2, "revenue": 2800, "margin": 800,
        "margin_rate": 0.4,  # 800 ÷ 2,000 (D8's cost is unknown)
        "new_customers": 1, "activities": 1, "win_rate": 1.0,
        "avg_deal": 1400,  # 2,800 ÷ 2
        "avg_cycle_days": 71.5,  # (121 + 22) ÷ 2
        "open_weighted": 5300, "commission": 180,
        "revenue_per_rep": 933.33,  # 2,800 ÷ 3 = 933.333…
    }


def test_reps_all_time_lists_an_inactive_rep_with_history(cli, book):
    report = cli.json("report", "reps")
    assert report["period"] is None
    assert [row["rep"] for row in report["rows"]] == ["alice", "bob", "dave", "carol"]  # 9,000 3,600 2,500 1,700
    rows = {row["rep"]: row for row in report["rows"]}
    # alice: D1 4,000 + D2 3,000 + D4 2,000; margin 1,600 + 800 over 4,000 + 2,000; lost D15: 3 ÷ 4;
    # cycle (20 + 45 + 121) ÷ 3 = 62; commission 9,000 × 5 % = 450; Acme and Birch; 3 activities.
    assert rows["alice"] == {
        "rep": "alice", "won_deals": 3, "revenue": 9000, "margin": 2400, "margin_rate": 0.4,
        "new_customers": 2, "activities": 3, "win_rate": 0.75, "avg_deal": 3000, "avg_cycle_days": 62.0,
        "open_weighted": 4000, "commission": 450,
    }
    # dave (inactive): D10 2,500 won 2025-03-10 after 9 days; commission 2,500 × 5 % = 125; Heath.
    assert rows["dave"] == {
        "rep": "dave", "won_deals": 1, "revenue": 2500, "margin": None, "margin_rate": None,
        "new_customers": 1, "activities": 0, "win_rate": 1.0, "avg_deal": 2500, "avg_cycle_days": 9.0,
        "open_weighted": 0, "commission": 125,
    }
    summary = report["summary"]
    assert summary["reps"] == 4
    assert summary["revenue"] == 16800  # 9,000 + 3,600 + 2,500 + 1,700
    assert summary["revenue_per_rep"] == 4200  # 16,800 ÷ 4
    # bob 3,600 × 10 % = 360, carol 0: 450 + 360 + 125 + 0
    assert summary["commission"] == 935
    # won 3 + 5 + 1 + 2 = 11, lost 1 + 2 + 0 + 1 = 4: 11 ÷ 15
    assert summary["win_rate"] == 0.7333
    # margin 2,400 + 500 (bob) = 2,900 over 6,000 + 1,800 = 7,800
    assert (summary["margin"], summary["margin_rate"]) == (2900, 0.3718)


def test_reps_one_rep(cli, book):
    report = cli.json("report", "reps", "--period", "2026-Q4", "--rep", "BOB")
    assert [row["rep"] for row in report["rows"]] == ["bob"]
    assert report["rows"][0]["revenue"] == 2800
    assert report["summary"]["reps"] == 1
    assert report["summary"]["revenue_per_rep"] == 2800  # 2,800 ÷ 1
    assert report["summary"]["commission"] == 280
    # an inactive rep with nothing in the period is listed when asked for by name
    dave = cli.json("report", "reps", "--period", "2026-Q4", "--rep", "dave")
    assert [(r["rep"], r["won_deals"], r["revenue"], r["win_rate"]) for r in dave["rows"]] == [("dave", 0, 0, None)]


def test_work_without_an_owner_is_its_own_row_but_no_head(cli, isolated):
    b = Book(isolated)
    b.rep("alice", rate=0.10)
    b.customer("Solo", owner=None, created="2026-11-01")
    b.customer("Mine", owner="alice", created="2026-11-03")
    b.deal("Walk-in", customer="Solo", owner=None, amount=1000, created="2026-11-01", stage="won",
           closed="2026-11-02")
    b.close()
    report = cli.json("report", "reps", "--period", "2026-11")
    assert [(r["rep"], r["won_deals"], r["revenue"], r["new_customers"], r["commission"]) for r in report["rows"]] == [
        (None, 1, 1000, 1, 0),
        ("alice", 0, 0, 1, 0),
    ]
    # team revenue counts the walk-in; the head count does not: 1,000 ÷ 1 rep
    summary = report["summary"]
    assert (summary["reps"], summary["revenue"], summary["revenue_per_rep"]) == (1, 1000, 1000)


def test_reps_formats(cli, book):
    assert cli("report", "reps", "--period", "2026-Q4", "-f", "csv").stdout == (
        "rep,won_deals,revenue,margin,margin_rate,new_customers,activities,win_rate,avg_deal,avg_cycle_days,"
        "open_weighted,commission\n"
        "alice,2,7000.00,1600.00,0.4,1,2,1.0,3500.00,32.5,4000.00,350.00\n"
        "bob,4,2800.00,500.00,0.2778,2,3,0.6667,700.00,24.5,100.00,280.00\n"
        "carol,1,200.00,,,1,1,0.5,200.00,11.0,1200.00,0.00\n"
    )
    tsv = cli("report", "reps", "--period", "2026-Q4", "-f", "tsv").stdout.splitlines()
    assert tsv[3] == "carol\t1\t200.00\t\t\t1\t1\t0.5\t200.00\t11.0\t1200.00\t0.00"
    plain = cli("report", "reps", "--period", "2026-Q4").stdout  # piped: plain
    lines = plain.splitlines()
    assert lines[0] == "Reps — 2026-Q4"
    assert lines[2].split() == ["alice", "2", "$7,000.00", "$1,600.00", "40.0%", "1", "2", "100.0%", "$3,500.00",
                                "32.5", "$4,000.00", "$350.00"]
    assert "revenue per rep  $3,333.33" in plain
    markdown = cli("report", "reps", "--period", "2026-Q4", "-f", "markdown").stdout
    assert markdown.startswith("## Reps — 2026-Q4\n\n| rep ")
    assert "| carol |" in markdown and "| commission      | $630.00" in markdown


def test_reps_bad_input_is_a_clean_error_and_writes_nothing(cli, book):
    before = snapshot(book)
    assert "not a period" in cli.fails("report", "reps", "--period", "last-fortnight", code=2)
    assert "no rep 'zed'" in cli.fails("report", "reps", "--rep", "zed")
    assert "--from and --to go together" in cli.fails("report", "reps", "--from", "2026-10-01", code=2)
    assert "unknown format" in cli.fails("report", "reps", "-f", "xml", code=2)
    assert snapshot(book) == before


def test_commission_and_means_round_half_up_to_the_cent():
    assert analysis.commission(12345, 0.05) == 617  # 617.25 → 617
    assert analysis.commission(12330, 0.05) == 617  # 616.5 → 617 (banker's rounding would give 616)
    assert analysis.commission(10, 0.25) == 3  # 2.5 → 3
    assert analysis.mean_cents(5, 2) == 3  # 2.5 → 3
    assert analysis.mean_cents(0, 0) is None


def test_a_file_from_before_the_activity_index_gains_it(cli, isolated):
    cli("init")  # creates the file, fully migrated
    conn = sqlite3.connect(isolated)
    conn.execute("DROP INDEX activity_owner_done")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm002_activity_owner_done'")
    conn.commit()
    conn.close()
    cli("report", "reps")  # opening it upgrades it in place
    conn = sqlite3.connect(isolated)
    plan = conn.execute("EXPLAIN QUERY PLAN SELECT COUNT(*) FROM activity WHERE owner_id = 1 AND done_at > ''").fetchall()
    conn.close()
    assert "activity_owner_done" in plan[0][3]
