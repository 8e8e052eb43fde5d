"""`salescli target …` through the real CLI (today is Monday 2026-11-23)."""

from __future__ import annotations

import pytest
from dbcheck import rows, snapshot


def stored(db, where: str = "1", params=()) -> list[tuple]:
    """(metric, period, start, end, rep handle or None, value) as stored, in period order."""
    return rows(
        db,
        'SELECT t.metric, t.period, t.start, t."end", r.handle, t.value '
        f'FROM target t LEFT JOIN rep r ON r.id = t.rep_id WHERE {where} ORDER BY t.start, t."end" DESC, t.id',
        params,
    )


@pytest.fixture
def reps(cli, isolated):
    cli("rep", "add", "alice")
    cli("rep", "add", "bob")
    return isolated


def target(metric, period, start, end, value, rep=None):
    return {"metric": metric, "period": period, "start": start, "end": end, "rep": rep, "value": value}


def test_set_and_list(cli, reps):
    assert cli("target", "set", "revenue", "120k", "--period", "2026").stdout == (
        "Set revenue target for 2026 (the team): $120,000.00\n"
    )
    cli("target", "set", "won", "12", "--period", "2026-Q4", "--rep", "Alice")
    cli("target", "set", "satisfaction", "80%", "--period", "2026-11")
    cli("target", "set", "margin", "$1,234.56", "--period", "this-month", "--rep", "bob")
    cli("target", "set", "new_customers", "5", "--period", "2026-W48")
    cli("target", "set", "activities", "40", "--period", "2026-11-01..2026-11-15", "--rep", "alice")
    cli("target", "set", "units", "300", "--period", "2025")
    cli("target", "set", "satisfaction", "90", "--period", "2026-10")
    assert cli.json("target", "list") == [
        target("units", "2025", "2025-01-01", "2025-12-31", 300),
        target("revenue", "2026", "2026-01-01", "2026-12-31", 120000),
        target("won_deals", "2026-Q4", "2026-10-01", "2026-12-31", 12, "alice"),
        target("satisfaction", "2026-10", "2026-10-01", "2026-10-31", 0.9),
        target("margin", "2026-11", "2026-11-01", "2026-11-30", 1234.56, "bob"),
        target("satisfaction", "2026-11", "2026-11-01", "2026-11-30", 0.8),
        target("activities", "2026-11-01..2026-11-15", "2026-11-01", "2026-11-15", 40, "alice"),
        target("new_customers", "2026-W48", "2026-11-23", "2026-11-29", 5),
    ]
    # storage units: cents, counts, basis points
    assert stored(reps, "t.metric IN ('revenue', 'margin', 'satisfaction', 'won_deals')") == [
        ("revenue", "2026", "2026-01-01", "2026-12-31", None, 12_000_000),
        ("won_deals", "2026-Q4", "2026-10-01", "2026-12-31", "alice", 12),
        ("satisfaction", "2026-10", "2026-10-01", "2026-10-31", None, 9000),
        ("satisfaction", "2026-11", "2026-11-01", "2026-11-30", None, 8000),
        ("margin", "2026-11", "2026-11-01", "2026-11-30", "bob", 123_456),
    ]


def test_list_filters_by_overlapping_period_and_rep(cli, reps):
    cli("target", "set", "revenue", "120k", "--period", "2026")
    cli("target", "set", "revenue", "40k", "--period", "2026-Q4", "--rep", "alice")
    cli("target", "set", "revenue", "10k", "--period", "2026-09", "--rep", "alice")
    cli("target", "set", "won_deals", "3", "--period", "2026-W44", "--rep", "bob")  # 26 Oct to 1 Nov
    def periods(*args):
        return [(t["period"], t["rep"]) for t in cli.json("target", "list", *args)]

    assert periods("--period", "2026-11") == [("2026", None), ("2026-Q4", "alice"), ("2026-W44", "bob")]
    assert periods("--period", "2026-09") == [("2026", None), ("2026-09", "alice")]
    assert periods("--rep", "alice") == [("2026-09", "alice"), ("2026-Q4", "alice")]
    assert periods("--period", "2027") == []
    assert cli("target", "list", "--period", "2027").stdout.startswith("No targets")


