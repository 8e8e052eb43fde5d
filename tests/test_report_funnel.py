"""`report funnel`: the cohort, reached counts, conversion, days in stage, summary (SPEC §6).

Stage positions (default stages): lead 10, contacted 20, qualified 30, proposal 40,
negotiation 50, won 60, lost 70; probabilities 10/20/40/60/80/100/0 %.
"""

import pytest
from builders import Builder


def _b(cli, db):
    builder = Builder(db)
    builder.rep("alice")
    builder.rep("bob")
    builder.customer("Acme", owner="alice")
    builder.customer("Beta", owner="bob")
    builder.customer("华为", owner="alice")
    # D1 alice $1,000: every stage in turn, won on 10-30 (cycle 29 days)
    builder.deal("Straight win", customer="Acme", amount=100_000, history=[
        ("lead", "2026-10-01"), ("contacted", "2026-10-03"), ("qualified", "2026-10-08"),
        ("proposal", "2026-10-15"), ("negotiation", "2026-10-20"), ("won", "2026-10-30")])
    # D2 alice $2,000: lead → proposal, skipping contacted and qualified; open
    builder.deal("Skipper", customer="华为", amount=200_000, history=[
        ("lead", "2026-10-05"), ("proposal", "2026-10-10")])
    # D3 bob $500: lost after qualified
    builder.deal("Lost one", customer="Beta", amount=50_000, lost_reason="price", history=[
        ("lead", "2026-10-02"), ("contacted", "2026-10-04"), ("qualified", "2026-10-12"), ("lost", "2026-10-20")])
    # D4 bob $300: no history beyond its creation; open at lead
    builder.deal("Just created", customer="Beta", amount=30_000, history=[("lead", "2026-11-02")])
    # D5 bob $4,000: lead → won directly (cycle 7 days); a won deal reached every open stage
    builder.deal("Quick win", customer="Beta", amount=400_000, history=[("lead", "2026-11-03"), ("won", "2026-11-10")])
    # D6 alice $700: created in September, open at contacted
    builder.deal("September", customer="Acme", amount=70_000, history=[("lead", "2026-09-10"), ("contacted", "2026-09-12")])
    # D7 alice $1,500: lead → negotiation, then sent back to proposal (furthest: negotiation)
    builder.deal("Sent back", customer="Acme", amount=150_000, history=[
        ("lead", "2026-10-06"), ("negotiation", "2026-10-16"), ("proposal", "2026-10-26")])
    # D8 bob $900: at contacted with no history rows at all, created in the last second of October
    builder.deal("No history", customer="Beta", amount=90_000, history=[("contacted", "2026-10-31")],
                 created="2026-10-31 23:59:59", record_history=False)
    builder.conn.close()


@pytest.fixture
def b(any_store, copy_of):
    """Written once per test process and store, and copied for each test."""
    return Builder(copy_of(_b))


def row(stage, probability, reached, reached_value, conversion, open_, open_value, avg_days, lost=0):
    return {"stage": stage, "probability": probability, "reached": reached, "reached_value": reached_value,
            "conversion": conversion, "lost": None if stage == "won" else lost, "open": open_,
            "open_value": open_value, "avg_days_in_stage": avg_days}


