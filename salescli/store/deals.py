"""Deals: the pipeline. Add, list, the card, edit, delete; stage changes; payments.

Data contract (see the helpers' brief): adding a deal records a ``stage_history`` row for
its first stage, dated the day it was created; every move / win / lose records a row for
the stage entered (win and lose: dated ``closed_at``), so ``deal.stage_id`` is always the
last row's stage. Won and lost deals have ``closed_at``; a closed deal moved back to an
open stage is reopened (``closed_at`` and ``lost_reason`` cleared). Payments are recorded
against won deals only and never exceed the deal's amount.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from salescli import parse, store
from salescli.errors import Invalid
from salescli.store import stages
from salescli.store.customers import close_first_contact

SELECT = """
SELECT d.id, d.title, c.name AS customer, d.amount, d.cost, p.sku AS product, d.quantity,
       s.name AS stage, s.probability / 100.0 AS probability, s.kind, d.expected_close,
       r.handle AS owner, d.source, d.created_at, d.closed_at, d.lost_reason
FROM deal d
JOIN customer c ON c.id = d.customer_id
JOIN stage s ON s.id = d.stage_id
LEFT JOIN rep r ON r.id = d.owner_id
LEFT JOIN product p ON p.id = d.product_id
"""

# Open deals first, soonest expected close first (undated last); then closed deals,
# most recently closed first.
ORDER = """
ORDER BY s.kind != 'open',
         CASE WHEN s.kind = 'open' THEN d.expected_close IS NULL END,
         CASE WHEN s.kind = 'open' THEN d.expected_close END,
         CASE WHEN s.kind != 'open' THEN d.closed_at END DESC,
         CASE WHEN s.kind = 'open' THEN d.id ELSE -d.id END
"""

OUTSTANDING_SQL = """
SELECT coalesce(sum(d.amount - coalesce((SELECT sum(p.amount) FROM payment p WHERE p.deal_id = d.id), 0)), 0)
FROM deal d JOIN stage s ON s.id = d.stage_id
WHERE d.customer_id = ? AND s.kind = 'won' AND d.id IS DISTINCT FROM ?
"""


@dataclass
class Filter:
    """What ``deal list`` narrows to; every field optional."""

    stage_id: int | None = None
    owner_id: int | None = None
    customer_id: int | None = None
    kind: str | None = None  # open | won | lost
    closing: parse.Period | None = None  # close date in the period (closed_at, else expected_close)


@dataclass
class Outcome:
    """What a write did: the deal's id, and warnings for the person at the terminal."""

    deal_id: int
    warnings: list[str] = field(default_factory=list)
    first_contact: list[int] = field(default_factory=list)  # open "First contact" tasks a win answered


def money(conn: sqlite3.Connection, cents: int) -> str:
    """Cents as this database shows money (its currency), in what a write says."""
    return parse.format_money(cents, store.setting(conn, "currency"))


# ---------------------------------------------------------------- reading


def _conditions(where: Filter) -> tuple[str, list[Any]]:
    """``WHERE …`` (or nothing) for the deals matching ``where``, and its parameters."""
    conditions, params = [], []
    for column, value in (
        ("d.stage_id", where.stage_id),
        ("d.owner_id", where.owner_id),
        ("d.customer_id", where.customer_id),
    ):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if where.kind is not None:  # through the stages, so that the deal_stage index serves
        conditions.append("d.stage_id IN (SELECT id FROM stage WHERE kind = ?)")
        params.append(where.kind)
    if where.closing is not None:  # closed then, or open and expected then ('+': not by deal_closed)
        conditions.append(
            "(d.closed_at BETWEEN ? AND ? OR (d.expected_close BETWEEN ? AND ? AND +d.closed_at IS NULL))"
        )
        bounds = [where.closing.start.isoformat(), where.closing.end.isoformat()]
        params += bounds * 2
    return (" WHERE " + " AND ".join(conditions) if conditions else ""), params


def list_query(where: Filter, limit: int | None = None) -> tuple[str, list[Any]]:
    """The SQL of ``deal list`` (separate so the query plan can be checked): the first
    ``limit`` deals (all: None). A limit keeps the sort to that many rows."""
    clause, params = _conditions(where)
    sql = SELECT + clause + ORDER
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return sql, params