def test_list_plain_shows_units(cli, reps):
    cli("target", "set", "revenue", "1.5m", "--period", "2026")
    cli("target", "set", "satisfaction", "85", "--period", "2026", "--rep", "bob")
    cli("target", "set", "won_deals", "1200", "--period", "2026")
    lines = cli("target", "list").stdout.splitlines()
    assert [line.split() for line in lines] == [
        ["metric", "period", "start", "end", "rep", "value"],
        ["revenue", "2026", "2026-01-01", "2026-12-31", "$1,500,000.00"],
        ["won_deals", "2026", "2026-01-01", "2026-12-31", "1,200"],
        ["satisfaction", "2026", "2026-01-01", "2026-12-31", "bob", "85.0%"],
    ]
    assert cli("target", "list", "-f", "csv").stdout.splitlines()[1:] == [
        "revenue,2026,2026-01-01,2026-12-31,,1500000.00",
        "won_deals,2026,2026-01-01,2026-12-31,,1200",
        "satisfaction,2026,2026-01-01,2026-12-31,bob,0.85",
    ]


def test_setting_again_updates(cli, reps):
    cli("target", "set", "revenue", "100k", "--period", "2026-Q4", "--rep", "alice")
    cli("target", "set", "revenue", "80k", "--period", "2026-Q4")  # the team's is another target
    result = cli("target", "set", "revenue", "120k", "--period", "2026-q4", "--rep", "alice")
    assert result.stdout == "Updated revenue target for 2026-Q4 (rep alice): $120,000.00 (was $100,000.00)\n"
    assert stored(reps) == [
        ("revenue", "2026-Q4", "2026-10-01", "2026-12-31", "alice", 12_000_000),
        ("revenue", "2026-Q4", "2026-10-01", "2026-12-31", None, 8_000_000),
    ]


def test_split_a_year_into_months(cli, reps):
    result = cli("target", "set", "revenue", "120k", "--period", "2026", "--split", "months")
    assert result.stdout.splitlines() == [
        "Set revenue target for 2026 (the team): $120,000.00",
        "  and the months 2026-01 to 2026-12: 12 × $10,000.00",
    ]
    targets = stored(reps)
    assert targets[0] == ("revenue", "2026", "2026-01-01", "2026-12-31", None, 12_000_000)
    assert [t[1:4] for t in targets[1:]][::5] == [
        ("2026-01", "2026-01-01", "2026-01-31"),
        ("2026-06", "2026-06-01", "2026-06-30"),
        ("2026-11", "2026-11-01", "2026-11-30"),
    ]
    assert [t[5] for t in targets[1:]] == [1_000_000] * 12


def test_split_puts_the_remainder_on_the_last_ones(cli, reps):
    result = cli("target", "set", "revenue", "100000.01", "--period", "2026-Q4", "--split", "months", "--rep", "bob")
    assert result.stdout.splitlines()[1] == "  and the months 2026-10 to 2026-12: 1 × $33,333.33, 2 × $33,333.34"
    assert [(t[1], t[4], t[5]) for t in stored(reps)] == [
        ("2026-Q4", "bob", 10_000_001),
        ("2026-10", "bob", 3_333_333),
        ("2026-11", "bob", 3_333_334),
        ("2026-12", "bob", 3_333_334),
    ]
    cli("target", "set", "won_deals", "14", "--period", "2026", "--split", "quarters")
    assert [t[5] for t in stored(reps, "metric = 'won_deals' AND period LIKE '%Q%'")] == [3, 3, 4, 4]


def test_split_into_weeks_uses_the_weeks_whose_thursday_is_inside(cli, reps):
    cli("target", "set", "won_deals", "106", "--period", "2026", "--split", "weeks")
    weeks = stored(reps, "period LIKE '%-W%'")
    # 2026 has 53 ISO weeks; W01 starts on Monday 29 December 2025
    assert len(weeks) == 53
    assert weeks[0][1:4] == ("2026-W01", "2025-12-29", "2026-01-04")
    assert weeks[-1][1:4] == ("2026-W53", "2026-12-28", "2027-01-03")
    assert {w[5] for w in weeks} == {2}
    cli("target", "set", "won_deals", "52", "--period", "2027", "--split", "weeks")
    assert len(stored(reps, "period LIKE '2027-W%'")) == 52
    # a month: 2026-11 holds the Thursdays of W45..W48; W44 (Thu 29 Oct) is October's
    result = cli("target", "set", "activities", "10", "--period", "2026-11", "--split", "weeks")
    assert result.stdout.splitlines()[1] == "  and the weeks 2026-W45 to 2026-W48: 2 × 2, 2 × 3"
    cli("target", "set", "activities", "10", "--period", "2026-10", "--split", "weeks")
    assert [t[1] for t in stored(reps, "metric = 'activities' AND period LIKE '%-W%'")] == [
        "2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48",
    ]


