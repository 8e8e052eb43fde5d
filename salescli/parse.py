"""Every piece of user input is parsed here: dates, periods, money, rates, counts.

The functions are pure (except for reading "today"), raise ``UsageError`` with a message
that says what was wrong and what is accepted, and never touch the database. References
to records (customer names, rep handles, ...) need the database and live in the store.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, TypeVar

from salescli.errors import UsageError
from salescli.grammar import article

T = TypeVar("T")

DATE_FORMS = (
    "YYYY-MM-DD, today, tomorrow, yesterday, +3d, -2w, +1m, +1y, mon..sun, next monday, "
    "eow/eom/eoq/eoy, sow/som/soq/soy, 2026/12/5, 2026.12.5, 2026年12月5日, 12月5日, "
    "or an unambiguous date such as 'Dec 5' or '5 Dec 2026'"
)
PERIOD_FORMS = (
    "2026, 2026-Q4, 2026-11, 2026-W48, this-week, last-week, this-month, last-month, "
    "this-quarter, last-quarter, this-year, last-year, or FROM..TO dates"
)

WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}


# ---------------------------------------------------------------- the database

DATABASE_URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(target: object) -> bool:
    """Whether ``--db`` / ``SALESCLI_DB`` names a PostgreSQL server rather than a file."""
    return isinstance(target, str) and target.startswith(DATABASE_URL_SCHEMES)


def database(text: str) -> Path | str:
    """The database named by ``--db`` / ``SALESCLI_DB``: a URL as given (a Path would fold
    its ``//``), a file as a Path (``~`` expanded)."""
    return text if is_database_url(text) else Path(text).expanduser()


def user_name(text: str) -> str | None:
    """Who runs salescli, as ``SALESCLI_USER`` says (None: not said): one line of text."""
    name = text.strip()
    if any(ch < " " or ch == "\x7f" for ch in name):
        raise UsageError("SALESCLI_USER must be one line of text, without control characters")
    return name or None


# ---------------------------------------------------------------- today and now


def today() -> dt.date:
    """The date every command treats as today: ``SALESCLI_TODAY`` if set, else the local date."""
    return now().date()


def now() -> dt.datetime:
    """The current moment, to the second.

    ``SALESCLI_TODAY=YYYY-MM-DD`` fixes the date and puts the clock at noon, so that
    timestamps (and the first-contact rule, which counts hours) are reproducible;
    ``SALESCLI_TODAY=YYYY-MM-DDTHH:MM`` fixes the time as well.
    """
    fixed = os.environ.get("SALESCLI_TODAY", "").strip()
    if not fixed:
        return dt.datetime.now().replace(microsecond=0)
    try:
        if len(fixed) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(fixed), dt.time(12, 0))
        else:
            moment = dt.datetime.fromisoformat(fixed).replace(microsecond=0, tzinfo=None)
    except ValueError:
        raise UsageError(
            f"SALESCLI_TODAY={fixed!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    return check_today(moment)


def backdated(day: dt.date | None) -> dt.datetime:
    """When a record typed in now was really created (``--created DAY``): ``day`` at the
    time of day it is now, so that ``--created today`` is the same as no option."""
    moment = now()
    return moment if day is None else dt.datetime.combine(day, moment.time())


def timestamp(moment: dt.datetime | None = None) -> str:
    """How timestamps are stored: ISO text to the second, local time."""
    return (moment or now()).isoformat(sep=" ", timespec="seconds")


# ---------------------------------------------------------------- dates


def _in_date_range(parser: Callable[..., T]) -> Callable[..., T]:
    """Date arithmetic beyond the years 1 to 9999 (``tomorrow`` when today is 9999-12-31)
    is a usage error, not a crash."""

    @functools.wraps(parser)
    def wrapper(text: str, **kwargs: Any) -> T:
        try:
            return parser(text, **kwargs)
        except OverflowError:
            raise UsageError(f"'{text}' falls outside the years 1 to 9999") from None

    return wrapper


_RELATIVE = re.compile(r"^([+-])\s*(\d{1,4})\s*([dwmy])$")
# Year first is never ambiguous: 2026-12-05, 2026-12-5, 2026/12/5, 2026.12.5.
_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
# As Chinese users write a date: 2026年12月5日, 12月5日 (日 or 号, or neither).
_CHINESE_DATE = re.compile(r"^(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")

# A date written without a year (``Dec 5``, ``12月5日``) is read for what it is about:
AHEAD = "ahead"  # a due date, an expected close: the next such date on or after today
BACK = "back"  # when something happened (--on): the last such date on or before today


@_in_date_range
def parse_date(text: str, *, base: dt.date | None = None, looking: str | None = None) -> dt.date:
    """Parse a date as a user types it (SPEC §3). Weeks start on Monday.

    ``looking`` (``AHEAD`` or ``BACK``) says which year a date without one is in: the next
    such date on or after ``base``, or the last one on or before it; without it, ``base``'s year.
    """
    base = base or today()
    raw = text
    text = " ".join(unicodedata.normalize("NFKC", text).strip().lower().split())
    if not text:
        raise UsageError(f"a date is required: use {DATE_FORMS}")
    numeric = _YEAR_FIRST.match(text) or _CHINESE_DATE.match(text)
    if numeric:
        written_year, month_number, day_number = numeric.groups()
        year_number = int(written_year) if written_year else None
        return _calendar_date(raw, year_number, int(month_number), int(day_number), base, looking)
    named = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if text in named:
        return base + dt.timedelta(days=named[text])
    match = _RELATIVE.match(text)
    if match:
        return _shift(base, match)
    day = text.removeprefix("next ")
    if day in WEEKDAYS:
        ahead = (WEEKDAYS[day] - base.weekday() - 1) % 7 + 1
        return base + dt.timedelta(days=ahead)
    edge = _edge_of_period(text, base)
    if edge:
        return edge
    return _parse_free_date(raw, base, looking)


_TIME_OF_DAY = re.compile(r"^(.*\S)\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def split_time_of_day(text: str) -> tuple[str, dt.time]:
    """A date and a time of day as a spreadsheet writes them (``2026/11/3 9:00``,
    ``2026年11月3日 09:00:05``): the date's text and the time (midnight if none)."""
    match = _TIME_OF_DAY.match(unicodedata.normalize("NFKC", text).strip())
    if not match:
        return text, dt.time()
    day, hour, minute, second = match.groups()
    try:
        return day, dt.time(int(hour), int(minute), int(second or 0))
    except ValueError:
        raise UsageError(f"'{text}' has no such time of day: use HH:MM or HH:MM:SS") from None


def _calendar_date(
    raw: str, year_number: int | None, month_number: int, day_number: int, base: dt.date, looking: str | None
) -> dt.date:
    """The date of a year (or, without one, the year ``looking`` chooses), month and day."""
    if year_number is not None:
        try:
            return dt.date(year_number, month_number, day_number)
        except ValueError:
            raise UsageError(f"'{raw}' is not a calendar date: use {DATE_FORMS}") from None
    step = {AHEAD: 1, BACK: -1}.get(looking or "", 0)
    candidate = base.year
    for _ in range(9):  # 29 Feb: the nearest leap year is at most 8 years away
        try:
            day = dt.date(candidate, month_number, day_number)
        except ValueError:
            if not (step and month_number == 2 and day_number == 29):
                raise UsageError(f"'{raw}' is not a calendar date: use {DATE_FORMS}") from None
        else:
            if step * (day - base).days >= 0:
                return day
        candidate += step
    raise UsageError(f"'{raw}' is not a calendar date: use {DATE_FORMS}")


def _shift(base: dt.date, match: re.Match[str]) -> dt.date:
    sign = -1 if match.group(1) == "-" else 1
    count = sign * int(match.group(2))
    unit = match.group(3)
    if unit == "d":
        return base + dt.timedelta(days=count)
    if unit == "w":
        return base + dt.timedelta(weeks=count)
    months = count if unit == "m" else 12 * count
    return add_months(base, months)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clipped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise UsageError("that date is out of range")
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def _edge_of_period(text: str, base: dt.date) -> dt.date | None:
    kinds = {"w": "week", "m": "month", "q": "quarter", "y": "year"}
    if len(text) == 3 and text[:2] in ("eo", "so") and text[2] in kinds:
        period = containing(kinds[text[2]], base)
        return period.end if text.startswith("eo") else period.start
    return None


def _parse_free_date(raw: str, base: dt.date, looking: str | None) -> dt.date:
    """dateutil's parser, for unambiguous forms only ('Dec 5', '5 Dec 2026', '25/12/2026')."""
    from dateutil import parser

    def read(default_year: int, dayfirst: bool, yearfirst: bool = False) -> dt.datetime:
        return parser.parse(raw, default=dt.datetime(default_year, 1, 1), dayfirst=dayfirst, yearfirst=yearfirst)

    try:
        month_first, day_first = read(2000, False), read(2000, True)
        # digits only ('26/12/5'): a two-digit year may come first (2026-12-05) as well as last
        numeric = not any(character.isalpha() for character in raw)
        year_first = {read(2000, False, True), read(2000, True, True)} if numeric else {month_first}
        undated = read(2004, False) != month_first  # the year came from the default
    except (ValueError, OverflowError):
        raise UsageError(f"cannot read '{raw}' as a date: use {DATE_FORMS}") from None
    if month_first != day_first:
        raise UsageError(
            f"'{raw}' is ambiguous (day and month could swap): use YYYY-MM-DD or 'Dec 5'"
        )
    if year_first != {month_first}:
        raise UsageError(
            f"'{raw}' is ambiguous (a two-digit year could come first or last): write the year in full, e.g. 2026/12/5"
        )
    if month_first.time() != dt.time(0, 0):
        raise UsageError(f"'{raw}' has a time of day; a date is needed: use {DATE_FORMS}")
    if undated:
        return _calendar_date(raw, None, month_first.month, month_first.day, base, looking)
    return month_first.date()


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """An inclusive range of dates with the label a user would write for it."""

    start: dt.date
    end: dt.date
    label: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def as_json(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def year(number: int) -> Period:
    return Period(dt.date(number, 1, 1), dt.date(number, 12, 31), f"{number:04d}")


def quarter(number: int, which: int) -> Period:
    start = dt.date(number, 3 * which - 2, 1)
    return Period(start, month(number, 3 * which).end, f"{number:04d}-Q{which}")


def month(number: int, which: int) -> Period:
    start = dt.date(number, which, 1)
    end = start.replace(day=calendar.monthrange(number, which)[1])
    return Period(start, end, f"{number:04d}-{which:02d}")


def iso_week(number: int, which: int) -> Period:
    start = dt.date.fromisocalendar(number, which, 1)
    return Period(start, start + dt.timedelta(days=6), f"{number:04d}-W{which:02d}")


def span(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise UsageError(f"the period ends ({end}) before it starts ({start})")
    return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")


def containing(kind: str, day: dt.date) -> Period:
    """The week / month / quarter / year that contains ``day``."""
    if kind == "week":
        iso = day.isocalendar()
        return iso_week(iso.year, iso.week)
    if kind == "month":
        return month(day.year, day.month)
    if kind == "quarter":
        return quarter(day.year, (day.month - 1) // 3 + 1)
    return year(day.year)


_PERIOD_PATTERNS = (
    (re.compile(r"^(\d{4})$"), lambda m: year(int(m[1]))),
    (re.compile(r"^(\d{4})-q(\d)$"), lambda m: quarter(int(m[1]), int(m[2]))),
    (re.compile(r"^(\d{4})-(\d{2})$"), lambda m: month(int(m[1]), int(m[2]))),
    (re.compile(r"^(\d{4})-w(\d{2})$"), lambda m: iso_week(int(m[1]), int(m[2]))),
)


@_in_date_range
def parse_period(text: str, *, base: dt.date | None = None) -> Period:
    """Parse ``2026``, ``2026-Q4``, ``2026-11``, ``2026-W48``, ``this-month``, ``A..B``, ..."""
    base = base or today()
    raw = text
    text = text.strip().lower().replace("_", "-").replace(" ", "-")
    relative = re.match(r"^(this|last|next)-(week|month|quarter|year)$", text)
    if relative:
        current = containing(relative[2], base)
        if relative[1] == "this":
            return current
        if relative[1] == "last":
            return containing(relative[2], current.start - dt.timedelta(days=1))
        return containing(relative[2], current.end + dt.timedelta(days=1))
    if ".." in text:
        first, _, last = raw.strip().partition("..")
        return span(parse_date(first, base=base), parse_date(last, base=base))
    for pattern, build in _PERIOD_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return build(match)
            except ValueError:
                break
    raise UsageError(f"'{raw}' is not a period: use {PERIOD_FORMS}")


def period_option(
    period: str | None, start: str | None, end: str | None, *, default: Period | None = None
) -> Period | None:
    """The period named by ``--period`` or by ``--from``/``--to`` (inclusive), else ``default``."""
    if period and (start or end):
        raise UsageError("give either --period or --from/--to, not both")
    if period:
        return parse_period(period)
    if start or end:
        if not (start and end):
            raise UsageError("--from and --to go together")
        return span(parse_date(start), parse_date(end))
    return default


# ---------------------------------------------------------------- recurrence

RECURRENCE_FORMS = (
    "day, week, 2 weeks, other week, fortnight, month, quarter, year, N days/weeks/months/quarters/years, "
    "daily, weekly, monthly, quarterly, yearly, weekday (Monday to Friday), a day such as monday "
    "or 'mon, thu' (each may follow 'every'), or RRULE text such as FREQ=WEEKLY;INTERVAL=2"
)
_EVERY_UNITS = {
    "day": ("DAILY", 1),
    "week": ("WEEKLY", 1),
    "fortnight": ("WEEKLY", 2),
    "month": ("MONTHLY", 1),
    "quarter": ("MONTHLY", 3),
    "year": ("YEARLY", 1),
}
_EVERY_ADVERBS = {
    "daily": "day",
    "weekly": "week",
    "fortnightly": "fortnight",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
    "annually": "year",
}
_EVERY = re.compile(r"^(?:(\d{1,6}|other)\s*)?(day|week|fortnight|month|quarter|year)s?$")


def parse_recurrence(text: str, *, start: dt.date | None = None) -> str:
    """What ``--every`` says (``week``, ``2 weeks``, ``month``, ``weekday``, ``mon, thu``, ...)
    as an RRULE string (``FREQ=WEEKLY;INTERVAL=2``). With ``start``, the series' first date,
    a monthly or yearly rule starting on the 29th-31st is anchored so it does not skip the
    shorter months (``recurrence.anchored``)."""
    from salescli import recurrence

    raw = text
    text = " ".join(text.strip().lower().split())
    text = text.removeprefix("every ").strip()
    if text.upper().startswith(("FREQ=", "RRULE:")):
        rule = recurrence.validate(raw)
    else:
        rule = _rule_from_words(_EVERY_ADVERBS.get(text, text), raw)
    return recurrence.anchored(rule, start) if start else rule


def _rule_from_words(text: str, raw: str) -> str:
    from salescli import recurrence

    match = _EVERY.match(text)
    if match:
        freq, step = _EVERY_UNITS[match[2]]
        interval = step * (2 if match[1] == "other" else int(match[1] or 1))
        if not 1 <= interval <= recurrence.MAX_INTERVAL:
            raise UsageError(f"'{raw}' is not a usable repeat: the count must be from 1 to {recurrence.MAX_INTERVAL}")
        return recurrence.build({"FREQ": freq, "INTERVAL": str(interval)})
    if text in ("weekday", "weekdays", "workday", "workdays"):
        return recurrence.build({"FREQ": "WEEKLY", "BYDAY": ",".join(recurrence.WORKDAYS)})
    words = [word for word in re.split(r"[\s,/&+]+", text) if word and word != "and"]
    days = {WEEKDAYS.get(word, WEEKDAYS.get(word.removesuffix("s"), -1)) for word in words}
    if not words or -1 in days:
        raise UsageError(f"cannot read '{raw}' as a repeat: use {RECURRENCE_FORMS}")
    codes = ",".join(recurrence.DAY_CODES[day] for day in sorted(days))
    return recurrence.build({"FREQ": "WEEKLY", "BYDAY": codes})


# ---------------------------------------------------------------- money and numbers

MONEY_FORMS = (
    "12000, 12,000.50, 12k, 1.5m, 1.2万, 12000元, ￥12,000 (a currency symbol or code may come "
    "first, 元 or a code last; a comma only separates thousands)"
)
_CURRENCY = "$€£¥₹₩₽₺"  # ￥ (fullwidth) reads as ¥: the text is NFKC-normalised first
_CODES = "usd|eur|gbp|cny|rmb|jpy"
_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000, "万": 10_000, "亿": 100_000_000}
_MONEY = re.compile(
    rf"^(?P<sign>-)?\s*(?:[{_CURRENCY}]|{_CODES})?\s*"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)\s*"
    rf"(?P<unit>[km万亿]?)\s*(?:元|{_CODES})?$"
)
_COMMA_NUMBER = re.compile(r"\d,\d")


def parse_money(text: str, *, allow_negative: bool = False, what: str = "amount", maximum: int | None = None) -> int:
    """Parse money as typed (``12k``, ``12,000.50``, ``$1.5m``, ``1.2万``, ``12000元``) into
    integer cents, at most ``maximum`` (default ``MAX_CENTS``) either way. A comma only
    separates thousands: ``12,50`` is an error, not 12.50."""
    raw = text
    cleaned = unicodedata.normalize("NFKC", text).strip().lower()
    match = _MONEY.match(cleaned)
    if not match:
        if _COMMA_NUMBER.search(cleaned):
            raise UsageError(
                f"{what} '{raw}' has a comma that does not separate thousands: "
                "write decimals with a point (12.50) and group thousands by three (12,000.50)"
            )
        raise UsageError(f"{what} '{raw}' is not an amount of money: use {MONEY_FORMS}")
    value = Decimal(match["number"].replace(",", "")) * _MULTIPLIERS[match["unit"]] * 100
    if value != value.to_integral_value():
        raise UsageError(f"{what} '{raw}' has fractions of a cent: use at most two decimals")
    cents = int(value) * (-1 if match["sign"] else 1)
    if cents < 0 and not allow_negative:
        raise UsageError(f"{what} '{raw}' is negative: {article(what)} cannot be below zero")
    return check_money(cents, raw, what=what, maximum=maximum)


def format_money(cents: int, symbol: str = "") -> str:
    """``123456`` → ``1,234.56`` (with ``symbol`` in front); negative as ``-$1.00``."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{symbol}{whole:,}.{part:02d}"


RATE_FORMS = "5 or 5% (a bare number is a percentage: 0.5 is 0.5 %)"


def format_rate(fraction: float) -> str:
    """``0.05`` → ``5%``, ``0.3333`` → ``33.33%``: what ``parse_rate`` reads back exactly."""
    percent = (Decimal(repr(fraction)) * 100).normalize()
    return f"{percent:f}%"


def _percentage(text: str, what: str) -> Decimal:
    """The number of percent ``text`` says: ``5``, ``5%`` and ``5 %`` are all 5."""
    digits = unicodedata.normalize("NFKC", text).strip().removesuffix("%").strip()
    try:
        value = Decimal(digits)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():  # also 'nan', 'inf'
        raise UsageError(f"{what} '{text}' is not a percentage: use {RATE_FORMS}")
    return value


def parse_rate(text: str, *, what: str = "rate") -> float:
    """A percentage, returned as a fraction: ``5`` and ``5%`` → 0.05, ``0.5`` → 0.005.

    A bare number is a percentage everywhere (commission, probability, targets, CSV), so
    that ``1`` is 1 % whether or not the ``%`` is typed."""
    percent = _percentage(text, what)
    if not 0 <= percent <= 100:
        raise UsageError(f"{what} '{text}' must be between 0% and 100%")
    return float(percent / 100)


def parse_probability(text: str) -> int:
    """A stage's chance of winning, in whole percent: ``40`` or ``40%`` → 40."""
    percent = _percentage(text, "probability")
    if percent != percent.to_integral_value() or not 0 <= percent <= 100:
        raise UsageError(f"probability '{text}' must be a whole percentage from 0 to 100, e.g. 40 or 40%")
    return int(percent)


def parse_count(text: str | int, *, what: str = "number", minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number from ``minimum`` to ``maximum`` (default ``MAX_COUNT``)."""
    try:
        value = int(str(text).strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise UsageError(f"{what} '{text}' is not a whole number") from None
    if value < minimum:
        raise UsageError(f"{what} must be at least {minimum}, not {value}")
    return check_count(value, what=what, maximum=maximum)


def require_text(text: str | None, *, what: str) -> str:
    """A required free-text value: stripped, and not empty."""
    value = (text or "").strip()
    if not value:
        raise UsageError(f"{what} cannot be empty")
    return value


def parse_choice(text: str, choices: tuple[str, ...], *, what: str) -> str:
    """One of a fixed set of words, case-insensitively, or a unique prefix of one."""
    value = text.strip().lower()
    if value in choices:
        return value
    matches = [choice for choice in choices if choice.startswith(value)] if value else []
    if len(matches) == 1:
        return matches[0]
    raise UsageError(f"unknown {what} '{text}': use one of {', '.join(choices)}")


def parse_tier(text: str) -> str | None:
    """A customer's value tier: ``A``, ``B`` or ``C`` in any case; empty is no tier."""
    value = text.strip().upper()
    if value and value not in ("A", "B", "C"):
        raise UsageError(f"tier '{text}' is not valid: use A, B or C")
    return value or None


def parse_field(text: str) -> tuple[str, str]:
    """A custom field ``key=value`` (an empty value removes the field)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(f"field '{text}' is not KEY=VALUE")
    return key, value.strip()


def parse_encoding(text: str) -> str:
    """A text encoding's name (``--encoding``): ``utf-8``, ``utf-8-sig``, ``gb18030``, ``gbk``, ``latin-1``, …"""
    import codecs

    try:
        name = codecs.lookup(text.strip()).name
        "".encode(name)  # rot13, hex, …: not text encodings
    except LookupError:
        raise UsageError(f"unknown encoding '{text}': use utf-8, utf-8-sig, gb18030, gbk, latin-1, …") from None
    return name


# ---------------------------------------------------------------- ranges
#
# Every number salescli stores stays within a range (README "Ranges"), chosen so that all
# a report computes from stored values fits SQLite's 64-bit integers (2**63 - 1, about
# 9.2e18). The largest is Σ amount × probability (cents × percent): 9,000,000 deals of the
# largest amount make 9.0e18. Targets are never summed in SQL, so they may be larger.

MAX_CENTS = 10**10  # 100,000,000.00: one amount (deal amount or cost, price, payment, credit limit)
MAX_COUNT = 10**9  # a quantity, or any other count
MAX_TARGET_CENTS = 1000 * MAX_CENTS  # a revenue or margin target
MAX_TARGET_COUNT = 1000 * MAX_COUNT  # a won-deals, units, new-customers or activities target
MAX_ID = 10**12  # a record's id
# An import row may give a new record its own id, up to a tenth of MAX_ID: ids go on above
# the largest ever given, so what salescli adds after it always stays within MAX_ID.
MAX_GIVEN_ID = MAX_ID // 10
MAX_DAYS = 36_600  # a hundred years: how far a report looks ahead or back
MAX_MONTHS = 120  # how many months a forecast shows
TODAY_RANGE = (dt.date(1900, 1, 1), dt.date(2999, 12, 31))  # so that today ± MAX_DAYS stays in the calendar


def id_number(text: str) -> int | None:
    """The id ``text`` names, or None when it cannot name one (not ASCII digits, or above ``MAX_ID``)."""
    if text.isascii() and text.isdigit() and int(text) <= MAX_ID:
        return int(text)
    return None


def list_items(texts: Iterable[str], key: Callable[[str], str] = str.casefold) -> list[str]:
    """The items of list values (tags, regions, industries) as typed or as a CSV cell
    holds them: each value split at ``;`` (or a full-width ``；``), stripped, without
    empty items or repeats (the same ``key``) — so that what is stored never holds the
    separator an export writes between items."""
    items: dict[str, str] = {}
    for text in texts:
        for item in text.replace("；", ";").split(";"):
            item = item.strip()
            if item and key(item) not in items:
                items[key(item)] = item
    return list(items.values())


def check_money(cents: int, raw: str, *, what: str, maximum: int | None = None) -> int:
    """``cents`` if it is within ±``maximum`` (default ``MAX_CENTS``)."""
    maximum = MAX_CENTS if maximum is None else maximum
    if abs(cents) > maximum:
        raise UsageError(f"{what} '{raw}' is too large: the most is {format_money(maximum)}")
    return cents


def check_count(value: int, *, what: str, maximum: int | None = None) -> int:
    """``value`` if it is at most ``maximum`` (default ``MAX_COUNT``)."""
    maximum = MAX_COUNT if maximum is None else maximum
    if value > maximum:
        raise UsageError(f"{what} must be at most {maximum:,}, not {value:,}")
    return value


def check_today(moment: dt.datetime) -> dt.datetime:
    """``moment`` if its date is within ``TODAY_RANGE``."""
    first, last = TODAY_RANGE
    if not first <= moment.date() <= last:
        raise UsageError(f"SALESCLI_TODAY={moment.date()} is out of range: use a date from {first} to {last}")
    return moment


def check_utf8(text: str) -> str:
    """``text`` if it is Unicode through and through. An argument holding bytes that are
    not UTF-8 reaches Python as lone surrogates (``'caf\\udce9'``), which can be neither
    stored nor printed."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise UsageError(f"'{shown}' is not UTF-8 text: give every argument in UTF-8") from None
    return text


def nocase(text: str) -> str:
    """``text`` as NOCASE compares it: the letters A–Z in any case, every other character
    as it is (``Élite`` and ``ÉLITE`` are one tag, ``Élite`` and ``élite`` two, as names),
    so that what salescli calls a repeat is what the database's unique keys call one."""
    if text.isascii():
        return text.lower()
    return text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")  # bytes.lower: ASCII only