def listing(conn: sqlite3.Connection, where: Filter, *, limit: int | None = None) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """The names and the rows (tuples, streamed from the cursor) of the deals matching
    ``where``; the first ``limit`` (all: None)."""
    return store.tuples(conn, *list_query(where, limit))


def count(conn: sqlite3.Connection, where: Filter) -> int:
    """How many deals ``listing`` gives (every deal has its customer and stage: no join)."""
    clause, params = _conditions(where)
    return int(conn.execute("SELECT count(*) FROM deal d" + clause, params).fetchone()[0])


def paid(conn: sqlite3.Connection, deal_id: int) -> int:
    return conn.execute(
        "SELECT coalesce(sum(amount), 0) FROM payment WHERE deal_id = ?", [deal_id]
    ).fetchone()[0]


def outstanding(conn: sqlite3.Connection, customer_id: int, *, exclude_deal: int | None = None) -> int:
    """What a customer owes: Σ amount of its won deals − Σ payments on them."""
    return conn.execute(OUTSTANDING_SQL, [customer_id, exclude_deal]).fetchone()[0]


def history(conn: sqlite3.Connection, deal: dict[str, Any]) -> list[dict[str, Any]]:
    """The stages a deal entered, each with the days it stayed (to today for the current
    stage of an open deal; none for the won or lost stage it ended in)."""
    rows = [
        dict(row)
        for row in conn.execute(
            "SELECT s.name AS stage, h.entered_on FROM stage_history h JOIN stage s ON s.id = h.stage_id "
            "WHERE h.deal_id = ? ORDER BY h.entered_on, h.id",
            [deal["id"]],
        )
    ]
    for row, following in zip(rows, rows[1:] + [None]):
        if following is not None:
            until: dt.date | None = dt.date.fromisoformat(following["entered_on"])
        else:
            until = parse.today() if deal["kind"] == "open" else None
        row["days"] = (until - dt.date.fromisoformat(row["entered_on"])).days if until else None
    return rows


def card(conn: sqlite3.Connection, deal_id: int) -> dict[str, Any]:
    """The deal with its weighted value, margin and balance, and under it its stage
    history, payments (with the balance after each) and activities."""
    deal = dict(conn.execute(SELECT + " WHERE d.id = ?", [deal_id]).fetchone())
    deal["weighted"] = round(deal["amount"] * deal["probability"])
    if deal["cost"] is not None:
        deal["margin"] = deal["amount"] - deal["cost"]
        deal["margin_rate"] = deal["margin"] / deal["amount"] if deal["amount"] else None
    payments = [
        dict(row)
        for row in conn.execute(
            "SELECT paid_on, amount FROM payment WHERE deal_id = ? ORDER BY paid_on, id", [deal_id]
        )
    ]
    balance = deal["amount"]
    for payment in payments:
        balance -= payment["amount"]
        payment["balance"] = balance
    won = deal["kind"] == "won"
    deal["paid"] = deal["amount"] - balance if won else None
    deal["balance"] = balance if won else None
    deal["history"] = history(conn, deal)
    deal["payments"] = payments
    deal["activities"] = [
        dict(row)
        for row in conn.execute(
            "SELECT a.id, a.type, a.summary, r.handle AS owner, a.due, a.done_at "
            "FROM activity a LEFT JOIN rep r ON r.id = a.owner_id WHERE a.deal_id = ? "
            "ORDER BY coalesce(a.done_at, a.due), a.id",
            [deal_id],
        )
    ]
    return deal


# ---------------------------------------------------------------- rules


def _check_rep(rep: sqlite3.Row | None) -> None:
    if rep is not None and not rep["active"]:
        raise Invalid(
            f"rep '{rep['handle']}' is inactive: choose an active rep (or 'salescli rep activate {rep['handle']}')"
        )


def _check_product(product: sqlite3.Row | None) -> None:
    if product is not None and not product["active"]:
        raise Invalid(
            f"product '{product['sku']}' is inactive: choose another "
            f"(or 'salescli product edit {product['sku']} --active')"
        )


