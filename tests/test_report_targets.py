"""`report targets`: actuals of all seven metrics, pace, projection and status (SPEC §6).

Today is Monday 2026-11-23:
  2026-11  30 days, 23 elapsed (23/30 = 0.7667), 7 left after today
  2026-Q4  92 days, 54 elapsed (31 + 23; 54/92 = 0.5870), 38 left
  2026     365 days, 327 elapsed (304 + 23; 327/365 = 0.8959), 38 left
  2026-W48 Nov 23–29, 7 days, 1 elapsed (1/7 = 0.1429), 6 left
"""

import pytest
from builders import Builder


def _b(cli, db):
    b = Builder(db)
    b.rep("alice")
    b.rep("bob")
    b.customer("Acme", owner="alice", created="2026-09-01 09:00:00")
    b.customer("Beta", owner="bob", created="2026-09-01 09:00:00")
    # new customers: Nov alice 2 (11-02, 11-20), Nov bob 2 (11-05, today 08:00), Oct alice 1
    b.customer("C1", owner="alice", created="2026-11-02 09:00:00")
    b.customer("C2", owner="alice", created="2026-11-20 17:00:00")
    b.customer("C3", owner="bob", created="2026-11-05 09:00:00")
    b.customer("C4", owner="alice", created="2026-10-15 09:00:00")
    b.customer("C5", owner="bob", created="2026-11-23 08:00:00")
    # deals won: W1 alice 11-05 $3,000 cost $1,000 ×2; W2 alice 11-20 $2,000 cost unknown ×1;
    # W3 bob 11-10 $5,000 cost $4,500 ×5; W4 alice 10-10 $1,000 cost $200 ×1
    b.deal("W1", customer="Acme", amount=300_000, cost=100_000, quantity=2, history=[("lead", "2026-10-01"), ("won", "2026-11-05")])
    b.deal("W2", customer="Acme", amount=200_000, history=[("lead", "2026-10-01"), ("won", "2026-11-20")])
    b.deal("W3", customer="Beta", amount=500_000, cost=450_000, quantity=5, history=[("lead", "2026-10-01"), ("won", "2026-11-10")])
    b.deal("W4", customer="Acme", amount=100_000, cost=20_000, history=[("lead", "2026-09-01"), ("won", "2026-10-10")])
    # not won: they count for nothing
    b.deal("Lost", customer="Beta", amount=999_900, history=[("lead", "2026-10-01"), ("lost", "2026-11-12")])
    b.deal("Open", customer="Acme", amount=700_000, history=[("lead", "2026-10-01"), ("proposal", "2026-11-12")])
    # activities done: alice Nov 11-03 (5), 11-10 (3), 11-15 (no score), today (4); bob Nov 11-11 (2);
    # alice Oct 10-20 (5); an open follow-up (not done: counts for nothing)
    b.activity("Acme", done="2026-11-03", score=5)
    b.activity("Acme", done="2026-11-10", score=3)
    b.activity("Acme", done="2026-11-15")
    b.activity("Acme", type="visit", done="2026-11-23", score=4)
    b.activity("Beta", type="visit", done="2026-11-11", score=2)
    b.activity("Acme", done="2026-10-20", score=5)
    b.activity("Acme", due="2026-11-25", summary="Call back")
    # the team's November targets, one per metric
    b.target("revenue", "2026-11", 1_200_000)
    b.target("won_deals", "2026-11", 5)
    b.target("margin", "2026-11", 500_000)
    b.target("units", "2026-11", 8)
    b.target("new_customers", "2026-11", 6)
    b.target("activities", "2026-11", 4)
    b.target("satisfaction", "2026-11", 6000)  # 60 %
    # reps' targets, over other periods
    b.target("revenue", "2026-Q4", 1_000_000, rep="alice")
    b.target("satisfaction", "2026-11", 5000, rep="bob")
    b.target("won_deals", "2026-W48", 2, rep="bob")
    b.target("activities", "2026", 100, rep="alice")
    # a past and a future period
    b.target("won_deals", "2026-10", 3)
    b.target("revenue", "2026-12", 2_000_000)
    b.conn.close()


@pytest.fixture
def b(any_store, copy_of):
    """Written once per test process and store, and copied for each test."""
    return Builder(copy_of(_b))


def row(metric, period, rep, target, actual, progress, elapsed, expected, projected, remaining, per_day, status):
    return {"metric": metric, "period": period, "rep": rep, "target": target, "actual": actual,
            "progress": progress, "elapsed": elapsed, "expected": expected, "projected": projected,
            "remaining": remaining, "per_day_needed": per_day, "status": status}


