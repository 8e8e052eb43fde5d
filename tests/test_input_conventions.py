"""Issue 11, an owner's first week: the same text means the same rate, date and money in
every option and every CSV column; missing values are null for programs; existing work
can be typed in with its real dates. Driven through the CLI, figures worked by hand."""

from __future__ import annotations

import pytest
from dbcheck import rows, snapshot


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def december(monkeypatch):
    """Today is Thursday 2026-12-10: 'Jan 5' lies ahead in 2027, 'Dec 20' behind in 2025."""
    monkeypatch.setenv("SALESCLI_TODAY", "2026-12-10")


def add_acme(cli, *more: str) -> None:
    cli("rep", "add", "alice")
    cli("customer", "add", "Acme", "--owner", "alice", "--no-followup", *more)


# ---------------------------------------------------------------- 3. rates: a bare number is a percentage


def test_a_bare_commission_rate_is_a_percentage(cli):
    cli("rep", "add", "alice", "--commission-rate", "1")
    cli("rep", "add", "bob", "--commission-rate", "0.5")
    cli("rep", "add", "carol", "--commission-rate", "5%")
    assert [r["commission_rate"] for r in cli.json("rep", "list")] == [0.01, 0.005, 0.05]
    cli("customer", "add", "Acme", "--owner", "alice", "--no-followup")
    cli("deal", "add", "Chairs", "-c", "Acme", "--amount", "12000")
    cli("deal", "win", "1")
    # 12,000 × 1 % = 120 (not 12,000 × 100 %)
    assert cli.json("report", "reps", "-p", "2026-11")["rows"][0]["commission"] == 120


def test_a_bare_probability_and_target_are_percentages(cli, isolated):
    cli("stage", "add", "nurture", "-p", "1")
    assert [s["probability"] for s in cli.json("stage", "list") if s["name"] == "nurture"] == [0.01]
    before = snapshot(isolated)
    assert "whole percentage" in cli.fails("stage", "add", "maybe", "-p", "0.5", code=2)  # 0.5 %, not 50 %
    assert snapshot(isolated) == before
    cli("target", "set", "satisfaction", "0.5", "--period", "2026-11")
    assert cli.json("target", "list")[0]["value"] == 0.005


def test_csv_rates_are_percentages_and_an_export_reads_back_exactly(cli, isolated, tmp_path):
    reps = write(tmp_path / "reps.csv", "handle,commission_rate\nalice,1\nbob,0.5\ncarol,33.33%\n")
    cli("import", "reps", reps)
    assert rows(isolated, "SELECT handle, commission_rate FROM rep ORDER BY id") == [
        ("alice", 0.01), ("bob", 0.005), ("carol", 0.3333)
    ]
    exported = cli("export", "reps").stdout
    assert [line.split(",")[5] for line in exported.splitlines()] == ["commission_rate", "1%", "0.5%", "33.33%"]
    again = tmp_path / "again.db"
    cli("--db", again, "import", "reps", write(tmp_path / "export.csv", exported))
    assert cli("--db", again, "export", "reps").stdout == exported


# ---------------------------------------------------------------- 4. a date without a year


def test_due_close_and_reschedule_without_a_year_are_the_next_such_date(cli, december):
    add_acme(cli)
    cli("activity", "plan", "Acme", "Call back", "--due", "Jan 5")
    cli("activity", "plan", "Acme", "Visit", "--due", "Dec 10")  # today is on or after today
    cli("deal", "add", "Chairs", "-c", "Acme", "--amount", "5000", "--close", "Jan 15")
    assert [(a["summary"], a["due"]) for a in cli.json("activity", "list")] == [
        ("Visit", "2026-12-10"), ("Call back", "2027-01-05")
    ]
    assert cli.json("deal", "list")[0]["expected_close"] == "2027-01-15"
    forecast = {r["month"]: r["deals"] for r in cli.json("report", "forecast")["rows"]}
    assert (forecast["overdue"], forecast["2027-01"]) == (0, 1)
    cli("activity", "reschedule", "2", "Feb 1")
    cli("deal", "edit", "1", "--close", "Mar 3")
    assert cli.json("activity", "list")[1]["due"] == "2027-02-01"
    assert cli.json("deal", "list")[0]["expected_close"] == "2027-03-03"


