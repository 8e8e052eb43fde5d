"""The queries behind the analysis reports: everything is aggregated here, in SQL, so that
the reports' pure functions (``salescli.reports.analysis``) see one small row per rep,
customer, channel, product, reason or won date.

A period filters won and lost deals by ``closed_at``, deals created and customers added
by ``created_at``, activities by ``done_at``; ``None`` means all time. Open-pipeline
figures are "now" and take no period.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import accumulate, compress, repeat
from operator import eq
from typing import Any

from salescli import store
from salescli.parse import Period
from salescli.store import dialect
from salescli.store.schema import EVERYONE

Clause = tuple[str, list[Any]]


def _on_dates(column: str, period: Period | None) -> Clause:
    """``column`` (a ``YYYY-MM-DD`` date) within the period."""
    if period is None:
        return "true", []
    return f"{column} BETWEEN ? AND ?", [period.start.isoformat(), period.end.isoformat()]


def _on_timestamps(column: str, period: Period | None) -> Clause:
    """``column`` (a ``YYYY-MM-DD HH:MM:SS`` timestamp) within the period; index-friendly.
    A NULL (a customer imported as an existing one: created before salescli knew it) is
    in no period, all time included."""
    if period is None:
        return f"{column} IS NOT NULL", []
    after_end = period.end + dt.timedelta(days=1)
    return f"{column} >= ? AND {column} < ?", [period.start.isoformat(), after_end.isoformat()]


def _owned_by(column: str, rep_id: int | None) -> Clause:
    if rep_id is None:
        return "true", []
    return f"{column} = ?", [rep_id]


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


# ---------------------------------------------------------------- reps


def rep_figures(conn: sqlite3.Connection, period: Period | None, rep_id: int | None = None) -> list[dict[str, Any]]:
    """Per rep (and one row with ``handle`` NULL for work without an owner, unless one rep
    is asked for): won/lost counts, revenue, margin parts, cycle days, weighted open
    pipeline, new customers and activities done.

    Read from the daily figures per owner the schema keeps (migration m011: owner 0 is no
    owner): the deals per day closed, owner and stage — the open stages' rows, whatever
    their day, are the pipeline —, the customers per day added, the activities per day
    done. A few rows per day and rep, never the deals and activities themselves.
    """
    closed, closed_args = _on_dates("d.day", period)
    days, days_args = _on_dates("day", period)
    owner, owner_args = _owned_by("owner", rep_id)
    people, people_args = _owned_by("id", rep_id)
    unassigned = "" if rep_id is not None else "UNION ALL SELECT NULL, NULL, 0, 0"
    sql = f"""
    WITH deals AS (
        SELECT d.owner,
               SUM(CASE WHEN s.kind = 'won' THEN d.deals ELSE 0 END) AS won_deals,
               SUM(CASE WHEN s.kind = 'won' THEN d.amount ELSE 0 END) AS revenue,
               SUM(CASE WHEN s.kind = 'won' THEN d.costed_deals ELSE 0 END) AS costed_deals,
               SUM(CASE WHEN s.kind = 'won' THEN d.costed_amount ELSE 0 END) AS costed_revenue,
               SUM(CASE WHEN s.kind = 'won' THEN d.margin ELSE 0 END) AS margin_cents,
               SUM(CASE WHEN s.kind = 'lost' THEN d.deals ELSE 0 END) AS lost_deals,
               SUM(CASE WHEN s.kind = 'won' THEN d.cycle_days ELSE 0 END) AS cycle_days,
               SUM(CASE WHEN s.kind = 'open' THEN d.amount * s.probability ELSE 0 END) AS open_weighted_raw
        FROM _deal_day d JOIN stage s ON s.id = d.stage_id
        WHERE (s.kind = 'open' OR {closed}) AND {owner}
        GROUP BY d.owner
    ), added AS (
        SELECT owner, SUM(customers) AS new_customers FROM _customer_day WHERE {days} AND {owner} GROUP BY owner
    ), done AS (
        SELECT owner, SUM(activities) AS activities FROM _activity_day WHERE {days} AND {owner} GROUP BY owner
    ), people AS (
        SELECT id, handle, active, commission_rate FROM rep WHERE {people} {unassigned}
    )
    SELECT p.handle, p.active, p.commission_rate,
           COALESCE(d.won_deals, 0) AS won_deals, COALESCE(d.revenue, 0) AS revenue,
           COALESCE(d.costed_deals, 0) AS costed_deals, COALESCE(d.costed_revenue, 0) AS costed_revenue,
           COALESCE(d.margin_cents, 0) AS margin_cents, COALESCE(d.lost_deals, 0) AS lost_deals,
           COALESCE(d.cycle_days, 0) AS cycle_days, COALESCE(d.open_weighted_raw, 0) AS open_weighted_raw,
           COALESCE(a.new_customers, 0) AS new_customers, COALESCE(t.activities, 0) AS activities
    FROM people p
    LEFT JOIN deals d ON d.owner = ifnull(p.id, 0)
    LEFT JOIN added a ON a.owner = ifnull(p.id, 0)
    LEFT JOIN done t ON t.owner = ifnull(p.id, 0)
    """
    args = [*closed_args, *owner_args, *days_args, *owner_args, *days_args, *owner_args, *people_args]
    return _dicts(conn.execute(sql, args))


# ---------------------------------------------------------------- customers


def _won_by_customer(period: Period | None) -> Clause:
    """A ``won`` CTE: per customer with a deal won in the period, its revenue, count and
    latest won date. Of all time: ``_customer_won``, which the schema keeps up to date
    (migration m012); of a period: from the won deals (``deal_stage``) closed in it."""
    if period is None:
        return "WITH won AS (SELECT customer_id, revenue, frequency, last_won FROM _customer_won)", []
    closed, closed_args = _on_dates("closed_at", period)
    return f"""
    WITH won AS (
        SELECT customer_id, SUM(amount) AS revenue, COUNT(*) AS frequency, MAX(closed_at) AS last_won
        FROM deal WHERE stage_id IN (SELECT id FROM stage WHERE kind = 'won') AND {closed}
        GROUP BY customer_id
    )""", closed_args


def revenue_levels(conn: sqlite3.Connection, period: Period | None, owner_id: int | None = None) -> list[dict[str, Any]]:
    """The customers grouped by the revenue they brought in the period (0: none) and their
    stored tier: how many, and how many of them ``owner_id`` owns (all: None). A few
    thousand rows where there are a million customers: enough to tier everyone.

    Of all time: counted in one pass over the index ``_customer_rank_level`` (migration
    m014). Of a period: only the customers who won something in it are read one by one;
    everyone else brought 0, counted per tier from the ``customer_tier`` index (migration
    m012), less the winners."""
    if period is None:
        return _levels_of_all_time(conn, owner_id)
    won, won_args = _won_by_customer(period)
    owned = "1" if owner_id is None else "CASE WHEN owner_id IS NOT DISTINCT FROM ? THEN 1 ELSE 0 END"
    sql = f"""{won},
    winners AS (SELECT w.revenue, c.tier, c.owner_id FROM won w JOIN customer c ON c.id = w.customer_id),
    levels AS (
        SELECT revenue, tier, COUNT(*) AS customers, SUM({owned}) AS owned FROM winners GROUP BY 1, 2
        UNION ALL
        SELECT 0, tier, COUNT(*), SUM({owned}) FROM customer {dialect.hint(conn, "INDEXED BY customer_tier")} GROUP BY tier
        UNION ALL
        SELECT 0, tier, -COUNT(*), -SUM({owned}) FROM winners GROUP BY tier
    )
    SELECT revenue, tier AS current_tier, SUM(customers) AS customers, SUM(owned) AS owned
    FROM levels GROUP BY 1, 2 HAVING SUM(customers) > 0
    """
    return _dicts(conn.execute(sql, [*won_args, *([] if owner_id is None else [owner_id] * 3)]))


def _levels_of_all_time(conn: sqlite3.Connection, owner_id: int | None) -> list[dict[str, Any]]:
    owned = "1" if owner_id is None else "CASE WHEN owner_id IS NOT DISTINCT FROM ? THEN 1 ELSE 0 END"
    sql = f"""
    SELECT revenue, tier AS current_tier, count(*) AS customers, sum({owned}) AS owned
    FROM _customer_rank {dialect.hint(conn, "INDEXED BY _customer_rank_level")} GROUP BY 1, 2 ORDER BY 1, 2
    """
    return _dicts(conn.execute(sql, [] if owner_id is None else [owner_id]))


# What ``ranked_customers`` gives of each customer, a column of each per batch.
RANKED = ("id", "customer", "owner", "current_tier", "revenue", "frequency", "last_won", "running")
BATCH = 1000

RANKED_IN_PERIOD = """{won}
SELECT c.id, c.customer, r.handle AS owner, c.current_tier, c.revenue, c.frequency, c.last_won, {running} AS running
FROM (
    SELECT c.id, c.name AS customer, c.owner_id, c.tier AS current_tier,
           COALESCE(w.revenue, 0) AS revenue, COALESCE(w.frequency, 0) AS frequency, w.last_won,
           casefold(c.name) AS name_key{window}
    FROM customer c LEFT JOIN won w ON w.customer_id = c.id
) c
LEFT JOIN rep r ON r.id = c.owner_id
WHERE {owner}
ORDER BY c.revenue DESC, c.name_key, c.id
"""
# the revenue of every customer up to this one, in the order above
RUNNING_WINDOW = """,
           SUM(COALESCE(w.revenue, 0)) OVER (
               ORDER BY COALESCE(w.revenue, 0) DESC, casefold(c.name), c.id ROWS UNBOUNDED PRECEDING
           ) AS running"""

# Of all time: every customer in the order of ``_customer_rank``'s primary key (migration
# m014), but those whose names NOCASE does not sort as ``casefold`` does (``exact`` 0),
# read apart from the partial index ``_customer_rank_inexact`` (usually none).
RANKED_OF_ALL_TIME = """
SELECT k.customer_id, k.name, k.owner_id, k.tier, k.revenue, k.frequency, k.last_won FROM _customer_rank k {rows}
WHERE {which}
"""


def ranked_customers(
    conn: sqlite3.Connection, period: Period | None, owner_id: int | None = None, limit: int | None = None
) -> Iterator[dict[str, list[Any]]]:
    """Every customer (or those ``owner_id`` owns), streamed by revenue won in the period,
    most first (ties: by name case-folded, then id), in batches of columns (``RANKED``):
    its owner, stored tier, revenue, won-deal count and latest won date (0, 0 and NULL when
    none), and ``running``: the revenue of every customer up to it in that order, whoever
    owns them. The first ``limit`` (all: None)."""
    if period is None:
        batches = _ranked_of_all_time(conn, owner_id)
    else:
        batches = _ranked_in_period(conn, period, owner_id, limit)
    left = limit
    for batch in batches:
        if left is not None:
            if left <= 0:
                return
            batch = {key: column[:left] for key, column in batch.items()}
            left -= len(batch["id"])
        if batch["id"]:
            yield batch


def _ranked_in_period(
    conn: sqlite3.Connection, period: Period, owner_id: int | None, limit: int | None
) -> Iterator[dict[str, list[Any]]]:
    """A top-N sort, unless an owner needs the running sum of all (a window)."""
    dialect.casefold(conn)
    won, won_args = _won_by_customer(period)
    owner, owner_args = _owned_by("c.owner_id", owner_id)
    windowed = owner_id is not None
    sql = RANKED_IN_PERIOD.format(
        won=won, owner=owner, running="c.running" if windowed else "NULL", window=RUNNING_WINDOW if windowed else ""
    )
    cursor = conn.execute(sql + _limit(limit), [*won_args, *owner_args, *_limit_args(limit)])
    running = 0
    while rows := cursor.fetchmany(BATCH):
        batch = dict(zip(RANKED, map(list, zip(*rows))))
        if not windowed:  # every customer is here: the sum runs over the rows themselves
            batch["running"] = list(accumulate(batch["revenue"], initial=running))[1:]
            running = batch["running"][-1]
        yield batch


def _ranked_of_all_time(conn: sqlite3.Connection, owner_id: int | None) -> Iterator[dict[str, list[Any]]]:
    """The batches in order, the inexact ones put in their place (``_in_place``), the
    running sum over everyone; then only ``owner_id``'s customers (all: None)."""
    handles = dict(conn.execute("SELECT id, handle FROM rep"))
    hint = dialect.hint(conn, "INDEXED BY _customer_rank_inexact")
    inexact = sorted(conn.execute(RANKED_OF_ALL_TIME.format(rows=hint, which="NOT k.exact")), key=_rank_key)
    in_order = "k.exact ORDER BY k.revenue DESC, k.name COLLATE NOCASE, k.customer_id"
    cursor = conn.execute(RANKED_OF_ALL_TIME.format(rows="", which=in_order))
    running = 0
    for rows in _in_place(iter(partial(cursor.fetchmany, BATCH), []), inexact):
        batch = dict(zip(RANKED, map(list, zip(*rows))))
        owners = batch["owner"]
        batch["owner"] = list(map(handles.get, owners))
        batch["running"] = list(accumulate(batch["revenue"], initial=running))[1:]
        running = batch["running"][-1]
        if owner_id is not None:
            mine = list(map(eq, owners, repeat(owner_id)))
            batch = {key: list(compress(column, mine)) for key, column in batch.items()}
        yield batch


