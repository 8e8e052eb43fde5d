"""`salescli activity …` through the real CLI (today is Monday 2026-11-23)."""

from __future__ import annotations


import pytest
from dbcheck import rows, snapshot
from seed import connect

from salescli.commands import common

CREATED = "2026-11-23 12:00:00"  # parse.timestamp() with SALESCLI_TODAY=2026-11-23


# Customers and deals are written with SQL here, so these tests do not depend on the
# customer and deal commands.


def _sql(db, statement: str, params=()) -> int:
    conn = connect(db)
    with conn:
        new_id = conn.execute(statement + " RETURNING id", params).fetchone()[0]
    conn.close()
    return new_id


def add_customer(db, name: str, owner: str | None = None) -> int:
    return _sql(
        db,
        "INSERT INTO customer (name, owner_id, created_at, updated_at) "
        "VALUES (?, (SELECT id FROM rep WHERE handle = ?), '2026-11-20 09:00:00', '2026-11-20 09:00:00')",
        [name, owner],
    )


def add_deal(db, title: str, customer_id: int) -> int:
    return _sql(
        db,
        "INSERT INTO deal (title, customer_id, amount, stage_id, owner_id, created_at) "
        "SELECT ?, ?, 100000, (SELECT id FROM stage WHERE name = 'lead'), owner_id, '2026-11-20 09:00:00' "
        "FROM customer WHERE id = ?",
        [title, customer_id, customer_id],
    )


def add_first_contact(db, customer_id: int, due: str = "2026-11-21") -> int:
    return _sql(
        db,
        "INSERT INTO activity (customer_id, type, summary, owner_id, due, created_at) "
        "SELECT id, 'task', 'First contact', owner_id, ?, '2026-11-20 09:00:00' FROM customer WHERE id = ?",
        [due, customer_id],
    )


def _world(cli, db):
    cli("rep", "add", "alice")
    cli("rep", "add", "bob")
    acme = add_customer(db, "Acme", "alice")
    beijing = add_customer(db, "北京贸易", "bob")
    add_customer(db, "Zeta")
    add_deal(db, "Big one", acme)
    add_deal(db, "Tea", beijing)


@pytest.fixture
def world(any_store, copy_of):
    """Reps alice and bob (bob inactive later where needed); Acme (alice) with deal 1,
    北京贸易 (bob) with deal 2, and Zeta with no owner (made once per test process and
    store, copied for each test)."""
    return copy_of(_world)


def activity(**fields):
    """A listing row: every key of `activity list -f json`, with these values."""
    row = dict(
        id=None, customer=None, deal=None, type="task", summary=None, owner=None, due=None,
        done_at=None, score=None, recurrence=None, created_at=CREATED,
    )
    row.update(fields)
    return row


# ---------------------------------------------------------------- log


def test_log_and_plan_the_next_step_in_one_go(cli, world):
    result = cli(
        "activity", "log", "acme", "--type", "call", "--summary", "Intro call", "--deal", "1",
        "--score", "4", "--next", "Send the quote", "--due", "fri",
    )
    assert result.stdout == "1\n2\n"  # piped: the new ids, one a line
    assert cli.json("activity", "list") == [
        activity(id=2, customer="Acme", deal=1, type="task", summary="Send the quote", owner="alice", due="2026-11-27"),
        activity(id=1, customer="Acme", deal=1, type="call", summary="Intro call", owner="alice",
                 done_at="2026-11-23", score=4),
    ]


def test_log_defaults_and_overrides(cli, world):
    cli("activity", "log", "北京", "--type", "e")  # unique prefixes: customer and type
    cli("activity", "log", "zeta", "--type", "VISIT", "--on", "yesterday", "--owner", "alice", "--summary", "  ")
    cli("activity", "log", "2", "--type", "note", "--on", "2026-11-02", "--summary", "Prefers WeChat")
    assert cli.json("activity", "list", "--done") == [
        activity(id=1, customer="北京贸易", type="email", owner="bob", done_at="2026-11-23"),
        activity(id=2, customer="Zeta", type="visit", owner="alice", done_at="2026-11-22"),
        activity(id=3, customer="北京贸易", type="note", summary="Prefers WeChat", owner="bob", done_at="2026-11-02"),
    ]


