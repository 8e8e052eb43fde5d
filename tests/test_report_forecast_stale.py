"""`report forecast` (open deals by expected-close month) and `report stale` (open deals
nobody has worked on) — SPEC §6. Today is Monday 2026-11-23.

Stage probabilities: lead 10 %, contacted 20 %, qualified 40 %, proposal 60 %, negotiation 80 %.
"""

import pytest
from builders import Builder


def _forecast_data(cli, db):
    b = Builder(db)
    b.rep("alice")
    b.rep("bob")
    b.customer("Acme", owner="alice")
    b.customer("Beta", owner="bob")
    opened = [("lead", "2026-10-01")]
    # F1 alice proposal $1,000, close 11-10 (before today): overdue; weighted 600
    b.deal("F1", customer="Acme", amount=100_000, expected_close="2026-11-10", history=opened + [("proposal", "2026-10-05")])
    # F2 bob lead $2,000, close today: this month; weighted 200
    b.deal("F2", customer="Beta", amount=200_000, expected_close="2026-11-23", history=opened)
    # F3 alice negotiation $3,000, close 11-30; weighted 2,400
    b.deal("F3", customer="Acme", amount=300_000, expected_close="2026-11-30", history=opened + [("negotiation", "2026-10-09")])
    # F4 alice qualified $500, close 2027-01-15; weighted 200
    b.deal("F4", customer="Acme", amount=50_000, expected_close="2027-01-15", history=opened + [("qualified", "2026-10-09")])
    # F5 bob contacted $4,000, close 2027-06-01: after the six months shown; weighted 800
    b.deal("F5", customer="Beta", amount=400_000, expected_close="2027-06-01", history=opened + [("contacted", "2026-10-09")])
    # F6 alice lead $100, no expected close; weighted 10
    b.deal("F6", customer="Acme", amount=10_000, history=opened)
    # F7 bob proposal $333.33, close 12-05; weighted 199.998 → 200.00
    b.deal("F7", customer="Beta", amount=33_333, expected_close="2026-12-05", history=opened + [("proposal", "2026-10-09")])
    # closed deals are not forecast; won this month so far: W1 only
    b.deal("W1", customer="Acme", amount=500_000, expected_close="2026-11-30", history=opened + [("won", "2026-11-05")])
    b.deal("W2", customer="Beta", amount=70_000, expected_close="2026-10-30", history=opened + [("won", "2026-10-28")])
    b.deal("W3 back-dated ahead", customer="Acme", amount=90_000, history=opened + [("won", "2026-11-25")])
    b.deal("L1", customer="Beta", amount=80_000, expected_close="2026-12-10", history=opened + [("lost", "2026-11-12")])
    b.conn.close()


@pytest.fixture
def forecast_data(any_store, copy_of):
    """Written once per test process and store, and copied for each test."""
    return Builder(copy_of(_forecast_data))


def month(name, deals, amount, weighted, won):
    return {"month": name, "deals": deals, "amount": amount, "weighted": weighted, "won": won}


def test_forecast_by_month(cli, forecast_data):
    report = cli.json("report", "forecast")
    assert report["report"] == "forecast"
    assert report["period"] == {"start": "2026-11-01", "end": "2027-04-30"}
    assert report["rows"] == [
        month("overdue", 1, 1000, 600, None),
        month("2026-11", 2, 5000, 2600, 5000),   # F2 + F3; W1 won on 11-05 (W3's 11-25 is not yet)
        month("2026-12", 1, 333.33, 200, 0),
        month("2027-01", 1, 500, 200, 0),
        month("2027-02", 0, 0, 0, 0),
        month("2027-03", 0, 0, 0, 0),
        month("2027-04", 0, 0, 0, 0),
        month("later", 1, 4000, 800, None),
        month("undated", 1, 100, 10, None),
    ]
    # 1000 + 5000 + 333.33 + 500 + 4000 + 100; 600 + 2600 + 200 + 200 + 800 + 10
    assert report["summary"] == {"deals": 7, "amount": 10933.33, "weighted": 4410, "won": 5000}


def test_forecast_months_and_owner(cli, forecast_data):
    rows = cli.json("report", "forecast", "--months", "2")["rows"]
    # F4 (2027-01) joins F5 in `later`: 2 deals, 4,500, 200 + 800
    assert rows == [
        month("overdue", 1, 1000, 600, None),
        month("2026-11", 2, 5000, 2600, 5000),
        month("2026-12", 1, 333.33, 200, 0),
        month("later", 2, 4500, 1000, None),
        month("undated", 1, 100, 10, None),
    ]
    bob = cli.json("report", "forecast", "--months", "1", "--owner", "bob")
    # bob: F2 this month, F7 and F5 later; nothing won this month (W2 was October)
    assert bob["rows"] == [
        month("overdue", 0, 0, 0, None),
        month("2026-11", 1, 2000, 200, 0),
        month("later", 2, 4333.33, 1000, None),
        month("undated", 0, 0, 0, None),
    ]
    assert bob["summary"] == {"deals": 3, "amount": 6333.33, "weighted": 1200, "won": 0}


def test_forecast_plain_and_bad_input(cli, forecast_data):
    lines = cli("report", "forecast", "--months", "1").stdout.splitlines()
    assert lines[0] == "Forecast of open deals, 2026-11-01..2026-11-30"
    assert lines[3].split() == ["2026-11", "2", "$5,000.00", "$2,600.00", "$5,000.00"]
    assert "--months must be at least 1, not 0" in cli.fails("report", "forecast", "--months", "0", code=2)
    assert "--months must be at most 120" in cli.fails("report", "forecast", "--months", "100000", code=2)
    assert "no rep 'zed'" in cli.fails("report", "forecast", "--owner", "zed")