# alice activities 2026: actual 4 Nov + 1 Oct = 5; expected 100 × 327/365 = 89.59;
# projected 5 × 365/327 = 5.58; per day 95/38 = 2.5
ALICE_YEAR = row("activities", "2026", "alice", 100, 5, 0.05, 0.8959, 89.59, 5.58, 95, 2.5, "behind")
# alice revenue Q4: W1 + W2 + W4 = 6,000; expected 10,000 × 54/92 = 5,869.57;
# projected 6,000 × 92/54 = 10,222.22; per day 4,000/38 = 105.26; 6,000 ≥ 5,869.57
ALICE_Q4 = row("revenue", "2026-Q4", "alice", 10000, 6000, 0.6, 0.587, 5869.57, 10222.22, 4000, 105.26, "ahead")
TEAM_NOVEMBER = [
    # revenue W1+W2+W3 = 10,000; expected 12,000 × 23/30 = 9,200; projected 10,000 × 30/23 =
    # 13,043.48; per day 2,000/7 = 285.71
    row("revenue", "2026-11", None, 12000, 10000, 0.8333, 0.7667, 9200, 13043.48, 2000, 285.71, "ahead"),
    # 3 won; expected 5 × 23/30 = 3.83; projected 3 × 30/23 = 3.91; per day 2/7 = 0.29
    row("won_deals", "2026-11", None, 5, 3, 0.6, 0.7667, 3.83, 3.91, 2, 0.29, "behind"),
    # margin W1 2,000 + W3 500 (W2's cost is unknown: left out) = 2,500; expected 5,000 × 23/30
    # = 3,833.33; projected 2,500 × 30/23 = 3,260.87; per day 2,500/7 = 357.14
    row("margin", "2026-11", None, 5000, 2500, 0.5, 0.7667, 3833.33, 3260.87, 2500, 357.14, "behind"),
    # units 2 + 1 + 5 = 8: met; expected 8 × 23/30 = 6.13; projected 8 × 30/23 = 10.43
    row("units", "2026-11", None, 8, 8, 1.0, 0.7667, 6.13, 10.43, 0, 0.0, "met"),
    # new customers C1 C2 C3 C5 = 4; expected 6 × 23/30 = 4.6; projected 4 × 30/23 = 5.22; 2/7
    row("new_customers", "2026-11", None, 6, 4, 0.6667, 0.7667, 4.6, 5.22, 2, 0.29, "behind"),
    # activities done 4 (alice) + 1 (bob) = 5 ≥ 4; expected 4 × 23/30 = 3.07; projected 5 × 30/23 = 6.52
    row("activities", "2026-11", None, 4, 5, 1.25, 0.7667, 3.07, 6.52, 0, 0.0, "met"),
    # satisfaction: scored 5, 3, 4 (alice), 2 (bob): 2 of 4 are ≥ 4 = 0.5 against 0.6; a rate:
    # expected is the target, projected the rate so far, no amount per day
    row("satisfaction", "2026-11", None, 0.6, 0.5, 0.8333, 0.7667, 0.6, 0.5, 0.1, None, "behind"),
    # bob: 0 of 1 scored ≥ 4 = 0.0 against 0.5
    row("satisfaction", "2026-11", "bob", 0.5, 0.0, 0.0, 0.7667, 0.5, 0.0, 0.5, None, "behind"),
]
# bob won deals this week: none; expected 2 × 1/7 = 0.29; projected 0; per day 2/6 = 0.33
BOB_WEEK = row("won_deals", "2026-W48", "bob", 2, 0, 0.0, 0.1429, 0.29, 0.0, 2, 0.33, "behind")
# October: 1 won (W4) of 3, the period is over; December: nothing yet, 20,000/31 = 645.16 a day
TEAM_OCTOBER = row("won_deals", "2026-10", None, 3, 1, 0.3333, 1.0, 3.0, 1.0, 2, None, "missed")
TEAM_DECEMBER = row("revenue", "2026-12", None, 20000, 0, 0.0, 0.0, 0, None, 20000, 645.16, "not-started")


def test_default_is_the_targets_running_today(cli, b):
    report = cli.json("report", "targets")
    assert report["report"] == "targets" and report["period"] is None
    # ordered by period start (longest first on a tie), metric, team before reps
    assert report["rows"] == [ALICE_YEAR, ALICE_Q4, *TEAM_NOVEMBER, BOB_WEEK]
    assert report["summary"] == {"targets": 11, "met": 2, "ahead": 2, "behind": 7, "missed": 0, "not_started": 0}


def test_period_shows_targets_overlapping_it(cli, b):
    report = cli.json("report", "targets", "--period", "2026-Q4")
    assert report["period"] == {"start": "2026-10-01", "end": "2026-12-31"}
    assert report["rows"] == [ALICE_YEAR, ALICE_Q4, TEAM_OCTOBER, *TEAM_NOVEMBER, BOB_WEEK, TEAM_DECEMBER]
    assert report["summary"] == {"targets": 13, "met": 2, "ahead": 2, "behind": 7, "missed": 1, "not_started": 1}
    october = cli.json("report", "targets", "--from", "2026-10-05", "--to", "2026-10-06")
    assert october["rows"] == [ALICE_YEAR, ALICE_Q4, TEAM_OCTOBER]
    assert cli.json("report", "targets", "--period", "2027")["rows"] == []


def test_rep_filter(cli, b):
    assert cli.json("report", "targets", "--rep", "bob")["rows"] == [TEAM_NOVEMBER[-1], BOB_WEEK]
    assert cli.json("report", "targets", "--owner", "alice", "--period", "2026-10")["rows"] == [ALICE_YEAR, ALICE_Q4]


