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
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from salescli import store
from salescli.store import dialect, lines
from salescli.parse import Period
from salescli.store.schema import EVERYONE

Params = list[object]


def _created_in(column: str, period: Period | None, params: Params) -> str:
    """A condition on a timestamp (or date) column: its date falls in ``period`` (all time
    when None)."""
    if period is None:
        return "true"
    params += [period.start.isoformat(), (period.end + dt.timedelta(days=1)).isoformat()]
    return f"{column} >= ? AND {column} < ?"


def _owned_by(column: str, owner_id: int | None, params: Params) -> str:
    if owner_id is None:
        return "true"
    params.append(owner_id)
    return f"{column} = ?"


def _reading(conn: sqlite3.Connection, table: str, column: str, low: str | None, high: str | None) -> str:
    """How to read ``table`` for the rows whose ``column`` is in ``low``…``high``: through
    the column's index when they are few, the whole table in order (``NOT INDEXED``) when
    they are more than an eighth of it — fetching that many rows one by one through an
    index costs several times more than one pass over the table. Counting them uses the
    index alone, so deciding is cheap."""
    if dialect.on_server(conn):
        return ""
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
) -> tuple[list[sqlite3.Row], list[dict[str, Any]], list[sqlite3.Row]]:
    """What ``reports.daily.funnel`` needs for the deals created in ``period``: the stages;
    the cohort grouped by current stage and furthest open stage reached; and the stays in
    each stage that ended (a deal sent back into a stage stays there more than once).

    Both come from the aggregates the schema keeps up to date (migration m010), a few
    rows per day created, never from the deals or their history: ``_funnel`` counts the
    deals per current stage and set of stages their history entered, ``_funnel_stay``
    their ended stays per stage. How far a deal got is worked out from its set with the
    ladder as it is now (``furthest``): a stage moved or made won changes the answer at once.
    """
    ladder = stages(conn)
    params: Params = [EVERYONE if owner_id is None else owner_id]
    days = _created_in("created", period, params)
    counted = conn.execute(
        "SELECT stage_id, visited, sum(deals) AS deals, sum(value) AS value, sum(cycle_days) AS cycle_days, "
        f"sum(cycle_deals) AS cycle_deals FROM _funnel WHERE owner = ? AND {days} GROUP BY stage_id, visited",
        params,
    )
    stays = conn.execute(
        "SELECT stage_id, sum(stays) AS stays, sum(days) AS days "
        f"FROM _funnel_stay WHERE owner = ? AND {days} GROUP BY stage_id",
        params,
    ).fetchall()
    return ladder, furthest(ladder, counted), stays


def furthest(ladder: list[sqlite3.Row], counted: Iterable[sqlite3.Row]) -> list[dict[str, Any]]:
    """Deals counted per (current stage, stages entered) regrouped per current stage and
    the furthest open stage's position reached — the highest-placed open stage among the
    stages entered and the current one (None: none) — as ``reports.daily.funnel`` wants
    them. Creation-to-close days count for won deals only; deals in a stage that is not
    on the ladder do not count."""
    kinds = {s["id"]: s["kind"] for s in ladder}
    open_positions = {str(s["id"]): s["position"] for s in ladder if s["kind"] == "open"}
    groups: dict[tuple[int, int | None], dict[str, Any]] = {}
    for row in counted:
        if row["stage_id"] not in kinds:
            continue
        reached = [open_positions[s] for s in {*row["visited"].split(","), str(row["stage_id"])} if s in open_positions]
        key = (row["stage_id"], max(reached, default=None))
        group = groups.setdefault(key, {"stage_id": key[0], "furthest": key[1], "deals": 0, "value": 0,
                                        "cycle_days": 0, "cycle_deals": 0})
        won = kinds[row["stage_id"]] == "won"
        group["deals"] += row["deals"]
        group["value"] += row["value"]
        group["cycle_days"] += row["cycle_days"] if won else 0
        group["cycle_deals"] += row["cycle_deals"] if won else 0
    return list(groups.values())


def _case(mapping: list[tuple[object, object]]) -> tuple[str, Params]:
    """``CASE stage_id WHEN key THEN value … END`` (NULL when no key matches) and its parameters."""
    if not mapping:
        return "NULL", []
    whens = " ".join("WHEN ? THEN ?" for _ in mapping)
    return f"CASE stage_id {whens} END", [value for pair in mapping for value in pair]


def _among(values: list[object]) -> tuple[str, Params]:
    """``IN (?, ?, …)`` for ``values`` (never true when there are none)."""
    return f"IN ({', '.join('?' * len(values))})", list(values)