def test_a_contact_answers_the_open_first_contact_task(cli, world):
    first = add_first_contact(world, 1)
    other = add_first_contact(world, 2)
    result = cli("activity", "log", "acme", "--type", "note", "--summary", "Looked them up")
    assert "First contact" not in result.stderr  # a note is not contact
    assert rows(world, "SELECT done_at FROM activity WHERE id = ?", [first]) == [(None,)]
    result = cli("activity", "log", "acme", "--type", "call", "--on", "2026-11-22")
    assert f"removed the open 'First contact' task #{first}" in result.stderr
    # the call is the one activity of that contact; another customer's task stays open
    assert rows(world, "SELECT id, type, done_at FROM activity WHERE id IN (?, ?, 4) ORDER BY id", [first, other]) == [
        (other, "task", None),
        (4, "call", "2026-11-22"),
    ]


def test_completing_a_planned_call_answers_the_first_contact_too(cli, world):
    first = add_first_contact(world, 1)
    cli("activity", "plan", "acme", "Call the buyer", "--due", "today", "--type", "call")
    result = cli("activity", "done", "2")
    assert f"#{first}" in result.stderr
    assert rows(world, "SELECT id, type, done_at FROM activity WHERE customer_id = 1") == [(2, "call", "2026-11-23")]


def test_one_contact_is_one_activity_in_every_count(cli, isolated):
    """Issue 11: a call that answers the automatic First contact task was counted twice."""
    cli("rep", "add", "alice")
    cli("customer", "add", "Acme", "--owner", "alice")  # plans First contact (#1), due tomorrow
    cli("target", "set", "activities", "10", "--period", "2026-11", "--rep", "alice")
    cli("activity", "log", "acme", "--type", "call", "--summary", "Intro")  # activity #2
    cli("activity", "log", "acme", "--type", "visit", "--on", "2026-11-20")  # #3: no task left to answer
    # by hand: two contacts logged in November (the call, the visit), nothing else done → 2
    (target,) = cli.json("report", "targets", "--rep", "alice")["rows"]
    assert (target["metric"], target["actual"]) == ("activities", 2)
    (rep,) = cli.json("report", "reps", "--period", "2026-11")["rows"]
    assert (rep["rep"], rep["activities"]) == ("alice", 2)
    card = cli.json("customer", "show", "acme")
    assert [(a["id"], a["type"]) for a in card["activities"]] == [(2, "call"), (3, "visit")]
    assert card["follow_ups"] == []
    assert [a["id"] for a in cli.json("activity", "list")] == [2, 3]


# ---------------------------------------------------------------- plan


def test_plan_one_off_and_recurring(cli, world):
    assert cli("activity", "plan", "acme", "Send brochure", "--due", "+3d").stdout == "1\n"
    cli("activity", "plan", "北京贸易", "Check in", "--due", "2026-12-01", "--type", "meet",
        "--every", "2 weeks", "--owner", "alice", "--deal", "2")
    cli("activity", "plan", "zeta", "Review", "--due", "eom", "--every", "quarter")
    assert cli.json("activity", "list", "--open") == [
        activity(id=1, customer="Acme", summary="Send brochure", owner="alice", due="2026-11-26"),
        activity(id=3, customer="Zeta", summary="Review", due="2026-11-30", recurrence="every quarter"),
        activity(id=2, customer="北京贸易", deal=2, type="meeting", summary="Check in", owner="alice",
                 due="2026-12-01", recurrence="every 2 weeks"),
    ]
    assert rows(world, "SELECT recurrence FROM activity ORDER BY id") == [
        (None,), ("FREQ=WEEKLY;INTERVAL=2",), ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=28,29,30;BYSETPOS=-1",)
    ]


def test_plan_says_what_it_planned_on_a_terminal(cli, world, monkeypatch):
    from salescli import output

    monkeypatch.setattr(output, "stdout_isatty", lambda: True)
    result = cli("activity", "plan", "acme", "Weekly call", "--due", "mon", "--every", "monday")
    assert "Added activity 1: task for Acme due 2026-11-30, every monday" in result.stdout


# ---------------------------------------------------------------- done


