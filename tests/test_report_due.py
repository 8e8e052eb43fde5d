"""`report due`: buckets, order, the first-contact rule, --days, --owner, --quiet-if-empty,
--check, and a run as cron runs it (SPEC §6, §1).

Today is Monday 2026-11-23; SALESCLI_TODAY without a time puts the clock at noon.
"""

import csv
import datetime as dt
import io
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from builders import Builder
from dbcheck import traced_statements
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salescli import output
from salescli.reports import daily
from salescli.store import lines

SALESCLI = Path(sys.executable).parent / "salescli"


def _b(cli, db):
    b = Builder(db)
    b.rep("alice")
    b.rep("bob")
    # long-standing customers (each has activity, so none is "uncontacted")
    b.customer("Acme", owner="alice")
    b.customer("Beta", owner="bob")
    b.customer("北京烤鸭", owner="alice")
    deal = b.deal("Banquet", customer="北京烤鸭", amount=500_000, history=[("lead", "2026-11-01")])
    b.activity("Acme", summary="Chase invoice", due="2026-11-20")                       # 1 overdue -3
    b.activity("Beta", type="email", summary="Send quote", due="2026-11-16")            # 2 overdue -7
    b.activity("北京烤鸭", type="meeting", summary="试菜 tasting", deal=deal, due="2026-11-23")  # 3 today
    b.activity("Acme", type="task", summary="Monthly review", due="2026-11-30",         # 4 upcoming +7
               recurrence="FREQ=MONTHLY")
    b.activity("Beta", summary="Later", due="2026-12-01")                               # 5 upcoming +8
    b.activity("Acme", summary="Done already", due="2026-11-10", done="2026-11-10")     # 6 done
    b.activity("Acme", type="task", summary="Monthly review", due="2026-10-30",         # 7 the series'
               done="2026-10-30", recurrence="FREQ=MONTHLY")                            #   last one, done
    # new customers (first_contact_hours = 24)
    b.customer("Neu GmbH", owner="bob", created="2026-11-20 09:00:00")       # due 11-21: uncontacted, -2
    b.customer("Fresh Ltd", owner="alice", created="2026-11-23 11:00:00")    # 1 hour ago: due tomorrow, not yet
    b.customer("Yesterday Co", owner="alice", created="2026-11-22 13:00:00")  # 23 h ago: due today (13:00), 0
    b.customer("Planned Inc", owner="alice", created="2026-11-01 09:00:00")  # has an open follow-up (beyond the window)
    b.activity("Planned Inc", summary="Intro call", due="2026-12-15")
    b.customer("Called Co", owner="bob", created="2026-11-01 09:00:00")     # has a done activity
    b.activity("Called Co", done="2026-11-02")
    b.conn.close()


@pytest.fixture
def b(any_store, copy_of):
    """Written once per test process and store, and copied for each test."""
    return Builder(copy_of(_b))


def due(id_, bucket, day, days, customer, deal, type_, summary, owner):
    return {"bucket": bucket, "id": id_, "due": day, "days": days, "customer": customer, "deal": deal,
            "type": type_, "summary": summary, "owner": owner}


SEND_QUOTE = due(2, "overdue", "2026-11-16", -7, "Beta", None, "email", "Send quote", "bob")
CHASE = due(1, "overdue", "2026-11-20", -3, "Acme", None, "call", "Chase invoice", "alice")
TASTING = due(3, "today", "2026-11-23", 0, "北京烤鸭", 1, "meeting", "试菜 tasting", "alice")
REVIEW = due(4, "upcoming", "2026-11-30", 7, "Acme", None, "task", "Monthly review", "alice")
LATER = due(5, "upcoming", "2026-12-01", 8, "Beta", None, "call", "Later", "bob")
NEU = due(None, "uncontacted", "2026-11-21", -2, "Neu GmbH", None, None, "Not contacted yet (added 2026-11-20)", "bob")
YESTERDAY = due(None, "uncontacted", "2026-11-23", 0, "Yesterday Co", None, None,
                "Not contacted yet (added 2026-11-22)", "alice")