def test_all_time_funnel_worked_by_hand(cli, b):
    report = cli.json("report", "funnel")
    assert report["report"] == "funnel" and report["period"] is None
    # furthest open stage: D1 won, D2 proposal, D3 qualified, D4 lead, D5 won, D6 contacted,
    # D7 negotiation, D8 contacted (its current stage: it has no history)
    # reached lead: all 8 = 1000+2000+500+300+4000+700+1500+900 = 10,900
    # contacted: all but D4 = 7, 10,600; qualified: D1 D2 D3 D5 D7 = 5, 9,000
    # proposal: D1 D2 D5 D7 = 4, 8,500; negotiation: D1 D5 D7 = 3, 6,500; won: D1 D5 = 2, 5,000
    # conversion 7/8, 5/7, 4/5, 3/4, 2/3; open now: lead D4; contacted D6 D8; proposal D2 D7
    # days in stage (stays that ended, by the deals that left the stage):
    #   lead D1 2, D2 5, D3 2, D5 7, D6 2, D7 10 → 28/6 = 4.7; contacted D1 5, D3 8 → 6.5
    #   qualified D1 7, D3 8 → 7.5; proposal D1 5 → 5.0; negotiation D1 10, D7 10 → 10.0
    assert report["rows"] == [
        row("lead", 0.1, 8, 10900, 0.875, 1, 300, 4.7),
        row("contacted", 0.2, 7, 10600, 0.7143, 2, 1600, 6.5),
        row("qualified", 0.4, 5, 9000, 0.8, 0, 0, 7.5, lost=1),  # D3
        row("proposal", 0.6, 4, 8500, 0.75, 2, 3500, 5.0),
        row("negotiation", 0.8, 3, 6500, 0.6667, 0, 0, 10.0),
        row("won", 1.0, 2, 5000, None, None, None, None),
    ]
    # win rate 2/(2+1); avg won 5000/2; cycle (29+7)/2 = 18.0
    # open value 2000+300+700+1500+900 = 5400; weighted 1200+30+140+900+180 = 2450
    assert report["summary"] == {
        "deals": 8, "won": 2, "won_value": 5000, "lost": 1, "lost_value": 500, "win_rate": 0.6667,
        "avg_won_value": 2500, "avg_cycle_days": 18.0, "open_value": 5400, "weighted_value": 2450,
    }