def test_done_records_the_day_note_and_score(cli, world):
    cli("activity", "plan", "acme", "Visit the plant", "--due", "2026-11-20", "--type", "visit")
    result = cli("activity", "done", "1", "--on", "2026-11-21", "--note", "Went well", "--score", "5")
    assert result.stdout == "Done activity #1 (visit: Visit the plant) on 2026-11-21\n"
    assert rows(world, "SELECT due, done_at, score, notes, recurrence FROM activity") == [
        ("2026-11-20", "2026-11-21", 5, "Went well", None)
    ]


def test_weekly_series_plans_the_next_one(cli, world):
    cli("activity", "plan", "acme", "Status call", "--due", "2026-11-23", "--every", "week", "--type", "call")
    result = cli("activity", "done", "1")
    assert result.stdout.splitlines() == [
        "Done activity #1 (call: Status call) on 2026-11-23",
        "Next: activity #2 due 2026-11-30 (every week)",
    ]
    assert cli.json("activity", "list", "--customer", "acme") == [
        activity(id=2, customer="Acme", type="call", summary="Status call", owner="alice", due="2026-11-30",
                 recurrence="every week"),
        activity(id=1, customer="Acme", type="call", summary="Status call", owner="alice", due="2026-11-23",
                 done_at="2026-11-23", recurrence="every week"),
    ]


def test_a_late_completion_does_not_create_a_backlog(cli, world):
    cli("activity", "plan", "acme", "Status call", "--due", "2026-11-02", "--every", "week")
    result = cli("activity", "done", "1", "--on", "2026-11-18")  # three weeks late, a Wednesday
    assert "Next: activity #2 due 2026-11-23 (every week)" in result.stdout
    assert rows(world, "SELECT id, due, done_at FROM activity ORDER BY id") == [
        (1, "2026-11-02", "2026-11-18"),
        (2, "2026-11-23", None),  # one open row for the series
    ]


def test_monthly_series_from_january_31_keeps_to_the_month_end(cli, world, monkeypatch):
    monkeypatch.setenv("SALESCLI_TODAY", "2026-06-30")
    cli("activity", "plan", "acme", "Month-end report", "--due", "2026-01-31", "--every", "month")
    dues = []
    for activity_id, done_on in enumerate(["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"], start=1):
        result = cli("activity", "done", activity_id, "--on", done_on)
        dues.append(result.stdout.splitlines()[-1])
    assert dues == [
        "Next: activity #2 due 2026-02-28 (every month)",
        "Next: activity #3 due 2026-03-31 (every month)",
        "Next: activity #4 due 2026-04-30 (every month)",
        "Next: activity #5 due 2026-05-31 (every month)",
    ]


def test_rescheduling_a_series_moves_the_rest_of_it(cli, world):
    cli("activity", "plan", "acme", "Invoice run", "--due", "2026-11-30", "--every", "month")
    assert cli("activity", "reschedule", "1", "2026-11-27").stdout == (
        "Rescheduled activity #1 from 2026-11-30 to 2026-11-27\n"
    )
    result = cli("activity", "done", "1", "--on", "2026-11-23")
    assert "Next: activity #2 due 2026-12-27 (every month)" in result.stdout


def test_a_series_with_an_end_date_ends(cli, world):
    cli("activity", "plan", "acme", "Trial check", "--due", "2026-11-23", "--every", "FREQ=WEEKLY;UNTIL=20261129")
    result = cli("activity", "done", "1")
    assert "No next occurrence: the series has reached its end date" in result.stdout
    assert rows(world, "SELECT count(*) FROM activity WHERE done_at IS NULL") == [(0,)]


# ---------------------------------------------------------------- list


def _history(cli, db):
    _world(cli, db)
    cli("activity", "log", "acme", "--type", "call", "--on", "2026-10-30", "--deal", "1")  # 1
    cli("activity", "log", "北京贸易", "--type", "visit", "--on", "2026-11-05", "--score", "3")  # 2
    cli("activity", "plan", "acme", "Quote", "--due", "2026-12-02", "--deal", "1")  # 3
    cli("activity", "plan", "北京贸易", "Tasting", "--due", "2026-11-24", "--type", "meeting")  # 4
    cli("activity", "log", "acme", "--type", "email", "--on", "2026-11-05")  # 5


