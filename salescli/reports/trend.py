"""The month-by-month trend (``salescli report trend``): pure functions over the per-day
figures that the targets report also reads, so both always agree.

Every month of the window gets a row, with the same month a year earlier and the change:
relative for amounts and counts (None when the year-ago figure is 0), in percentage
points for the win rate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from salescli import parse
from salescli.reports.common import Report, ratio

Row = Mapping[str, Any]
COUNTS = ("revenue", "deals_won", "new_customers", "activities")
FIGURES = (*COUNTS, "win_rate")


def months(today: dt.date, count: int) -> list[parse.Period]:
    """The last ``count`` months, oldest first, ending with the one holding ``today``."""
    first = parse.add_months(today.replace(day=1), 1 - count)
    return [parse.containing("month", parse.add_months(first, i)) for i in range(count)]


def window(today: dt.date, count: int) -> parse.Period:
    """The days the trend reads: its months and the year before each of them."""
    shown = months(today, count)
    return parse.span(parse.add_months(shown[0].start, -12), shown[-1].end)


def trend(
    shown: list[parse.Period],
    won: Iterable[Row],
    customers: Iterable[Row],
    activities: Iterable[Row],
    closed: Iterable[Row],
) -> Report:
    """Rows per month of ``shown``; the per-day rows (``day`` ISO text) cover ``window``.

    won: ``won_deals``, ``revenue`` per day; customers: ``new_customers``; activities:
    ``activities``; closed: ``lost_deals`` per day (for the win rate, won ÷ won + lost).
    """
    per_month: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys((*COUNTS, "lost"), 0))
    for rows, pairs in (
        (won, (("revenue", "revenue"), ("won_deals", "deals_won"))),
        (customers, (("new_customers", "new_customers"),)),
        (activities, (("activities", "activities"),)),
        (closed, (("lost_deals", "lost"),)),
    ):
        for row in rows:
            totals = per_month[str(row["day"])[:7]]
            for source, key in pairs:
                totals[key] += row[source] or 0

    def figures(month: parse.Period) -> dict[str, Any]:
        totals = per_month.get(month.label) or dict.fromkeys((*COUNTS, "lost"), 0)
        won_deals = totals["deals_won"]
        return {**{key: totals[key] for key in COUNTS}, "win_rate": ratio(won_deals, won_deals + totals["lost"])}

    rows = []
    for month in shown:
        now = figures(month)
        ago = figures(parse.containing("month", parse.add_months(month.start, -12)))
        row: dict[str, Any] = {"month": month.label}
        for key in FIGURES:
            row[key] = now[key]
            row[f"{key}_year_ago"] = ago[key]
            row[f"{key}_change"] = _change(now[key], ago[key], points=key == "win_rate")
        rows.append(row)
    summary = {key: sum(row[key] for row in rows) for key in COUNTS}
    summary.update({f"{key}_year_ago": sum(row[f"{key}_year_ago"] for row in rows) for key in COUNTS})
    summary["revenue_change"] = _change(summary["revenue"], summary["revenue_year_ago"], points=False)
    return Report(rows, summary, parse.span(shown[0].start, shown[-1].end))


def _change(now: float | None, ago: float | None, *, points: bool) -> float | None:
    """How far ``now`` is from ``ago``: a fraction of ``ago``, or (``points``) a difference."""
    if now is None or ago is None:
        return None
    return now - ago if points else ratio(now - ago, ago)