def test_a_target_set_later_in_the_period_is_met_by_earlier_actuals(cli, isolated):
    b = Builder(isolated)
    b.customer("Acme")
    b.deal("Early", customer="Acme", amount=50_000, history=[("lead", "2026-11-01"), ("won", "2026-11-02")])
    b.target("revenue", "2026-11", 0)
    b.target("won_deals", "2026-11", 1)
    rows = cli.json("report", "targets")["rows"]
    # a zero target has no progress ratio and is met by anything
    assert [(r["metric"], r["progress"], r["status"]) for r in rows] == [("revenue", None, "met"), ("won_deals", 1.0, "met")]


def test_satisfaction_without_scores_has_no_actual(cli, isolated):
    b = Builder(isolated)
    b.customer("Acme")
    b.activity("Acme", done="2026-11-03")
    b.target("satisfaction", "2026-11", 8000)
    (row_,) = cli.json("report", "targets")["rows"]
    assert row_ == row("satisfaction", "2026-11", None, 0.8, None, None, 0.7667, 0.8, None, None, None, "behind")


def test_plain_and_table_output(cli, b, monkeypatch):
    plain = cli("report", "targets", "--rep", "bob").stdout.splitlines()
    assert plain[0] == "Targets running on 2026-11-23, bob's"
    # satisfaction as percentages, counts as whole numbers or one decimal
    assert plain[2].split() == ["satisfaction", "2026-11", "bob", "50.0%", "0.0%", "0.0%", "76.7%", "50.0%", "0.0%", "50.0%", "behind"]
    assert plain[3].split() == ["won_deals", "2026-W48", "bob", "2", "0", "0.0%", "14.3%", "0.3", "0", "2", "0.3", "behind"]
    assert "$12,000.00" in cli("report", "targets", "--period", "2026-11").stdout
    monkeypatch.setenv("COLUMNS", "250")
    table = cli("report", "targets", "--period", "2026-11", "-f", "table").stdout
    # units is met: a full bar of 12 cells; the mark sits at 23/30 of 12 cells = cell 9
    units = next(line for line in table.splitlines() if line.lstrip().startswith("units"))
    assert "█" * 9 + "┃" + "█" * 2 in units
    revenue = next(line for line in table.splitlines() if line.lstrip().startswith("revenue"))
    assert "┃" in revenue


def test_csv_has_the_keys_and_no_summary(cli, b):
    lines = cli("report", "targets", "--rep", "bob", "-f", "csv").stdout.splitlines()
    assert lines[0] == "metric,period,rep,target,actual,progress,elapsed,expected,projected,remaining,per_day_needed,status"
    assert lines[1:] == [
        "satisfaction,2026-11,bob,0.5,0.0,0.0,0.7667,0.5,0.0,0.5,,behind",
        "won_deals,2026-W48,bob,2,0,0.0,0.1429,0.29,0.0,2,0.33,behind",
    ]
    revenue = cli("report", "targets", "-f", "csv").stdout.splitlines()[2]
    assert revenue == "revenue,2026-Q4,alice,10000.00,6000.00,0.6,0.587,5869.57,10222.22,4000.00,105.26,ahead"


def test_bad_input(cli, b):
    assert "not a period" in cli.fails("report", "targets", "--period", "last-fortnight", code=2)
    assert "no rep 'zed'" in cli.fails("report", "targets", "--rep", "zed")
    assert "ends (2026-01-01) before it starts" in cli.fails(
        "report", "targets", "--from", "2026-02-01", "--to", "2026-01-01", code=2)


def test_a_rate_target_is_not_met_before_its_period_ends(cli, isolated):
    b = Builder(isolated)
    b.customer("Acme")
    # November (running, 23 of 30 days): scores 5, 4, 4, 2 → 3 of 4 are ≥ 4 = 0.75 ≥ 0.6,
    # but the rate can still fall: ahead, not met. October (over): 5, 1 → 1 of 2 = 0.5.
    for day, score in (("2026-11-02", 5), ("2026-11-09", 4), ("2026-11-16", 4), ("2026-11-20", 2)):
        b.activity("Acme", done=day, score=score)
    b.activity("Acme", done="2026-10-05", score=5)
    b.activity("Acme", done="2026-10-06", score=1)
    b.target("satisfaction", "2026-11", 6000)
    b.target("satisfaction", "2026-10", 4000)  # 0.5 ≥ 0.4 with October over: met
    b.target("satisfaction", "2026-W43", 6000)  # Oct 19–25: no scores at all, over: missed
    rows = cli.json("report", "targets", "--period", "2026-Q4")["rows"]
    assert [(r["period"], r["actual"], r["status"]) for r in rows] == [
        ("2026-10", 0.5, "met"),
        ("2026-W43", None, "missed"),
        ("2026-11", 0.75, "ahead"),
    ]
    cli("target", "set", "satisfaction", "80%", "--period", "2026-11")  # 0.75 < 0.8 with a week to go
    assert [r["status"] for r in cli.json("report", "targets")["rows"]] == ["behind"]