@pytest.fixture
def history(any_store, copy_of):
    """The world with five activities (copied, as the world is)."""
    return copy_of(_history)


def ids(cli, *args) -> list[int]:
    return [row["id"] for row in cli.json("activity", "list", *args)]


def test_list_orders_open_by_due_then_done_newest_first(cli, history):
    assert ids(cli) == [4, 3, 5, 2, 1]


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--open"], [4, 3]),
        (["--done"], [5, 2, 1]),
        (["--customer", "acme"], [3, 5, 1]),
        (["--deal", "1"], [3, 1]),
        (["--owner", "bob"], [4, 2]),
        (["--type", "meet"], [4]),
        (["--period", "2026-11"], [4, 5, 2]),  # done in November, or open and due in it
        (["--from", "2026-10-01", "--to", "2026-11-04"], [1]),
        (["--period", "2026-12", "--open"], [3]),
        (["--customer", "zeta"], []),
    ],
)
def test_list_filters(cli, history, args, expected):
    assert ids(cli, *args) == expected


def test_list_plain_and_csv(cli, history):
    plain = cli("activity", "list", "--open").stdout.splitlines()
    assert plain[0].split() == ["id", "customer", "deal", "type", "summary", "owner", "due", "done", "score",
                                "repeats", "created"]
    assert plain[1].split()[:4] == ["4", "北京贸易", "meeting", "Tasting"]
    csv = cli("activity", "list", "--done", "-f", "csv").stdout.splitlines()
    assert csv[0] == "id,customer,deal,type,summary,owner,due,done_at,score,recurrence,created_at"
    assert csv[2] == f"2,北京贸易,,visit,,bob,,2026-11-05,3,,{CREATED}"


def test_list_empty_and_bad_filters(cli, world):
    assert cli("activity", "list").stdout == "No activities.\n"
    assert "exclude each other" in cli.fails("activity", "list", "--open", "--done", code=2)
    assert "unknown activity type" in cli.fails("activity", "list", "--type", "fax", code=2)
    assert "no customer 'nobody'" in cli.fails("activity", "list", "--customer", "nobody")
    assert "not a period" in cli.fails("activity", "list", "--period", "2026-Q5", code=2)


# ---------------------------------------------------------------- reschedule and delete


def test_reschedule_open_ones_only(cli, world):
    cli("activity", "plan", "acme", "Quote", "--due", "fri")
    cli("activity", "reschedule", "1", "+1w")
    assert rows(world, "SELECT due FROM activity") == [("2026-11-30",)]
    cli("activity", "done", "1")
    before = snapshot(world)
    assert "already done on 2026-11-23" in cli.fails("activity", "reschedule", "1", "tomorrow")
    assert "no activity with id 9" in cli.fails("activity", "reschedule", "9", "tomorrow")
    assert snapshot(world) == before


def test_delete_needs_yes_or_a_confirmation(cli, world, monkeypatch):
    cli("activity", "plan", "acme", "Quote", "--due", "fri")
    assert "add --yes" in cli.fails("activity", "delete", "1")
    monkeypatch.setattr(common, "stdin_isatty", lambda: True)
    assert "cancelled" in cli("activity", "delete", "1", input="n\n", code=1).stderr
    assert rows(world, "SELECT count(*) FROM activity") == [(1,)]
    result = cli("activity", "delete", "1", input="y\n")
    assert "Delete activity #1 (task: Quote)?" in result.stderr
    assert result.stdout.endswith("Deleted activity #1 (task: Quote)\n")
    assert rows(world, "SELECT count(*) FROM activity") == [(0,)]
    logged = cli("activity", "log", "acme", "--type", "call").stdout.strip()
    cli("activity", "delete", logged, "--yes")
    assert f"no activity with id {logged}" in cli.fails("activity", "delete", logged, "--yes")


# ---------------------------------------------------------------- errors write nothing