def credit_warning(
    conn: sqlite3.Connection, customer: sqlite3.Row, amount: int, *, exclude_deal: int | None = None
) -> list[str]:
    """A warning when the customer's outstanding balance plus ``amount`` exceeds its
    credit limit (the deal goes ahead: the limit is advice, not a block)."""
    limit = customer["credit_limit"]
    if limit is None:
        return []
    owed = outstanding(conn, customer["id"], exclude_deal=exclude_deal)
    if owed + amount <= limit:
        return []
    return [
        f"this deal takes {customer['name']} over its credit limit of {money(conn, limit)}: "
        f"{money(conn, owed)} outstanding plus this deal's {money(conn, amount)} "
        f"makes {money(conn, owed + amount)}"
    ]


def _record_stage(conn: sqlite3.Connection, deal_id: int, stage_id: int, on: dt.date) -> None:
    conn.execute(
        "INSERT INTO stage_history (deal_id, stage_id, entered_on) VALUES (?, ?, ?)",
        [deal_id, stage_id, on.isoformat()],
    )


# ---------------------------------------------------------------- writing


def add(
    conn: sqlite3.Connection,
    *,
    title: str,
    customer: sqlite3.Row,
    amount: int | None = None,
    stage: sqlite3.Row | None = None,
    expected_close: dt.date | None = None,
    owner: sqlite3.Row | None = None,
    product: sqlite3.Row | None = None,
    quantity: int = 1,
    cost: int | None = None,
    source: str | None = None,
    created_on: dt.date | None = None,
) -> Outcome:
    """Add a deal. Defaults (SPEC §4): owner = the customer's owner, stage = the first open
    stage, amount = product price × quantity, cost = product cost × quantity, source = the
    customer's source. ``created_on`` back-dates it (a deal from before it was typed in):
    its stage history starts that day. A deal added straight into a won or lost stage is
    closed the day it was created."""
    title = parse.require_text(title, what="deal title")
    _check_rep(owner)
    _check_product(product)
    if amount is None:
        if product is None:
            raise Invalid("a deal needs an amount, or a product to price it from")
        amount = _times(product["price"], quantity, "amount")
    if cost is None and product is not None and product["cost"] is not None:
        cost = _times(product["cost"], quantity, "cost")
    stage = stage if stage is not None else stages.first(conn, "open")
    created = store.created_moment(created_on, "a deal")
    warnings = credit_warning(conn, customer, amount)
    cursor = conn.execute(
        "INSERT INTO deal (title, customer_id, amount, cost, product_id, quantity, stage_id, "
        "expected_close, owner_id, source, created_at, closed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [
            title,
            customer["id"],
            amount,
            cost,
            product["id"] if product is not None else None,
            quantity,
            stage["id"],
            expected_close.isoformat() if expected_close else None,
            owner["id"] if owner is not None else customer["owner_id"],
            source if source is not None else customer["source"],
            parse.timestamp(created),
            created.date().isoformat() if stage["kind"] != "open" else None,
        ],
    )
    deal_id = int(cursor.fetchone()[0])
    _record_stage(conn, deal_id, stage["id"], created.date())
    return Outcome(deal_id, warnings, _won(conn, customer["id"], stage))


def edit(conn: sqlite3.Connection, deal: sqlite3.Row, changes: dict[str, Any]) -> None:
    """Apply ``changes`` (column → new value; ``product`` / ``owner`` / ``customer`` as rows).

    A new product or quantity without a new cost recomputes the cost from the product;
    a new customer takes the deal's activities along; the amount cannot go below what has
    been paid. Stage changes go through ``move`` / ``win`` / ``lose``.
    """
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key in ("product", "owner", "customer"):
            values[f"{key}_id"] = value["id"] if value is not None else None
        elif isinstance(value, dt.date):
            values[key] = value.isoformat()
        elif key == "title":
            values[key] = parse.require_text(value, what="deal title")
        else:
            values[key] = value
    _check_rep(changes.get("owner"))
    if changes.get("product") is not None and changes["product"]["id"] != deal["product_id"]:
        _check_product(changes["product"])
    if ("product" in changes or "quantity" in changes) and "cost" not in changes:
        product = changes["product"] if "product" in changes else _product(conn, deal["product_id"])
        if product is not None and product["cost"] is not None:
            values["cost"] = _times(product["cost"], changes.get("quantity", deal["quantity"]), "cost")
    received = paid(conn, deal["id"])
    if values.get("amount", deal["amount"]) < received:
        raise Invalid(amount_below_paid(deal["id"], money(conn, received)))
    store.update(conn, "deal", deal["id"], values)
    if "customer_id" in values:
        conn.execute("UPDATE activity SET customer_id = ? WHERE deal_id = ?", [values["customer_id"], deal["id"]])


