"""The daily reports: funnel, targets, due, forecast, stale (SPEC §6).

Pure functions over the rows ``salescli.store.reporting`` reads. The SQL does the heavy
aggregation (group by stage, by day, by month); these functions do what is left: the
cumulative "reached" counts, the pace and status of targets, the buckets of follow-ups
and forecast months, and the idle days of stale deals.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import accumulate, chain, islice
from operator import itemgetter
from typing import Any

from salescli import parse
from salescli.reports.common import Report, Totals, mean_cents, mean_days, ratio, round_cents

Row = Mapping[str, Any]


def weighted_cents(amount_times_probability: int) -> int:
    """Σ amount × probability (cents × percent, as SQL sums it) in cents."""
    return round_cents(Decimal(amount_times_probability) / 100)


# ---------------------------------------------------------------- funnel


def funnel(stages: list[Row], groups: Iterable[Row], stays: Iterable[Row]) -> Report:
    """The pipeline funnel of a cohort of deals.

    stages: every stage (``id``, ``name``, ``position``, ``probability``, ``kind``) by position.
    groups: the cohort per (``stage_id`` it is in now, ``furthest`` open position it reached,
            None if none): ``deals``, ``value``, and for won deals ``cycle_days`` (created →
            won, summed) over ``cycle_deals``.
    stays:  per stage: ``stays`` in it that ended, and the ``days`` they lasted in all.

    Rows: one per open stage, then ``won``. A deal reached an open stage when its furthest
    open stage is at or after it; a won deal reached every open stage. ``lost``: the deals
    lost while that stage was their furthest (where deals drop out). ``conversion`` is not
    known yet (None) for a stage whose deals have all stayed in it so far.
    """
    kinds = {s["id"]: s["kind"] for s in stages}
    cohort = [dict(row) for row in groups]
    now: dict[Any, dict[str, Any]] = {}
    for group in cohort:
        totals = now.setdefault(group["stage_id"], dict.fromkeys(("deals", "value", "cycle_days", "cycle_deals"), 0))
        for key in totals:
            totals[key] += group[key] or 0
    left = {row["stage_id"]: dict(row) for row in stays}
    open_stages = [s for s in stages if s["kind"] == "open"]
    won_stages = [s for s in stages if s["kind"] == "won"]
    lost_at: Counter[Any] = Counter()  # furthest open position → deals lost there
    first_position = open_stages[0]["position"] if open_stages else None
    for group in cohort:
        if kinds.get(group["stage_id"]) == "lost":  # never in an open stage: lost at the first
            lost_at[group["furthest"] if group["furthest"] is not None else first_position] += group["deals"]

    def reached_at(position: int | None) -> tuple[int, int]:
        """Deals (and their value) that got to ``position`` or beyond (None: won deals only)."""
        hits = [
            g for g in cohort
            if kinds.get(g["stage_id"]) == "won"
            or (position is not None and g["furthest"] is not None and g["furthest"] >= position)
        ]
        return sum(g["deals"] for g in hits), sum(g["value"] or 0 for g in hits)

    rows = []
    for stage in open_stages:
        deals, value = reached_at(stage["position"])
        here = now.get(stage["id"], {})
        stay = left.get(stage["id"], {})
        rows.append(
            {
                "stage": stage["name"],
                "probability": stage["probability"] / 100,
                "reached": deals,
                "reached_value": value,
                "lost": lost_at[stage["position"]],
                "open": here.get("deals", 0),
                "open_value": here.get("value", 0),
                "avg_days_in_stage": mean_days(stay.get("days"), stay.get("stays")),
            }
        )
    won_deals, won_value = reached_at(None)
    won_stays = [left[s["id"]] for s in won_stages if s["id"] in left]
    rows.append(
        {
            "stage": won_stages[0]["name"] if won_stages else "won",
            "probability": 1.0,
            "reached": won_deals,
            "reached_value": won_value,
            "lost": None,
            "open": None,  # won deals are closed: the won row counts them under `reached`
            "open_value": None,
            "avg_days_in_stage": mean_days(sum(s["days"] for s in won_stays), sum(s["stays"] for s in won_stays)),
        }
    )
    for row, following in zip(rows, rows[1:] + [None]):
        undecided = row["open"] == row["reached"]  # no deal has left the stage yet: no drop known
        row["conversion"] = ratio(following["reached"], row["reached"]) if following and not undecided else None
    return Report(rows, _funnel_summary(stages, now))


def _funnel_summary(stages: list[Row], now: Mapping[Any, Mapping[str, Any]]) -> dict[str, Any]:
    def total(kind: str, key: str) -> Any:
        return sum(now[s["id"]][key] for s in stages if s["kind"] == kind and s["id"] in now)

    won, lost = total("won", "deals"), total("lost", "deals")
    won_value = total("won", "value")
    weighted = sum(now[s["id"]]["value"] * s["probability"] for s in stages if s["kind"] == "open" and s["id"] in now)
    return {
        "deals": sum(row["deals"] for row in now.values()),
        "won": won,
        "won_value": won_value,
        "lost": lost,
        "lost_value": total("lost", "value"),
        "win_rate": ratio(won, won + lost),
        "avg_won_value": mean_cents(won_value, won),
        "avg_cycle_days": mean_days(total("won", "cycle_days"), total("won", "cycle_deals")),
        "open_value": total("open", "value"),
        "weighted_value": weighted_cents(weighted),
    }


# ---------------------------------------------------------------- targets

METRICS = ("revenue", "won_deals", "margin", "units", "new_customers", "activities", "satisfaction")
UNITS = {"revenue": "money", "margin": "money", "satisfaction": "ratio"}  # the rest are counts
BASIS_POINTS = 10_000
TEAM = "team"


class Ledger:
    """Daily totals per owner (and for the team), summed over any range of days by bisection.

    Built from rows of ``day`` (ISO date), ``owner_id`` and any numeric fields; several
    sources (deals won, customers created, activities done) can feed one ledger.
    """

    def __init__(self, *sources: Iterable[Row]) -> None:
        daily: dict[tuple[Any, str], dict[str, float]] = defaultdict(dict)  # (owner, field) → day → total
        for source in sources:
            for row in source:
                day, owner = row["day"], row["owner_id"]
                for key in row.keys():
                    value = row[key]
                    if not value or key in ("day", "owner_id"):
                        continue
                    for totals in (daily[owner, key], daily[TEAM, key]):
                        totals[day] = totals.get(day, 0) + value
        self._days: dict[tuple[Any, str], list[str]] = {}
        self._sums: dict[tuple[Any, str], list[float]] = {}
        for series, by_day in daily.items():
            days = self._days[series] = sorted(by_day)
            self._sums[series] = [0, *accumulate(by_day[day] for day in days)]

    def total(self, key: str, owner: Any, start: str, end: str) -> float:
        """Σ ``key`` for ``owner`` (``TEAM`` for everyone) over the days ``start``…``end``."""
        days = self._days.get((owner, key))
        sums = self._sums.get((owner, key))
        if not days or not sums:
            return 0
        return sums[bisect.bisect_right(days, end)] - sums[bisect.bisect_left(days, start)]


def actual(metric: str, ledger: Ledger, owner: Any, start: str, end: str) -> float | None:
    """A target's actual over its period (SPEC §6); satisfaction is a fraction (None: no scores)."""
    if metric == "satisfaction":
        scored = ledger.total("scored", owner, start, end)
        return ratio(ledger.total("satisfied", owner, start, end), scored)
    if metric not in METRICS:
        return None
    return ledger.total(metric, owner, start, end)