@pytest.mark.usage_errors_once  # its usage errors never reach the store: once, on SQLite (conftest.py)
@pytest.mark.parametrize(
    "args, code, words",
    [
        (["log", "nobody", "--type", "call"], 1, "no customer 'nobody'"),
        (["log", "acme", "--type", "fax"], 2, "unknown activity type 'fax'"),
        (["log", "acme", "--type", "call", "--score", "7"], 2, "score '7' is not from 1 to 5"),
        (["log", "acme", "--type", "call", "--score", "0"], 2, "score '0' is not from 1 to 5"),
        (["log", "acme", "--type", "call", "--score", "good"], 2, "score 'good' is not from 1 to 5"),
        (["log", "acme", "--type", "call", "--deal", "2"], 1, "deal #2 (Tea) belongs to 北京贸易, not Acme"),
        (["log", "acme", "--type", "call", "--deal", "99"], 1, "no deal with id 99"),
        (["log", "acme", "--type", "call", "--next", "Quote"], 2, "--next and --due go together"),
        (["log", "acme", "--type", "call", "--due", "fri"], 2, "--next and --due go together"),
        (["log", "acme", "--type", "call", "--next", "Quote", "--due", "someday maybe"], 2, "cannot read"),
        (["log", "acme", "--type", "call", "--on", "tomorrow"], 1, "in the future"),
        (["log", "acme", "--type", "call", "--on", "2026-11-20", "--next", "x", "--due", "2026-11-19"], 1,
         "before this activity"),
        (["log", "acme", "--type", "call", "--owner", "zed"], 1, "no rep 'zed'"),
        (["plan", "acme", "Quote", "--due", "someday maybe"], 2, "YYYY-MM-DD, today"),
        (["plan", "acme", "Quote", "--due", "03/04/2026"], 2, "ambiguous"),
        (["plan", "acme", "Quote", "--due", "fri", "--every", "fortnight-ish"], 2, "2 weeks, other week"),
        (["plan", "acme", "Quote", "--due", "fri", "--deal", "2"], 1, "belongs to 北京贸易"),
        pytest.param(["plan", "acme", "  ", "--due", "fri"], 2, "summary cannot be empty", marks=pytest.mark.opens_store_first),  # found after the store is opened: on both stores
        (["plan", "nobody", "Quote", "--due", "fri"], 1, "no customer 'nobody'"),
        (["plan", "Acme", "Quote", "--due", "fri", "--owner", "carol"], 1, "inactive"),
        (["done", "1", "--on", "next monday"], 1, "in the future"),
        (["done", "1", "--score", "7"], 2, "score '7' is not from 1 to 5"),
        pytest.param(["done", "x1"], 2, "not a number", marks=pytest.mark.opens_store_first),  # found after the store is opened: on both stores
    ],
)
def test_errors_write_nothing(cli, world, args, code, words):
    cli("rep", "add", "carol")
    cli("rep", "deactivate", "carol")
    cli("activity", "plan", "acme", "Existing", "--due", "fri")
    before = snapshot(world)
    assert words in cli.fails("activity", *args, code=code)
    assert snapshot(world) == before


def test_done_twice_is_an_error_and_writes_nothing(cli, world):
    cli("activity", "plan", "acme", "Status call", "--due", "today", "--every", "week")
    cli("activity", "done", "1")
    before = snapshot(world)
    assert "activity #1 was already done on 2026-11-23" in cli.fails("activity", "done", "1")
    assert snapshot(world) == before
    assert rows(world, "SELECT count(*) FROM activity") == [(2,)]  # no second "next"


def test_series_written_elsewhere_are_anchored_or_ended_when_done(cli, world, monkeypatch):
    """Rules from an import or another tool: plain monthly from the 31st, and one salescli cannot follow."""
    monkeypatch.setenv("SALESCLI_TODAY", "2026-03-31")
    for rule in ("FREQ=MONTHLY", "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2"):
        _sql(world, "INSERT INTO activity (customer_id, type, summary, due, recurrence, created_at) "
                    "VALUES (1, 'task', 'Imported', '2026-01-31', ?, '2026-01-01 00:00:00')", [rule])
    assert "Next: activity #3 due 2026-02-28 (every month)" in cli("activity", "done", "1", "--on", "2026-01-31").stdout
    assert "Next: activity #4 due 2026-03-31 (every month)" in cli("activity", "done", "3", "--on", "2026-02-28").stdout
    result = cli("activity", "done", "2", "--on", "2026-01-31")
    assert "No next occurrence: rule 'FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2'" in result.stdout
    assert rows(world, "SELECT id, done_at FROM activity WHERE id = 2") == [(2, "2026-01-31")]