def test_on_without_a_year_is_the_last_such_date(cli, december):
    add_acme(cli)
    cli("activity", "log", "Acme", "--type", "call", "--on", "Dec 20")  # 2025-12-20, not 10 days ahead
    cli("activity", "log", "Acme", "--type", "visit", "--on", "Dec 10")
    assert [a["done_at"] for a in cli.json("activity", "list")] == ["2026-12-10", "2025-12-20"]


def test_a_due_date_in_the_past_is_kept_with_a_warning(cli, december):
    add_acme(cli)
    result = cli("activity", "plan", "Acme", "Call back", "--due", "2026-12-01")
    assert result.stderr == "Warning: due date 2026-12-01 is in the past (9 days ago)\n"
    result = cli("deal", "add", "Chairs", "-c", "Acme", "--amount", "5000", "--close", "yesterday")
    assert result.stderr == "Warning: expected close 2026-12-09 is in the past (1 day ago)\n"
    assert cli("activity", "plan", "Acme", "Visit", "--due", "today").stderr == ""
    assert cli.json("activity", "list")[0]["due"] == "2026-12-01"


def test_csv_dates_without_a_year_look_ahead_or_back_by_column(cli, isolated, tmp_path, december):
    add_acme(cli)
    planned = write(tmp_path / "a.csv", "customer,type,summary,due,done_at\nAcme,task,Call,Jan 5,\nAcme,call,Met,,Dec 20\n")
    cli("import", "activities", planned)
    assert rows(isolated, "SELECT summary, due, done_at FROM activity ORDER BY id") == [
        ("Call", "2027-01-05", None), ("Met", None, "2025-12-20")
    ]


# ---------------------------------------------------------------- 5. year-first and Chinese dates


@pytest.mark.parametrize(
    "text, due",
    [
        ("2026/12/5", "2026-12-05"),
        ("2026-12-5", "2026-12-05"),
        ("2026.12.5", "2026-12-05"),
        ("2026年12月5日", "2026-12-05"),
        ("2025/3/5", "2025-03-05"),  # was "ambiguous" while 2024/6/18 passed
        ("12月5日", "2026-12-05"),  # today is 2026-11-23: the next 5 December
        ("1月5号", "2027-01-05"),
    ],
)
def test_year_first_and_chinese_dates_in_options(cli, text, due):
    add_acme(cli)
    cli("activity", "plan", "Acme", "Call", "--due", text)
    assert cli.json("activity", "list")[0]["due"] == due


@pytest.mark.parametrize("text", ["26/12/5", "26.12.5", "26-12-5", "13/12/26"])
def test_a_two_digit_year_that_could_come_first_or_last_is_refused(cli, isolated, tmp_path, text):
    """'26/12/5' was read as 26 December 2005 (day, month, year), a Chinese user's 2026-12-05."""
    add_acme(cli)
    before = snapshot(isolated)
    error = cli.fails("activity", "plan", "Acme", "Call", "--due", text, code=2)
    assert f"'{text}' is ambiguous (a two-digit year could come first or last)" in error
    deals = write(tmp_path / "d.csv", f"title,customer,amount,expected_close\nA,Acme,100,{text}\n")
    assert "row 2, column expected_close:" in cli.fails("import", "deals", deals)
    assert snapshot(isolated) == before
    cli("activity", "plan", "Acme", "Call", "--due", "5-Dec-26")  # a month's name: the year is last
    assert cli.json("activity", "list")[0]["due"] == "2026-12-05"


def test_year_first_and_chinese_dates_in_every_csv_column(cli, isolated, tmp_path):
    add_acme(cli)
    deals = write(
        tmp_path / "d.csv",
        "title,customer,amount,stage,created_at,expected_close,closed_at\n"
        "A,Acme,100,won,2025/3/5,,2025/3/20\n"
        "B,Acme,200,won,2024/6/18,,2024年7月1日\n"
        "C,Acme,300,,2026.11.2,2026年12月31日,\n",
    )
    cli("import", "deals", deals)
    assert rows(isolated, "SELECT title, created_at, expected_close, closed_at FROM deal ORDER BY id") == [
        ("A", "2025-03-05 00:00:00", None, "2025-03-20"),
        ("B", "2024-06-18 00:00:00", None, "2024-07-01"),
        ("C", "2026-11-02 00:00:00", "2026-12-31", None),
    ]
    payments = write(tmp_path / "p.csv", "deal,amount,paid_on\n1,50,2025/3/25\n2,200,11月1日\n")
    cli("import", "payments", payments)
    assert rows(isolated, "SELECT deal_id, amount, paid_on FROM payment ORDER BY id") == [
        (1, 5000, "2025-03-25"), (2, 20000, "2026-11-01")  # paid_on looks back from 2026-11-23
    ]