def targets(targets: Iterable[Row], actuals: Iterable[Iterable[Row]], today: dt.date) -> Report:
    """Each target with its actual, pace, projection and status.

    targets: ``metric``, ``period`` (label), ``start``, ``end``, ``rep_id``, ``rep`` (handle or
    None for the team), ``value`` (cents, a count, or basis points for satisfaction).
    actuals: the per-day, per-owner sources of a ``Ledger`` covering those periods.

    Satisfaction is a rate, not a running total: its expected value is the target itself,
    its projection is the rate so far, and it needs no amount per day. A rate can still
    fall while its period runs, so it is ``met`` (or ``missed``) only once the period is
    over; until then it is ``ahead`` or ``behind``.
    """
    order = {metric: index for index, metric in enumerate(METRICS)}
    ordered = sorted(
        targets,
        key=lambda t: (t["start"], _negated(t["end"]), order.get(t["metric"], len(order)), t["rep"] or ""),
    )
    ledger = Ledger(*actuals)
    rows = [_target_row(target, ledger, today) for target in ordered]
    statuses = Counter(row["status"] for row in rows)
    summary = {"targets": len(rows)} | {
        status.replace("-", "_"): statuses[status] for status in ("met", "ahead", "behind", "missed", "not-started")
    }
    return Report(rows, summary)


