"""Recurring follow-ups: RRULE strings (RFC 5545, read by ``dateutil.rrule``).

A recurring plan stores its rule in ``activity.recurrence`` (e.g. ``FREQ=WEEKLY;INTERVAL=2``).
The series follows the rule from the current occurrence's due date: completing it plans
the first rule date after that due date which is also after the day it was done, so a
late completion does not leave a backlog of missed occurrences.

Monthly and yearly rules that start on a day some months lack (the 29th to 31st, or
29 February) are *anchored*: the 31st becomes "the last day of the month"
(``BYMONTHDAY=-1``) and the 29th/30th "that day, or the month's last day if it is
shorter", so a series started on 31 January goes 28 February, 31 March, 30 April, …
instead of skipping the short months.

Parsing what a user types (``--every 2 weeks``) is ``parse.parse_recurrence``; this module
only reads, anchors, describes and steps rules. dateutil is imported inside the functions
that need it (start-up time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from salescli.errors import UsageError

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WORKDAYS = DAY_CODES[:5]
MAX_INTERVAL = 999
_KEYS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTH", "BYMONTHDAY", "BYSETPOS", "UNTIL")

Anchor = tuple[str | None, str | None, str | None]

# The anchors ``anchored`` adds, as (BYMONTH, BYMONTHDAY, BYSETPOS): for a monthly series
# started on the 29th, 30th or 31st, and for a yearly one started on 29 February. These are
# the only uses of BYMONTH / BYMONTHDAY / BYSETPOS salescli accepts, so every rule it stores
# has a next date within a few days or months (dateutil would search for thousands of years
# for an impossible one such as 31 February).
_MONTH_END_ANCHORS: dict[int, Anchor] = {
    29: (None, "28,29", "-1"),
    30: (None, "28,29,30", "-1"),
    31: (None, "-1", None),
}
_LEAP_DAY_ANCHOR: Anchor = ("2", "28,29", "-1")
_NO_ANCHOR: Anchor = (None, None, None)


def parts(rule: str) -> dict[str, str]:
    """``'FREQ=WEEKLY;INTERVAL=2'`` → ``{'FREQ': 'WEEKLY', 'INTERVAL': '2'}`` (keys upper-case)."""
    text = rule.strip()
    if text[:6].upper() == "RRULE:":
        text = text[6:]
    result = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"'{item}' in rule '{rule}' is not KEY=VALUE")
        result[key.strip().upper()] = value.strip().upper()
    return result


def build(fields: dict[str, str | None]) -> str:
    """The RRULE text of ``fields`` in a stable order (FREQ first), dropping empty ones and INTERVAL=1."""
    if fields.get("INTERVAL") == "1":
        fields = {**fields, "INTERVAL": None}
    order = sorted(fields, key=lambda key: _KEYS.index(key) if key in _KEYS else len(_KEYS))
    return ";".join(f"{key}={fields[key]}" for key in order if fields[key])


def _anchor(fields: Mapping[str, str | None]) -> Anchor:
    return (fields.get("BYMONTH"), fields.get("BYMONTHDAY"), fields.get("BYSETPOS"))


def _is_anchor(fields: dict[str, str]) -> bool:
    """Whether BYMONTH/BYMONTHDAY/BYSETPOS are absent or exactly one of salescli's anchors."""
    anchor = _anchor(fields)
    if anchor == _NO_ANCHOR:
        return True
    if "BYDAY" in fields:
        return False
    if fields.get("FREQ") == "MONTHLY":
        return anchor in _MONTH_END_ANCHORS.values()
    return fields.get("FREQ") == "YEARLY" and anchor == _LEAP_DAY_ANCHOR