def test_created_at_as_excel_writes_a_date_and_time(cli, isolated, tmp_path):
    """Chinese Excel saves a date-time cell as '2026/11/3 9:00': it was refused as
    'ambiguous (day and month could swap)', though year first is never ambiguous."""
    customers = write(
        tmp_path / "c.csv",
        "name,created_at\nA,2026/11/3 9:00\nB,2026年11月3日 09:05:07\nC,2026.11.3\nD,11月3日 13:00\n",
    )
    cli("import", "customers", customers)
    assert rows(isolated, "SELECT name, created_at FROM customer ORDER BY id") == [
        ("A", "2026-11-03 09:00:00"), ("B", "2026-11-03 09:05:07"), ("C", "2026-11-03 00:00:00"), ("D", "2026-11-03 13:00:00")
    ]
    before = snapshot(isolated)
    bad = write(tmp_path / "bad.csv", "name,created_at\nE,2026/11/3 25:00\n")
    assert "row 2, column created_at: '2026/11/3 25:00' has no such time of day" in cli.fails("import", "customers", bad)
    assert snapshot(isolated) == before


# ---------------------------------------------------------------- 6. money: one parser


@pytest.mark.parametrize(
    "text, amount",
    [
        ("12,000.50", 12000.5),
        ("1.2万", 12000),
        ("12000元", 12000),
        ("￥12,000", 12000),
        ("¥12,000", 12000),
        ("12k", 12000),
        ("1,234,567", 1234567),
    ],
)
def test_money_forms(cli, text, amount):
    add_acme(cli)
    cli("deal", "add", "Chairs", "-c", "Acme", "--amount", text)
    assert cli.json("deal", "list")[0]["amount"] == amount


@pytest.mark.parametrize("text", ["12,50", "1,2", "12,00", "1,2345", "12,000,5"])
def test_a_comma_only_separates_thousands_on_the_command_line(cli, isolated, text):
    add_acme(cli)
    before = snapshot(isolated)
    error = cli.fails("deal", "add", "Chairs", "-c", "Acme", "--amount", text, code=2)
    assert f"amount '{text}' has a comma that does not separate thousands" in error
    assert snapshot(isolated) == before


def test_a_comma_only_separates_thousands_in_csv(cli, isolated, tmp_path):
    add_acme(cli)
    before = snapshot(isolated)
    bad = write(tmp_path / "d.csv", "title,customer,amount\nA,Acme,\"12,00\"\nB,Acme,1.2万\n")
    error = cli.fails("import", "deals", bad)
    assert "row 2, column amount: amount '12,00' has a comma that does not separate thousands" in error
    assert snapshot(isolated) == before
    good = write(tmp_path / "g.csv", "title,customer,amount\nA,Acme,\"12,000\"\nB,Acme,1.2万\nC,Acme,￥3000元\n")
    cli("import", "deals", good)
    assert rows(isolated, "SELECT title, amount FROM deal ORDER BY id") == [
        ("A", 1_200_000), ("B", 1_200_000), ("C", 300_000)
    ]


# ---------------------------------------------------------------- 9. missing values are null