def test_buckets_in_order(cli, b):
    report = cli.json("report", "due")
    assert report["report"] == "due" and report["period"] is None
    # overdue oldest first, today, upcoming (to today + 7 = 11-30; the monthly series once, at
    # its next date), then customers nobody contacted; Fresh Ltd was added an hour ago
    assert report["rows"] == [SEND_QUOTE, CHASE, TASTING, REVIEW, NEU, YESTERDAY]
    assert report["summary"] == {"overdue": 2, "today": 1, "upcoming": 1, "uncontacted": 2}


def test_days_window(cli, b):
    assert cli.json("report", "due", "--days", "8")["rows"] == [SEND_QUOTE, CHASE, TASTING, REVIEW, LATER, NEU, YESTERDAY]
    assert cli.json("report", "due", "--days", "0")["rows"] == [SEND_QUOTE, CHASE, TASTING, NEU, YESTERDAY]


def test_days_across_months_years_and_leap_days(cli, b):
    """Each follow-up's days from today (2026-11-23) and its bucket, far back and far ahead."""
    import datetime as dt

    days = ["2024-02-29", "2025-12-31", "2026-01-01", "2026-11-22", "2027-03-01", "2028-02-29", "2028-03-01"]
    for day in days:
        b.activity("Beta", summary=f"On {day}", due=day)
    rows = [r for r in cli.json("report", "due", "--days", "1000")["rows"] if r["summary"].startswith("On ")]
    today = dt.date(2026, 11, 23)
    expected = [(day, (dt.date.fromisoformat(day) - today).days) for day in days]
    assert [(r["due"], r["days"]) for r in rows] == expected
    assert [r["days"] for r in rows] == [-998, -327, -326, -1, 98, 463, 464]
    assert [r["bucket"] for r in rows] == ["overdue"] * 4 + ["upcoming"] * 3
    assert "\t2028-02-29\t463\tBeta\t\tcall\tOn 2028-02-29\tbob\n" in cli("report", "due", "--days", "1000", "-f", "tsv").stdout


def test_owner_filter(cli, b):
    assert cli.json("report", "due", "--owner", "alice")["rows"] == [CHASE, TASTING, REVIEW, YESTERDAY]
    assert cli.json("report", "due", "--rep", "bob", "--days", "30")["rows"] == [SEND_QUOTE, LATER, NEU]


def test_first_contact_hours_setting(cli, b):
    b.setting("first_contact_hours", "48")
    rows = [r for r in cli.json("report", "due")["rows"] if r["bucket"] == "uncontacted"]
    # Neu GmbH: 11-20 09:00 + 48 h = 11-22 (overdue by a day); Yesterday Co: due 11-24, not yet
    assert rows == [{**NEU, "due": "2026-11-22", "days": -1}]


def test_an_hour_old_customer_is_not_uncontacted_until_its_day(cli, b, monkeypatch):
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-24T08:00")
    names = [r["customer"] for r in cli.json("report", "due")["rows"] if r["bucket"] == "uncontacted"]
    # the next morning, Fresh Ltd's first contact (due 11-24 11:00) is due today
    assert names == ["Neu GmbH", "Yesterday Co", "Fresh Ltd"]


def test_plain_output(cli, b):
    lines = cli("report", "due").stdout.splitlines()
    assert lines[0] == "Follow-ups due by 2026-11-30"
    assert lines[1].split() == ["bucket", "id", "due", "days", "customer", "deal", "type", "summary", "owner"]
    assert lines[2].split() == ["overdue", "2", "2026-11-16", "-7", "Beta", "email", "Send", "quote", "bob"]
    assert lines[4].split() == ["today", "3", "2026-11-23", "0", "北京烤鸭", "1", "meeting", "试菜", "tasting", "alice"]
    assert lines[-4:] == ["overdue      2", "today        1", "upcoming     1", "uncontacted  2"]