def _stale_data(cli, db):
    b = Builder(db)
    b.rep("alice")
    b.rep("bob")
    b.customer("Acme", owner="alice")
    b.customer("Beta", owner="bob")
    b.customer("Gamma", owner="bob")
    # S1 alice $1,000: created 10-01, nothing since → idle 53 days (30 + 23)
    b.deal("S1 quiet", customer="Acme", amount=100_000, history=[("lead", "2026-10-01")])
    # S2 alice $2,000: a call on the deal 11-15 → idle 8
    s2 = b.deal("S2 called", customer="Acme", amount=200_000, history=[("lead", "2026-09-01"), ("proposal", "2026-09-15")])
    b.activity("Acme", deal=s2, done="2026-11-15")
    # S3 bob $3,000: its own last call 10-20 (idle 34); a call on another of Beta's deals
    # (11-20) does not count for it
    s3 = b.deal("S3 other deal", customer="Beta", amount=300_000, history=[("lead", "2026-09-01")])
    b.activity("Beta", deal=s3, done="2026-10-20")
    other = b.deal("Beta won", customer="Beta", amount=10_000, history=[("lead", "2026-09-01"), ("won", "2026-09-20")])
    b.activity("Beta", deal=other, done="2026-11-20")
    # S4 bob $4,000: a call to Gamma tied to no deal on 11-18 → idle 5
    b.deal("S4 customer call", customer="Gamma", amount=400_000, history=[("lead", "2026-09-01")])
    b.activity("Gamma", done="2026-11-18")
    # S5 alice $5,000: last call 09-01, but moved to qualified 11-20 → idle 3
    s5 = b.deal("S5 moved", customer="Acme", amount=500_000, history=[("lead", "2026-08-01"), ("qualified", "2026-11-20")])
    b.activity("Acme", deal=s5, done="2026-09-01")
    # S6 alice $600: created 11-09 → idle exactly 14: stale; S7 created 11-10 → 13: not
    b.deal("S6 fourteen", customer="Acme", amount=60_000, history=[("lead", "2026-11-09")])
    b.deal("S7 thirteen", customer="Acme", amount=70_000, history=[("lead", "2026-11-10")])
    # S8 won long ago with no activity: closed deals are never stale
    b.deal("S8 won", customer="Acme", amount=80_000, history=[("lead", "2026-01-01"), ("won", "2026-02-01")])
    # S9 bob $900: created 10-10, only a planned (not done) follow-up → idle 44
    s9 = b.deal("S9 planned only", customer="Beta", amount=90_000, history=[("lead", "2026-10-10")])
    b.activity("Beta", deal=s9, due="2026-11-25", summary="Call back")
    b.conn.close()


@pytest.fixture
def stale_data(any_store, copy_of):
    """Written once per test process and store, and copied for each test."""
    return Builder(copy_of(_stale_data))


def stale(id_, title, customer, stage, amount, owner, last_activity, days_idle):
    return {"id": id_, "title": title, "customer": customer, "stage": stage, "amount": amount,
            "owner": owner, "last_activity": last_activity, "days_idle": days_idle}


S1 = stale(1, "S1 quiet", "Acme", "lead", 1000, "alice", None, 53)
S9 = stale(10, "S9 planned only", "Beta", "lead", 900, "bob", None, 44)
S3 = stale(3, "S3 other deal", "Beta", "lead", 3000, "bob", "2026-10-20", 34)
S6 = stale(7, "S6 fourteen", "Acme", "lead", 600, "alice", None, 14)


def test_stale_default_days_from_the_setting(cli, stale_data):
    report = cli.json("report", "stale")
    assert report["report"] == "stale" and report["period"] is None
    assert report["rows"] == [S1, S9, S3, S6]
    assert report["summary"] == {"deals": 4, "amount": 5500}  # 1000 + 900 + 3000 + 600
    stale_data.setting("stale_deal_days", "40")
    assert cli.json("report", "stale")["rows"] == [S1, S9]


def test_stale_days_and_owner(cli, stale_data):
    assert cli.json("report", "stale", "--days", "30")["rows"] == [S1, S9, S3]
    assert cli.json("report", "stale", "--owner", "bob")["rows"] == [S9, S3]
    everything = cli.json("report", "stale", "--days", "0")["rows"]
    # every open deal, most idle first: S2 8, S7 13, S4 5, S5 3 join the four above
    assert [(r["title"][:2], r["days_idle"], r["last_activity"]) for r in everything] == [
        ("S1", 53, None), ("S9", 44, None), ("S3", 34, "2026-10-20"), ("S6", 14, None),
        ("S7", 13, None), ("S2", 8, "2026-11-15"), ("S4", 5, "2026-11-18"), ("S5", 3, "2026-09-01"),
    ]


def test_stale_plain_and_bad_input(cli, stale_data):
    lines = cli("report", "stale").stdout.splitlines()
    assert lines[0] == "Open deals idle for 14 days or more"
    assert lines[2].split() == ["1", "S1", "quiet", "Acme", "lead", "$1,000.00", "alice", "53"]
    assert cli("report", "stale", "--days", "60").stdout == (
        "Open deals idle for 60 days or more\nNo open deal has been idle for 60 days or more.\n"
    )
    assert "--days must be at least 0, not -1" in cli.fails("report", "stale", "--days", "-1", code=2)
    assert "no rep 'zed'" in cli.fails("report", "stale", "--owner", "zed")