def test_split_a_rate_repeats_it(cli, reps):
    cli("target", "set", "satisfaction", "80%", "--period", "2026-Q4", "--split", "months")
    assert [t[5] for t in stored(reps)] == [8000, 8000, 8000, 8000]


def test_split_updates_existing_sub_targets(cli, reps):
    cli("target", "set", "revenue", "5k", "--period", "2026-11")
    result = cli("target", "set", "revenue", "30k", "--period", "2026-Q4", "--split", "months")
    assert result.stdout.splitlines()[1] == "  and the months 2026-10 to 2026-12: 3 × $10,000.00; 1 of them updated"
    assert len(stored(reps)) == 4


def test_delete(cli, reps):
    cli("target", "set", "revenue", "100k", "--period", "2026-Q4", "--rep", "alice")
    cli("target", "set", "revenue", "80k", "--period", "2026-Q4")
    assert cli("target", "delete", "revenue", "--period", "2026-Q4").stdout == (
        "Deleted revenue target for 2026-Q4 (the team): $80,000.00\n"
    )
    assert stored(reps) == [("revenue", "2026-Q4", "2026-10-01", "2026-12-31", "alice", 10_000_000)]
    before = snapshot(reps)
    assert "no revenue target for 2026-Q4 for the team" in cli.fails("target", "delete", "revenue", "--period", "2026-Q4")
    assert "no margin target for 2026-Q4 for rep alice" in cli.fails(
        "target", "delete", "margin", "--period", "2026-Q4", "--rep", "alice"
    )
    assert snapshot(reps) == before
    cli("target", "delete", "rev", "--period", "2026-Q4", "--rep", "alice")
    assert stored(reps) == []


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["set", "profit", "10", "--period", "2026"], 2, "unknown metric 'profit': use one of revenue, won_deals"),
        (["set", "revenue", "10k", "--period", "2026-Q5"], 2, "'2026-Q5' is not a period"),
        (["set", "revenue", "10k", "--period", "2025-W53"], 2, "not a period"),
        (["set", "revenue", "lots", "--period", "2026"], 2, "not an amount of money"),
        (["set", "revenue", "0", "--period", "2026"], 2, "above zero"),
        (["set", "revenue", "1.234", "--period", "2026"], 2, "fractions of a cent"),
        (["set", "won_deals", "2.5", "--period", "2026"], 2, "not a whole number"),
        (["set", "satisfaction", "120%", "--period", "2026"], 2, "between 0% and 100%"),
        (["set", "revenue", "10k", "--period", "2026", "--rep", "zed"], 1, "no rep 'zed'"),
        (["set", "revenue", "10k", "--period", "2026-W48", "--split", "months"], 1, "cannot split 2026-W48 (a week)"),
        (["set", "revenue", "10k", "--period", "2026-11", "--split", "months"], 1, "cannot split 2026-11 (a month)"),
        (["set", "revenue", "10k", "--period", "2026-Q4", "--split", "quarters"], 1, "cannot split"),
        (["set", "revenue", "10k", "--period", "2026-11-01..2026-12-31", "--split", "months"], 1,
         "a custom date range"),
        (["set", "revenue", "10k", "--period", "2026", "--split", "days"], 2, "unknown split 'days'"),
        (["set", "won_deals", "50", "--period", "2026", "--split", "weeks"], 1, "too small to split into 53 weeks"),
        (["list", "--period", "someday"], 2, "not a period"),
        (["list", "--rep", "zed"], 1, "no rep 'zed'"),
        (["delete", "profit", "--period", "2026"], 2, "unknown metric"),
    ],
)
def test_errors_write_nothing(cli, reps, args, code, words):
    cli("target", "set", "revenue", "100k", "--period", "2026")
    before = snapshot(reps)
    assert words in cli.fails("target", *args, code=code)
    assert snapshot(reps) == before
