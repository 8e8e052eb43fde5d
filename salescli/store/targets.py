"""Targets: a value per (metric, period, rep); rep NULL is the team.

``value`` is an integer in the metric's unit (the data contract): cents for revenue and
margin, a count for won_deals / units / new_customers / activities, basis points of the
fraction for satisfaction (80 % → 8000). ``period`` is the canonical label
(``parse.Period.label``) and ``start``/``end`` its dates.

Splitting a target over sub-periods (``--split``): the sub-periods are the quarters,
months or ISO weeks of the period; an ISO week belongs to the period that holds its
Thursday (ISO 8601's own rule: the period with most of its days), so the weeks of a year
are exactly that ISO year's weeks (52 or 53), and every week belongs to exactly one month,
quarter and year. A count or an amount is divided evenly, the remainder going one unit
each to the last sub-periods; a rate (satisfaction) is not a sum, so each sub-period gets
the same rate.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from typing import Any

from salescli import parse
from salescli.errors import Invalid, NotFound, UsageError
from salescli.grammar import article

# metric → unit: how its value is typed, stored and shown
METRICS = {
    "revenue": "money",
    "won_deals": "count",
    "margin": "money",
    "units": "count",
    "new_customers": "count",
    "activities": "count",
    "satisfaction": "rate",
}
# the output kind of a stored value of each unit (see ``listing``)
OUTPUT_KINDS = {"money": "money", "count": "int", "rate": "ratio"}
BASIS_POINTS = 10_000
SPLITS = ("quarters", "months", "weeks")
_SIZES = ("week", "month", "quarter", "year")

LIST_SQL = """
SELECT t.id, t.metric, t.period, t.start, t."end", r.handle AS rep, t.value
FROM target t LEFT JOIN rep r ON r.id = t.rep_id
"""


def parse_metric(text: str) -> str:
    return parse.parse_choice(text.replace("-", "_"), tuple(METRICS), what="metric")


def parse_value(metric: str, text: str) -> int:
    """A target value as typed, in the metric's stored unit (cents, count, basis points)."""
    unit = METRICS[metric]
    if unit == "money":
        value = parse.parse_money(text, what=f"{metric} target", maximum=parse.MAX_TARGET_CENTS)
    elif unit == "rate":
        value = round(parse.parse_rate(text, what=f"{metric} target") * BASIS_POINTS)
    else:
        value = parse.parse_count(text, what=f"{metric} target", maximum=parse.MAX_TARGET_COUNT)
    if value <= 0:
        raise UsageError(f"{article(metric)} target must be above zero (to remove one: salescli target delete)")
    return value


def display_value(metric: str, value: int) -> float | int:
    """A stored value in the unit ``OUTPUT_KINDS`` shows: satisfaction as a fraction."""
    return value / BASIS_POINTS if METRICS.get(metric) == "rate" else value


def size_of(period: parse.Period) -> str | None:
    """``year``, ``quarter``, ``month`` or ``week`` when ``period`` is exactly one; else None."""
    for size in _SIZES:
        if parse.containing(size, period.start) == period:
            return size
    return None


def sub_periods(period: parse.Period, split: str) -> list[parse.Period]:
    """The quarters, months or weeks (``split``) of ``period`` (see the module notes)."""
    into = split.removesuffix("s")
    size = size_of(period)
    if size is None or _SIZES.index(into) >= _SIZES.index(size):
        what = f"a {size}" if size else "a custom date range"
        raise Invalid(
            f"cannot split {period.label} ({what}) into {split}: a year splits into quarters, "
            "months or weeks, a quarter into months or weeks, a month into weeks"
        )
    if into == "week":
        thursday = period.start + dt.timedelta(days=(3 - period.start.weekday()) % 7)
        weeks = []
        while thursday <= period.end:
            weeks.append(parse.containing("week", thursday))
            thursday += dt.timedelta(weeks=1)
        return weeks
    parts = [parse.containing(into, period.start)]
    while parts[-1].end < period.end:
        parts.append(parse.containing(into, parts[-1].end + dt.timedelta(days=1)))
    return parts