def test_tsv_streams_every_row(cli, isolated):
    b = Builder(isolated)
    b.customer("Acme")
    for day in range(28, 0, -1):  # inserted latest first: the report sorts by due date
        for _ in range(10):
            b.activity("Acme", summary="call", due=f"2027-02-{day:02d}")
    lines = cli("report", "due", "--days", "400", "-f", "tsv").stdout.splitlines()
    assert lines[0] == "bucket\tid\tdue\tdays\tcustomer\tdeal\ttype\tsummary\towner"
    assert len(lines) == 1 + 280
    # 2027-02-01 is 7 + 31 + 31 + 1 = 70 days after 2026-11-23; ties by id
    assert lines[1:3] == ["upcoming\t271\t2027-02-01\t70\tAcme\t\tcall\tcall\t", "upcoming\t272\t2027-02-01\t70\tAcme\t\tcall\tcall\t"]
    assert lines[-1] == "upcoming\t10\t2027-02-28\t97\tAcme\t\tcall\tcall\t"


def test_check_exit_status(cli, isolated):
    b = Builder(isolated)
    b.customer("Acme")
    b.activity("Acme", done="2026-11-01")
    # nothing due: exit 0, and the report says so
    result = cli("report", "due", "--check")
    assert result.stdout == "Follow-ups due by 2026-11-30\nNothing due by 2026-11-30, and every new customer has been contacted.\n"
    # only something upcoming / due today: still 0, and the report is printed
    b.activity("Acme", due="2026-11-25", summary="Soon")
    b.activity("Acme", due="2026-11-23", summary="Today")
    assert "Soon" in cli("report", "due", "--check").stdout
    assert "Soon" in cli("report", "due", "--check", "--quiet-if-empty").stdout
    # a customer nobody contacted: 3, a status no error has
    b.customer("Neu", created="2026-11-01 09:00:00")
    assert "Neu" in cli("report", "due", "--check", code=3).stdout
    b.activity("Neu", done="2026-11-02")
    cli("report", "due", "--check")
    # something overdue: 3
    b.activity("Acme", due="2026-11-22", summary="Yesterday")
    assert "Yesterday" in cli("report", "due", "--check", "-f", "json", code=3).stdout
    for fmt in ("csv", "tsv"):  # which show no summary, yet --check counts
        assert "Yesterday" in cli("report", "due", "--check", "-f", fmt, code=3).stdout
        assert "Yesterday" in cli("report", "due", "-f", fmt).stdout


def test_quiet_if_empty_prints_nothing(cli, isolated):
    cli("init")
    for fmt in ("plain", "table", "json", "csv"):
        result = cli("report", "due", "--quiet-if-empty", "--check", "-f", fmt)
        assert result.stdout == "" and result.stderr == ""


def test_bad_input(cli, b, isolated):
    assert "--days must be at least 0, not -3" in cli.fails("report", "due", "--days", "-3", code=2)
    assert "no rep 'zed': known reps are alice, bob" in cli.fails("report", "due", "--owner", "zed")
    assert "unknown format" in cli.fails("report", "due", "-f", "yaml", code=2)
    assert cli.fails("report", "due", "--days", "week", code=2) == "Error: --days 'week' is not a whole number\n"
    assert "--days must be at most 36,600" in cli.fails("report", "due", "--days", "3000000", code=2)


# ---------------------------------------------------------------- as cron runs it