def _times(unit: int, quantity: int, what: str) -> int:
    """A product's price or cost × quantity: an amount, within the range of one."""
    return parse.check_money(unit * quantity, f"{parse.format_money(unit)} × {quantity}", what=what)


def _product(conn: sqlite3.Connection, product_id: int | None) -> sqlite3.Row | None:
    if product_id is None:
        return None
    return conn.execute("SELECT * FROM product WHERE id = ?", [product_id]).fetchone()


def dependents(conn: sqlite3.Connection, deal_id: int) -> dict[str, int]:
    """What goes with a deal when it is deleted: payments (and their total), activities."""
    payments, total = conn.execute(
        "SELECT count(*), coalesce(sum(amount), 0) FROM payment WHERE deal_id = ?", [deal_id]
    ).fetchone()
    activities = conn.execute("SELECT count(*) FROM activity WHERE deal_id = ?", [deal_id]).fetchone()[0]
    return {"payments": payments, "paid": total, "activities": activities}


def delete(conn: sqlite3.Connection, deal_id: int) -> dict[str, int]:
    """Delete a deal with its stage history and payments; its activities stay with the
    customer, no longer tied to a deal."""
    counts = dependents(conn, deal_id)
    conn.execute("UPDATE activity SET deal_id = NULL WHERE deal_id = ?", [deal_id])
    conn.execute("DELETE FROM payment WHERE deal_id = ?", [deal_id])
    conn.execute("DELETE FROM stage_history WHERE deal_id = ?", [deal_id])
    conn.execute("DELETE FROM deal WHERE id = ?", [deal_id])
    return counts


# ---------------------------------------------------------------- stage changes


def _enter(
    conn: sqlite3.Connection,
    deal: sqlite3.Row,
    stage: sqlite3.Row,
    on: dt.date,
    *,
    amount: int | None = None,
    reason: str | None = None,
) -> None:
    """Move ``deal`` into ``stage`` on ``on``: check the date, record the history row, and
    close (won / lost) or reopen (open) the deal."""
    label = f"deal {deal['id']}"
    if stage["id"] == deal["stage_id"]:
        raise Invalid(f"{label} is already in stage '{stage['name']}'")
    created = dt.date.fromisoformat(deal["created_at"][:10])
    last = conn.execute(
        "SELECT s.name, h.entered_on FROM stage_history h JOIN stage s ON s.id = h.stage_id "
        "WHERE h.deal_id = ? ORDER BY h.entered_on DESC, h.id DESC LIMIT 1",
        [deal["id"]],
    ).fetchone()
    if on > parse.today():
        raise Invalid(f"{on} is in the future: a stage change is recorded when it happens")
    if on < created:
        raise Invalid(f"{on} is before {label} was created ({created})")
    if last is not None and on.isoformat() < last["entered_on"]:
        raise Invalid(f"{on} is before {label} entered '{last['name']}' ({last['entered_on']})")
    received = paid(conn, deal["id"])
    if received and stage["kind"] != "won":
        raise Invalid(stays_won(deal["id"], money(conn, received)))
    conn.execute(
        "UPDATE deal SET stage_id = ?, closed_at = ?, lost_reason = ?, amount = ? WHERE id = ?",
        [
            stage["id"],
            on.isoformat() if stage["kind"] != "open" else None,
            reason if stage["kind"] == "lost" else None,
            amount if amount is not None else deal["amount"],
            deal["id"],
        ],
    )
    _record_stage(conn, deal["id"], stage["id"], on)


def move(conn: sqlite3.Connection, deal: sqlite3.Row, stage: sqlite3.Row, on: dt.date) -> None:
    """Move a deal to an open stage (reopening it if it was won or lost)."""
    if stage["kind"] != "open":
        verb = "win" if stage["kind"] == "won" else "lose"
        raise Invalid(
            f"'{stage['name']}' is a {stage['kind']} stage: use 'salescli deal {verb} {deal['id']}'"
        )
    _enter(conn, deal, stage, on)


def _current_kind(conn: sqlite3.Connection, deal: sqlite3.Row) -> str:
    return conn.execute("SELECT kind FROM stage WHERE id = ?", [deal["stage_id"]]).fetchone()[0]


