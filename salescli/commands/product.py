"""`salescli product add|list|show|edit`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from salescli import output, parse, session
from salescli.commands.common import App, FormatOption, LimitOption, WideOption, unless_unchanged
from salescli.output import Column
from salescli.store import products, refs

app = App(help="Products: what you sell, with list price and unit cost (for margins).")

COLUMNS = [
    Column("sku"),
    Column("name"),
    Column("price", kind="money"),
    Column("cost", kind="money"),
    Column("active", kind="bool"),
]
CARD = [
    *COLUMNS,
    Column("margin", "unit margin", kind="money"),
    Column("margin_rate", "margin rate", kind="ratio"),
    Column("open_deals", "open deals", kind="int"),
    Column("won_deals", "won deals", kind="int"),
    Column("units_won", "units won", kind="int"),
    Column("revenue", "revenue won", kind="money"),
]

SkuArgument = Annotated[str, typer.Argument(help="The product's sku, e.g. CH-100.")]
CostOption = Annotated[
    Optional[str],
    typer.Option("--cost", help="Unit cost, for margins: 80, 1.2k ('' clears it).", show_default=False),
]


def _cost(text: str | None) -> int | None:
    return parse.parse_money(text, what="cost") if text and text.strip() else None


@app.command("add")
def add(
    sku: SkuArgument,
    name: Annotated[str, typer.Argument(help="What it is called, e.g. 'Office chair'.")],
    price: Annotated[str, typer.Option("--price", help="List price per unit: 120, 1.5k.", show_default=False)],
    cost: CostOption = None,
) -> None:
    """Add a product. A deal for it is priced and costed from it (× quantity)."""
    price_cents = parse.parse_money(price, what="price")
    cost_cents = _cost(cost)
    with session.write() as conn:
        product_id = products.add(conn, sku, name, price=price_cents, cost=cost_cents)
    output.created("product", product_id, sku.strip())


@app.command("list")
def list_(
    fmt: FormatOption = None,
    wide: WideOption = False,
    limit: LimitOption = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Include inactive products.")] = False,
) -> None:
    """List the products (active ones unless --all)."""
    rows = products.listing(session.connection(), include_inactive=all_)
    output.render(
        rows,
        COLUMNS,
        fmt=fmt,
        wide=wide,
        limit=limit,
        empty="No products: add one with 'salescli product add SKU NAME --price P'.",
    )


@app.command("show")
def show(sku: SkuArgument, fmt: FormatOption = None, wide: WideOption = False) -> None:
    """Show a product with its unit margin and what it has sold."""
    conn = session.connection()
    product = refs.product(conn, sku)
    card = products.card(conn, product["id"])
    output.render_card(card, CARD, fmt=fmt, wide=wide, title=f"{product['sku']} {product['name']}")


@app.command("edit")
def edit(
    sku: SkuArgument,
    new_sku: Annotated[Optional[str], typer.Option("--sku", help="Change the sku.", show_default=False)] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Rename it.", show_default=False)] = None,
    price: Annotated[Optional[str], typer.Option("--price", help="New list price.", show_default=False)] = None,
    cost: CostOption = None,
    active: Annotated[
        Optional[bool],
        typer.Option("--active/--inactive", help="An inactive product is hidden from lists and new deals.", show_default=False),
    ] = None,
) -> None:
    """Change a product. Existing deals keep the price and cost they were agreed at."""
    changes: dict[str, object] = {}
    if new_sku is not None:
        changes["sku"] = new_sku
    if name is not None:
        changes["name"] = name
    if price is not None:
        changes["price"] = parse.parse_money(price, what="price")
    if cost is not None:
        changes["cost"] = _cost(cost)
    if active is not None:
        changes["active"] = active
    with session.write() as conn:
        products.edit(conn, refs.product(conn, sku)["id"], changes)
    shown = (new_sku or sku).strip()
    output.done(unless_unchanged(f"Updated product {shown}", f"Product {shown}") if changes else "Nothing to change.")