def run_as_cron(db: Path | str, *args: str) -> subprocess.CompletedProcess:
    """The installed script with the bare environment cron gives: no TERM, no HOME, stdout a pipe."""
    return subprocess.run(
        ["env", "-i", "PATH=/usr/bin:/bin", "SALESCLI_TODAY=2026-11-23", str(SALESCLI), "--db", str(db), "report", "due", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def test_cron_gets_plain_text(b, any_store):
    result = run_as_cron(any_store)
    assert result.returncode == 0 and result.stderr == ""
    assert "\x1b" not in result.stdout
    assert not [ch for ch in result.stdout if unicodedata.name(ch, "").startswith(("BOX DRAWINGS", "FULL BLOCK"))]
    assert "北京烤鸭" in result.stdout and "Send quote" in result.stdout
    assert run_as_cron(any_store, "--check").returncode == 3
    assert json.loads(run_as_cron(any_store, "-f", "json").stdout)["summary"]["overdue"] == 2


def test_cron_quiet_and_check(isolated):
    Builder(isolated).customer("Acme", created="2026-11-23 10:00:00")  # first contact due tomorrow
    quiet = run_as_cron(isolated, "--quiet-if-empty", "--check")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    bad = run_as_cron(isolated, "--days", "-3")
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr == "Error: --days must be at least 0, not -3\n"


# ---------------------------------------------------------------- first contact means contact (issue 11)


def test_a_won_deal_is_a_first_contact(cli, isolated, monkeypatch):
    monkeypatch.setenv("SALESCLI_TODAY", "2026-10-01")
    cli("customer", "add", "Buyer")  # First contact #1, due 10-02
    cli("customer", "add", "Walk-in", "--no-followup")  # no task at all
    cli("customer", "add", "Waiting")  # First contact #2, due 10-02: nobody calls
    cli("deal", "add", "Order", "--customer", "buyer", "--amount", "1k")
    result = cli("deal", "win", "1", "--on", "2026-10-01")
    assert "removed the open 'First contact' task #1" in result.stderr
    cli("deal", "add", "Counter sale", "--customer", "walk-in", "--amount", "50", "--stage", "won")
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-16")  # 45 days later
    # by hand: Buyer and Walk-in bought (contacted); only Waiting's task is overdue, 10-02 → 11-16 = -45
    rows = cli.json("report", "due")["rows"]
    assert [(r["bucket"], r["customer"], r["summary"], r["days"]) for r in rows] == [
        ("overdue", "Waiting", "First contact", -45)]


def test_merge_keeps_at_most_one_first_contact_and_none_once_contacted(cli, isolated):
    cli("customer", "add", "Acme Ltd")  # First contact #1, due 11-24
    cli("activity", "log", "acme ltd", "--type", "call")  # #2: answers #1
    cli("customer", "add", "ACME Limited")  # #3
    out = cli("customer", "merge", "acme limited", "acme ltd").stdout
    assert "removed open 'First contact' task #3 (the customer has been contacted)" in out
    assert cli.json("activity", "list", "--open") == []
    # two customers nobody has contacted yet: one first contact is enough, the one due first
    cli("config", "set", "first_contact_hours", "48")
    cli("customer", "add", "Beta")  # #4 (ids are never given twice), due 11-25
    cli("config", "set", "first_contact_hours", "24")
    cli("customer", "add", "Beta Co")  # #5, due 11-24
    out = cli("customer", "merge", "beta", "beta co").stdout
    assert "removed open 'First contact' task #4 (one is enough)" in out
    assert [(a["id"], a["customer"], a["due"]) for a in cli.json("activity", "list", "--open")] == [
        (5, "Beta Co", "2026-11-24")]


def test_a_customer_with_a_won_deal_is_never_uncontacted(cli, isolated):
    b = Builder(isolated)
    b.customer("Bought", created="2026-11-01 09:00:00")  # no activity at all, but a deal won
    b.deal("Order", customer="Bought", amount=10_000, history=[("lead", "2026-11-02"), ("won", "2026-11-05")])
    b.customer("Lost one", created="2026-11-01 09:00:00")  # a deal lost is no contact to count on
    b.deal("Nope", customer="Lost one", amount=10_000, history=[("lead", "2026-11-02"), ("lost", "2026-11-05")])
    rows = cli.json("report", "due")["rows"]
    assert [(r["bucket"], r["customer"]) for r in rows] == [("uncontacted", "Lost one")]
    assert cli("report", "due", "--check", code=3)


# What people type, with what a TSV cell must quote or guard: tabs, line ends, quotes, a
# leading = + - @ or ', Chinese, nothing at all.
_typed = st.text(alphabet=st.sampled_from("ab ,\t\n\r\"'=+-@0中é"), max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_typed, _typed, st.one_of(st.none(), _typed), st.integers(-3, 3), st.booleans()), max_size=12),
       st.sampled_from([None, "rep'", "=rep", "rep"]), st.sampled_from(["tsv", "csv"]), st.sampled_from([1, 2, 1000]))