# ---------------------------------------------------------------- targets


def targets(
    conn: sqlite3.Connection, today: dt.date, period: Period | None, rep_id: int | None
) -> tuple[list[sqlite3.Row], tuple[list[sqlite3.Row], ...]]:
    """Targets whose period overlaps ``period`` (None: whose period contains today), and
    the daily actuals (``target_actuals``) over the days those targets cover, of the
    figures their metrics need (satisfaction: the activities scored, and satisfied)."""
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
    metrics = {t["metric"] for t in chosen}
    figures = metrics - {"satisfaction"} | ({"scored", "satisfied"} if "satisfaction" in metrics else set())
    return chosen, target_actuals(conn, start, end, rep_id, figures=figures)


# What each source of ``target_actuals`` sums, by figure.
WON = {"won_deals": "deals", "revenue": "amount", "margin": "margin", "units": "units"}
ADDED = {"new_customers": "customers"}
DONE = {"activities": "activities", "scored": "scored", "satisfied": "satisfied"}


def target_actuals(
    conn: sqlite3.Connection,
    start: str,
    end: str,
    owner_id: int | None,
    *,
    per_owner: bool = True,
    figures: Collection[str] | None = None,
) -> tuple[list[sqlite3.Row], list[sqlite3.Row], list[sqlite3.Row]]:
    """Per day and owner (``per_owner=False``: per day, ``owner_id`` NULL), over
    ``start``…``end``: deals won (``won_deals``, ``revenue``, ``margin``, ``units``),
    customers created (``new_customers``), activities done (``activities``, ``scored``,
    ``satisfied``: scored ``schema.SATISFIED_SCORE`` or more) — only ``figures`` when
    given (a source with none of them gives no rows). Margin leaves out deals whose cost
    is unknown (NULL).

    Read from the daily figures the schema keeps (migration m011): a few rows per day and
    owner, never the deals, customers and activities themselves."""
    owner = "nullif(owner, 0) AS owner_id" if per_owner else "NULL AS owner_id"
    groups = "day, owner" if per_owner else "day"
    won_stages, won_params = _among(_stage_ids(conn, "won"))

    def read(table: str, sums: dict[str, str], condition: str = "true", bound: Params | None = None) -> list[sqlite3.Row]:
        chosen = [f"sum({column}) AS {name}" for name, column in sums.items() if figures is None or name in figures]
        if not chosen:
            return []
        params = [start, end, *(bound or [])]
        return conn.execute(
            f"SELECT day, {owner}, {', '.join(chosen)} FROM {table} WHERE day BETWEEN ? AND ? AND {condition} "
            f"AND {_owned_by('owner', owner_id, params)} GROUP BY {groups}",
            params,
        ).fetchall()

    return (
        read("_deal_day", WON, f"stage_id {won_stages}", won_params),
        read("_customer_day", ADDED),
        read("_activity_day", DONE),
    )


def lost_deals(conn: sqlite3.Connection, start: str, end: str, owner_id: int | None) -> list[sqlite3.Row]:
    """Per day over ``start``…``end``: deals lost (``lost_deals``), by their ``closed_at``
    (from the daily figures, as ``target_actuals``)."""
    lost_stages, lost_params = _among(_stage_ids(conn, "lost"))
    params: Params = [start, end, *lost_params]
    return conn.execute(
        f"SELECT day, sum(deals) AS lost_deals FROM _deal_day WHERE day BETWEEN ? AND ? AND stage_id {lost_stages} "
        f"AND {_owned_by('owner', owner_id, params)} GROUP BY day",
        params,
    ).fetchall()


def _stage_ids(conn: sqlite3.Connection, kind: str) -> list[object]:
    return [row[0] for row in conn.execute("SELECT id FROM stage WHERE kind = ?", [kind])]


# ---------------------------------------------------------------- due


