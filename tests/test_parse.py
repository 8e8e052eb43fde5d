"""salescli.parse: every input form of SPEC §3, by example and by property."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from salescli import parse, recurrence
from salescli.errors import UsageError

BASE = dt.date(2026, 11, 23)  # a Monday
D = dt.date


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-23", D(2026, 11, 23)),
        (" 2027-02-28 ", D(2027, 2, 28)),
        ("today", BASE),
        ("TODAY", BASE),
        ("tomorrow", D(2026, 11, 24)),
        ("yesterday", D(2026, 11, 22)),
        ("+3d", D(2026, 11, 26)),
        ("-2w", D(2026, 11, 9)),
        ("+1m", D(2026, 12, 23)),
        ("+1y", D(2027, 11, 23)),
        ("+ 2 d", D(2026, 11, 25)),
        # weekdays: the next such day after today, so on a Monday "mon" is a week away
        ("mon", D(2026, 11, 30)),
        ("monday", D(2026, 11, 30)),
        ("next monday", D(2026, 11, 30)),
        ("tue", D(2026, 11, 24)),
        ("Friday", D(2026, 11, 27)),
        ("sun", D(2026, 11, 29)),
        ("thurs", D(2026, 11, 26)),
        # edges of this week / month / quarter / year (weeks start on Monday)
        ("eow", D(2026, 11, 29)),
        ("eom", D(2026, 11, 30)),
        ("eoq", D(2026, 12, 31)),
        ("eoy", D(2026, 12, 31)),
        ("sow", D(2026, 11, 23)),
        ("som", D(2026, 11, 1)),
        ("soq", D(2026, 10, 1)),
        ("soy", D(2026, 1, 1)),
        # what dateutil reads unambiguously
        ("Dec 5", D(2026, 12, 5)),
        ("5 Dec 2026", D(2026, 12, 5)),
        ("December 5, 2027", D(2027, 12, 5)),
        ("25/12/2026", D(2026, 12, 25)),
        # year first is never ambiguous; and as Chinese users write dates
        ("2026/12/5", D(2026, 12, 5)),
        ("2026-12-5", D(2026, 12, 5)),
        ("2026.12.05", D(2026, 12, 5)),
        ("2025/3/5", D(2025, 3, 5)),
        ("2026年12月5日", D(2026, 12, 5)),
        ("2026 年 1 月 5 号", D(2026, 1, 5)),
        ("12月5日", D(2026, 12, 5)),
        ("１２月５日", D(2026, 12, 5)),  # full-width digits
    ],
)
def test_dates(text, expected):
    assert parse.parse_date(text, base=BASE) == expected


def test_month_arithmetic_clips_to_the_end_of_a_shorter_month():
    assert parse.parse_date("+1m", base=D(2026, 1, 31)) == D(2026, 2, 28)
    assert parse.parse_date("+1m", base=D(2028, 1, 31)) == D(2028, 2, 29)
    assert parse.parse_date("-1m", base=D(2026, 3, 31)) == D(2026, 2, 28)
    assert parse.parse_date("+1y", base=D(2028, 2, 29)) == D(2029, 2, 28)


def test_weekday_names_on_other_days():
    friday = D(2026, 11, 27)
    assert parse.parse_date("fri", base=friday) == D(2026, 12, 4)
    assert parse.parse_date("sat", base=friday) == D(2026, 11, 28)
    assert parse.parse_date("eow", base=D(2026, 11, 29)) == D(2026, 11, 29)  # Sunday ends its own week


@pytest.mark.parametrize(
    "text, ahead, back",
    [
        ("Jan 5", D(2027, 1, 5), D(2026, 1, 5)),
        ("Nov 23", BASE, BASE),  # today is both
        ("Dec 1", D(2026, 12, 1), D(2025, 12, 1)),
        ("12月5日", D(2026, 12, 5), D(2025, 12, 5)),
        ("Feb 29", D(2028, 2, 29), D(2024, 2, 29)),
        ("5 Jan 2026", D(2026, 1, 5), D(2026, 1, 5)),  # a year given is kept
        ("2026年1月5日", D(2026, 1, 5), D(2026, 1, 5)),
    ],
)
def test_a_date_without_a_year_looks_ahead_or_back(text, ahead, back):
    assert parse.parse_date(text, base=BASE, looking=parse.AHEAD) == ahead
    assert parse.parse_date(text, base=BASE, looking=parse.BACK) == back


@pytest.mark.parametrize(
    "text, words",
    [
        ("2026/2/30", "not a calendar date"),
        ("13月5日", "not a calendar date"),
        ("Feb 29", "not a calendar date"),  # in 2026, with no direction to look
        ("03/04/2026", "ambiguous"),
        ("someday maybe", "YYYY-MM-DD, today"),
        ("", "required"),
        ("   ", "required"),
        ("2026-02-30", "not a calendar date"),
        ("2026-13-01", "not a calendar date"),
        ("10am", "time of day"),
        ("next week-ish", "cannot read"),
        ("+1q", "cannot read"),
        ("+99999d", "cannot read"),
    ],
)
def test_bad_dates_are_refused_with_the_accepted_forms(text, words):
    with pytest.raises(UsageError) as error:
        parse.parse_date(text, base=BASE)
    assert words in str(error.value)


def test_today_honours_salescli_today(monkeypatch):
    monkeypatch.setenv("SALESCLI_TODAY", "2026-02-03")
    assert parse.today() == D(2026, 2, 3)
    assert parse.parse_date("tomorrow") == D(2026, 2, 4)
    assert parse.timestamp() == "2026-02-03 12:00:00"
    monkeypatch.setenv("SALESCLI_TODAY", "soon")
    with pytest.raises(UsageError):
        parse.today()


# ---------------------------------------------------------------- periods


@pytest.mark.parametrize(
    "text, start, end, label",
    [
        ("2026", D(2026, 1, 1), D(2026, 12, 31), "2026"),
        ("2026-Q4", D(2026, 10, 1), D(2026, 12, 31), "2026-Q4"),
        ("2026-q1", D(2026, 1, 1), D(2026, 3, 31), "2026-Q1"),
        ("2026-11", D(2026, 11, 1), D(2026, 11, 30), "2026-11"),
        ("2028-02", D(2028, 2, 1), D(2028, 2, 29), "2028-02"),
        ("2026-W48", D(2026, 11, 23), D(2026, 11, 29), "2026-W48"),
        ("2026-W01", D(2025, 12, 29), D(2026, 1, 4), "2026-W01"),
        ("2026-W53", D(2026, 12, 28), D(2027, 1, 3), "2026-W53"),  # 2026 has 53 ISO weeks
        ("this-week", D(2026, 11, 23), D(2026, 11, 29), "2026-W48"),
        ("last-week", D(2026, 11, 16), D(2026, 11, 22), "2026-W47"),
        ("this-month", D(2026, 11, 1), D(2026, 11, 30), "2026-11"),
        ("this month", D(2026, 11, 1), D(2026, 11, 30), "2026-11"),
        ("last-month", D(2026, 10, 1), D(2026, 10, 31), "2026-10"),
        ("this-quarter", D(2026, 10, 1), D(2026, 12, 31), "2026-Q4"),
        ("last-quarter", D(2026, 7, 1), D(2026, 9, 30), "2026-Q3"),
        ("this-year", D(2026, 1, 1), D(2026, 12, 31), "2026"),
        ("last-year", D(2025, 1, 1), D(2025, 12, 31), "2025"),
        ("2026-11-01..2026-11-15", D(2026, 11, 1), D(2026, 11, 15), "2026-11-01..2026-11-15"),
        ("som..today", D(2026, 11, 1), D(2026, 11, 23), "2026-11-01..2026-11-23"),
    ],
)
def test_periods(text, start, end, label):
    period = parse.parse_period(text, base=BASE)
    assert (period.start, period.end, period.label) == (start, end, label)


def test_last_month_and_quarter_in_january_are_in_the_year_before():
    january = D(2027, 1, 15)
    assert parse.parse_period("last-month", base=january).label == "2026-12"
    assert parse.parse_period("last-quarter", base=january).label == "2026-Q4"
    assert parse.parse_period("last-week", base=D(2027, 1, 4)).label == "2026-W53"


@pytest.mark.parametrize(
    "text, words",
    [
        ("2025-W53", "not a period"),  # 2025 has 52 ISO weeks
        ("2026-W00", "not a period"),
        ("2026-Q5", "not a period"),
        ("2026-Q0", "not a period"),
        ("2026-13", "not a period"),
        ("lots", "2026-Q4, 2026-11, 2026-W48"),
        ("", "not a period"),
        ("2026-11-15..2026-11-01", "before it starts"),
        ("someday..today", "cannot read"),
    ],
)
def test_bad_periods_are_refused(text, words):
    with pytest.raises(UsageError) as error:
        parse.parse_period(text, base=BASE)
    assert words in str(error.value)


def test_period_option():
    assert parse.period_option(None, "2026-11-01", "2026-11-03").label == "2026-11-01..2026-11-03"
    assert parse.period_option(None, None, None, default=parse.year(2026)) == parse.year(2026)
    with pytest.raises(UsageError, match="either --period or --from"):
        parse.period_option("2026", "2026-01-01", "2026-02-01")
    with pytest.raises(UsageError, match="go together"):
        parse.period_option(None, "2026-01-01", None)


def test_periods_at_the_ends_of_the_calendar():
    assert parse.parse_period("9999-Q4").end == D(9999, 12, 31)
    assert parse.parse_period("9999-12").end == D(9999, 12, 31)
    assert parse.parse_period("0999").label == "0999"


# ---------------------------------------------------------------- money and rates


@pytest.mark.parametrize(
    "text, cents",
    [
        ("12000", 1_200_000),
        ("12,000.50", 1_200_050),
        ("12k", 1_200_000),
        ("12K", 1_200_000),
        ("1.5m", 150_000_000),
        ("$1.5m", 150_000_000),
        ("€ 12k", 1_200_000),
        ("¥1,000", 100_000),
        ("0.5", 50),
        (".5", 50),
        ("12000 USD", 1_200_000),
        ("0", 0),
        ("1.2万", 1_200_000),
        ("0.3亿", 3_000_000_000),
        ("1亿", parse.MAX_CENTS),  # the largest amount
        ("12000元", 1_200_000),
        ("12,000 元", 1_200_000),
        ("￥12,000", 1_200_000),
        ("¥ 12,000.5", 1_200_050),
        ("１２，０００元", 1_200_000),  # full-width digits and comma
        ("1,234,567.89", 123_456_789),
    ],
)
def test_money(text, cents):
    assert parse.parse_money(text) == cents


@pytest.mark.parametrize(
    "text, words",
    [
        ("1.234", "fractions of a cent"),
        ("-5", "negative"),
        ("-$5", "negative"),
        ("lots", "12,000.50, 12k"),
        ("", "not an amount"),
        ("12kk", "not an amount"),
        ("1e5", "not an amount"),
        ("9" * 20, "too large"),
        ("12,50", "comma that does not separate thousands"),
        ("1,2", "comma that does not separate thousands"),
        ("12,00", "comma that does not separate thousands"),
        ("1,0000", "comma that does not separate thousands"),
        ("12 000", "not an amount"),
        ("12万k", "not an amount"),
    ],
)
def test_bad_money_is_refused(text, words):
    with pytest.raises(UsageError) as error:
        parse.parse_money(text)
    assert words in str(error.value)


def test_negative_money_where_it_makes_sense():
    assert parse.parse_money("-12.5", allow_negative=True) == -1250
    assert parse.parse_money("-$1k", allow_negative=True) == -100_000


def test_format_money():
    assert parse.format_money(123456) == "1,234.56"
    assert parse.format_money(-100, "$") == "-$1.00"
    assert parse.format_money(5, "€") == "€0.05"


@pytest.mark.parametrize(
    "text, rate",
    [("80%", 0.8), ("80", 0.8), ("5%", 0.05), ("5", 0.05), ("1", 0.01), ("0.5", 0.005), ("100", 1.0), ("0", 0.0), ("１２%", 0.12)],
)
def test_rates(text, rate):
    assert parse.parse_rate(text) == pytest.approx(rate)


@pytest.mark.parametrize("text", ["120%", "-5%", "lots", "", "nan", "NaN%", "inf", "sNaN", "1e9999999%"])
def test_bad_rates_are_refused(text):
    with pytest.raises(UsageError):
        parse.parse_rate(text)


def test_probabilities_are_whole_percentages():
    assert [parse.parse_probability(t) for t in ("40", "40%", "1", "0", "100")] == [40, 40, 1, 0, 100]
    for text in ("0.5", "40.5", "101", "-1", "lots"):
        with pytest.raises(UsageError):
            parse.parse_probability(text)


def test_counts_and_choices():
    assert parse.parse_count("1,200") == 1200
    with pytest.raises(UsageError, match="at least 1"):
        parse.parse_count("0", minimum=1)
    with pytest.raises(UsageError, match="whole number"):
        parse.parse_count("1.5")
    assert parse.parse_choice("me", ("call", "meeting"), what="type") == "meeting"
    with pytest.raises(UsageError, match="use one of ab, ac"):
        parse.parse_choice("a", ("ab", "ac"), what="x")  # ambiguous prefix


# ---------------------------------------------------------------- recurrence


@pytest.mark.parametrize(
    "text, rule, described",
    [
        ("week", "FREQ=WEEKLY", "every week"),
        ("every week", "FREQ=WEEKLY", "every week"),
        ("weekly", "FREQ=WEEKLY", "every week"),
        ("2 weeks", "FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("every other week", "FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("fortnight", "FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("month", "FREQ=MONTHLY", "every month"),
        ("Monthly", "FREQ=MONTHLY", "every month"),
        ("quarter", "FREQ=MONTHLY;INTERVAL=3", "every quarter"),
        ("2 quarters", "FREQ=MONTHLY;INTERVAL=6", "every 6 months"),
        ("year", "FREQ=YEARLY", "every year"),
        ("annually", "FREQ=YEARLY", "every year"),
        ("10 days", "FREQ=DAILY;INTERVAL=10", "every 10 days"),
        ("day", "FREQ=DAILY", "every day"),
        ("weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
        ("monday", "FREQ=WEEKLY;BYDAY=MO", "every monday"),
        ("every Fridays", "FREQ=WEEKLY;BYDAY=FR", "every friday"),
        ("thu, mon", "FREQ=WEEKLY;BYDAY=MO,TH", "every monday, thursday"),
        ("tuesday and friday", "FREQ=WEEKLY;BYDAY=TU,FR", "every tuesday, friday"),
        ("FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("rrule:freq=weekly;byday=we", "FREQ=WEEKLY;BYDAY=WE", "every wednesday"),
        ("FREQ=DAILY;INTERVAL=1", "FREQ=DAILY", "every day"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"),
        ("FREQ=WEEKLY;UNTIL=20270101", "FREQ=WEEKLY;UNTIL=20270101", "FREQ=WEEKLY;UNTIL=20270101"),
    ],
)
def test_recurrence_forms_and_their_description(text, rule, described):
    assert parse.parse_recurrence(text) == rule
    assert recurrence.describe(rule) == described
    assert parse.parse_recurrence(described) == rule  # the description reads back


@pytest.mark.parametrize(
    "text, words",
    [
        ("fortnight-ish", "2 weeks, other week"),
        ("every", "cannot read"),
        ("0 days", "from 1 to 999"),
        ("1000 days", "from 1 to 999"),
        ("400 quarters", "from 1 to 999"),
        ("monday and someday", "cannot read"),
        ("FREQ=HOURLY", "DAILY, WEEKLY"),
        ("FREQ=WEEKLY;COUNT=3", "COUNT"),
        ("FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2", "not supported"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("FREQ=WEEKLY;;", "KEY=VALUE"),
        ("FREQ=WEEKLY;UNTIL=never", "not a valid RRULE"),
    ],
)
def test_bad_recurrence_is_refused(text, words):
    with pytest.raises(UsageError) as error:
        parse.parse_recurrence(text)
    assert words in str(error.value)


def test_month_end_series_are_anchored_instead_of_skipping_short_months():
    assert parse.parse_recurrence("month", start=D(2026, 1, 31)) == "FREQ=MONTHLY;BYMONTHDAY=-1"
    assert parse.parse_recurrence("month", start=D(2026, 1, 15)) == "FREQ=MONTHLY"
    assert parse.parse_recurrence("week", start=D(2026, 1, 31)) == "FREQ=WEEKLY"
    assert (
        parse.parse_recurrence("quarter", start=D(2026, 1, 30))
        == "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=28,29,30;BYSETPOS=-1"
    )
    assert (
        parse.parse_recurrence("year", start=D(2028, 2, 29)) == "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1"
    )
    assert recurrence.describe("FREQ=MONTHLY;BYMONTHDAY=-1") == "every month"
    # re-anchoring (a rescheduled occurrence) replaces the old anchor
    assert recurrence.anchored("FREQ=MONTHLY;BYMONTHDAY=-1", D(2026, 6, 30)) == (
        "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1"
    )
    assert recurrence.anchored("FREQ=MONTHLY;BYMONTHDAY=-1", D(2026, 6, 10)) == "FREQ=MONTHLY"


def _series(rule: str, due: D, count: int) -> list[D]:
    dates = [due]
    for _ in range(count):
        dates.append(recurrence.next_date(rule, dates[-1], dates[-1]))
    return dates[1:]


def test_next_dates():
    assert _series("FREQ=WEEKLY", D(2026, 11, 23), 3) == [D(2026, 11, 30), D(2026, 12, 7), D(2026, 12, 14)]
    monthly = parse.parse_recurrence("month", start=D(2026, 1, 31))
    assert _series(monthly, D(2026, 1, 31), 4) == [D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 31)]
    thirtieth = parse.parse_recurrence("month", start=D(2026, 1, 30))
    assert _series(thirtieth, D(2026, 1, 30), 2) == [D(2026, 2, 28), D(2026, 3, 30)]
    leap = parse.parse_recurrence("year", start=D(2028, 2, 29))
    assert _series(leap, D(2028, 2, 29), 4) == [D(2029, 2, 28), D(2030, 2, 28), D(2031, 2, 28), D(2032, 2, 29)]
    weekdays = parse.parse_recurrence("weekday")
    assert _series(weekdays, D(2026, 11, 27), 2) == [D(2026, 11, 30), D(2026, 12, 1)]  # Fri → Mon → Tue


def test_a_late_completion_plans_the_next_date_after_it_without_a_backlog():
    # due Monday 2 Nov, done Thursday 26 Nov: every 2 weeks from 2 Nov → 30 Nov
    assert recurrence.next_date("FREQ=WEEKLY;INTERVAL=2", D(2026, 11, 2), D(2026, 11, 26)) == D(2026, 11, 30)
    # done on a rule date itself: the next one after it
    assert recurrence.next_date("FREQ=WEEKLY", D(2026, 11, 2), D(2026, 11, 16)) == D(2026, 11, 23)
    # done early: the next after the due date
    assert recurrence.next_date("FREQ=WEEKLY", D(2026, 11, 30), D(2026, 11, 23)) == D(2026, 12, 7)
    # a series with an end date ends
    assert recurrence.next_date("FREQ=WEEKLY;UNTIL=20261201", D(2026, 11, 30), D(2026, 11, 30)) is None


# ---------------------------------------------------------------- properties

# A loaded machine (helpers share two cores) must not turn a slow first dateutil import into a failure.
no_deadline = settings(deadline=None)
cents = st.integers(min_value=-parse.MAX_CENTS, max_value=parse.MAX_CENTS)
dates = st.dates(min_value=D(1, 1, 1), max_value=D(9999, 12, 31))
bases = st.dates(min_value=D(1000, 1, 1), max_value=D(9000, 12, 31))


@no_deadline
@given(cents, st.sampled_from(["", "$", "€", "¥"]))
def test_money_round_trips_through_format_money(amount, symbol):
    assert parse.parse_money(parse.format_money(amount, symbol), allow_negative=True) == amount


@no_deadline
@given(cents.filter(lambda c: c >= 0))
def test_money_with_yuan_and_grouped_thousands_reads_back(amount):
    text = parse.format_money(amount)  # 1,234.56
    assert parse.parse_money(f"￥{text}") == parse.parse_money(f"{text}元") == amount
    assert parse.parse_money(text.replace(",", "")) == amount


@no_deadline
@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=2))
def test_a_comma_not_before_three_digits_is_refused(whole, decimals):
    with pytest.raises(UsageError, match="comma"):
        parse.parse_money(f"{whole},{'5' * decimals}")


@no_deadline
@given(st.floats(min_value=0, max_value=1))
def test_a_rate_reads_back_from_its_export_text(fraction):
    assert parse.parse_rate(parse.format_rate(fraction)) == fraction


@no_deadline
@given(dates)
def test_an_iso_date_parses_to_itself(day):
    assert parse.parse_date(day.isoformat(), base=BASE) == day


@no_deadline
@given(dates)
def test_year_first_and_chinese_dates_parse_to_themselves(day):
    y, m, d = day.year, day.month, day.day
    for text in (f"{y:04d}/{m}/{d}", f"{y:04d}.{m}.{d}", f"{y:04d}-{m}-{d}", f"{y:04d}年{m}月{d}日"):
        assert parse.parse_date(text, base=BASE) == day


@no_deadline
@given(bases, st.dates(min_value=D(2000, 1, 1), max_value=D(2000, 12, 31)))
def test_a_date_without_a_year_is_the_nearest_one_ahead_or_back(base, month_day):
    text = f"{month_day.month}月{month_day.day}日"
    ahead = parse.parse_date(text, base=base, looking=parse.AHEAD)
    back = parse.parse_date(text, base=base, looking=parse.BACK)
    assert (ahead.month, ahead.day) == (back.month, back.day) == (month_day.month, month_day.day)
    assert back <= base <= ahead
    limit = 366 if (month_day.month, month_day.day) != (2, 29) else 8 * 366
    assert (ahead - base).days < limit and (base - back).days < limit


@no_deadline
@given(bases, st.integers(min_value=0, max_value=9999))
def test_relative_days_are_timedeltas(base, days):
    assert parse.parse_date(f"+{days}d", base=base) == base + dt.timedelta(days=days)
    assert parse.parse_date(f"-{days}d", base=base) == base - dt.timedelta(days=days)
    assert parse.parse_date(f"+{days // 7}w", base=base) == base + dt.timedelta(weeks=days // 7)


def _labelled_periods():
    years = st.integers(min_value=1, max_value=9999)
    return st.one_of(
        years.map(parse.year),
        st.tuples(years, st.integers(1, 4)).map(lambda yq: parse.quarter(*yq)),
        st.tuples(years, st.integers(1, 12)).map(lambda ym: parse.month(*ym)),
        st.dates(min_value=D(1, 1, 1), max_value=D(9999, 12, 24)).map(
            lambda day: parse.iso_week(day.isocalendar().year, day.isocalendar().week)
        ),
    )


@no_deadline
@given(_labelled_periods())
def test_a_period_label_round_trips_and_contains_its_ends(period):
    assert period.start in period and period.end in period
    assert period.start <= period.end
    assert parse.parse_period(period.label, base=BASE) == period


@no_deadline
@given(bases, st.sampled_from(["week", "month", "quarter", "year"]))
def test_relative_periods_contain_or_precede_the_base(base, size):
    this = parse.parse_period(f"this-{size}", base=base)
    last = parse.parse_period(f"last-{size}", base=base)
    assert base in this
    assert last.end == this.start - dt.timedelta(days=1)
    assert parse.parse_period(this.label, base=base) == this


def _parsed_or_usage_error(text: str) -> None:
    for parser in (
        lambda t: parse.parse_date(t, base=BASE),
        lambda t: parse.parse_period(t, base=BASE),
        lambda t: parse.parse_date(t, base=BASE, looking=parse.AHEAD),
        lambda t: parse.parse_date(t, base=BASE, looking=parse.BACK),
        parse.parse_money,
        parse.parse_rate,
        parse.parse_probability,
        parse.parse_recurrence,
        lambda t: parse.parse_recurrence(t, start=BASE),
    ):
        try:
            parser(text)
        except UsageError:
            pass


@no_deadline
@given(st.text(max_size=40))
def test_arbitrary_text_is_parsed_or_refused_with_a_usage_error(text):
    _parsed_or_usage_error(text)


_ALPHABET = st.sampled_from(
    list("0123456789-+/.,:$%kmwdyqQW 万元年月日￥") + ["every", "mon", "freq=", ";", "e", "nan"]
)


@no_deadline
@given(st.lists(_ALPHABET, max_size=12).map("".join))
def test_input_like_text_is_parsed_or_refused_with_a_usage_error(text):
    """Text made of the characters the parsers look at, which random unicode rarely hits."""
    _parsed_or_usage_error(text)


@no_deadline
@given(st.sampled_from(["day", "week", "month", "quarter", "year"]), st.integers(1, 300), dates)
def test_recurrence_descriptions_read_back(unit, count, start):
    assume(count * (3 if unit == "quarter" else 1) <= recurrence.MAX_INTERVAL)
    rule = parse.parse_recurrence(f"{count} {unit}s")
    assert parse.parse_recurrence(recurrence.describe(rule)) == rule
    anchored = parse.parse_recurrence(f"{count} {unit}s", start=start)
    assert recurrence.describe(anchored) == recurrence.describe(rule)