def validate(rule: str) -> str:
    """A rule given as RRULE text, checked and normalised; ``UsageError`` if salescli cannot
    repeat by it. Accepted: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL (1 to 999),
    BYDAY (MO..SU), UNTIL, and the month-end anchors ``anchored`` writes."""
    fields = parts(rule)
    unknown = [key for key in fields if key not in _KEYS]
    if unknown:
        raise UsageError(
            f"rule '{rule}' uses {', '.join(unknown)}: salescli repeats by FREQ, INTERVAL, BYDAY and UNTIL"
        )
    if fields.get("FREQ") not in FREQUENCIES:
        raise UsageError(f"rule '{rule}' needs FREQ= one of {', '.join(FREQUENCIES)} (follow-ups are dates)")
    interval = fields.get("INTERVAL", "1")
    if not interval.isascii() or not interval.isdigit() or not 1 <= int(interval) <= MAX_INTERVAL:
        raise UsageError(f"rule '{rule}': INTERVAL must be a whole number from 1 to {MAX_INTERVAL}")
    days = fields.get("BYDAY", "MO").split(",")
    if not days or not set(days) <= set(DAY_CODES):
        raise UsageError(f"rule '{rule}': BYDAY must list days among {','.join(DAY_CODES)}")
    if not _is_anchor(fields):
        raise UsageError(f"rule '{rule}': BYMONTH, BYMONTHDAY and BYSETPOS are not supported")
    fields["BYDAY"] = ",".join(sorted(set(days), key=DAY_CODES.index)) if "BYDAY" in fields else ""
    normalised = build(dict(fields))
    try:
        next_date(normalised, dt.date(2000, 1, 1), dt.date(2000, 1, 1))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise UsageError(f"rule '{rule}' is not a valid RRULE: {error}") from None
    return normalised


def anchored(rule: str, start: dt.date, *, replace: bool = True) -> str:
    """``rule`` set to repeat on ``start``'s day of the month (or of the year) without
    skipping the months (or years) that lack that day. Rules that name their days
    (BYDAY), and daily or weekly ones, are returned unchanged; so is an anchored rule
    unless ``replace`` (a rescheduled series takes the anchor of its new date)."""
    fields: dict[str, str | None] = dict(parts(rule))
    freq = fields.get("FREQ")
    has_anchor = _anchor(fields) != _NO_ANCHOR
    if freq not in ("MONTHLY", "YEARLY") or "BYDAY" in fields or (has_anchor and not replace):
        return rule
    anchor = _NO_ANCHOR
    if freq == "MONTHLY" and start.day in _MONTH_END_ANCHORS:
        anchor = _MONTH_END_ANCHORS[start.day]
    elif freq == "YEARLY" and (start.month, start.day) == (2, 29):
        anchor = _LEAP_DAY_ANCHOR
    fields.update(BYMONTH=anchor[0], BYMONTHDAY=anchor[1], BYSETPOS=anchor[2])
    return build(fields)


def next_date(rule: str, due: dt.date, after: dt.date) -> dt.date | None:
    """The first date of the series that runs by ``rule`` from ``due`` which is later than
    both ``due`` and ``after``; None when the series has ended (UNTIL)."""
    from dateutil.rrule import rrulestr  # type: ignore[import-untyped]

    series = rrulestr(rule, dtstart=dt.datetime.combine(due, dt.time()))
    found = series.after(dt.datetime.combine(max(due, after), dt.time()), inc=False)
    return found.date() if found else None


def describe(rule: str | None) -> str | None:
    """Human text for a rule, which ``parse.parse_recurrence`` reads back: ``every 2 weeks``,
    ``every month``, ``every quarter``, ``every weekday``, ``every monday, thursday``. A rule
    with no plainer wording (UNTIL, or days every other week) is shown as its RRULE text."""
    if not rule:
        return None
    try:
        fields = parts(rule)
    except UsageError:
        return rule
    freq, interval = fields.get("FREQ"), fields.get("INTERVAL", "1")
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}.get(freq or "")
    plain = set(fields) <= set(_KEYS) - {"UNTIL"} and interval.isdigit() and _is_anchor(fields)
    if unit is None or not plain:
        return rule
    if "BYDAY" in fields:
        codes = set(fields["BYDAY"].split(","))
        if freq != "WEEKLY" or interval != "1" or not codes <= set(DAY_CODES):
            return rule
        days = sorted(codes, key=DAY_CODES.index)
        if days == list(WORKDAYS):
            return "every weekday"
        return "every " + ", ".join(DAY_NAMES[DAY_CODES.index(code)] for code in days)
    count = int(interval)
    if unit == "month" and count == 3:
        return "every quarter"
    return f"every {unit}" if count == 1 else f"every {count} {unit}s"