def due_activities(
    conn: sqlite3.Connection,
    today: dt.date,
    until: dt.date,
    owner_id: int | None,
    *,
    after: Sequence[Any] | None = None,
    through: Sequence[Any] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Open follow-ups due on or before ``until`` (only those whose key ``due, id`` comes
    after ``after`` and up to ``through``, if given), oldest first, as the finished rows of
    `report due` (``bucket``, ``id``, ``due``, ``days``, ``customer``, ``deal``, ``type``,
    ``summary``, ``owner``): a streaming cursor of plain tuples, read in order from
    ``_open_follow_up`` (which holds each one's customer name). SQLite works out each row's
    bucket (``overdue``, ``today``, ``upcoming``) and its days from ``today`` (dates at
    midnight: the difference of their julian days is a whole number), so rows go out as
    they come."""
    params: Params = []
    where = _due_where(until, owner_id, params, after, through)
    return store.tuples(conn, f"SELECT {', '.join(_due_cells(today))} {where} ORDER BY f.due, f.id", params)[1]


def due_activity_lines(
    conn: sqlite3.Connection, today: dt.date, until: dt.date, owner_id: int | None, *, kinds: list[str], risky: str
) -> Iterator[lines.Batch] | None:
    """``due_activities`` as text SQLite makes (``lines``: each cell shown by its kind in
    ``kinds``, text made safe from ``risky``), a thousand at a time, by key (``due, id``),
    all from one snapshot. None on PostgreSQL."""
    if dialect.on_server(conn):
        return None
    computed = (0, 3)  # the bucket and the days: SQLite's own text and whole number, as they are
    line = lines.line(_due_cells(today), [None if i in computed else kind for i, kind in enumerate(kinds)], risky)
    if line is None:
        return None

    def batch(after: Sequence[Any] | None) -> tuple[Sequence[Any] | None, int, bytes]:
        params: Params = []
        end = conn.execute(
            f"SELECT f.due, f.id {_due_where(until, owner_id, params, after)} ORDER BY f.due, f.id LIMIT 1 OFFSET ?",
            [*params, lines.BATCH - 1],
        ).fetchone()
        params = []
        count, text = conn.execute(f"SELECT count(*), {lines.joined(line)} {_due_where(until, owner_id, params, after, end)}", params).fetchone()
        return end, count, text

    return lines.batches(conn, batch)


def _due_cells(today: dt.date) -> list[str]:
    """The expressions of ``due_activities``' cells. ``today`` is written into them (an ISO
    date: digits and dashes): ``lines`` repeats a cell's expression, which parameters
    would make hard to follow."""
    day = f"'{today.isoformat()}'"
    return [
        f"CASE WHEN f.due < {day} THEN 'overdue' WHEN f.due = {day} THEN 'today' ELSE 'upcoming' END",
        "f.id",
        "f.due",
        f"CAST(julianday(f.due) - julianday({day}) AS INTEGER)",
        "f.customer",
        "f.deal_id",
        "f.type",
        "f.summary",
        "r.handle",
    ]


def _due_where(
    until: dt.date, owner_id: int | None, params: Params, after: Sequence[Any] | None = None, through: Sequence[Any] | None = None
) -> str:
    """The rows due by ``until``; those after the key ``after`` and up to ``through`` (a
    key due by ``until``, the one bound SQLite reads the key's index up to) if given."""
    keys = []
    if after is not None:
        params += after
        keys.append("(f.due, f.id) > (?, ?)")
    if through is None:
        params.append(until.isoformat())
        keys.append("f.due <= ?")
    else:
        params += through
        keys.append("(f.due, f.id) <= (?, ?)")
    return (
        "FROM _open_follow_up f LEFT JOIN rep r ON r.id = f.owner_id "
        f"WHERE {' AND '.join(keys)} AND {_owned_by('f.owner_id', owner_id, params)}"
    )


def calendar_activities(
    conn: sqlite3.Connection, until: dt.date, done_since: dt.date, owner_id: int | None
) -> Iterator[sqlite3.Row]:
    """Follow-ups for a calendar, by due date: every open one due on or before ``until``,
    and those done since ``done_since`` (so that a calendar holding them can drop them)."""
    params: Params = [until.isoformat(), done_since.isoformat(), until.isoformat()]
    return conn.execute(
        "SELECT a.id, a.created_at, a.due, a.done_at, a.type, a.summary, a.notes, c.name AS customer, "
        "c.phone, c.contact, a.deal_id AS deal, d.title AS deal_title, r.handle AS owner "
        "FROM activity a JOIN customer c ON c.id = a.customer_id "
        "LEFT JOIN deal d ON d.id = a.deal_id LEFT JOIN rep r ON r.id = a.owner_id "
        "WHERE a.due IS NOT NULL AND ((a.done_at IS NULL AND a.due <= ?) OR (a.done_at >= ? AND a.due <= ?)) "
        f"AND {_owned_by('a.owner_id', owner_id, params)} "
        "ORDER BY a.due, a.id",
        params,
    )


def uncontacted(conn: sqlite3.Connection, added_before: str, owner_id: int | None) -> Iterator[sqlite3.Row]:
    """Customers added before ``added_before`` with no activity at all — none done and no
    follow-up open (every activity is one or the other) — and no deal won (a customer who
    has bought has been contacted), oldest first, streaming. A customer with no
    ``created_at`` (an existing customer brought in by an import) is never one of them.

    The customers with no activity are the few rows of ``_uncontacted``, which the schema
    keeps up to date (migration m009): no customer else is read (``CROSS JOIN`` keeps
    SQLite from walking every customer by ``created_at`` instead), and each one's won
    deals are looked up by customer (``+`` keeps SQLite from reading every won deal of
    ``deal_stage`` for each).
    """
    params: Params = []
    owned = _owned_by("c.owner_id", owner_id, params)
    won, won_params = _among([s["id"] for s in stages(conn) if s["kind"] == "won"])
    params += [added_before, *won_params]
    return conn.execute(
        f"""
        SELECT c.name AS customer, c.created_at, r.handle AS owner
        FROM _uncontacted u {dialect.in_order(conn)} customer c ON c.id = u.customer_id LEFT JOIN rep r ON r.id = c.owner_id
        WHERE {owned} AND c.created_at < ?
          AND NOT EXISTS (SELECT 1 FROM deal d WHERE d.customer_id = c.id AND +d.stage_id {won})
        ORDER BY c.created_at, c.id
        """,
        params,
    )


# ---------------------------------------------------------------- forecast


def forecast(
    conn: sqlite3.Connection, today: dt.date, owner_id: int | None
) -> tuple[list[sqlite3.Row], list[sqlite3.Row]]:
    """Open deals per expected-close month (and whether that close is before today), and
    the amount won per month from the start of this month up to today.

    The open deals come from ``_forecast`` (migration m010): a row per stage and expected
    close day, not one per deal. The won deals are this month's, read by close date."""
    ladder = [s for s in stages(conn) if s["kind"] == "open"]
    probability, probability_params = _case([(s["id"], s["probability"]) for s in ladder])
    open_stages, open_params = _among([s["id"] for s in ladder])
    params: Params = [today.isoformat(), *probability_params, EVERYONE if owner_id is None else owner_id, *open_params]
    open_deals = conn.execute(
        "SELECT substr(nullif(day, ''), 1, 7) AS month, nullif(day, '') < ? AS past, sum(deals) AS deals, "
        f"sum(amount) AS amount, sum(amount * {probability}) AS weighted "
        f"FROM _forecast WHERE owner = ? AND stage_id {open_stages} GROUP BY month, past",
        params,
    ).fetchall()
    params = [today.replace(day=1).isoformat(), today.isoformat()]
    won = conn.execute(
        "SELECT substr(d.closed_at, 1, 7) AS month, sum(d.amount) AS amount "
        f"FROM deal d {_reading(conn, 'deal', 'closed_at', *params)} JOIN stage s ON s.id = d.stage_id "
        f"WHERE s.kind = 'won' AND d.closed_at BETWEEN ? AND ? AND {_owned_by('d.owner_id', owner_id, params)} "
        "GROUP BY month",
        params,
    ).fetchall()
    return open_deals, won


# ---------------------------------------------------------------- stale


def stale(
    conn: sqlite3.Connection, today: dt.date, idle_since: dt.date, owner_id: int | None
) -> tuple[list[str], sqlite3.Cursor]:
    """Open deals with no sign of life after ``idle_since``, most idle first (then by id),
    streamed as tuples (``store.tuples``): ``id``, ``title``, ``customer``, ``stage``,
    ``amount``, ``owner``, ``last_activity`` and ``days_idle`` (from the latest sign of
    life to ``today``).

    The latest sign of life is the later of the deal's own last activity done and its
    customer's last one tied to no deal (work on another deal of the same customer does
    not count), its last stage entry, and its creation. The schema keeps it per open deal,
    with what the report shows of the deal, in ``_stale_deal`` (migration m015), in the
    order read here: the report is one range of it, joined to the stages and reps.
    """
    params: Params = [today.isoformat(), idle_since.isoformat()]
    owned = _owned_by("i.owner_id", owner_id, params)
    return store.tuples(
        conn,
        f"""
        SELECT i.deal_id AS id, i.title, i.customer, s.name AS stage, i.amount, r.handle AS owner, i.last_activity,
               CAST(julianday(?) - julianday(i.since) AS INTEGER) AS days_idle
        FROM _stale_deal i JOIN stage s ON s.id = i.stage_id LEFT JOIN rep r ON r.id = i.owner_id
        WHERE i.since <= ? AND {owned}
        ORDER BY i.since, i.deal_id
        """,
        params,
    )
