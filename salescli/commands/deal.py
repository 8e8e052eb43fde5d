"""`salescli deal add|list|show|edit|delete|move|win|lose|pay`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from salescli import output, parse, session
from salescli.commands.common import (
    App,
    CreatedOption,
    FormatOption,
    LimitOption,
    OwnerOption,
    WideOption,
    YesOption,
    ahead,
    confirm,
    happened_on,
    still_as_shown,
    unless_unchanged,
    warn_if_past,
)
from salescli.errors import UsageError
from salescli.grammar import plural
from salescli.output import Column
from salescli.store import deals, refs

app = App(help="Deals: the pipeline from first lead to won (or lost), and the payments on won deals.")

# deal list: every field for programs (json, csv, tsv), the ones that fit a screen for people.
COLUMNS = [
    Column("id", kind="int", priority=1),
    Column("title", priority=1),
    Column("customer", priority=1),
    Column("amount", kind="money", priority=1),
    Column("cost", kind="money"),
    Column("product"),
    Column("quantity", kind="int"),
    Column("stage", priority=1, tone=output.tones("kind", won="good", lost="bad")),
    Column("probability", kind="ratio"),
    Column("expected_close", "expected close"),
    Column("owner"),
    Column("source"),
    Column("created_at", "created"),
    Column("closed_at", "closed", priority=3),
    Column("lost_reason", "lost reason"),
]


def _pick(keys: tuple[str, ...], *extra: Column) -> list[Column]:
    by_key = {column.key: column for column in (*COLUMNS, *extra)}
    return [by_key[key] for key in keys]


SCREEN_COLUMNS = _pick(("id", "title", "customer", "amount", "stage", "expected_close", "closed_at", "owner"))
CARD = _pick(
    (
        "id", "title", "customer", "amount", "cost", "margin", "margin_rate", "product", "quantity",
        "stage", "probability", "weighted", "expected_close", "owner", "source", "created_at",
        "closed_at", "lost_reason", "paid", "balance",
    ),
    Column("margin", kind="money"),
    Column("margin_rate", "margin rate", kind="ratio"),
    Column("weighted", "weighted value", kind="money"),
    Column("paid", kind="money"),
    Column("balance", kind="money"),
)
HISTORY = [Column("stage"), Column("entered_on", "entered"), Column("days", "days in stage", kind="int")]
PAYMENTS = [Column("paid_on", "paid on"), Column("amount", kind="money"), Column("balance", kind="money")]
ACTIVITIES = [
    Column("id", kind="int"),
    Column("type"),
    Column("summary"),
    Column("owner"),
    Column("due"),
    Column("done_at", "done"),
]

IdArgument = Annotated[str, typer.Argument(help="The deal's id.")]
OnOption = Annotated[
    Optional[str],
    typer.Option("--on", help="When it happened: 2026-11-20, yesterday, -3d, 'Nov 20' (default: today).", show_default=False),
]
CustomerOption = Annotated[
    Optional[str], typer.Option("--customer", "-c", help="Customer id or name (a unique prefix will do).", show_default=False)
]
AmountOption = Annotated[Optional[str], typer.Option("--amount", help="Deal value: 12000, 12,000.50, 12k, 1.2万, 12000元.", show_default=False)]
CloseOption = Annotated[
    Optional[str], typer.Option("--close", help="Expected close date: 2026-12-15, eom, +2w, fri, 'Jan 15' (the next one).", show_default=False)
]
ProductOption = Annotated[Optional[str], typer.Option("--product", help="Product sku.", show_default=False)]
QuantityOption = Annotated[Optional[str], typer.Option("--quantity", "-q", help="Units of the product (default 1).", show_default=False)]
CostOption = Annotated[
    Optional[str], typer.Option("--cost", help="Total cost, for margin (default: product cost × quantity).", show_default=False)
]
SourceOption = Annotated[
    Optional[str], typer.Option("--source", help="Channel: referral, web, ads, event, … (default: the customer's).", show_default=False)
]
StageNameOption = Annotated[Optional[str], typer.Option("--stage", help="Stage name.", show_default=False)]


def _money(text: str | None, what: str) -> int | None:
    return parse.parse_money(text, what=what) if text is not None else None


def _quantity(text: str | None) -> int | None:
    return parse.parse_count(text, what="quantity", minimum=1) if text is not None else None


@app.command("add")
def add(
    title: Annotated[str, typer.Argument(help="What is being sold, e.g. '40 chairs for the new office'.")],
    customer: Annotated[str, typer.Option("--customer", "-c", help="Customer id or name (a unique prefix will do).", show_default=False)],
    amount: Annotated[
        Optional[str],
        typer.Option("--amount", help="Deal value: 12000, 12k, 1.2万 (with --product, default: price × quantity).", show_default=False),
    ] = None,
    stage: Annotated[Optional[str], typer.Option("--stage", help="Stage name (default: the first open stage).", show_default=False)] = None,
    close: CloseOption = None,
    owner: Annotated[Optional[str], typer.Option("--owner", help="Rep handle (default: the customer's owner).", show_default=False)] = None,
    product: ProductOption = None,
    quantity: QuantityOption = None,
    cost: CostOption = None,
    source: SourceOption = None,
    created: CreatedOption = None,
) -> None:
    """Add a deal and print its id. Warns when it takes the customer over its credit limit.

    With --created (an existing deal typed in), its stage history starts that day, and
    'deal move/win/lose --on' can record what happened since."""
    amount_cents = _money(amount, "amount")
    if amount_cents is None and product is None:
        raise UsageError("--amount is required (or give --product to price the deal from it)")
    cost_cents = _money(cost, "cost")
    expected = ahead(close) if close is not None else None
    units = _quantity(quantity) or 1
    created_on = happened_on(created) if created is not None else None
    with session.write() as conn:
        outcome = deals.add(
            conn,
            title=title,
            customer=refs.customer(conn, customer),
            amount=amount_cents,
            stage=refs.stage(conn, stage) if stage else None,
            expected_close=expected,
            owner=refs.optional_rep(conn, owner),
            product=refs.product(conn, product) if product else None,
            quantity=units,
            cost=cost_cents,
            source=(source or "").strip() or None,
            created_on=created_on,
        )
    for warning in outcome.warnings:
        output.warn(warning)
    output.created("deal", outcome.deal_id, title.strip())
    warn_if_past(expected, "expected close")
    _first_contact_note(outcome)


@app.command("list")
def list_(
    stage: StageNameOption = None,
    owner: OwnerOption = None,
    customer: CustomerOption = None,
    open_: Annotated[bool, typer.Option("--open", help="Only open deals.")] = False,
    won: Annotated[bool, typer.Option("--won", help="Only won deals.")] = False,
    lost: Annotated[bool, typer.Option("--lost", help="Only lost deals.")] = False,
    closing: Annotated[
        Optional[str],
        typer.Option("--closing", help="Closing in this period: closed then, or expected to (this-month, 2026-Q4, …).", show_default=False),
    ] = None,
    limit: LimitOption = None,
    fmt: FormatOption = None,
    wide: WideOption = False,
) -> None:
    """List deals: open ones first, soonest expected close first; then closed ones, latest first."""
    kinds = [kind for kind, wanted in (("open", open_), ("won", won), ("lost", lost)) if wanted]
    if len(kinds) > 1:
        raise UsageError("give one of --open, --won and --lost")
    period = parse.parse_period(closing) if closing is not None else None
    conn = session.connection()
    where = deals.Filter(
        stage_id=refs.stage(conn, stage)["id"] if stage else None,
        owner_id=refs.rep(conn, owner)["id"] if owner else None,
        customer_id=refs.customer(conn, customer)["id"] if customer else None,
        kind=kinds[0] if kinds else None,
        closing=period,
    )
    columns = COLUMNS if output.for_programs(fmt) else SCREEN_COLUMNS
    total = None
    if output.choose_format(fmt) == "table":  # the first rows, and how many there are in all
        limit = limit or output.TABLE_ROWS
        total = deals.count(conn, where)
    rows = output.Records(*deals.listing(conn, where, limit=limit), simple=True)
    output.render(rows, columns, fmt=fmt, wide=wide, limit=limit, total=total, empty="No deals.")


@app.command("show")
def show(deal_id: IdArgument, fmt: FormatOption = None, wide: WideOption = False) -> None:
    """Show a deal: its fields, weighted value and margin, stage history, payments and activities."""
    conn = session.connection()
    deal = deals.card(conn, refs.deal(conn, deal_id)["id"])
    output.render_card(
        deal,
        CARD,
        fmt=fmt,
        wide=wide,
        title=f"Deal {deal['id']}: {deal['title']}",
        sections=[
            ("history", "Stage history", deal["history"], HISTORY),
            ("payments", "Payments", deal["payments"], PAYMENTS),
            ("activities", "Activities", deal["activities"], ACTIVITIES),
        ],
    )


@app.command("edit")
def edit(
    deal_id: IdArgument,
    title: Annotated[Optional[str], typer.Option("--title", help="New title.", show_default=False)] = None,
    amount: AmountOption = None,
    close: Annotated[
        Optional[str], typer.Option("--close", help="Expected close date ('' clears it).", show_default=False)
    ] = None,
    owner: Annotated[Optional[str], typer.Option("--owner", help="Rep handle ('' clears it).", show_default=False)] = None,
    product: Annotated[
        Optional[str], typer.Option("--product", help="Product sku ('' clears it).", show_default=False)
    ] = None,
    quantity: QuantityOption = None,
    cost: Annotated[
        Optional[str],
        typer.Option("--cost", help="Total cost ('' clears it; default with a new product or quantity: product cost × quantity).", show_default=False),
    ] = None,
    source: Annotated[Optional[str], typer.Option("--source", help="Channel ('' clears it).", show_default=False)] = None,
    customer: Annotated[
        Optional[str], typer.Option("--customer", "-c", help="Move it (and its activities) to another customer.", show_default=False)
    ] = None,
) -> None:
    """Change a deal's details. The stage changes with 'deal move', 'deal win' and 'deal lose',
    so that its stage history stays true."""
    changes: dict[str, object] = {}
    expected = ahead(close) if close is not None and close.strip() else None
    if title is not None:
        changes["title"] = title
    if amount is not None:
        changes["amount"] = parse.parse_money(amount, what="amount")
    if close is not None:
        changes["expected_close"] = expected
    if quantity is not None:
        changes["quantity"] = _quantity(quantity)
    if cost is not None:
        changes["cost"] = parse.parse_money(cost, what="cost") if cost.strip() else None
    if source is not None:
        changes["source"] = source.strip() or None
    with session.write() as conn:
        deal = refs.deal(conn, deal_id)
        if owner is not None:
            changes["owner"] = refs.rep(conn, owner) if owner.strip() else None
        if product is not None:
            changes["product"] = refs.product(conn, product) if product.strip() else None
        if customer is not None:
            changes["customer"] = refs.customer(conn, customer)
        deals.edit(conn, deal, changes)
    output.done(unless_unchanged(f"Updated deal {deal['id']}", f"Deal {deal['id']}") if changes else "Nothing to change.")
    warn_if_past(expected, "expected close")


@app.command("delete")
def delete(deal_id: IdArgument, yes: YesOption = False) -> None:
    """Delete a deal with its stage history and payments (asks first). Its activities stay
    with the customer, no longer tied to the deal."""
    conn = session.connection()
    deal = refs.deal(conn, deal_id)
    counts = deals.dependents(conn, deal["id"])
    along = ""
    if counts["payments"]:
        along = f" and its {plural(counts['payments'], 'payment')} of {output.display_value(counts['paid'], 'money')}"
    confirm(f"Delete deal {deal['id']} '{deal['title']}'{along}?", yes=yes)
    with session.write() as conn:
        now = refs.as_now(conn, "deal", deal["id"]), deals.dependents(conn, deal["id"])
        still_as_shown(f"deal {deal['id']} '{deal['title']}'", (dict(deal), counts), now)
        deals.delete(conn, deal["id"])
    detached = f"; {plural(counts['activities'], 'activity')} kept without it" if counts["activities"] else ""
    output.done(f"Deleted deal {deal['id']} '{deal['title']}'{along}{detached}")


@app.command("move")
def move(
    deal_id: IdArgument,
    stage: Annotated[str, typer.Argument(help="The open stage it moves to.")],
    on: OnOption = None,
) -> None:
    """Move a deal to another open stage (a won or lost deal is reopened)."""
    day = happened_on(on)
    with session.write() as conn:
        deal = refs.deal(conn, deal_id)
        target = refs.stage(conn, stage)
        deals.move(conn, deal, target, day)
    output.done(f"Deal {deal['id']} is now in {target['name']} (since {day})")


@app.command("win")
def win(
    deal_id: IdArgument,
    on: OnOption = None,
    amount: Annotated[
        Optional[str], typer.Option("--amount", help="The final amount, if it changed.", show_default=False)
    ] = None,
    stage: Annotated[
        Optional[str], typer.Option("--stage", help="Which won stage, if there are several.", show_default=False)
    ] = None,
) -> None:
    """Mark a deal won. Warns when it takes the customer over its credit limit."""
    day = happened_on(on)
    final = _money(amount, "amount")
    with session.write() as conn:
        deal = refs.deal(conn, deal_id)
        outcome = deals.win(conn, deal, day, stage=refs.stage(conn, stage) if stage else None, amount=final)
    for warning in outcome.warnings:
        output.warn(warning)
    output.done(f"Won deal {deal['id']} '{deal['title']}' on {day}")
    _first_contact_note(outcome)


def _first_contact_note(outcome: deals.Outcome) -> None:
    if outcome.first_contact:
        ids = ", ".join(f"#{activity_id}" for activity_id in outcome.first_contact)
        output.message(f"A customer who has bought has been contacted: removed the open 'First contact' task {ids}.")


@app.command("lose")
def lose(
    deal_id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why it was lost: price, timing, competitor, …", show_default=False)],
    on: OnOption = None,
    stage: Annotated[
        Optional[str], typer.Option("--stage", help="Which lost stage, if there are several.", show_default=False)
    ] = None,
) -> None:
    """Mark a deal lost, with the reason (the 'lost' report groups by it)."""
    day = happened_on(on)
    with session.write() as conn:
        deal = refs.deal(conn, deal_id)
        deals.lose(conn, deal, day, reason, stage=refs.stage(conn, stage) if stage else None)
    output.done(f"Lost deal {deal['id']} '{deal['title']}' on {day}: {reason.strip()}")


@app.command("pay")
def pay(
    deal_id: IdArgument,
    amount: Annotated[str, typer.Argument(help="The amount received: 5000, 5k.")],
    on: Annotated[
        Optional[str], typer.Option("--on", help="When it was received (default: today).", show_default=False)
    ] = None,
) -> None:
    """Record a payment received on a won deal, and print what is still outstanding."""
    cents = parse.parse_money(amount, what="payment")
    day = happened_on(on)
    with session.write() as conn:
        deal = refs.deal(conn, deal_id)
        balance = deals.pay(conn, deal, cents, day)
    money = output.display_value
    output.done(
        f"Recorded {money(cents, 'money')} on deal {deal['id']}: "
        + (f"{money(balance, 'money')} outstanding" if balance else "fully paid")
    )
