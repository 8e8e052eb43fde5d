"""Products: what is sold, by sku, with a list price and a unit cost (for margins).

A deal copies its cost from the product when it is added (cost × quantity), so changing a
product's price or cost later leaves existing deals as they were agreed.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from salescli import parse, store
from salescli.errors import Invalid, UsageError

SELECT = "SELECT id, sku, name, price, cost, active FROM product"

CARD_SQL = """
SELECT
  (SELECT count(*) FROM deal d JOIN stage s ON s.id = d.stage_id
    WHERE d.product_id = :id AND s.kind = 'open') AS open_deals,
  (SELECT count(*) FROM deal d JOIN stage s ON s.id = d.stage_id
    WHERE d.product_id = :id AND s.kind = 'won') AS won_deals,
  (SELECT coalesce(sum(d.quantity), 0) FROM deal d JOIN stage s ON s.id = d.stage_id
    WHERE d.product_id = :id AND s.kind = 'won') AS units_won,
  (SELECT coalesce(sum(d.amount), 0) FROM deal d JOIN stage s ON s.id = d.stage_id
    WHERE d.product_id = :id AND s.kind = 'won') AS revenue
"""


def as_dict(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["active"] = bool(item["active"])
    return item


def check_sku(conn: sqlite3.Connection, sku: str, *, exclude: int | None = None) -> str:
    sku = parse.require_text(sku, what="sku")
    if any(character.isspace() for character in sku):
        raise UsageError(f"sku '{sku}' has a space in it: use letters, digits and dashes, e.g. CH-100")
    clash = store.taken(conn, "product", "sku", sku, exclude=exclude)
    if clash:
        raise Invalid(f"a product with sku '{clash}' already exists")
    return sku


def add(conn: sqlite3.Connection, sku: str, name: str, *, price: int, cost: int | None = None) -> int:
    sku = check_sku(conn, sku)
    name = parse.require_text(name, what="product name")
    cursor = conn.execute(
        "INSERT INTO product (sku, name, price, cost) VALUES (?, ?, ?, ?) RETURNING id", [sku, name, price, cost]
    )
    return int(cursor.fetchone()[0])


def listing(conn: sqlite3.Connection, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    where = "" if include_inactive else " WHERE active = 1"
    return [as_dict(row) for row in conn.execute(SELECT + where + " ORDER BY sku COLLATE NOCASE")]


def card(conn: sqlite3.Connection, product_id: int) -> dict[str, Any]:
    """The product with its unit margin and what it has sold."""
    item = as_dict(conn.execute(SELECT + " WHERE id = ?", [product_id]).fetchone())
    item.update(dict(conn.execute(CARD_SQL, {"id": product_id}).fetchone()))
    if item["cost"] is not None:
        item["margin"] = item["price"] - item["cost"]
        item["margin_rate"] = item["margin"] / item["price"] if item["price"] else None
    return item


def edit(conn: sqlite3.Connection, product_id: int, changes: dict[str, Any]) -> None:
    """Apply ``changes`` (column → new value)."""
    if "sku" in changes:
        changes["sku"] = check_sku(conn, changes["sku"], exclude=product_id)
    if "name" in changes:
        changes["name"] = parse.require_text(changes["name"], what="product name")
    if "active" in changes:
        changes["active"] = int(bool(changes["active"]))
    store.update(conn, "product", product_id, changes)
