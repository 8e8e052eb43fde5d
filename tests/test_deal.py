import pytest
from seed import activity, connect, counts, customer, rows

from salescli.commands import common
from salescli.store import deals

WRITES = ("deal", "stage_history", "payment", "activity")


def deal_json(**fields):
    """One deal as `deal list -f json` shows it, from what differs from a fresh lead."""
    base = {
        "id": 1, "title": "", "customer": "Acme Ltd", "amount": 0, "cost": None, "product": None,
        "quantity": 1, "stage": "lead", "probability": 0.1, "expected_close": None, "owner": "alice",
        "source": "referral", "created_at": "2026-11-23 12:00:00", "closed_at": None, "lost_reason": None,
    }
    return {**base, **fields}


def _shop(cli, db):
    cli("rep", "add", "alice")
    cli("rep", "add", "bob")
    customer(cli, db, "Acme Ltd", owner="alice", source="referral", credit_limit=10_000_00)
    customer(cli, db, "Acme Labs", owner="bob", source="web")
    customer(cli, db, "北京贸易")
    cli("product", "add", "CH-100", "Office chair", "--price", "120", "--cost", "80")
    cli("product", "add", "DSK-1", "Desk", "--price", "1.2k")


@pytest.fixture
def shop(any_store, copy_of):
    """Two reps, three customers (two sharing the prefix 'Acme'), two products (made once
    per test process and store, copied for each test)."""
    return copy_of(_shop)


def history(db, deal_id):
    return rows(
        db,
        "SELECT s.name, h.entered_on FROM stage_history h JOIN stage s ON s.id = h.stage_id "
        "WHERE h.deal_id = ? ORDER BY h.id",
        deal_id,
    )


# ---------------------------------------------------------------- add and its defaults


def test_add_takes_defaults_from_customer_product_and_stages(cli, shop):
    assert cli("deal", "add", "40 chairs", "-c", "acme ltd", "--product", "CH-100", "-q", "40").stdout == "1\n"
    assert cli.json("deal", "list") == [
        deal_json(title="40 chairs", amount=4800, cost=3200, product="CH-100", quantity=40),
    ]
    assert history(shop, 1) == [("lead", "2026-11-23")]


def test_add_with_every_option(cli, shop):
    cli(
        "deal", "add", "Desks", "--customer", "Acme Labs", "--amount", "12,500.50", "--stage", "prop",
        "--close", "eom", "--owner", "alice", "--product", "dsk-1", "--quantity", "10", "--cost", "9k",
        "--source", "event",
    )
    assert cli.json("deal", "list") == [
        deal_json(title="Desks", customer="Acme Labs", amount=12500.5, cost=9000, product="DSK-1", quantity=10,
                  stage="proposal", probability=0.6, expected_close="2026-11-30", source="event"),
    ]


def test_add_without_product_or_owner(cli, shop):
    cli("deal", "add", "Consulting", "-c", "北京", "--amount", "5k")
    assert cli.json("deal", "list") == [
        deal_json(title="Consulting", customer="北京贸易", amount=5000, owner=None, source=None),
    ]


def test_amount_is_required_without_a_product(cli, shop):
    assert "--amount is required" in cli.fails("deal", "add", "X", "-c", "Acme Ltd", code=2)


def test_add_straight_into_won_or_lost_closes_it_today(cli, shop):
    cli("deal", "add", "Walk-in", "-c", "Acme Labs", "--amount", "100", "--stage", "won")
    cli("deal", "add", "Gone", "-c", "Acme Labs", "--amount", "100", "--stage", "lost")
    listed = cli.json("deal", "list")
    assert [(d["id"], d["stage"], d["closed_at"]) for d in listed] == [
        (2, "lost", "2026-11-23"),  # closed the same day: the later one first
        (1, "won", "2026-11-23"),
    ]
    assert history(shop, 1) == [("won", "2026-11-23")]


