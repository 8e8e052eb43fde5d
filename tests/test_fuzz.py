"""Arbitrary text at every parser and at commands: a clean error or a result, never a crash.

Parsers may raise only ``UsageError``. Commands exit 0, 1 or 2, print no traceback, and a
command that fails leaves every table (and the command log) as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from salescli import parse
from salescli.cli import app
from salescli.errors import UsageError
from salescli.store import history

# Mostly-plausible input (digits, signs, units, separators, words) and anything at all.
PIECES = [*"0123456789-+.,:/ _kmKMdwyqQW$€¥%eE", "next ", "mon", "dec", "this-", "last-", "..", "today", "nan", "inf"]
PLAUSIBLE = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)
TEXT = st.one_of(PLAUSIBLE, st.text(max_size=40))
BASE = st.one_of(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), st.dates())  # SALESCLI_TODAY may be 9999-12-31
FUZZ = settings(max_examples=300, deadline=None)  # parsers: cheap
# commands: each example runs the CLI against the test's one database file
FUZZ_COMMANDS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def only_usage_errors(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except UsageError as error:
        assert str(error)  # says what was wrong
        return None


@FUZZ
@given(TEXT, BASE)
@example("tomorrow", dt.date.max)
@example("last-week", dt.date.min)
def test_dates(text, base):
    result = only_usage_errors(parse.parse_date, text, base=base)
    assert result is None or isinstance(result, dt.date)


@FUZZ
@given(TEXT, BASE)
@example("next-year", dt.date.max)
@example("yesterday..today", dt.date.min)
def test_periods(text, base):
    result = only_usage_errors(parse.parse_period, text, base=base)
    assert result is None or (result.start <= result.end and result.label)


@FUZZ
@given(st.one_of(st.none(), TEXT), st.one_of(st.none(), TEXT), st.one_of(st.none(), TEXT))
def test_period_options(period, start, end):
    result = only_usage_errors(parse.period_option, period, start, end)
    assert result is None or result.start <= result.end


@FUZZ
@given(TEXT, st.booleans())
def test_money(text, allow_negative):
    cents = only_usage_errors(parse.parse_money, text, allow_negative=allow_negative)
    assert cents is None or (isinstance(cents, int) and abs(cents) <= parse.MAX_CENTS and (allow_negative or cents >= 0))


@FUZZ
@given(TEXT)
@example("nan")
@example("sNaN%")
@example("-inf")
def test_rates(text):
    rate = only_usage_errors(parse.parse_rate, text)
    assert rate is None or 0 <= rate <= 1


@FUZZ
@given(st.one_of(TEXT, st.integers()), st.integers(-5, 5))
def test_counts(text, minimum):
    count = only_usage_errors(parse.parse_count, text, minimum=minimum)
    assert count is None or count >= minimum


@FUZZ
@given(st.one_of(st.none(), TEXT), TEXT, TEXT)
def test_text_choices_and_fields(text, choice, field):
    only_usage_errors(parse.require_text, text, what="summary")
    only_usage_errors(parse.parse_choice, choice, ("call", "email", "meeting"), what="type")
    only_usage_errors(parse.parse_field, field)


@FUZZ
@given(TEXT.filter(lambda text: "\x00" not in text))  # the environment cannot hold NUL
def test_the_today_variable(text):
    old = os.environ.get("SALESCLI_TODAY")
    os.environ["SALESCLI_TODAY"] = text
    try:
        only_usage_errors(parse.now)
    finally:
        os.environ["SALESCLI_TODAY"] = old or ""


# ---------------------------------------------------------------- commands


# The test's own connection to each database, open while the test runs: a new connection
# first reads the whole schema (its hundred triggers), about 15 ms, several times what
# counting the rows takes, and the last one to close checkpoints the file.
READERS: dict[Path, sqlite3.Connection] = {}


def counts(db: Path) -> dict[str, int]:
    conn = READERS[db]
    tables = [*history.business_tables(conn), "history_command", "history_change"]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in tables}


def run(db: Path, *args: str) -> int:
    """Run a command; check it ended cleanly, and wrote nothing if it failed."""
    before = counts(db)
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    assert "Traceback" not in result.output
    if result.exit_code:
        assert counts(db) == before, args
        assert result.stderr.strip(), args  # it said why
    return result.exit_code


@pytest.fixture
def db(cli, isolated):
    cli("rep", "add", "alice")
    with contextlib.closing(sqlite3.connect(isolated)) as READERS[isolated]:
        yield isolated
    del READERS[isolated]


@FUZZ_COMMANDS
@given(TEXT, TEXT, TEXT, TEXT, TEXT)
def test_rep_add_and_edit(db, handle, name, email, rate, region):
    run(db, "rep", "add", handle, "--name", name, "--email", email, "--commission-rate", rate, "--region", region)
    run(db, "rep", "edit", handle, "--name", name, "--commission-rate", rate)


@FUZZ_COMMANDS
@given(st.one_of(st.sampled_from(["currency", "first_contact_hours", "stale-deal-days", "stale"]), TEXT), TEXT)
def test_config_set(db, key, value):
    run(db, "config", "set", key, value)


@FUZZ_COMMANDS
@given(TEXT, st.booleans())
def test_log_and_undo(db, limit, redo):
    run(db, "log", "--limit", limit)
    run(db, "undo", *(["--redo"] if redo else []))


@FUZZ_COMMANDS
@given(TEXT, TEXT, TEXT, TEXT)
def test_deal_add(db, title, customer, amount, close):
    assume(customer.strip())
    run(db, "deal", "add", title, "--customer", customer, "--amount", amount, "--close", close)


@FUZZ_COMMANDS
@given(TEXT, TEXT, TEXT, TEXT)
def test_customer_add(db, name, tier, credit, field):
    run(db, "customer", "add", name, "--tier", tier, "--credit-limit", credit, "--field", field)


@FUZZ_COMMANDS
@given(TEXT, TEXT, TEXT, TEXT)
def test_activity_plan(db, customer, summary, due, every):
    run(db, "activity", "plan", customer, summary, "--due", due, "--every", every)


@FUZZ_COMMANDS
@given(TEXT, TEXT, TEXT)
def test_target_set(db, metric, value, period):
    run(db, "target", "set", metric, value, "--period", period)


@pytest.fixture
def due(db, cli):
    """Something to report: an overdue follow-up and one coming up."""
    cli("customer", "add", "Acme", "--owner", "alice")  # its first-contact follow-up, due tomorrow
    cli("activity", "plan", "Acme", "Send the quote", "--due", "2026-11-20")
    return db


@FUZZ_COMMANDS
@given(TEXT, TEXT, st.one_of(st.sampled_from(["plain", "json", "csv", "table", "markdown"]), TEXT))
@example("400", "alice", "json")
@example("-1", "ALICE", "tsv")
def test_report_due(due, days, owner, fmt):
    run(due, "report", "due", "--days", days, "--owner", owner, "--format", fmt)


# ---------------------------------------------------------------- import: any bytes at all

HEADERS = ["name", "Customer Name", "客户名称", "id", "email", "tier", "tags", "owner", "credit_limit", "created_at", "field:vat", ""]
CELLS = st.one_of(
    st.sampled_from(["", "alice", "A", "b", "Z", "1", "#1", "12,50", "1e400", "2025-13-01", "2026-02-03", "vip; 重点", '"', "\n"]),
    st.text(max_size=12),
)


@st.composite
def csv_text(draw) -> bytes:
    """Mostly-plausible CSV: known and odd headers, cells with delimiters, quotes and line
    breaks, in one of the encodings a file may come in."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(1, 5))
    first = draw(st.one_of(st.sampled_from(["name", "客户名称", "Customer Name"]), st.sampled_from(HEADERS)))
    rows = [[first, *draw(st.lists(st.sampled_from(HEADERS[3:]), min_size=width - 1, max_size=width - 1, unique=True))]]
    rows += draw(st.lists(st.lists(CELLS, min_size=0, max_size=width + 1), max_size=6))
    quote = draw(st.booleans())
    text = "\r\n".join(delimiter.join(f'"{c}"' if quote else c for c in row) for row in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    return text.encode(encoding, errors="replace")


@FUZZ_COMMANDS
@given(st.one_of(st.binary(max_size=300), csv_text()), st.sampled_from([[], ["--skip-invalid"], ["--on-conflict", "update"], ["--dry-run"]]))
@example(b"", [])
@example(b"\xef\xbb\xbf", [])
@example(b"name\n", [])
@example(b"name\nA\x00B\n", [])
@example(b'name\n"never closed\n', [])
@example(b"name\n\xff\xfe\xfa\n", [])
@example(b"name\rA\rB\r", [])
@example(b"name,name\nA,B\n", [])
@example("名称,电话\n北京科技,1\n".encode("gb18030"), ["--skip-invalid"])
def test_import_customers_from_any_bytes(db, tmp_path, content, options):
    source = tmp_path / "fuzz.csv"
    source.write_bytes(content)
    run(db, "import", "customers", str(source), *options)


# ---------------------------------------------------------------- every number and date a record command stores

# Numbers of every size (beyond SQLite's 64 bits too), dates at the ends of the calendar,
# and arguments that are not UTF-8 (a byte from the shell arrives as a lone surrogate).
NUMBERS = st.one_of(
    TEXT,
    st.integers(-(10**25), 10**25).map(str),
    st.integers(0, 10**20).map(lambda n: f"{n:,}"),
    st.sampled_from(["9999-12-31", "0001-01-01", "+9999y", "-9999y", "+9999d", "1e400", "100000000.01", "caf\udce9", "\udcff"]),
)
# each numeric or date option of the record commands and the settings; "{}" is the value
OPTIONS = [
    ("deal", "add", "Chairs", "-c", "Acme", "--product", "CH", "--quantity", "{}"),
    ("deal", "add", "Chairs", "-c", "Acme", "--amount", "{}", "--cost", "{}"),
    ("deal", "add", "Chairs", "-c", "Acme", "--amount", "1k", "--close", "{}"),
    ("deal", "edit", "{}", "--amount", "{}"),
    ("deal", "edit", "1", "--quantity", "{}"),
    ("deal", "edit", "1", "--cost", "{}", "--close", "{}"),
    ("deal", "move", "1", "proposal", "--on", "{}"),
    ("deal", "win", "1", "--amount", "{}", "--on", "{}"),
    ("deal", "lose", "1", "--reason", "price", "--on", "{}"),
    ("deal", "pay", "2", "{}", "--on", "{}"),
    ("deal", "show", "{}"),
    ("customer", "add", "{}", "--credit-limit", "{}"),
    ("customer", "edit", "Acme", "--credit-limit", "{}"),
    ("customer", "show", "{}"),
    ("product", "add", "P2", "Desk", "--price", "{}", "--cost", "{}"),
    ("product", "edit", "CH", "--price", "{}", "--cost", "{}"),
    ("stage", "add", "demo", "--probability", "{}"),
    ("stage", "edit", "proposal", "--probability", "{}"),
    ("rep", "edit", "alice", "--commission-rate", "{}"),
    ("activity", "log", "Acme", "--type", "visit", "--score", "{}", "--on", "{}"),
    ("activity", "log", "Acme", "--type", "call", "--deal", "{}", "--next", "Call back", "--due", "{}"),
    ("activity", "plan", "Acme", "Check in", "--due", "{}", "--every", "{}"),
    ("activity", "done", "{}", "--on", "{}", "--score", "{}"),
    ("activity", "reschedule", "2", "{}"),
    ("target", "set", "revenue", "{}", "--period", "{}", "--split", "weeks"),
    ("target", "set", "units", "{}", "--period", "2026"),
    ("target", "set", "satisfaction", "{}", "--period", "this-quarter"),
    ("config", "set", "first_contact_hours", "{}"),
    ("config", "set", "stale_deal_days", "{}"),
    ("config", "set", "currency", "{}"),
    ("customer", "list", "--limit", "{}"),
    ("deal", "list", "--limit", "{}", "--closing", "{}"),
    ("log", "--limit", "{}"),
    ("report", "due", "--days", "{}"),
    ("report", "forecast", "--months", "{}"),
    ("report", "stale", "--days", "{}"),
    # added at the end, so that the examples above keep their indexes
    ("deal", "add", "Chairs", "-c", "Acme", "--amount", "1k", "--created", "{}"),
    ("customer", "add", "Newcomer", "--created", "{}"),
    ("config", "set", "smtp_port", "{}"),
    ("report", "trend", "--months", "{}"),
    ("export", "calendar", "--days", "{}"),
]
REPORTS = [
    ("report", name)
    for name in ("funnel", "targets", "due", "forecast", "stale", "reps", "customers", "sources", "products", "lost", "receivables", "trend")
] + [("stage", "list"), ("customer", "show", "Acme"), ("deal", "show", "1"), ("product", "show", "CH"), ("deal", "list"), ("activity", "list")]


@pytest.fixture
def records(db, cli):
    """A customer, a product, an open deal (1), a won deal (2) and a weekly follow-up."""
    cli("customer", "add", "Acme", "--owner", "alice")
    cli("product", "add", "CH", "Chair", "--price", "120", "--cost", "80")
    cli("deal", "add", "Chairs", "-c", "Acme", "--product", "CH", "--quantity", "2")
    cli("deal", "add", "Desk", "-c", "Acme", "--amount", "500")
    cli("deal", "win", "2")
    cli("activity", "plan", "Acme", "Check in", "--due", "2026-11-30", "--every", "week")
    return db


def run_then_report(db: Path, args: tuple[str, ...], value: str, *, written_or_not: bool = False) -> None:
    """Run a command with ``value`` at its "{}"s; when it wrote something (every write is
    logged in history_command), every report still runs — or whatever it did, if ``written_or_not``."""
    before = counts(db)
    if run(db, *(value if arg == "{}" else arg for arg in args)) == 0 and (written_or_not or counts(db) != before):
        for report in REPORTS:
            assert run(db, *report) == 0, report


@settings(FUZZ_COMMANDS, max_examples=300)  # a few for each option
@given(st.sampled_from(OPTIONS), NUMBERS)
# what used to end in "unexpected OverflowError / ValueError / UnicodeEncodeError"
@example(OPTIONS[0], "15000000000000")
@example(OPTIONS[0], "9223372036854775807")
@example(OPTIONS[4], "99999999999999999999")
@example(OPTIONS[10], "9223372036854775808")
@example(OPTIONS[20], "99999999999999999999")
@example(OPTIONS[22], "99999999999999999999")
@example(OPTIONS[25], "9223372036854775808")
@example(OPTIONS[27], "99999999")
@example(OPTIONS[27], "9223372036854775808")
@example(OPTIONS[30], "99999999999999999999")
@example(OPTIONS[31], "9223372036854775808")
@example(OPTIONS[32], "99999999999999999999")
@example(OPTIONS[11], "caf\udce9")
@example(OPTIONS[13], "\udcff")
@example(OPTIONS[29], "caf\udce9")
def test_numbers_and_dates_at_every_option(records, args, value):
    run_then_report(records, args, value)


TODAY_COMMANDS = [
    ("customer", "add", "Newcomer"),
    ("report", "due", "--days", "36600"),
    ("report", "targets"),
    ("report", "forecast", "--months", "120"),
    ("report", "stale", "--days", "36600"),
    ("target", "set", "revenue", "1k", "--period", "this-month", "--split", "weeks"),
    ("activity", "plan", "Acme", "Check in", "--due", "tomorrow", "--every", "month"),
    ("deal", "win", "1"),
]


@FUZZ_COMMANDS
@given(st.one_of(st.dates().map(str), st.datetimes().map(lambda t: t.isoformat(timespec="minutes"))), st.sampled_from(TODAY_COMMANDS))
@example("9999-12-31", TODAY_COMMANDS[0])
@example("9999-12-31", TODAY_COMMANDS[1])
@example("9999-12-31T23:59", TODAY_COMMANDS[5])
def test_any_today_at_commands(records, today, args):
    old = os.environ["SALESCLI_TODAY"]
    os.environ["SALESCLI_TODAY"] = today
    try:
        run_then_report(records, args, "", written_or_not=True)  # a new today: every report again
    finally:
        os.environ["SALESCLI_TODAY"] = old