def _target_row(target: Row, ledger: Ledger, today: dt.date) -> dict[str, Any]:
    metric = target["metric"]
    unit = UNITS.get(metric, "count")
    start, end = dt.date.fromisoformat(target["start"]), dt.date.fromisoformat(target["end"])
    days = (end - start).days + 1
    so_far = max(0, min(days, (today - start).days + 1))
    left = max(0, min(days, (end - today).days))
    owner = target["rep_id"] if target["rep_id"] is not None else TEAM
    value = target["value"] / BASIS_POINTS if unit == "ratio" else target["value"]
    got = actual(metric, ledger, owner, target["start"], target["end"])
    if unit == "money" and got is not None:
        got = int(got)

    def pace(numerator: float, denominator: int) -> float:
        """numerator ÷ denominator in the metric's unit: cents, or a count to 2 decimals."""
        return mean_cents(int(numerator), denominator) if unit == "money" else round(numerator / denominator, 2)

    if unit == "ratio":  # a rate does not build up: it should be at the target all along
        expected = value
        projected = got if so_far else None
    else:
        expected = pace(value * so_far, days)
        projected = pace(got * days, so_far) if so_far and got is not None else None
    remaining = max(value - got, 0) if got is not None else None
    per_day = pace(remaining, left) if unit != "ratio" and left and remaining is not None else None
    ended = end < today
    if got is not None and got >= value and (ended or unit != "ratio"):
        status = "met"  # a rate can still fall until its period is over
    elif ended:
        status = "missed"
    elif start > today:
        status = "not-started"
    elif got is not None and got >= expected:
        status = "ahead"
    else:
        status = "behind"
    return {
        "metric": metric,
        "period": target["period"],
        "rep": target["rep"],
        "target": value,
        "actual": got,
        "progress": ratio(got, value),
        "elapsed": so_far / days,
        "expected": expected,
        "projected": projected,
        "remaining": remaining,
        "per_day_needed": per_day,
        "status": status,
        "unit": unit,  # how to show target, actual, expected, …: money, count or ratio
        "expected_progress": ratio(expected, value),  # where the progress bar should be by today
    }


def _negated(day: str) -> int:
    """Sorts later dates first (a year before its quarters when both start on one day)."""
    return -dt.date.fromisoformat(day).toordinal()


# ---------------------------------------------------------------- due


DUE_KEYS = ("bucket", "id", "due", "days", "customer", "deal", "type", "summary", "owner")  # of each ``due`` row


def due(
    activities: Iterable[Sequence[Any]], uncontacted: Iterable[Row], today: dt.date, first_contact_hours: int
) -> Iterator[Sequence[Any]]:
    """Follow-ups by bucket, streamed: ``overdue``, ``today``, ``upcoming`` (activities in
    due order), then ``uncontacted`` customers (no activity at all, first contact due).
    Each row is a tuple of ``DUE_KEYS``.

    activities:  the open follow-ups' rows, finished (``DUE_KEYS``), ordered by due — a
                 cursor, read once and passed on as it is.
    uncontacted: customers ordered by ``created_at``: ``customer``, ``created_at``, ``owner``.
    """
    return chain(activities, _uncontacted(uncontacted, today, first_contact_hours))


def _uncontacted(customers: Iterable[Row], today: dt.date, first_contact_hours: int) -> Iterator[tuple[Any, ...]]:
    for row in customers:
        added = dt.datetime.fromisoformat(row["created_at"])
        first_contact = first_contact_due(added, first_contact_hours)
        summary = f"Not contacted yet (added {added.date().isoformat()})"
        yield "uncontacted", None, first_contact.isoformat(), (first_contact - today).days, row["customer"], None, None, summary, row["owner"]


def first_contact_due(added: dt.datetime, hours: int) -> dt.date:
    """The date first contact is due: ``hours`` after the customer was added (24 h → tomorrow)."""
    return (added + dt.timedelta(hours=hours)).date()


def uncontacted_cutoff(today: dt.date, hours: int) -> str:
    """The timestamp before which a customer must have been added for first contact to be
    due today or earlier (due dates are dates: one due later today counts as due today)."""
    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
    return (tomorrow - dt.timedelta(hours=hours)).isoformat(sep=" ", timespec="seconds")