def test_credit_limit_warning_on_add_and_win(cli, shop):
    cli("deal", "add", "First", "-c", "Acme Ltd", "--amount", "6k", "--stage", "won")
    cli("deal", "pay", "1", "1000")
    # outstanding 5,000 + 4,000 = 9,000: within the 10,000 limit
    assert "credit limit" not in cli("deal", "add", "Small", "-c", "Acme Ltd", "--amount", "4k").stderr
    result = cli("deal", "add", "Big", "-c", "Acme Ltd", "--amount", "6k")
    assert result.stdout == "3\n"
    assert result.stderr == (
        "Warning: this deal takes Acme Ltd over its credit limit of $10,000.00: $5,000.00 outstanding "
        "plus this deal's $6,000.00 makes $11,000.00\n"
    )
    assert "makes $11,500.00" in cli("deal", "win", "2", "--amount", "6.5k").stderr
    assert counts(shop, "deal")["deal"] == 3


def test_no_credit_warning_without_a_limit(cli, shop):
    assert cli("deal", "add", "Huge", "-c", "Acme Labs", "--amount", "1m").stderr == ""


# ---------------------------------------------------------------- list


def _pipeline(cli, db):
    _shop(cli, db)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SALESCLI_TODAY", "2026-11-02")
        cli("deal", "add", "Open late", "-c", "Acme Ltd", "--amount", "1k", "--close", "2026-12-15")
        cli("deal", "add", "Open undated", "-c", "Acme Labs", "--amount", "2k", "--stage", "qualified")
        cli("deal", "add", "Open soon", "-c", "Acme Ltd", "--amount", "3k", "--close", "2026-11-30", "--owner", "bob")
        cli("deal", "add", "Won early", "-c", "Acme Labs", "--amount", "4k", "--close", "2026-11-30")
        cli("deal", "add", "Won late", "-c", "Acme Ltd", "--amount", "5k", "--close", "2026-11-30")
        cli("deal", "add", "Lost", "-c", "Acme Labs", "--amount", "6k", "--close", "2026-11-01")
    # today is the tests' 2026-11-23 again
    cli("deal", "win", "4", "--on", "2026-11-05")
    cli("deal", "win", "5", "--on", "2026-11-20")
    cli("deal", "lose", "6", "--reason", "price", "--on", "2026-10-31", code=1)  # before it was created
    cli("deal", "lose", "6", "--reason", "price", "--on", "2026-11-10")


@pytest.fixture
def pipeline(any_store, copy_of):
    """The shop with deals created on 2026-11-02: three open, two won, one lost (made
    once per test process and store, copied for each test)."""
    return copy_of(_pipeline)


def listed(cli, *options):
    return [deal["id"] for deal in cli.json("deal", "list", *options)]


def test_list_order_open_by_expected_close_then_closed_newest_first(cli, pipeline):
    assert listed(cli) == [3, 1, 2, 5, 6, 4]


def test_list_filters(cli, pipeline):
    assert listed(cli, "--open") == [3, 1, 2]
    assert listed(cli, "--won") == [5, 4]
    assert listed(cli, "--lost") == [6]
    assert listed(cli, "--stage", "qualified") == [2]
    assert listed(cli, "--customer", "Acme Ltd") == [3, 1, 5]
    assert listed(cli, "--customer", "Acme Ltd", "--open") == [3, 1]
    # closing in November: open deals expected then, closed deals closed then
    assert listed(cli, "--closing", "2026-11") == [3, 5, 6, 4]
    assert listed(cli, "--won", "--closing", "2026-11-15..2026-11-30") == [5]
    assert "one of --open, --won and --lost" in cli.fails("deal", "list", "--open", "--won", code=2)
    assert "is not a period" in cli.fails("deal", "list", "--closing", "soon", code=2)


def test_list_owner_filter(cli, pipeline):
    # owner defaults to the customer's: Acme Ltd → alice, Acme Labs → bob; deal 3 was given bob
    assert listed(cli, "--owner", "bob") == [3, 2, 6, 4]
    assert listed(cli, "--owner", "alice") == [1, 5]


