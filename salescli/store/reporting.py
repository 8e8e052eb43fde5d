"""The SQL behind the daily reports (funnel, targets, due, forecast, stale).

Each function aggregates in SQL what SQL can (group by stage, by day, by month) and hands
the rows to the pure functions of ``salescli.reports.daily``. Dates are ISO text, so a
range of days is a string comparison the indexes serve; ``created_at`` timestamps are
compared against the day after the period (``< end + 1``) to keep their index usable.
``due_activities`` and ``uncontacted`` return the cursor itself: rows stream.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator

from salescli.parse import Period

Params = list[object]
SATISFIED_SCORE = 4  # an activity scored this or more counts towards satisfaction


def _created_in(column: str, period: Period | None, params: Params) -> str:
    """A condition on a timestamp column: its date falls in ``period`` (all time when None)."""
    if period is None:
        return "1"
    params += [period.start.isoformat(), (period.end + dt.timedelta(days=1)).isoformat()]
    return f"{column} >= ? AND {column} < ?"


def _owned_by(column: str, owner_id: int | None, params: Params) -> str:
    if owner_id is None:
        return "1"
    params.append(owner_id)
    return f"{column} = ?"


def stages(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT id, name, position, probability, kind FROM stage ORDER BY position, id").fetchall()


# ---------------------------------------------------------------- funnel


def funnel(
    conn: sqlite3.Connection, period: Period | None, owner_id: int | None
) -> tuple[list[sqlite3.Row], list[sqlite3.Row], list[sqlite3.Row], list[sqlite3.Row]]:
    """What ``reports.daily.funnel`` needs for the deals created in ``period``:
    the stages, the cohort by current stage, by furthest open stage reached, and the days
    spent in each stage by the deals that left it."""
    params: Params = []
    cohort = (
        "WITH cohort AS (SELECT d.id, d.amount, d.stage_id, d.created_at, d.closed_at FROM deal d "
        f"WHERE {_created_in('d.created_at', period, params)} AND {_owned_by('d.owner_id', owner_id, params)}) "
    )
    current = conn.execute(
        cohort
        + """
        SELECT c.stage_id, count(*) AS deals, sum(c.amount) AS value,
               sum(CASE WHEN s.kind = 'won' THEN julianday(c.closed_at) - julianday(date(c.created_at)) END)
                   AS cycle_days,
               count(CASE WHEN s.kind = 'won' THEN c.closed_at END) AS cycle_deals
        FROM cohort c JOIN stage s ON s.id = c.stage_id
        GROUP BY c.stage_id
        """,
        params,
    ).fetchall()
    # The furthest open stage a deal reached: the highest-placed open stage in its history
    # or its current stage (a deal with no history beyond creation still counts).
    reach = conn.execute(
        cohort
        + """
        , furthest AS (
            SELECT c.id, c.amount, now.kind = 'won' AS won,
                   max(coalesce(max(CASE WHEN hs.kind = 'open' THEN hs.position END), -1),
                       CASE WHEN now.kind = 'open' THEN now.position ELSE -1 END) AS position
            FROM cohort c
            JOIN stage now ON now.id = c.stage_id
            LEFT JOIN stage_history h ON h.deal_id = c.id
            LEFT JOIN stage hs ON hs.id = h.stage_id
            GROUP BY c.id
        )
        SELECT won, CASE WHEN position >= 0 THEN position END AS furthest,
               count(*) AS deals, sum(amount) AS value
        FROM furthest GROUP BY won, position
        """,
        params,
    ).fetchall()
    # Days in a stage: from entering it to entering the next recorded stage, summed over a
    # deal's visits to it (a deal sent back counts each stay), for deals that left it.
    stays = conn.execute(
        cohort
        + """
        , visits AS (
            SELECT h.deal_id, h.stage_id, h.entered_on,
                   lead(h.entered_on) OVER (PARTITION BY h.deal_id ORDER BY h.entered_on, h.id) AS left_on
            FROM stage_history h JOIN cohort c ON c.id = h.deal_id
        ), per_deal AS (
            SELECT deal_id, stage_id, sum(julianday(left_on) - julianday(entered_on)) AS days
            FROM visits WHERE left_on IS NOT NULL GROUP BY deal_id, stage_id
        )
        SELECT stage_id, count(*) AS deals, sum(days) AS days FROM per_deal GROUP BY stage_id
        """,
        params,
    ).fetchall()
    return stages(conn), current, reach, stays


# ---------------------------------------------------------------- targets


def targets(
    conn: sqlite3.Connection, today: dt.date, period: Period | None, rep_id: int | None
) -> tuple[list[sqlite3.Row], tuple[list[sqlite3.Row], ...]]:
    """Targets whose period overlaps ``period`` (None: whose period contains today), and
    the daily actuals (``target_actuals``) over the days those targets cover."""
    first, last = (period.start, period.end) if period else (today, today)
    params: Params = [last.isoformat(), first.isoformat()]
    chosen = conn.execute(
        "SELECT t.metric, t.period, t.start, t.end, t.rep_id, r.handle AS rep, t.value "
        "FROM target t LEFT JOIN rep r ON r.id = t.rep_id "
        f"WHERE t.start <= ? AND t.end >= ? AND {_owned_by('t.rep_id', rep_id, params)}",
        params,
    ).fetchall()
    if not chosen:
        return chosen, ()
    start, end = min(t["start"] for t in chosen), max(t["end"] for t in chosen)
    return chosen, target_actuals(conn, start, end, rep_id)


def target_actuals(
    conn: sqlite3.Connection, start: str, end: str, owner_id: int | None
) -> tuple[list[sqlite3.Row], list[sqlite3.Row], list[sqlite3.Row]]:
    """Per day and owner, over ``start``…``end``: deals won (count, revenue, margin, units),
    customers created, activities done (all, scored, scored 4 or 5). Margin leaves out deals
    whose cost is unknown (NULL)."""
    span = Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end), "")
    params: Params = [start, end]
    won = conn.execute(
        "SELECT d.closed_at AS day, d.owner_id, count(*) AS won_deals, sum(d.amount) AS revenue, "
        "sum(d.amount - d.cost) AS margin, sum(d.quantity) AS units "
        "FROM deal d JOIN stage s ON s.id = d.stage_id "
        f"WHERE s.kind = 'won' AND d.closed_at BETWEEN ? AND ? AND {_owned_by('d.owner_id', owner_id, params)} "
        "GROUP BY d.closed_at, d.owner_id",
        params,
    ).fetchall()
    params = []
    customers = conn.execute(
        "SELECT date(created_at) AS day, owner_id, count(*) AS new_customers FROM customer "
        f"WHERE {_created_in('created_at', span, params)} AND {_owned_by('owner_id', owner_id, params)} "
        "GROUP BY day, owner_id",
        params,
    ).fetchall()
    params = [SATISFIED_SCORE, start, end]
    activities = conn.execute(
        "SELECT done_at AS day, owner_id, count(*) AS activities, count(score) AS scored, "
        "sum(score >= ?) AS satisfied FROM activity "
        f"WHERE done_at BETWEEN ? AND ? AND {_owned_by('owner_id', owner_id, params)} "
        "GROUP BY done_at, owner_id",
        params,
    ).fetchall()
    return won, customers, activities


# ---------------------------------------------------------------- due


def due_activities(conn: sqlite3.Connection, until: dt.date, owner_id: int | None) -> Iterator[sqlite3.Row]:
    """Open follow-ups due on or before ``until``, oldest first, as a streaming cursor
    (served by the partial index ``activity_open_due``)."""
    params: Params = [until.isoformat()]
    return conn.execute(
        "SELECT a.id, a.due, a.type, a.summary, a.deal_id AS deal, c.name AS customer, r.handle AS owner "
        "FROM activity a INDEXED BY activity_open_due "
        "JOIN customer c ON c.id = a.customer_id LEFT JOIN rep r ON r.id = a.owner_id "
        f"WHERE a.done_at IS NULL AND a.due <= ? AND {_owned_by('a.owner_id', owner_id, params)} "
        "ORDER BY a.due, a.id",
        params,
    )


def uncontacted(conn: sqlite3.Connection, added_before: str, owner_id: int | None) -> Iterator[sqlite3.Row]:
    """Customers added before ``added_before`` with no activity at all — none done and no
    follow-up open (every activity is one or the other) — oldest first, streaming."""
    params: Params = [added_before]
    return conn.execute(
        "SELECT c.name AS customer, c.created_at, r.handle AS owner "
        "FROM customer c LEFT JOIN rep r ON r.id = c.owner_id "
        f"WHERE c.created_at < ? AND {_owned_by('c.owner_id', owner_id, params)} "
        "AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.customer_id = c.id) "
        "ORDER BY c.created_at, c.id",
        params,
    )


# ---------------------------------------------------------------- forecast


def forecast(
    conn: sqlite3.Connection, today: dt.date, owner_id: int | None
) -> tuple[list[sqlite3.Row], list[sqlite3.Row]]:
    """Open deals per expected-close month (and whether that close is before today), and
    the amount won per month from the start of this month up to today."""
    params: Params = [today.isoformat()]
    open_deals = conn.execute(
        "SELECT substr(d.expected_close, 1, 7) AS month, d.expected_close < ? AS past, count(*) AS deals, "
        "sum(d.amount) AS amount, sum(d.amount * s.probability) AS weighted "
        "FROM deal d JOIN stage s ON s.id = d.stage_id "
        f"WHERE s.kind = 'open' AND {_owned_by('d.owner_id', owner_id, params)} "
        "GROUP BY month, past",
        params,
    ).fetchall()
    params = [today.replace(day=1).isoformat(), today.isoformat()]
    won = conn.execute(
        "SELECT substr(d.closed_at, 1, 7) AS month, sum(d.amount) AS amount "
        "FROM deal d JOIN stage s ON s.id = d.stage_id "
        f"WHERE s.kind = 'won' AND d.closed_at BETWEEN ? AND ? AND {_owned_by('d.owner_id', owner_id, params)} "
        "GROUP BY month",
        params,
    ).fetchall()
    return open_deals, won


# ---------------------------------------------------------------- stale


def stale(conn: sqlite3.Connection, idle_since: dt.date, owner_id: int | None) -> list[sqlite3.Row]:
    """Open deals whose latest sign of life — a done activity on the deal, a done activity
    on its customer tied to no deal, a stage entry, or its creation — is on or before
    ``idle_since``."""
    params: Params = []
    owned = _owned_by("d.owner_id", owner_id, params)
    params.append(idle_since.isoformat())
    return conn.execute(
        f"""
        SELECT * FROM (
            SELECT d.id, d.title, c.name AS customer, s.name AS stage, d.amount, r.handle AS owner,
                   (SELECT max(a.done_at) FROM activity a WHERE a.deal_id = d.id) AS deal_activity,
                   (SELECT max(a.done_at) FROM activity a
                     WHERE a.customer_id = d.customer_id AND a.deal_id IS NULL) AS customer_activity,
                   (SELECT max(h.entered_on) FROM stage_history h WHERE h.deal_id = d.id) AS last_stage,
                   date(d.created_at) AS created
            FROM deal d
            JOIN stage s ON s.id = d.stage_id AND s.kind = 'open'
            JOIN customer c ON c.id = d.customer_id
            LEFT JOIN rep r ON r.id = d.owner_id
            WHERE {owned}
        )
        WHERE max(coalesce(deal_activity, ''), coalesce(customer_activity, ''),
                  coalesce(last_stage, ''), created) <= ?
        """,
        params,
    ).fetchall()
