"""Every number salescli stores has a range (README "Ranges"): beyond it is a usage error
that names the range and writes nothing; at its top, every report still runs, exactly."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from seed import counts

from salescli import parse

SALESCLI = Path(sys.executable).parent / "salescli"
RECORDS = ("deal", "customer", "product", "payment", "activity", "target", "setting", "history_command")


def _shop(cli, db):
    cli("rep", "add", "alice", "--commission-rate", "100%")
    cli("customer", "add", "Acme", "--owner", "alice")
    cli("product", "add", "CH", "Chair", "--price", "120", "--cost", "80")
    cli("deal", "add", "Chairs", "-c", "Acme", "--product", "CH")


@pytest.fixture
def shop(copy_of):
    """A rep, a customer, a product and a deal (made once per test process, copied for each test)."""
    return copy_of(_shop)


def refused(cli, db, *args, says: str) -> None:
    """The command is a usage error that says ``says`` and writes nothing."""
    before = counts(db, *RECORDS)
    assert says in cli.fails(*args, code=2)
    assert counts(db, *RECORDS) == before


def test_the_ranges_keep_every_report_sum_in_64_bits():
    """The reasoning README "Ranges" gives, checked: the largest sum a report makes is
    Σ amount × probability (cents × percent) over every deal."""
    assert 9_000_000 * parse.MAX_CENTS * 100 < 2**63
    assert 9_000_000 * parse.MAX_COUNT < 2**63  # Σ quantity
    # from the last allowed today, the furthest any report looks stays in the calendar
    assert parse.TODAY_RANGE[1].year + parse.MAX_DAYS // 365 < 9999


@pytest.mark.parametrize(
    ("args", "says"),
    [
        # the quantity that used to be accepted and then broke funnel, forecast, reps, stage list, customer show
        (("deal", "add", "Lots", "-c", "Acme", "--product", "CH", "--quantity", "15000000000000"),
         "quantity must be at most 1,000,000,000, not 15,000,000,000,000"),
        (("deal", "add", "Lots", "-c", "Acme", "--product", "CH", "--quantity", "1000000"),
         "amount '120.00 × 1000000' is too large: the most is 100,000,000.00"),
        (("deal", "add", "Big", "-c", "Acme", "--amount", "100,000,000.01"), "the most is 100,000,000.00"),
        (("deal", "add", "Big", "-c", "Acme", "--amount", "1", "--quantity", "9223372036854775808"), "quantity must be at most 1,000,000,000"),
        (("deal", "edit", "1", "--quantity", "99999999999999999999"), "quantity must be at most 1,000,000,000"),
        (("deal", "edit", "1", "--quantity", "900000000"), "cost '80.00 × 900000000' is too large: the most is 100,000,000.00"),
        (("deal", "pay", "1", "9999999999999"), "payment '9999999999999' is too large: the most is 100,000,000.00"),
        (("customer", "add", "Rich", "--credit-limit", "200m"), "credit limit '200m' is too large"),
        (("product", "add", "GOLD", "Gold", "--price", "100000001"), "price '100000001' is too large"),
        (("target", "set", "revenue", "100,000,000,000.01", "--period", "2026"), "the most is 100,000,000,000.00"),
        (("target", "set", "won_deals", "9223372036854775808", "--period", "2026"), "won_deals target must be at most 1,000,000,000,000"),
        (("target", "set", "units", "99999999999999999999", "--period", "2026", "--split", "weeks"), "at most 1,000,000,000,000"),
        (("deal", "show", "9223372036854775808"), "deal id must be at most 1,000,000,000,000, not 9,223,372,036,854,775,808"),
        (("deal", "edit", "99999999999999999999", "--amount", "1"), "deal id must be at most 1,000,000,000,000"),
        (("activity", "done", "99999999999999999999"), "activity id must be at most 1,000,000,000,000"),
        (("activity", "log", "Acme", "--type", "call", "--deal", "99999999999999999999"), "deal id must be at most"),
        (("customer", "list", "--limit", "99999999999999999999"), "is not in the range 1<=x<=1000000000"),
        (("deal", "list", "--limit", "9223372036854775808"), "is not in the range 1<=x<=1000000000"),
        (("log", "--limit", "99999999999999999999"), "is not in the range 1<=x<=1000000000"),
        (("config", "set", "first_contact_hours", "99999999"), "first_contact_hours must be at most 8,760, not 99,999,999"),
        (("config", "set", "stale_deal_days", "36601"), "stale_deal_days must be at most 36,600, not 36,601"),
        (("demo", "--customers", "1000001"), "is not in the range 10<=x<=1000000"),
    ],
)
def test_beyond_a_range_is_a_usage_error_naming_it(cli, shop, args, says):
    refused(cli, shop, *args, says=says)


def test_a_customer_named_by_a_number_beyond_the_ids(cli, shop):
    """A customer name is never only digits, so such a reference is an id, and out of range."""
    refused(cli, shop, "customer", "show", "99999999999999999999", says="customer id must be at most 1,000,000,000,000")
    refused(cli, shop, "deal", "add", "x", "-c", "9223372036854775808", "--amount", "1", says="customer id must be at most")


@pytest.mark.parametrize("today", ["9999-12-31", "9999-12-31T23:59", "1899-12-31"])
@pytest.mark.parametrize("args", [("report", "due"), ("customer", "add", "Late"), ("report", "targets")])
def test_today_out_of_range_is_a_usage_error(cli, shop, monkeypatch, today, args):
    monkeypatch.setenv("SALESCLI_TODAY", today)
    refused(cli, shop, *args, says=f"SALESCLI_TODAY={today[:10]} is out of range: use a date from 1900-01-01 to 2999-12-31")


def test_the_ends_of_todays_range_work(cli, shop, monkeypatch):
    for today in ("2999-12-31", "1900-01-01"):
        monkeypatch.setenv("SALESCLI_TODAY", today)
        cli("customer", "add", f"Customer of {today}")
        cli("target", "set", "revenue", "1k", "--period", "this-month", "--split", "weeks")
        assert cli("report", "due", "--days", "36600").exit_code == 0
        assert cli("report", "forecast", "--months", "120").exit_code == 0
        assert cli("report", "stale", "--days", "36600").exit_code == 0


def test_a_setting_stored_beyond_its_range_is_read_within_it(cli, shop):
    """A file written before the ranges may hold first_contact_hours 99999999: the customer
    is added and report due runs, with the setting read as its largest value (a year)."""
    with sqlite3.connect(shop) as conn:
        conn.execute("INSERT OR REPLACE INTO setting (key, value) VALUES ('first_contact_hours', '99999999')")
    cli("customer", "add", "Later")
    due = cli.json("activity", "list", "--customer", "Later")[0]["due"]
    assert due == "2027-11-23"  # 8,760 hours after 2026-11-23 12:00
    assert cli("report", "due").exit_code == 0


def test_an_argument_that_is_not_utf8_is_a_usage_error(cli, shop):
    """Bytes that are not UTF-8 (a Latin-1 é from the shell) reach Python as a lone
    surrogate, which can be neither stored nor printed."""
    before = counts(shop, *RECORDS)
    env = {"SALESCLI_DB": str(shop), "SALESCLI_TODAY": "2026-11-23", "PATH": "/usr/bin:/bin"}
    for args in ([b"customer", b"add", b"Caf\xe9"], [b"deal", b"add", b"Chairs", b"-c", b"Acme", b"--source", b"\xff"],
                 [b"customer", b"list", b"--search", b"caf\xe9"], [b"config", b"set", b"currency", b"\xa3"]):
        done = subprocess.run([bytes(SALESCLI), *args], env=env, capture_output=True)
        assert done.returncode == 2, done.stderr
        assert done.stderr.endswith(b"is not UTF-8 text: give every argument in UTF-8\n"), done.stderr
        assert b"Traceback" not in done.stderr and b"unexpected" not in done.stderr
    assert b"Error: 'Caf\\xe9' is not UTF-8 text" in subprocess.run(
        [bytes(SALESCLI), b"customer", b"add", b"Caf\xe9"], env=env, capture_output=True
    ).stderr
    assert counts(shop, *RECORDS) == before


# ---------------------------------------------------------------- the largest values, then every report

MAX_MONEY = "100000000.00"  # parse.MAX_CENTS
MAX_QUANTITY = "1000000000"  # parse.MAX_COUNT
PER_STAGE = 40
STAGES = ("lead", "contacted", "qualified", "proposal", "negotiation", "won", "lost")
REPORTS = [
    ("report", "funnel"), ("report", "targets"), ("report", "due", "--days", "36600"), ("report", "forecast", "--months", "120"),
    ("report", "stale", "--days", "0"), ("report", "reps"), ("report", "customers"), ("report", "sources"),
    ("report", "products"), ("report", "lost"), ("report", "receivables"), ("customer", "classify"),
    ("stage", "list"), ("customer", "show", "Max"), ("deal", "show", "1"), ("product", "show", "TOP"), ("rep", "show", "alice"),
    ("customer", "list"), ("deal", "list"), ("activity", "list"), ("target", "list"), ("product", "list"), ("config", "list"),
]


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def at_the_top(cli, isolated, tmp_path):
    """Every value at the top of its range: 280 deals of the largest amount and quantity,
    40 in each stage, half the won ones paid in full; the largest target of every metric; the
    largest settings, commission rate and credit limit."""
    cli("rep", "add", "alice", "--commission-rate", "100%")
    cli("customer", "add", "Max", "--owner", "alice", "--credit-limit", MAX_MONEY, "--source", "referral")
    cli("product", "add", "TOP", "Top", "--price", MAX_MONEY, "--cost", MAX_MONEY)
    deals = [
        f"Deal {n},Max,{MAX_MONEY},{MAX_MONEY if n % 2 else '0'},TOP,{MAX_QUANTITY},{stage},2026-12-31,alice,2026-01-05 09:00:00,"
        + ("2026-11-20" if stage in ("won", "lost") else "")
        + (",price" if stage == "lost" else ",")
        for n, stage in enumerate((stage for stage in STAGES for _ in range(PER_STAGE)), start=1)
    ]
    header = "title,customer,amount,cost,product,quantity,stage,expected_close,owner,created_at,closed_at,lost_reason"
    cli("import", "deals", write_csv(tmp_path / "deals.csv", header, deals))
    paid = range(5 * PER_STAGE + 1, 6 * PER_STAGE + 1, 2)  # every other won deal
    cli("import", "payments", write_csv(tmp_path / "payments.csv", "deal,amount,paid_on", [f"{n},{MAX_MONEY},2026-11-21" for n in paid]))
    for metric, value in (("revenue", "100,000,000,000"), ("margin", "100,000,000,000"), ("units", "1000000000000"),
                          ("won_deals", "1000000000000"), ("new_customers", "1000000000000"),
                          ("activities", "1000000000000"), ("satisfaction", "100%")):
        cli("target", "set", metric, value, "--period", "2026", "--split", "weeks")
    cli("config", "set", "first_contact_hours", "8760")
    cli("config", "set", "stale_deal_days", "36600")
    cli("activity", "log", "Max", "--type", "visit", "--score", "5", "--deal", "1", "--next", "Call", "--due", "9999-12-31")
    return isolated


def test_every_report_runs_with_every_value_at_the_top_of_its_range(cli, at_the_top):
    for args in REPORTS:
        for fmt in ("json", "plain"):
            assert cli(*args, "--format", fmt).exit_code == 0, args
    for entity in ("customers", "deals", "activities", "targets", "reps", "products", "payments"):
        cli("export", entity)

    top = 100_000_000  # the largest amount, in major units
    funnel = cli.json("report", "funnel")["summary"]
    assert (funnel["deals"], funnel["won"], funnel["lost"]) == (7 * PER_STAGE, PER_STAGE, PER_STAGE)
    assert (funnel["won_value"], funnel["lost_value"], funnel["open_value"]) == (PER_STAGE * top, PER_STAGE * top, 5 * PER_STAGE * top)
    assert funnel["weighted_value"] == PER_STAGE * top * (10 + 20 + 40 + 60 + 80) // 100
    reps = cli.json("report", "reps")["summary"]
    assert (reps["revenue"], reps["commission"], reps["margin"]) == (PER_STAGE * top, PER_STAGE * top, PER_STAGE // 2 * top)
    assert reps["open_weighted"] == funnel["weighted_value"]
    forecast = cli.json("report", "forecast", "--months", "120")["summary"]
    assert (forecast["deals"], forecast["amount"], forecast["weighted"]) == (5 * PER_STAGE, 5 * PER_STAGE * top, funnel["weighted_value"])
    products = cli.json("report", "products")["rows"]
    assert (products[0]["units"], products[0]["revenue"]) == (PER_STAGE * 1_000_000_000, PER_STAGE * top)
    receivables = cli.json("report", "receivables")["summary"]
    assert (receivables["billed"], receivables["paid"], receivables["outstanding"]) == (PER_STAGE * top, PER_STAGE // 2 * top, PER_STAGE // 2 * top)
    targets = {row["metric"]: row for row in cli.json("report", "targets", "--period", "2026")["rows"] if row["period"] == "2026"}
    assert targets["revenue"]["target"] == 1000 * top and targets["revenue"]["actual"] == PER_STAGE * top
    assert targets["units"]["target"] == 1_000_000_000_000 and targets["units"]["actual"] == PER_STAGE * 1_000_000_000
    stages = {row["name"]: row for row in cli.json("stage", "list")}
    assert (stages["negotiation"]["deals"], stages["negotiation"]["amount"]) == (PER_STAGE, PER_STAGE * top)
    card = json.loads(cli("customer", "show", "Max", "-f", "json").stdout)["summary"]
    assert (card["open_pipeline"], card["won_revenue"]) == (5 * PER_STAGE * top, PER_STAGE * top)