def test_list_table_shows_the_columns_that_fit(cli, pipeline):
    lines = cli("deal", "list", "--won").stdout.splitlines()
    assert lines[0].split() == ["id", "title", "customer", "amount", "stage", "expected", "close", "closed", "owner"]
    assert lines[1].split() == ["5", "Won", "late", "Acme", "Ltd", "$5,000.00", "won", "2026-11-30", "2026-11-20", "alice"]
    assert cli("deal", "list", "--stage", "negotiation").stdout == "No deals.\n"


def test_list_csv_has_every_field(cli, pipeline):
    lines = cli("deal", "list", "--lost", "-f", "csv").stdout.splitlines()
    assert lines == [
        "id,title,customer,amount,cost,product,quantity,stage,probability,expected_close,owner,source,"
        "created_at,closed_at,lost_reason",
        "6,Lost,Acme Labs,6000.00,,,1,lost,0.0,2026-11-01,bob,web,2026-11-02 12:00:00,2026-11-10,price",
    ]


def test_list_by_stage_and_owner_use_their_indexes(cli, pipeline):
    if isinstance(pipeline, str):
        pytest.skip("SQLite's query plans: PostgreSQL plans alone")
    conn = connect(pipeline)
    plans = {}
    for name, where in (
        ("stage", deals.Filter(stage_id=1)),
        ("owner", deals.Filter(owner_id=1)),
        ("kind", deals.Filter(kind="open")),
        ("stage+owner", deals.Filter(stage_id=1, owner_id=1)),
    ):
        sql, params = deals.list_query(where)
        plans[name] = " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    assert "SEARCH d USING INDEX deal_stage (stage_id=?)" in plans["stage"]
    assert "SEARCH d USING INDEX deal_owner (owner_id=?)" in plans["owner"]
    assert "SEARCH d USING INDEX deal_stage (stage_id=?)" in plans["kind"]
    assert "SEARCH d USING INDEX deal_stage (stage_id=? AND owner_id=?)" in plans["stage+owner"]


# ---------------------------------------------------------------- stage changes and history


def test_move_win_lose_record_history_and_reopen(cli, shop, monkeypatch):
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-02")
    cli("deal", "add", "Chairs", "-c", "Acme Ltd", "--amount", "10k")
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-23")
    assert cli("deal", "move", "1", "qualified", "--on", "2026-11-05").stdout == "Deal 1 is now in qualified (since 2026-11-05)\n"
    cli("deal", "move", "1", "proposal", "--on", "2026-11-05")
    assert cli("deal", "lose", "1", "--reason", "price", "--on", "2026-11-10").stdout == (
        "Lost deal 1 'Chairs' on 2026-11-10: price\n"
    )
    (deal,) = cli.json("deal", "list")
    assert (deal["stage"], deal["closed_at"], deal["lost_reason"]) == ("lost", "2026-11-10", "price")
    cli("deal", "move", "1", "negotiation", "--on", "2026-11-12")  # reopened
    (deal,) = cli.json("deal", "list")
    assert (deal["stage"], deal["closed_at"], deal["lost_reason"]) == ("negotiation", None, None)
    assert cli("deal", "win", "1", "--on", "2026-11-20", "--amount", "9.5k").stdout == "Won deal 1 'Chairs' on 2026-11-20\n"
    (deal,) = cli.json("deal", "list")
    assert (deal["stage"], deal["closed_at"], deal["amount"]) == ("won", "2026-11-20", 9500)
    assert history(shop, 1) == [
        ("lead", "2026-11-02"),
        ("qualified", "2026-11-05"),
        ("proposal", "2026-11-05"),
        ("lost", "2026-11-10"),
        ("negotiation", "2026-11-12"),
        ("won", "2026-11-20"),
    ]