def test_reports_say_null_where_a_value_is_missing(cli):
    cli("rep", "add", "alice")
    cli("customer", "add", "Acme", "--owner", "alice", "--no-followup", "--source", "(no source)")
    cli("customer", "add", "Birch", "--owner", "", "--no-followup")  # no source, no owner
    cli("deal", "add", "Real", "-c", "Acme", "--amount", "300")
    cli("deal", "add", "Bare", "-c", "Birch", "--amount", "200")
    cli("deal", "lose", "1", "--reason", "price")
    cli("deal", "win", "2")
    sources = cli.json("report", "sources", "-p", "2026-11")["rows"]
    assert [(r["source"], r["deals"], r["won"]) for r in sources] == [(None, 1, 1), ("(no source)", 1, 0)]
    assert cli("report", "sources", "-p", "2026-11", "-f", "csv").stdout.splitlines()[1:] == [
        ",1,1,1,1.0,200.00,200.00", "(no source),1,1,0,0.0,0.00,"
    ]
    plain = cli("report", "sources", "-p", "2026-11", "-f", "plain").stdout
    assert plain.splitlines()[2].startswith("(no source)") and plain.count("(no source)") == 2
    reps = cli.json("report", "reps", "-p", "2026-11")["rows"]
    assert [(r["rep"], r["revenue"]) for r in reps] == [(None, 200), ("alice", 0)]
    assert "(unassigned)" in cli("report", "reps", "-p", "2026-11", "-f", "plain").stdout


def test_lost_without_a_reason_is_null(cli, isolated, tmp_path):
    add_acme(cli)
    deals = write(tmp_path / "d.csv", "title,customer,amount,stage,closed_at,lost_reason\nA,Acme,100,lost,2026-11-20,\n")
    cli("import", "deals", deals)
    assert cli.json("report", "lost", "-p", "2026-11")["rows"] == [
        {"reason": None, "deals": 1, "value": 100, "share": 1.0}
    ]
    assert cli("report", "lost", "-p", "2026-11", "-f", "csv").stdout == "reason,deals,value,share\n,1,100.00,1.0\n"
    assert "(no reason)" in cli("report", "lost", "-p", "2026-11", "-f", "plain").stdout


# ---------------------------------------------------------------- 11. existing work typed in


def test_a_deal_typed_in_with_its_real_dates(cli, isolated):
    add_acme(cli)
    cli("deal", "add", "Chairs", "-c", "Acme", "--amount", "5000", "--created", "2026-10-01")
    cli("deal", "move", "1", "contacted", "--on", "-10d")  # 2026-11-13
    before = snapshot(isolated)
    assert "2026-09-30 is before deal 1 was created (2026-10-01)" in cli.fails(
        "deal", "move", "1", "qualified", "--on", "2026-09-30"
    )
    assert snapshot(isolated) == before
    cli("deal", "win", "1", "--on", "Nov 20")  # the last 20 November: 2026-11-20
    shown = cli.json("deal", "show", "1")
    assert (shown["created_at"], shown["closed_at"]) == ("2026-10-01 12:00:00", "2026-11-20")
    assert [(h["stage"], h["entered_on"], h["days"]) for h in shown["history"]] == [
        ("lead", "2026-10-01", 43), ("contacted", "2026-11-13", 7), ("won", "2026-11-20", None)
    ]
    # cycle 2026-10-01 → 2026-11-20 = 50 days
    assert cli.json("report", "funnel", "-p", "2026-10")["summary"]["avg_cycle_days"] == 50


def test_created_cannot_be_in_the_future(cli, isolated):
    add_acme(cli)
    before = snapshot(isolated)
    assert "2026-11-24 is in the future: a deal is created today or earlier" in cli.fails(
        "deal", "add", "Chairs", "-c", "Acme", "--amount", "5000", "--created", "tomorrow"
    )
    assert "is in the future: a customer is created" in cli.fails("customer", "add", "Birch", "--created", "+1d")
    assert snapshot(isolated) == before


def test_a_customer_typed_in_follows_the_first_contact_rule_from_its_created_date(cli):
    cli("rep", "add", "alice")
    added = cli("customer", "add", "Acme", "--owner", "alice", "--created", "2026-11-01")
    # first contact is due 24 h after it was created: 2026-11-02, 21 days before today
    assert added.stderr == (
        "Warning: first contact was due 2026-11-02: if it happened, log it (salescli activity log 1 --type call --on DATE)\n"
    )
    customer = cli.json("customer", "show", "Acme")
    assert customer["created_at"] == "2026-11-01 12:00:00"
    due = cli.json("report", "due")["rows"]
    assert [(r["bucket"], r["summary"], r["due"], r["days"]) for r in due] == [
        ("overdue", "First contact", "2026-11-02", -21)
    ]
    # logging the last contact records that it happened: nothing is due any more
    cli("activity", "log", "Acme", "--type", "visit", "--on", "Nov 10")
    assert cli.json("report", "due")["rows"] == []
