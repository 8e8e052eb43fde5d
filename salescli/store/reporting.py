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


def _reading(conn: sqlite3.Connection, table: str, column: str, low: str | None, high: str | None) -> str:
    """How to read ``table`` for the rows whose ``column`` is in ``low``…``high``: through
    the column's index when they are few, the whole table in order (``NOT INDEXED``) when
    they are more than an eighth of it — fetching that many rows one by one through an
    index costs several times more than one pass over the table. Counting them uses the
    index alone, so deciding is cheap."""
    if low is None or high is None:
        return "NOT INDEXED"
    total = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
    inside = conn.execute(f"SELECT count(*) FROM {table} WHERE {column} >= ? AND {column} <= ?", [low, high]).fetchone()[0]
    return "NOT INDEXED" if inside * 8 > total else ""


def stages(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT id, name, position, probability, kind FROM stage ORDER BY position, id").fetchall()


# ---------------------------------------------------------------- funnel


def funnel(
    conn: sqlite3.Connection, period: Period | None, owner_id: int | None
) -> tuple[list[sqlite3.Row], list[sqlite3.Row], list[sqlite3.Row]]:
    """What ``reports.daily.funnel`` needs for the deals created in ``period``: the stages;
    the cohort grouped by current stage and furthest open stage reached; and the stays in
    each stage that ended (a deal sent back into a stage stays there more than once)."""
    params: Params = []
    bounds = (period.start.isoformat(), (period.end + dt.timedelta(days=1)).isoformat()) if period else (None, None)
    reading = _reading(conn, "deal", "created_at", *bounds)
    cohort = (
        f"WITH cohort AS (SELECT d.id, d.amount, d.stage_id, d.created_at, d.closed_at FROM deal d {reading} "
        f"WHERE {_created_in('d.created_at', period, params)} AND {_owned_by('d.owner_id', owner_id, params)}) "
    )
    # The furthest open stage a deal reached: the highest-placed open stage in its history
    # or its current stage (a deal with no history beyond creation still counts).
    groups = conn.execute(
        cohort
        + """
        , deal_reach AS (
            SELECT c.id, c.stage_id, c.amount, now.kind,
                   CASE WHEN now.kind = 'won' THEN julianday(c.closed_at) - julianday(date(c.created_at)) END
                       AS cycle_days,
                   max(coalesce(max(CASE WHEN hs.kind = 'open' THEN hs.position END), -1),
                       CASE WHEN now.kind = 'open' THEN now.position ELSE -1 END) AS position
            FROM cohort c
            JOIN stage now ON now.id = c.stage_id
            LEFT JOIN stage_history h ON h.deal_id = c.id
            LEFT JOIN stage hs ON hs.id = h.stage_id
            GROUP BY c.id
        )
        SELECT stage_id, CASE WHEN position >= 0 THEN position END AS furthest,
               count(*) AS deals, sum(amount) AS value,
               sum(cycle_days) AS cycle_days, count(cycle_days) AS cycle_deals
        FROM deal_reach GROUP BY stage_id, position
        """,
        params,
    ).fetchall()
    # A stay in a stage: from entering it to entering the next recorded stage.
    stays = conn.execute(
        cohort
        + """
        , visits AS (
            SELECT h.stage_id, h.entered_on,
                   lead(h.entered_on) OVER (PARTITION BY h.deal_id ORDER BY h.entered_on, h.id) AS left_on
            FROM stage_history h JOIN cohort c ON c.id = h.deal_id
        )
        SELECT stage_id, count(*) AS stays, sum(julianday(left_on) - julianday(entered_on)) AS days
        FROM visits WHERE left_on IS NOT NULL GROUP BY stage_id
        """,
        params,
    ).fetchall()
    return stages(conn), groups, stays


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
    after_end = (span.end + dt.timedelta(days=1)).isoformat()
    params: Params = [start, end]
    won = conn.execute(
        "SELECT d.closed_at AS day, d.owner_id, count(*) AS won_deals, sum(d.amount) AS revenue, "
        "sum(d.amount - d.cost) AS margin, sum(d.quantity) AS units "
        f"FROM deal d {_reading(conn, 'deal', 'closed_at', start, end)} JOIN stage s ON s.id = d.stage_id "
        f"WHERE s.kind = 'won' AND d.closed_at BETWEEN ? AND ? AND {_owned_by('d.owner_id', owner_id, params)} "
        "GROUP BY d.closed_at, d.owner_id",
        params,
    ).fetchall()
    params = []
    customers = conn.execute(
        "SELECT date(created_at) AS day, owner_id, count(*) AS new_customers "
        f"FROM customer {_reading(conn, 'customer', 'created_at', start, after_end)} "
        f"WHERE {_created_in('created_at', span, params)} AND {_owned_by('owner_id', owner_id, params)} "
        "GROUP BY day, owner_id",
        params,
    ).fetchall()
    params = [SATISFIED_SCORE, start, end]
    activities = conn.execute(
        "SELECT done_at AS day, owner_id, count(*) AS activities, count(score) AS scored, "
        f"sum(score >= ?) AS satisfied FROM activity {_reading(conn, 'activity', 'done_at', start, end)} "
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
    follow-up open (every activity is one or the other) — oldest first, streaming.

    The customers without activity are found first from two indexes alone (a customer's
    id from ``customer_owner``, probed in ``activity_customer``); only those few rows are
    then read from the table.
    """
    params: Params = []
    owned = _owned_by("owner_id", owner_id, params)
    params.append(added_before)
    return conn.execute(
        f"""
        WITH silent AS MATERIALIZED (
            SELECT id FROM customer INDEXED BY customer_owner
            WHERE {owned} AND id NOT IN (SELECT customer_id FROM activity)
        )
        SELECT c.name AS customer, c.created_at, r.handle AS owner
        FROM silent JOIN customer c ON c.id = silent.id LEFT JOIN rep r ON r.id = c.owner_id
        WHERE c.created_at < ?
        ORDER BY c.created_at, c.id
        """,
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


def stale(conn: sqlite3.Connection, owner_id: int | None) -> tuple[Iterator[sqlite3.Row], list[sqlite3.Row]]:
    """Every open deal with its last stage entry and creation date (a streaming cursor),
    and the date of the last done activity per open deal (``deal_id``) and per customer of
    an open deal on activities tied to no deal (``customer_id``).

    The activity dates come from one pass over the table: looking them up deal by deal
    reads the table at random, which is far slower once there are many open deals.
    """
    owned: Params = []
    open_deals = (
        "SELECT d.id, d.customer_id FROM deal d JOIN stage s ON s.id = d.stage_id "
        f"WHERE s.kind = 'open' AND {_owned_by('d.owner_id', owner_id, owned)}"
    )
    last_done = conn.execute(
        f"""
        SELECT a.deal_id, CASE WHEN a.deal_id IS NULL THEN a.customer_id END AS customer_id,
               max(a.done_at) AS day
        FROM activity a NOT INDEXED
        WHERE a.done_at IS NOT NULL
          AND (a.deal_id IN (SELECT id FROM ({open_deals}))
               OR a.deal_id IS NULL AND a.customer_id IN (SELECT customer_id FROM ({open_deals})))
        GROUP BY 1, 2
        """,
        owned * 2,  # open_deals appears twice
    ).fetchall()
    params: Params = []
    deals = conn.execute(
        f"""
        SELECT d.id, d.title, d.customer_id, c.name AS customer, s.name AS stage, d.amount,
               r.handle AS owner, date(d.created_at) AS created,
               (SELECT max(h.entered_on) FROM stage_history h WHERE h.deal_id = d.id) AS last_stage
        FROM deal d
        JOIN stage s ON s.id = d.stage_id AND s.kind = 'open'
        JOIN customer c ON c.id = d.customer_id
        LEFT JOIN rep r ON r.id = d.owner_id
        WHERE {_owned_by('d.owner_id', owner_id, params)}
        """,
        params,
    )
    return deals, last_done