def test_win_from_lost_and_lose_from_won(cli, shop):
    cli("deal", "add", "A", "-c", "Acme Labs", "--amount", "1k", "--stage", "lost")
    cli("deal", "win", "1")
    (deal,) = cli.json("deal", "list")
    assert (deal["stage"], deal["closed_at"], deal["lost_reason"]) == ("won", "2026-11-23", None)
    cli("deal", "lose", "1", "--reason", "cancelled")
    (deal,) = cli.json("deal", "list")
    assert (deal["stage"], deal["lost_reason"]) == ("lost", "cancelled")


def test_several_won_and_lost_stages(cli, shop):
    cli("stage", "add", "disqualified", "--kind", "lost")
    cli("stage", "add", "won-trial", "--kind", "won", "--after", "won")
    cli("deal", "add", "A", "-c", "Acme Labs", "--amount", "1k")
    cli("deal", "add", "B", "-c", "Acme Labs", "--amount", "1k")
    cli("deal", "lose", "1", "--reason", "no budget", "--stage", "disq")
    cli("deal", "win", "2", "--stage", "won-trial")
    assert [(d["id"], d["stage"]) for d in cli.json("deal", "list")] == [(2, "won-trial"), (1, "disqualified")]
    assert "not a won stage" in cli.fails("deal", "win", "1", "--stage", "lost")


@pytest.mark.parametrize(
    "args, message",
    [
        (("deal", "move", "1", "qualified"), "already in stage 'qualified'"),
        (("deal", "move", "1", "won"), "use 'salescli deal win 1'"),
        (("deal", "move", "1", "lost"), "use 'salescli deal lose 1'"),
        (("deal", "move", "1", "lead", "--on", "2026-11-01"), "before deal 1 was created (2026-11-02)"),
        (("deal", "move", "1", "lead", "--on", "2026-11-04"), "before deal 1 entered 'qualified' (2026-11-05)"),
        (("deal", "move", "1", "lead", "--on", "tomorrow"), "in the future"),
        (("deal", "move", "1", "nowhere"), "no stage 'nowhere': the stages are lead, contacted"),
        (("deal", "win", "1", "--on", "2026-11-04"), "before deal 1 entered 'qualified'"),
        (("deal", "lose", "1", "--reason", "x", "--on", "2026-11-04"), "before deal 1 entered 'qualified'"),
        (("deal", "win", "1", "--amount", "-5"), "negative"),
        (("deal", "move", "99", "lead"), "no deal with id 99"),
        (("deal", "move", "x", "lead"), "not a number"),
    ],
)
def test_stage_change_errors_write_nothing(cli, shop, monkeypatch, args, message):
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-02")
    cli("deal", "add", "Chairs", "-c", "Acme Ltd", "--amount", "10k")
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-23")
    cli("deal", "move", "1", "qualified", "--on", "2026-11-05")
    before = counts(shop, *WRITES)
    code = 2 if "negative" in message or "not a number" in message else 1
    assert message in cli.fails(*args, code=code)
    assert counts(shop, *WRITES) == before
    assert history(shop, 1)[-1] == ("qualified", "2026-11-05")


def test_already_won_or_lost(cli, shop):
    cli("deal", "add", "A", "-c", "Acme Labs", "--amount", "1k", "--stage", "won")
    assert "already won (on 2026-11-23)" in cli.fails("deal", "win", "1")
    cli("deal", "add", "B", "-c", "Acme Labs", "--amount", "1k")
    cli("deal", "lose", "2", "--reason", "price")
    assert "already lost (on 2026-11-23: price)" in cli.fails("deal", "lose", "2", "--reason", "again")


# ---------------------------------------------------------------- payments


def test_pay_records_and_prints_the_balance(cli, shop):
    cli("deal", "add", "A", "-c", "Acme Labs", "--amount", "1k", "--stage", "won")
    assert cli("deal", "pay", "1", "300").stdout == "Recorded $300.00 on deal 1: $700.00 outstanding\n"
    assert cli("deal", "pay", "1", "700", "--on", "today").stdout == "Recorded $700.00 on deal 1: fully paid\n"
    assert rows(shop, "SELECT amount, paid_on FROM payment ORDER BY id") == [(30000, "2026-11-23"), (70000, "2026-11-23")]