def test_period_filter_takes_deals_created_in_it(cli, b):
    report = cli.json("report", "funnel", "--period", "2026-11")
    assert report["period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    # cohort D4 (lead, $300) and D5 (won, $4,000); only D5 left lead, after 7 days
    assert report["rows"] == [
        row("lead", 0.1, 2, 4300, 0.5, 1, 300, 7.0),
        row("contacted", 0.2, 1, 4000, 1.0, 0, 0, None),
        row("qualified", 0.4, 1, 4000, 1.0, 0, 0, None),
        row("proposal", 0.6, 1, 4000, 1.0, 0, 0, None),
        row("negotiation", 0.8, 1, 4000, 1.0, 0, 0, None),
        row("won", 1.0, 1, 4000, None, None, None, None),
    ]
    assert report["summary"] == {
        "deals": 2, "won": 1, "won_value": 4000, "lost": 0, "lost_value": 0, "win_rate": 1.0,
        "avg_won_value": 4000, "avg_cycle_days": 7.0, "open_value": 300, "weighted_value": 30,
    }


def test_from_to_includes_the_last_second_of_the_last_day(cli, b):
    report = cli.json("report", "funnel", "--from", "2026-10-01", "--to", "2026-10-31")
    # D1 D2 D3 D7, and D8 created 2026-10-31 23:59:59
    assert report["summary"]["deals"] == 5
    # reached: lead all 5, contacted all 5 (D8 via its current stage), qualified D1 D2 D3 D7,
    # proposal D1 D2 D7, negotiation D1 D7, won D1
    assert [r["reached"] for r in report["rows"]] == [5, 5, 4, 3, 2, 1]


def test_owner_filter(cli, b):
    report = cli.json("report", "funnel", "--owner", "bob")
    # bob: D3 lost at qualified ($500), D4 lead ($300), D5 won ($4,000), D8 contacted ($900)
    # reached: lead 4 (5,700), contacted D3 D5 D8 3 (5,400), qualified D3 D5 2 (4,500),
    # proposal, negotiation, won: D5 (4,000); days: lead D3 2, D5 7 → 4.5; contacted D3 8; qualified D3 8
    assert report["rows"] == [
        row("lead", 0.1, 4, 5700, 0.75, 1, 300, 4.5),
        row("contacted", 0.2, 3, 5400, 0.6667, 1, 900, 8.0),
        row("qualified", 0.4, 2, 4500, 0.5, 0, 0, 8.0, lost=1),  # D3
        row("proposal", 0.6, 1, 4000, 1.0, 0, 0, None),
        row("negotiation", 0.8, 1, 4000, 1.0, 0, 0, None),
        row("won", 1.0, 1, 4000, None, None, None, None),
    ]
    # win rate 1/(1+1); open 300+900; weighted 30+180
    assert report["summary"] == {
        "deals": 4, "won": 1, "won_value": 4000, "lost": 1, "lost_value": 500, "win_rate": 0.5,
        "avg_won_value": 4000, "avg_cycle_days": 7.0, "open_value": 1200, "weighted_value": 210,
    }
    assert cli.json("report", "funnel", "--rep", "bob") == report


def test_empty_period(cli, b):
    report = cli.json("report", "funnel", "--period", "2025")
    assert [(r["reached"], r["conversion"], r["avg_days_in_stage"]) for r in report["rows"]] == [(0, None, None)] * 6
    assert report["summary"] == {
        "deals": 0, "won": 0, "won_value": 0, "lost": 0, "lost_value": 0, "win_rate": None,
        "avg_won_value": None, "avg_cycle_days": None, "open_value": 0, "weighted_value": 0,
    }


def test_each_stay_in_a_stage_counts(cli, isolated):
    b = Builder(isolated)
    b.customer("Acme")
    b.deal("Ping-pong", customer="Acme", amount=100_000, history=[
        ("lead", "2026-11-01"), ("proposal", "2026-11-05"), ("lead", "2026-11-08"), ("proposal", "2026-11-20")])
    rows = {r["stage"]: r for r in cli.json("report", "funnel")["rows"]}
    # lead: stays of 4 (11-01 → 11-05) and 12 days (11-08 → 11-20) → 8.0; proposal: one
    # finished stay of 3 days (11-05 → 11-08), the second is still going on
    assert (rows["lead"]["avg_days_in_stage"], rows["proposal"]["avg_days_in_stage"]) == (8.0, 3.0)
    assert (rows["proposal"]["reached"], rows["proposal"]["open"], rows["negotiation"]["reached"]) == (1, 1, 0)


def test_weighted_value_rounds_to_the_cent(cli, isolated):
    b = Builder(isolated)
    b.customer("Acme")
    b.deal("Odd", customer="Acme", amount=33_333, history=[("lead", "2026-11-01"), ("proposal", "2026-11-02")])
    b.deal("Odd too", customer="Acme", amount=11, history=[("lead", "2026-11-01")])
    # 333.33 × 60 % = 199.998; 0.11 × 10 % = 0.011 → 199.998 + 0.011 = 200.009 → 200.01
    assert cli.json("report", "funnel")["summary"]["weighted_value"] == 200.01


def test_table_draws_the_funnel_as_bars(cli, b, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    table = cli("report", "funnel", "-f", "table").stdout
    lines = {line.split()[0]: line for line in table.splitlines() if "█" in line}
    # bars are relative to the widest row (lead, 8 deals = 12 cells): won 2/8 → 3 cells
    assert "█" * 12 in lines["lead"]
    assert "█" * 3 + " " in lines["won"] and "█" * 4 not in lines["won"]
    plain = cli("report", "funnel").stdout
    assert "█" not in plain and "Funnel of deals created at any time" in plain
    assert "win rate        66.7%" in plain


def test_bad_input(cli, b):
    assert "not a period" in cli.fails("report", "funnel", "--period", "last-fortnight", code=2)
    assert "--from and --to go together" in cli.fails("report", "funnel", "--from", "2026-10-01", code=2)
    assert "either --period or --from/--to" in cli.fails(
        "report", "funnel", "--period", "2026", "--from", "2026-01-01", "--to", "2026-02-01", code=2)
    assert "no rep 'zed'" in cli.fails("report", "funnel", "--owner", "zed")
    assert "unknown format" in cli.fails("report", "funnel", "-f", "xml", code=2)


def test_where_deals_drop_and_stages_not_yet_decided(cli, isolated):
    b = Builder(isolated)
    b.customer("Acme")
    # L1 lost at lead; L2 and L3 lost after reaching qualified (L3 went back to contacted
    # first: its furthest stage is still qualified); W won; P1 P2 still at proposal.
    b.deal("L1", customer="Acme", amount=10_000, history=[("lead", "2026-11-01"), ("lost", "2026-11-02")])
    b.deal("L2", customer="Acme", amount=20_000, history=[("lead", "2026-11-01"), ("qualified", "2026-11-03"), ("lost", "2026-11-09")])
    b.deal("L3", customer="Acme", amount=30_000, history=[
        ("lead", "2026-11-01"), ("qualified", "2026-11-03"), ("contacted", "2026-11-05"), ("lost", "2026-11-09")])
    b.deal("W", customer="Acme", amount=40_000, history=[("lead", "2026-11-01"), ("won", "2026-11-10")])
    b.deal("P1", customer="Acme", amount=50_000, history=[("lead", "2026-11-01"), ("proposal", "2026-11-04")])
    b.deal("P2", customer="Acme", amount=60_000, history=[("lead", "2026-11-01"), ("proposal", "2026-11-06")])
    report = cli.json("report", "funnel")
    # reached: lead 6; contacted 5 (all but L1); qualified 5 (L2 L3 W P1 P2); proposal 3 (W P1 P2);
    # negotiation 1 (W); won 1. Lost at: lead 1 (L1), qualified 2 (L2, L3); 1 + 2 = summary lost 3.
    # negotiation: its one deal (W) left it for won → 1/1; proposal 1/3 (P1, P2 undecided)
    got = [(r["stage"], r["reached"], r["lost"], r["open"], r["conversion"]) for r in report["rows"]]
    assert got == [
        ("lead", 6, 1, 0, 0.8333),
        ("contacted", 5, 0, 0, 1.0),
        ("qualified", 5, 2, 0, 0.6),
        ("proposal", 3, 0, 2, 0.3333),
        ("negotiation", 1, 0, 0, 1.0),
        ("won", 1, None, None, None),
    ]
    assert report["summary"]["lost"] == 3
    # A cohort whose deals all still sit in one open stage: no drop is known there yet
    report = cli.json("report", "funnel", "--period", "2026-12")  # empty: nothing known anywhere
    assert [r["conversion"] for r in report["rows"]] == [None] * 6
    b.deal("Fresh", customer="Acme", amount=70_000, history=[("lead", "2026-11-20"), ("proposal", "2026-11-21")],
           created="2026-11-20 09:00:00")
    report = cli.json("report", "funnel", "--from", "2026-11-20", "--to", "2026-11-23")
    # reached lead … proposal 1; at proposal it is still there: not a 0 % conversion
    assert [(r["stage"], r["conversion"]) for r in report["rows"][:4]] == [
        ("lead", 1.0), ("contacted", 1.0), ("qualified", 1.0), ("proposal", None)]
    plain = cli("report", "funnel", "--from", "2026-11-20", "--to", "2026-11-23").stdout.splitlines()
    proposal = next(line for line in plain if line.startswith("proposal"))
    # stage, probability, reached, reached value, (no conversion), lost, open, open value, (no days)
    assert proposal.split() == ["proposal", "60.0%", "1", "$700.00", "0", "1", "$700.00"]
    assert cli("report", "funnel", "-f", "csv").stdout.splitlines()[0] == (
        "stage,probability,reached,reached_value,conversion,lost,open,open_value,avg_days_in_stage")