def _rank_key(row: tuple[Any, ...]) -> tuple[int, str, int]:
    """Where a customer (a row of ``RANKED_OF_ALL_TIME``) ranks: revenue, most first, then
    name case-folded, then id."""
    return -row[4], row[1].casefold(), row[0]


def _in_place(batches: Iterable[list[tuple]], rows: list[tuple]) -> Iterator[list[tuple]]:
    """The ``batches`` (in ``_rank_key`` order) with ``rows`` (in that order too) put in
    their places among them."""
    rows.reverse()  # the next one last
    for batch in batches:
        while rows and _rank_key(rows[-1]) < _rank_key(batch[-1]):
            row = rows.pop()
            batch.insert(bisect_left(batch, _rank_key(row), key=_rank_key), row)
        yield batch
    if rows:
        yield rows[::-1]


def _limit(limit: int | None) -> str:
    return "" if limit is None else "LIMIT ?"


def _limit_args(limit: int | None) -> list[int]:
    return [] if limit is None else [limit]


def _streamed(cursor: sqlite3.Cursor) -> Iterator[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return (dict(zip(names, row, strict=True)) for row in cursor)


def set_tiers(conn: sqlite3.Connection, tiers: dict[int, str], updated_at: str) -> int:
    """Store each customer's tier (id → 'A'|'B'|'C'); returns how many changed."""
    cursor = conn.executemany(
        "UPDATE customer SET tier = ?, updated_at = ? WHERE id = ? AND tier IS DISTINCT FROM ?",
        [(tier, updated_at, customer_id, tier) for customer_id, tier in tiers.items()],
    )
    return cursor.rowcount


# ---------------------------------------------------------------- sources, products, lost


def source_figures(conn: sqlite3.Connection, period: Period | None, rep_id: int | None = None) -> list[dict[str, Any]]:
    """Per channel (lowercased; NULL: none): customers added, deals created, won and lost
    deals closed and the revenue won in the period. A deal's channel is its own source,
    else its customer's.

    From the aggregates the schema keeps up to date (migration m010): a row per channel,
    owner and day (and stage, for the deals closed), never a customer or a deal."""
    owner = [EVERYONE if rep_id is None else rep_id]
    created, created_args = _on_timestamps("created", period)
    closed, closed_args = _on_dates("closed", period)
    won, lost = (f"stage_id IN (SELECT id FROM stage WHERE kind = '{kind}')" for kind in ("won", "lost"))
    sql = f"""
    SELECT nullif(channel, '') AS source, SUM(customers) AS customers, SUM(deals) AS deals, SUM(won) AS won,
           SUM(lost) AS lost, SUM(revenue) AS revenue
    FROM (
        SELECT channel, customers, 0 AS deals, 0 AS won, 0 AS lost, 0 AS revenue
        FROM _source_customers WHERE owner = ? AND {created}
        UNION ALL
        SELECT channel, 0, deals, 0, 0, 0 FROM _source_deals WHERE owner = ? AND {created}
        UNION ALL
        SELECT channel, 0, 0, CASE WHEN {won} THEN deals ELSE 0 END, CASE WHEN {lost} THEN deals ELSE 0 END,
               CASE WHEN {won} THEN amount ELSE 0 END
        FROM _source_closed WHERE owner = ? AND ({won} OR {lost}) AND {closed}
    ) AS counted
    GROUP BY channel
    """
    args = [*owner, *created_args, *owner, *created_args, *owner, *closed_args]
    return _dicts(conn.execute(sql, args))


def product_figures(conn: sqlite3.Connection, period: Period | None, rep_id: int | None = None) -> list[dict[str, Any]]:
    """Per product sold in the period (one row with sku NULL for deals without a
    product), then every active product that sold nothing, with zeros."""
    closed, closed_args = _on_dates("d.closed_at", period)
    deal_owner, deal_owner_args = _owned_by("d.owner_id", rep_id)
    sql = f"""
    WITH sold AS (
        SELECT d.product_id, SUM(d.quantity) AS units, SUM(d.amount) AS revenue,
               COUNT(d.cost) AS costed_deals,
               SUM(CASE WHEN d.cost IS NOT NULL THEN d.amount ELSE 0 END) AS costed_revenue,
               SUM(CASE WHEN d.cost IS NOT NULL THEN d.amount - d.cost ELSE 0 END) AS margin_cents
        FROM deal d JOIN stage s ON s.id = d.stage_id
        WHERE s.kind = 'won' AND {closed} AND {deal_owner}
        GROUP BY d.product_id
    )
    SELECT p.sku, p.name, sold.units, sold.revenue, sold.costed_deals, sold.costed_revenue, sold.margin_cents
    FROM sold LEFT JOIN product p ON p.id = sold.product_id
    UNION ALL
    SELECT p.sku, p.name, 0, 0, 0, 0, 0 FROM product p
    WHERE p.active = 1 AND p.id NOT IN (SELECT product_id FROM sold WHERE product_id IS NOT NULL)
    """
    return _dicts(conn.execute(sql, [*closed_args, *deal_owner_args]))


def lost_figures(conn: sqlite3.Connection, period: Period | None, rep_id: int | None = None) -> list[dict[str, Any]]:
    """Per loss reason (case-insensitively; NULL when none was given): deals lost in the
    period and their value."""
    closed, closed_args = _on_dates("d.closed_at", period)
    deal_owner, deal_owner_args = _owned_by("d.owner_id", rep_id)
    sql = f"""
    SELECT MIN(NULLIF(trim(d.lost_reason), '')) AS reason, COUNT(*) AS deals, SUM(d.amount) AS value
    FROM deal d JOIN stage s ON s.id = d.stage_id
    WHERE s.kind = 'lost' AND {closed} AND {deal_owner}
    GROUP BY lower(COALESCE(trim(d.lost_reason), ''))
    """
    return _dicts(conn.execute(sql, [*closed_args, *deal_owner_args]))


# ---------------------------------------------------------------- receivables


def receivable_balances(
    conn: sqlite3.Connection, age_limits: list[tuple[str, str | None]], rep_id: int | None = None
) -> tuple[list[str], sqlite3.Cursor]:
    """Per customer with money outstanding on won deals (each deal's unpaid rest, never
    below 0), for the customers the rep owns (all: None), streamed as tuples
    (``store.tuples``), the most outstanding first (ties: by name case-folded, then id):
    ``customer``, ``billed``, ``paid``, ``outstanding``, the outstanding by age of the won
    date, ``credit_limit`` and ``over_limit`` (1 when the outstanding is above the credit
    limit, 0 when not or there is none). ``age_limits`` are the buckets, youngest first,
    each with the earliest won date it holds (None: any).

    Each won deal's billed, paid and won date are in ``_deal_owed``, which the schema keeps
    up to date (migration m012); only the deals of the customers with a deal not paid in
    full are read (``_deal_owed_unpaid``)."""
    owner, owner_args = _owned_by("c.owner_id", rep_id)
    buckets, bucket_args, previous = [], [], None
    for key, earliest in age_limits:
        younger = "" if previous is None else " AND o.won_on < ?"
        older = "true" if earliest is None else "o.won_on >= ?"
        buckets.append(f'SUM(CASE WHEN {older}{younger} THEN o.outstanding ELSE 0 END) AS "{key}"')
        bucket_args += [*([] if earliest is None else [earliest]), *([] if previous is None else [previous])]
        previous = earliest
    sql = f"""
    SELECT c.name AS customer, SUM(o.billed) AS billed, SUM(o.paid) AS paid, SUM(o.outstanding) AS outstanding,
           {", ".join(buckets)}, c.credit_limit,
           c.credit_limit IS NOT NULL AND SUM(o.outstanding) > c.credit_limit AS over_limit
    FROM (
        SELECT customer_id, billed, paid, CASE WHEN billed > paid THEN billed - paid ELSE 0 END AS outstanding, won_on
        FROM _deal_owed
        WHERE customer_id IN (SELECT customer_id FROM _deal_owed WHERE billed > paid)
    ) o
    JOIN customer c ON c.id = o.customer_id
    WHERE {owner}
    GROUP BY c.id
    ORDER BY outstanding DESC, casefold(c.name), c.id
    """
    dialect.casefold(conn)
    return store.tuples(conn, sql, [*bucket_args, *owner_args])