@pytest.mark.usage_errors_once  # its usage errors never reach the store: once, on SQLite (conftest.py)
@pytest.mark.parametrize(
    "args, message, code",
    [
        (("deal", "pay", "1", "1000.01"), "would overpay deal 1: its outstanding balance is $600.00", 1),
        (("deal", "pay", "2", "10"), "deal 2 is not won", 1),
        (("deal", "pay", "1", "0"), "more than zero", 1),
        (("deal", "pay", "1", "--", "-5"), "negative", 2),
        (("deal", "pay", "1", "lots"), "not an amount of money", 2),
        (("deal", "pay", "1", "10", "--on", "2026-11-01"), "before deal 1 was won (2026-11-23)", 1),
        (("deal", "pay", "1", "10", "--on", "tomorrow"), "in the future", 1),
        (("deal", "pay", "99", "10"), "no deal with id 99", 1),
        (("deal", "move", "1", "lead"), "has $400.00 paid against it: it stays won", 1),
        (("deal", "lose", "1", "--reason", "x"), "has $400.00 paid against it", 1),
        (("deal", "edit", "1", "--amount", "399"), "amount cannot be less than that", 1),
    ],
)
def test_payment_errors_write_nothing(cli, shop, args, message, code):
    cli("deal", "add", "A", "-c", "Acme Labs", "--amount", "1k", "--stage", "won")
    cli("deal", "add", "B", "-c", "Acme Labs", "--amount", "1k")
    cli("deal", "pay", "1", "400")
    before = counts(shop, *WRITES)
    assert message in cli.fails(*args, code=code)
    assert counts(shop, *WRITES) == before
    assert cli.json("deal", "list", "--won")[0]["amount"] == 1000


# ---------------------------------------------------------------- show


def test_show_card_json(cli, shop, monkeypatch):
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-02")
    cli("deal", "add", "Chairs", "-c", "Acme Ltd", "--product", "CH-100", "-q", "10", "--close", "2026-11-30")
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-23")
    cli("deal", "move", "1", "proposal", "--on", "2026-11-09")
    cli("deal", "win", "1", "--on", "2026-11-16")
    cli("deal", "pay", "1", "500", "--on", "2026-11-20")
    activity(shop, 1, 1, "Sent the quote", done_at="2026-11-09")
    activity(shop, 1, 1, "Delivery call", due="2026-11-25")
    assert cli.json("deal", "show", "1") == {
        **deal_json(title="Chairs", amount=1200, cost=800, product="CH-100", quantity=10, stage="won",
                    probability=1.0, expected_close="2026-11-30", created_at="2026-11-02 12:00:00",
                    closed_at="2026-11-16"),
        "margin": 400, "margin_rate": 0.3333, "weighted": 1200, "paid": 500, "balance": 700,
        "history": [
            {"stage": "lead", "entered_on": "2026-11-02", "days": 7},
            {"stage": "proposal", "entered_on": "2026-11-09", "days": 7},
            {"stage": "won", "entered_on": "2026-11-16", "days": None},
        ],
        "payments": [{"paid_on": "2026-11-20", "amount": 500, "balance": 700}],
        "activities": [
            {"id": 1, "type": "call", "summary": "Sent the quote", "owner": None, "due": None, "done_at": "2026-11-09"},
            {"id": 2, "type": "call", "summary": "Delivery call", "owner": None, "due": "2026-11-25", "done_at": None},
        ],
    }


def test_show_open_deal_counts_days_to_today(cli, shop, monkeypatch):
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-20")
    cli("deal", "add", "Chairs", "-c", "Acme Labs", "--amount", "1k", "--stage", "negotiation")
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-23")
    card = cli.json("deal", "show", "1")
    assert card["history"] == [{"stage": "negotiation", "entered_on": "2026-11-20", "days": 3}]
    assert (card["weighted"], card["margin"], card["paid"], card["balance"]) == (800, None, None, None)