def test_tsv_made_by_sqlite_is_what_the_rows_give(cli, isolated, monkeypatch, follow_ups, handle, fmt, batch):
    """`report due -f tsv` (or csv) writes the text SQLite makes for each batch where no
    cell needs quoting (in CSV a cell with a comma quoted), the batch's rows cell by cell
    where one does: byte for byte what the rows give written as the csv module writes them
    (``csv_safe`` on the text cells), whatever people typed. ``--limit`` (or ``--check``)
    writes the rows cell by cell."""
    monkeypatch.setattr(lines, "BATCH", batch)
    b = Builder(isolated)
    b.conn.execute("DELETE FROM activity")
    b.conn.execute("DELETE FROM deal")
    b.conn.execute("DELETE FROM customer")
    b.conn.execute("DELETE FROM rep")
    if handle:
        b.rep(handle)
    rows = []
    for i, (name, type_, summary, days, with_deal) in enumerate(follow_ups):
        customer = f"{name}{i}"
        b.customer(customer, owner=handle)
        deal = b.deal(f"D{i}", customer=customer, amount=100, history=[("lead", "2026-11-01")]) if with_deal else None
        due = (dt.date(2026, 11, 23) + dt.timedelta(days=days)).isoformat()
        activity = b.activity(customer, type=type_ or "call", summary=summary, deal=deal, due=due, owner=handle)
        bucket = "overdue" if days < 0 else "today" if days == 0 else "upcoming"
        rows.append((due, activity, [bucket, activity, due, days, customer, deal, type_ or "call", summary, handle]))
    text = ("bucket", "customer", "type", "summary", "owner")
    delimiter = "\t" if fmt == "tsv" else ","
    expected = _record(daily.DUE_KEYS, delimiter) + "".join(
        _record([output.csv_safe(str(v)) if k in text and v is not None else v for k, v in zip(daily.DUE_KEYS, row)], delimiter)
        for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))
    )
    made = cli("report", "due", "--days", "3", "-f", fmt).stdout_bytes  # (``stdout`` has \r\n as \n)
    assert made == expected.encode()
    assert cli("report", "due", "--days", "3", "-f", fmt, "--limit", "100").stdout_bytes == made


def _record(row, delimiter: str) -> str:
    """One record as the csv module writes it with CRLF line ends (so that it quotes a cell
    holding \\r), ending in a newline."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(row)
    return buffer.getvalue()[:-2] + "\n"


def test_tsv_of_a_batch_with_a_cell_to_quote(cli, isolated, monkeypatch):
    """Only the batch whose text holds a cell to quote is read again, cell by cell; the
    others are written as SQLite made them."""
    b = Builder(isolated)
    b.rep("bob")
    b.customer("Acme, \"the\" shop", owner="bob")
    b.customer("=HYPERLINK(1)", owner="bob")
    b.activity("Acme, \"the\" shop", summary="Call\tback\nsoon\r", due="2026-11-25", owner="bob")
    b.activity("=HYPERLINK(1)", summary="-5 off", type="'=x", due="2026-11-26", owner="bob")
    monkeypatch.setattr(lines, "BATCH", 1)
    statements = traced_statements(monkeypatch)
    text = cli("report", "due", "--days", "7", "-f", "tsv").stdout_bytes.decode()
    assert text == (
        "bucket\tid\tdue\tdays\tcustomer\tdeal\ttype\tsummary\towner\n"
        'upcoming\t1\t2026-11-25\t2\t"Acme, ""the"" shop"\t\tcall\t"Call\tback\nsoon\r"\tbob\n'
        "upcoming\t2\t2026-11-26\t3\t'=HYPERLINK(1)\t\t''=x\t'-5 off\tbob\n"
    )
    made = [s for s in statements if "group_concat(printf(" in s]
    again = [s for s in statements if s.startswith("SELECT CASE WHEN f.due <") and "_open_follow_up" in s]
    assert len(made) >= 2 and len(again) == 1 and "(f.due, f.id) <= ('2026-11-25', 1)" in again[0], again