class Tally:
    """Counts rows by bucket as they stream past, for ``report due --check``."""

    ACTION = ("overdue", "uncontacted")

    def __init__(self) -> None:
        self.buckets = dict.fromkeys(("overdue", "today", "upcoming", "uncontacted"), 0)

    def count(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        """``rows`` (of ``due``) as they are, counted by bucket."""
        buckets = self.buckets
        for row in rows:
            buckets[row[0]] += 1
            yield row

    @property
    def needs_action(self) -> bool:
        """Whether anything is overdue or uncontacted."""
        return any(self.buckets[bucket] for bucket in self.ACTION)


# ---------------------------------------------------------------- forecast

OVERDUE, LATER, UNDATED = "overdue", "later", "undated"


def forecast_months(today: dt.date, months: int) -> list[str]:
    """This month and the ``months - 1`` after it, as ``YYYY-MM``."""
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index, index + months)]


def forecast(open_deals: Iterable[Row], won: Iterable[Row], today: dt.date, months: int) -> Report:
    """Open deals by expected-close month.

    open_deals: per (``month`` of expected close or None, ``past``: before today): ``deals``,
                ``amount``, ``weighted`` (Σ amount × probability, so in cent-percent).
    won:        per ``month``: ``amount`` won in that month up to today.

    Rows: ``overdue`` (expected close before today), one per month from this one, ``later``
    (after the last month shown) and ``undated`` (no expected close). ``won`` is what was
    won in that month so far (null for the rows that are not months).
    """
    shown = forecast_months(today, months)
    won_in = {row["month"]: row["amount"] or 0 for row in won}
    rows = {OVERDUE: _forecast_row(OVERDUE, None)}
    rows |= {month: _forecast_row(month, won_in.get(month, 0)) for month in shown}
    rows |= {LATER: _forecast_row(LATER, None), UNDATED: _forecast_row(UNDATED, None)}
    weighted: Counter[str] = Counter()
    for group in open_deals:
        month = group["month"]
        key = UNDATED if month is None else OVERDUE if group["past"] else month if month in rows else LATER
        rows[key]["deals"] += group["deals"]
        rows[key]["amount"] += group["amount"] or 0
        weighted[key] += group["weighted"] or 0
    for key, row in rows.items():
        row["weighted"] = weighted_cents(weighted[key])
    listed = list(rows.values())
    summary = {key: sum(row[key] or 0 for row in listed) for key in ("deals", "amount", "weighted", "won")}
    start = today.replace(day=1)
    return Report(listed, summary, parse.span(start, parse.add_months(start, months) - dt.timedelta(days=1)))


def _forecast_row(month: str, won: int | None) -> dict[str, Any]:
    return {"month": month, "deals": 0, "amount": 0, "weighted": 0, "won": won}


# ---------------------------------------------------------------- stale


def stale_since(today: dt.date, idle_days: int) -> dt.date:
    """The last day of life a deal idle for ``idle_days`` or more can have shown."""
    return today - dt.timedelta(days=idle_days)


class Stale:
    """Open deals nobody has worked on for a while, most idle first, streamed (``rows``).

    Idle days count from the latest sign of life: the deal's last activity
    (``last_activity``: its own or its customer's on no deal), a stage move, or its creation.

    deals: tuples of ``id``, ``title``, ``customer``, ``stage``, ``amount``, ``owner``,
    ``last_activity`` and ``days_idle``, most idle first — a cursor, read once.
    """

    def __init__(self, deals: Iterable[Sequence[Any]]) -> None:
        self._deals = iter(deals)
        self._totals = {"deals": 0, "amount": 0}
        self.summary = Totals(self.totals)

    def rows(self) -> Iterator[Sequence[Any]]:
        """The deals, counted a batch at a time as they go past."""
        for batch in self._batches():
            yield from batch

    def _batches(self) -> Iterator[list[Sequence[Any]]]:
        while batch := list(islice(self._deals, 1000)):
            self._totals["deals"] += len(batch)
            self._totals["amount"] += sum(map(_stale_amount, batch))
            yield batch

    def totals(self) -> dict[str, int]:
        """How many deals are idle and their amount: those not shown (``--limit``) too."""
        for _ in self._batches():
            pass
        return self._totals


_stale_amount = itemgetter(4)  # a stale deal's amount