def test_show_plain_card(cli, shop):
    cli("deal", "add", "贸易 order", "-c", "北京", "--amount", "5k", "--stage", "won")
    out = cli("deal", "show", "1").stdout
    assert out.startswith("Deal 1: 贸易 order\n")
    assert "weighted value  $5,000.00\n" in out
    assert "balance         $5,000.00\n" in out
    assert "Stage history\nstage  entered     days in stage\nwon    2026-11-23\n" in out
    assert "Payments\nNone.\n" in out
    assert "no deal with id 7" in cli.fails("deal", "show", "7")


# ---------------------------------------------------------------- edit


def test_edit_fields_and_cost_follows_product(cli, shop):
    cli("deal", "add", "Chairs", "-c", "Acme Ltd", "--product", "CH-100", "-q", "10", "--close", "eom")
    cli("deal", "edit", "1", "--quantity", "20")
    assert cli.json("deal", "list")[0] == deal_json(
        title="Chairs", amount=1200, cost=1600, product="CH-100", quantity=20, expected_close="2026-11-30"
    )
    cli("deal", "edit", "1", "--product", "DSK-1")  # no product cost: the cost stays
    cli("deal", "edit", "1", "--title", "Desks", "--amount", "24k", "--close", "", "--owner", "bob",
        "--source", "", "--cost", "15k")
    assert cli.json("deal", "list") == [
        deal_json(title="Desks", amount=24000, cost=15000, product="DSK-1", quantity=20, owner="bob", source=None)
    ]
    assert cli("deal", "edit", "1").stdout == "Nothing to change.\n"
    cli("deal", "edit", "1", "--product", "", "--cost", "")
    assert cli.json("deal", "list")[0]["product"] is None
    assert cli.json("deal", "list")[0]["cost"] is None


def test_edit_customer_takes_the_activities_along(cli, shop):
    cli("deal", "add", "Chairs", "-c", "Acme Ltd", "--amount", "1k")
    activity(shop, 1, 1, "Call")
    assert cli("deal", "edit", "1", "--customer", "Acme Labs").stdout == "Updated deal 1\n"
    assert cli.json("deal", "list")[0]["customer"] == "Acme Labs"
    assert rows(shop, "SELECT customer_id FROM activity") == [(2,)]


@pytest.mark.usage_errors_once  # its usage errors never reach the store: once, on SQLite (conftest.py)
@pytest.mark.parametrize(
    "args, message, code",
    [
        (("--customer", "Acme"), "customer 'Acme' is ambiguous: it matches Acme Labs (#2), Acme Ltd (#1)", 1),
        (("--customer", "Nobody"), "no customer 'Nobody'", 1),
        (("--amount", "lots"), "not an amount of money", 2),
        (("--close", "someday maybe"), "cannot read 'someday maybe' as a date", 2),
        (("--product", "NOPE"), "no product 'NOPE'", 1),
        (("--owner", "zed"), "no rep 'zed'", 1),
        (("--quantity", "0"), "quantity must be at least 1", 2),
        pytest.param(("--title", " "), "deal title cannot be empty", 2, marks=pytest.mark.opens_store_first),  # found after the store is opened: on both stores
    ],
)
def test_edit_errors_write_nothing(cli, shop, args, message, code):
    cli("deal", "add", "Chairs", "-c", "Acme Ltd", "--amount", "1k")
    before = cli.json("deal", "list")
    assert message in cli.fails("deal", "edit", "1", "--amount", "2k", *args, code=code)
    assert cli.json("deal", "list") == before


# ---------------------------------------------------------------- delete


def test_delete_needs_yes_when_not_at_a_terminal(cli, shop):
    cli("deal", "add", "Chairs", "-c", "Acme Ltd", "--amount", "1k", "--stage", "won")
    cli("deal", "pay", "1", "100")
    before = counts(shop, *WRITES)
    assert "not at a terminal to confirm" in cli.fails("deal", "delete", "1")
    assert counts(shop, *WRITES) == before


