"""Arbitrary text at every parser and at commands: a clean error or a result, never a crash.

Parsers may raise only ``UsageError``. Commands exit 0, 1 or 2, print no traceback, and a
command that fails leaves every table (and the command log) as it was.
"""

from __future__ import annotations

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
    assert cents is None or (isinstance(cents, int) and abs(cents) < 10**15 and (allow_negative or cents >= 0))


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


def counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        tables = [*history.business_tables(conn), "history_command", "history_change"]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


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


def implemented(*command: str) -> bool:
    return CliRunner().invoke(app, [*command, "--help"]).exit_code == 0


@pytest.fixture
def db(cli, isolated):
    cli("rep", "add", "alice")
    return isolated


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


@pytest.mark.skipif(not implemented("deal", "add"), reason="deal add comes with the deals branch")
@FUZZ_COMMANDS
@given(TEXT, TEXT, TEXT, TEXT)
def test_deal_add(db, title, customer, amount, close):
    assume(customer.strip())
    run(db, "deal", "add", title, "--customer", customer, "--amount", amount, "--close", close)


@pytest.mark.skipif(not implemented("customer", "add"), reason="customer add comes with the customers branch")
@FUZZ_COMMANDS
@given(TEXT, TEXT, TEXT, TEXT)
def test_customer_add(db, name, tier, credit, field):
    run(db, "customer", "add", name, "--tier", tier, "--credit-limit", credit, "--field", field)


@pytest.mark.skipif(not implemented("activity", "plan"), reason="activity plan comes with the activities branch")
@FUZZ_COMMANDS
@given(TEXT, TEXT, TEXT, TEXT)
def test_activity_plan(db, customer, summary, due, every):
    run(db, "activity", "plan", customer, summary, "--due", due, "--every", every)


@pytest.mark.skipif(not implemented("target", "set"), reason="target set comes with its branch")
@FUZZ_COMMANDS
@given(TEXT, TEXT, TEXT)
def test_target_set(db, metric, value, period):
    run(db, "target", "set", metric, value, "--period", period)


@pytest.mark.skipif(not implemented("report", "due"), reason="report due comes with its branch")
@FUZZ_COMMANDS
@given(TEXT, TEXT)
def test_report_due(db, days, owner):
    run(db, "report", "due", "--days", days, "--owner", owner)