def shares(metric: str, value: int, count: int) -> list[int]:
    """``value`` over ``count`` sub-periods, evenly: the remainder goes one unit (a cent, a
    deal) each to the last sub-periods, so 14 won deals over 4 quarters are 3, 3, 4, 4 (not
    3, 3, 3, 5). A rate is repeated, not divided."""
    if METRICS[metric] == "rate":
        return [value] * count
    each, remainder = divmod(value, count)
    return [each] * (count - remainder) + [each + 1] * remainder


def _upsert(conn: sqlite3.Connection, metric: str, period: parse.Period, rep_id: int | None, value: int) -> int | None:
    """Set one target; return the value it had before (None when it is new)."""
    row = conn.execute(
        "SELECT id, value FROM target WHERE metric = ? AND period = ? AND rep_id IS NOT DISTINCT FROM ?",
        [metric, period.label, rep_id],
    ).fetchone()
    if row:
        conn.execute("UPDATE target SET value = ? WHERE id = ?", [value, row["id"]])
        return int(row["value"])
    conn.execute(
        'INSERT INTO target (metric, period, start, "end", rep_id, value) VALUES (?, ?, ?, ?, ?, ?)',
        [metric, period.label, period.start.isoformat(), period.end.isoformat(), rep_id, value],
    )
    return None


def set_target(
    conn: sqlite3.Connection,
    metric: str,
    period: parse.Period,
    value: int,
    *,
    rep_id: int | None = None,
    split: str | None = None,
) -> dict[str, Any]:
    """Set (or update) a target, and with ``split`` one per sub-period too.

    Returns ``{"previous": old value or None, "parts": [(period, value), ...], "parts_updated": n}``.
    """
    pieces = sub_periods(period, split) if split else []
    parts = list(zip(pieces, shares(metric, value, len(pieces)))) if pieces else []
    if any(share == 0 for _, share in parts):
        raise Invalid(
            f"{article(metric)} target of {value} is too small to split into {len(pieces)} {split}: "
            "each would need at least 1 (split into fewer, longer periods)"
        )
    previous = _upsert(conn, metric, period, rep_id, value)
    updated = sum(_upsert(conn, metric, piece, rep_id, share) is not None for piece, share in parts)
    return {"previous": previous, "parts": parts, "parts_updated": updated}


def delete(conn: sqlite3.Connection, metric: str, period: parse.Period, rep: sqlite3.Row | None) -> int:
    """Delete one target; return the value it had. ``NotFound`` when there is none."""
    rep_id = rep["id"] if rep is not None else None
    row = conn.execute(
        "SELECT id, value FROM target WHERE metric = ? AND period = ? AND rep_id IS NOT DISTINCT FROM ?",
        [metric, period.label, rep_id],
    ).fetchone()
    if row is None:
        who = f"rep {rep['handle']}" if rep is not None else "the team"
        raise NotFound(f"no {metric} target for {period.label} for {who} ('salescli target list' shows them)")
    conn.execute("DELETE FROM target WHERE id = ?", [row["id"]])
    return int(row["value"])


def listing(
    conn: sqlite3.Connection, *, period: parse.Period | None = None, rep_id: int | None = None
) -> Iterator[dict[str, Any]]:
    """Targets whose period overlaps ``period``: by start, longer periods first, then metric,
    the team before reps. ``value`` is in the unit ``unit`` names for the output layer."""
    where: list[str] = []
    params: list[object] = []
    if period is not None:
        where.append('t.start <= ? AND t."end" >= ?')
        params += [period.end.isoformat(), period.start.isoformat()]
    if rep_id is not None:
        where.append("t.rep_id = ?")
        params.append(rep_id)
    order = " ORDER BY t.start, t.\"end\" DESC, CASE t.metric " + " ".join(
        f"WHEN '{metric}' THEN {index}" for index, metric in enumerate(METRICS)
    ) + " END, r.handle IS NOT NULL, r.handle"
    sql = LIST_SQL + (" WHERE " + " AND ".join(where) if where else "") + order
    for row in conn.execute(sql, params):
        item = dict(row)
        item["value"] = display_value(item["metric"], item["value"])
        item["unit"] = OUTPUT_KINDS[METRICS.get(item["metric"], "count")]
        yield item