def win(
    conn: sqlite3.Connection,
    deal: sqlite3.Row,
    on: dt.date,
    *,
    stage: sqlite3.Row | None = None,
    amount: int | None = None,
) -> Outcome:
    """Mark a deal won on ``on`` (at the final ``amount`` if given), into ``stage`` or the
    first won stage. Warns when it takes the customer over its credit limit."""
    stage = stage if stage is not None else stages.first(conn, "won")
    if stage["kind"] != "won":
        raise Invalid(f"'{stage['name']}' is not a won stage")
    if _current_kind(conn, deal) == "won":
        raise Invalid(f"deal {deal['id']} is already won (on {deal['closed_at']})")
    customer = conn.execute("SELECT * FROM customer WHERE id = ?", [deal["customer_id"]]).fetchone()
    final = amount if amount is not None else deal["amount"]
    warnings = credit_warning(conn, customer, final, exclude_deal=deal["id"])
    _enter(conn, deal, stage, on, amount=amount)
    return Outcome(deal["id"], warnings, _won(conn, customer["id"], stage))


def _won(conn: sqlite3.Connection, customer_id: int, stage: sqlite3.Row) -> list[int]:
    """A customer who has bought has been contacted: a won deal answers its open
    first-contact task (``customers.close_first_contact``)."""
    return close_first_contact(conn, customer_id) if stage["kind"] == "won" else []


def lose(
    conn: sqlite3.Connection, deal: sqlite3.Row, on: dt.date, reason: str, *, stage: sqlite3.Row | None = None
) -> None:
    """Mark a deal lost on ``on`` for ``reason``, into ``stage`` or the first lost stage."""
    reason = parse.require_text(reason, what="the reason a deal was lost")
    stage = stage if stage is not None else stages.first(conn, "lost")
    if stage["kind"] != "lost":
        raise Invalid(f"'{stage['name']}' is not a lost stage")
    if _current_kind(conn, deal) == "lost":
        raise Invalid(f"deal {deal['id']} is already lost (on {deal['closed_at']}: {deal['lost_reason']})")
    _enter(conn, deal, stage, on, reason=reason)


# ---------------------------------------------------------------- payments


def pay(conn: sqlite3.Connection, deal: sqlite3.Row, amount: int, on: dt.date) -> int:
    """Record a payment against a won deal; return the balance still outstanding."""
    label = f"deal {deal['id']}"
    if _current_kind(conn, deal) != "won":
        raise Invalid(f"{label} is not won: payments are recorded against won deals ('salescli deal win {deal['id']}' first)")
    if on > parse.today():
        raise Invalid(f"{on} is in the future: record a payment when it is received")
    balance = deal["amount"] - paid(conn, deal["id"])
    refused = payment_refused(deal, amount, on.isoformat(), balance, partial(money, conn))
    if refused:
        raise Invalid(refused[1])
    conn.execute(
        "INSERT INTO payment (deal_id, amount, paid_on, created_at) VALUES (?, ?, ?, ?)",
        [deal["id"], amount, on.isoformat(), parse.timestamp()],
    )
    return balance - amount


def stays_won(deal_id: int, received: str) -> str:
    """Why a deal with payments (``received``, as money) may not leave the won stages."""
    return f"deal {deal_id} has {received} paid against it: it stays won"


def amount_below_paid(deal_id: int, received: str) -> str:
    return f"deal {deal_id} has {received} paid: its amount cannot be less than that"


def payment_refused(
    deal: Mapping[str, Any], amount: int, on: str, balance: int, money: Callable[[int], str]
) -> tuple[str, str] | None:
    """Why a payment of ``amount`` received ``on`` (an ISO date) against the won ``deal``,
    which has ``balance`` outstanding, is refused — by ``deal pay`` and by an import alike —
    as (the field at fault: ``amount`` or ``paid_on``, the reason); None if it is not."""
    label = f"deal {deal['id']}"
    if amount <= 0:
        return "amount", "a payment must be more than zero"
    if on < deal["closed_at"]:
        return "paid_on", f"{on} is before {label} was won ({deal['closed_at']})"
    if amount > balance:
        owed = f"its outstanding balance is {money(balance)}" if balance else "it is fully paid"
        return "amount", f"a payment of {money(amount)} would overpay {label}: {owed}"
    return None