def test_delete_removes_history_and_payments_and_keeps_activities(cli, shop):
    cli("deal", "add", "Chairs", "-c", "Acme Ltd", "--amount", "1k", "--stage", "won")
    cli("deal", "add", "Desks", "-c", "Acme Ltd", "--amount", "1k")
    cli("deal", "pay", "1", "100")
    activity(shop, 1, 1, "Call")
    assert cli("deal", "delete", "1", "--yes").stdout == (
        "Deleted deal 1 'Chairs' and its 1 payment of $100.00; 1 activity kept without it\n"
    )
    assert counts(shop, *WRITES) == {"deal": 1, "stage_history": 1, "payment": 0, "activity": 1}
    assert rows(shop, "SELECT customer_id, deal_id FROM activity") == [(1, None)]
    assert "no deal with id 1" in cli.fails("deal", "delete", "1", "--yes")


def test_delete_asks_at_a_terminal(cli, shop, monkeypatch):
    monkeypatch.setattr(common, "stdin_isatty", lambda: True)
    cli("deal", "add", "Chairs", "-c", "Acme Ltd", "--amount", "1k")
    result = cli("deal", "delete", "1", input="n\n", code=1)
    assert "Delete deal 1 'Chairs'?" in result.stderr and "cancelled" in result.stderr
    assert counts(shop, "deal")["deal"] == 1
    cli("deal", "delete", "1", input="y\n")
    assert counts(shop, "deal", "stage_history") == {"deal": 0, "stage_history": 0}


# ---------------------------------------------------------------- add errors


@pytest.mark.usage_errors_once  # its usage errors never reach the store: once, on SQLite (conftest.py)
@pytest.mark.parametrize(
    "args, message, code",
    [
        (("-c", "Nobody", "--amount", "1k"), "no customer 'Nobody'", 1),
        (("-c", "Acme", "--amount", "1k"), "customer 'Acme' is ambiguous: it matches Acme Labs (#2), Acme Ltd (#1)", 1),
        (("-c", "Acme Ltd", "--amount", "lots"), "amount 'lots' is not an amount of money", 2),
        (("-c", "Acme Ltd", "--amount", "-5"), "amount '-5' is negative", 2),
        (("-c", "Acme Ltd", "--amount", "1k", "--close", "someday maybe"), "cannot read 'someday maybe' as a date", 2),
        (("-c", "Acme Ltd", "--amount", "1k", "--stage", "limbo"), "no stage 'limbo'", 1),
        (("-c", "Acme Ltd", "--product", "NOPE"), "no product 'NOPE': known skus include CH-100, DSK-1", 1),
        (("-c", "Acme Ltd", "--amount", "1k", "--owner", "zed"), "no rep 'zed': known reps are alice, bob", 1),
        (("-c", "Acme Ltd", "--product", "CH-100", "--quantity", "0"), "quantity must be at least 1", 2),
        (("-c", "Acme Ltd", "--product", "CH-100", "--quantity", "many"), "is not a whole number", 2),
        (("-c", "Acme Ltd", "--amount", "1k", "--cost", "x"), "cost 'x' is not an amount of money", 2),
        (("-c", "Acme Ltd"), "--amount is required", 2),
    ],
)
def test_add_errors_write_nothing(cli, shop, args, message, code):
    before = counts(shop, *WRITES)
    assert message in cli.fails("deal", "add", "Chairs", *args, code=code)
    assert counts(shop, *WRITES) == before


def test_add_refuses_inactive_product_and_rep(cli, shop):
    cli("product", "edit", "CH-100", "--inactive")
    assert "product 'CH-100' is inactive" in cli.fails("deal", "add", "X", "-c", "Acme Ltd", "--product", "CH-100")
    cli("rep", "deactivate", "bob", "--reassign-to", "alice")
    assert "rep 'bob' is inactive" in cli.fails("deal", "add", "X", "-c", "Acme Ltd", "--amount", "1", "--owner", "bob")
    assert counts(shop, "deal")["deal"] == 0
