"""`report trend`: month by month against the same month a year earlier.

Today is 2026-11-23; `--months 3` shows 2026-09, 2026-10, 2026-11 and reads back to 2025-09.
  revenue / won: 2026-11 W1 $3,000 (alice) + W2 $2,000 (bob) = $5,000, 2 deals;
                 2025-11 W0 $4,000, 1 deal → change (5,000 − 4,000) / 4,000 = +25 %
                 2026-10 W3 $1,000; 2025-10 nothing → change unknown (null)
  lost:          2026-11 L1 → win rate 2 / 3 = 0.6667; 2025-11 L0, L00 → 1 / 3 = 0.3333,
                 a change of +33.33 points; 2026-09 nothing closed → no win rate
  new customers: Acme, Beta 2025-11-10; C1 2026-11-02, C2 2026-09-30 23:00 (September)
  activities:    2026-11 three done (one by bob), 2025-11 one; an open follow-up counts nothing
"""

import pytest
from builders import Builder


def _b(cli, db):
    b = Builder(db)
    b.rep("alice")
    b.rep("bob")
    b.customer("Acme", owner="alice", created="2025-11-10 09:00:00")
    b.customer("Beta", owner="bob", created="2025-11-10 10:00:00")
    b.customer("C1", owner="alice", created="2026-11-02 09:00:00")
    b.customer("C2", owner="alice", created="2026-09-30 23:00:00")
    b.deal("W0", customer="Acme", amount=400_000, history=[("lead", "2025-10-01"), ("won", "2025-11-15")])
    b.deal("L0", customer="Acme", amount=10_000, history=[("lead", "2025-10-01"), ("lost", "2025-11-16")])
    b.deal("L00", customer="Beta", amount=10_000, history=[("lead", "2025-10-01"), ("lost", "2025-11-30")])
    b.deal("W3", customer="Acme", amount=100_000, history=[("lead", "2026-09-01"), ("won", "2026-10-10")])
    b.deal("W1", customer="Acme", amount=300_000, history=[("lead", "2026-10-01"), ("won", "2026-11-05")])
    b.deal("W2", customer="Beta", amount=200_000, history=[("lead", "2026-10-01"), ("won", "2026-11-20")])
    b.deal("L1", customer="Beta", amount=50_000, history=[("lead", "2026-10-01"), ("lost", "2026-11-12")])
    b.deal("Open", customer="Acme", amount=700_000, history=[("lead", "2026-10-01")])
    b.activity("Acme", done="2025-11-20")
    b.activity("Acme", done="2026-11-03")
    b.activity("Acme", done="2026-11-10")
    b.activity("Beta", done="2026-11-11")
    b.activity("Acme", due="2026-11-25", summary="Call back")
    b.conn.close()


@pytest.fixture
def b(any_store, copy_of):
    """Written once per test process and store, and copied for each test."""
    return Builder(copy_of(_b))


def test_trend_months_against_a_year_earlier(b, cli):
    report = cli.json("report", "trend", "--months", "3")
    assert report["report"] == "trend"
    assert report["period"] == {"start": "2026-09-01", "end": "2026-11-30"}
    sep, oct_, nov = report["rows"]
    assert [row["month"] for row in report["rows"]] == ["2026-09", "2026-10", "2026-11"]
    assert nov["revenue"] == 5_000 and nov["revenue_year_ago"] == 4_000 and nov["revenue_change"] == 0.25
    assert nov["deals_won"] == 2 and nov["deals_won_year_ago"] == 1 and nov["deals_won_change"] == 1.0
    assert nov["win_rate"] == round(2 / 3, 4) and nov["win_rate_year_ago"] == round(1 / 3, 4)
    assert nov["win_rate_change"] == round(2 / 3 - 1 / 3, 4)
    assert nov["new_customers"] == 1 and nov["new_customers_year_ago"] == 2 and nov["new_customers_change"] == -0.5
    assert nov["activities"] == 3 and nov["activities_year_ago"] == 1 and nov["activities_change"] == 2.0
    assert oct_["revenue"] == 1_000 and oct_["revenue_year_ago"] == 0 and oct_["revenue_change"] is None
    assert oct_["win_rate"] == 1.0 and oct_["win_rate_year_ago"] is None and oct_["win_rate_change"] is None
    assert sep["new_customers"] == 1 and sep["revenue"] == 0 and sep["win_rate"] is None
    assert report["summary"] == {
        "revenue": 6_000, "deals_won": 3, "new_customers": 2, "activities": 3,
        "revenue_year_ago": 4_000, "deals_won_year_ago": 1, "new_customers_year_ago": 2, "activities_year_ago": 1,
        "revenue_change": 0.5,
    }


def test_trend_of_one_rep(b, cli):
    nov = cli.json("report", "trend", "--months", "1", "--owner", "bob")["rows"][0]
    assert (nov["revenue"], nov["deals_won"], nov["activities"], nov["win_rate"]) == (2_000, 1, 1, 0.5)


def test_trend_agrees_with_targets(b, cli):
    b.target("revenue", "2026-11", 1_000_000)
    b.target("activities", "2026-11", 10)
    targets = {row["metric"]: row["actual"] for row in cli.json("report", "targets")["rows"]}
    nov = cli.json("report", "trend", "--months", "1")["rows"][0]
    assert (targets["revenue"], targets["activities"]) == (nov["revenue"], nov["activities"])


def test_trend_for_people_and_spreadsheets(b, cli):
    text = cli("report", "trend", "--months", "2").stdout
    lines = text.splitlines()
    assert lines[0] == "Trend of the last 2 months (2026-10-01..2026-11-30)"
    november = next(line for line in lines if line.startswith("2026-11"))
    assert november.split()[:4] == ["2026-11", "$5,000.00", "+25.0%", "2"]
    assert "+33.3" in november  # win rate points
    csv_lines = cli("report", "trend", "--months", "2", "-f", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("month,revenue,revenue_year_ago,revenue_change,deals_won,")
    assert csv_lines[2].startswith("2026-11,5000.00,4000.00,0.25,2,1,1.0,")


@pytest.mark.parametrize("months", ["0", "121", "x"])
def test_trend_refuses_bad_months(b, cli, months):
    assert "--months" in cli.fails("report", "trend", "--months", months, code=2)
