"""`salescli rep add|list|show|edit|deactivate|activate`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from salescli import output, parse, session
from salescli.commands.common import App, FormatOption, WideOption, unless_unchanged
from salescli.errors import Invalid
from salescli.grammar import plural
from salescli.output import Column
from salescli.store import refs, reps

app = App(help="Sales reps: who owns customers, deals and follow-ups.")

COLUMNS = [
    Column("handle", priority=1),
    Column("name", priority=1),
    Column("email"),
    Column("active", kind="bool", priority=3),
    Column("commission_rate", "commission", kind="ratio", priority=3),
    Column("regions", kind="list", priority=3),
    Column("industries", kind="list", priority=3),
    Column("customers", kind="int"),
    Column("open_deals", kind="int"),
]

RegionOption = Annotated[
    Optional[list[str]], typer.Option("--region", help="A region this rep covers (repeatable).", show_default=False)
]
IndustryOption = Annotated[
    Optional[list[str]], typer.Option("--industry", help="An industry this rep covers (repeatable).", show_default=False)
]
RateOption = Annotated[
    Optional[str], typer.Option("--commission-rate", help="Share of won revenue paid as commission, in percent: 5 or 5% (0.5 is half a percent).", show_default=False)
]


@app.command("add")
def add(
    handle: Annotated[str, typer.Argument(help="Short lowercase handle, e.g. alice.")],
    name: Annotated[Optional[str], typer.Option(help="Full name.", show_default=False)] = None,
    email: Annotated[Optional[str], typer.Option(help="E-mail address.", show_default=False)] = None,
    commission_rate: RateOption = None,
    region: RegionOption = None,
    industry: IndustryOption = None,
) -> None:
    """Add a sales rep."""
    rate = parse.parse_rate(commission_rate, what="commission rate") if commission_rate else 0.0
    with session.write() as conn:
        rep_id = reps.add(
            conn, handle, name=name, email=email, commission_rate=rate,
            regions=parse.list_items(region or []), industries=parse.list_items(industry or []),
        )
    output.created("rep", rep_id, handle.strip().lower())


@app.command("list")
def list_(
    fmt: FormatOption = None,
    wide: WideOption = False,
    active: Annotated[bool, typer.Option("--active", help="Only active reps.")] = False,
) -> None:
    """List the reps with their customers and open deals."""
    rows = reps.listing(session.connection(), include_inactive=not active)
    output.render(rows, COLUMNS, fmt=fmt, wide=wide, empty="No reps yet: add one with 'salescli rep add HANDLE'.")


@app.command("show")
def show(handle: str, fmt: FormatOption = None, wide: WideOption = False) -> None:
    """Show one rep."""
    conn = session.connection()
    output.render_card(reps.get(conn, refs.rep(conn, handle)["id"]), COLUMNS, fmt=fmt, wide=wide, title=handle)


@app.command("edit")
def edit(
    handle: str,
    new_handle: Annotated[Optional[str], typer.Option("--handle", help="Rename the handle.", show_default=False)] = None,
    name: Annotated[Optional[str], typer.Option(show_default=False)] = None,
    email: Annotated[Optional[str], typer.Option(show_default=False)] = None,
    commission_rate: RateOption = None,
    region: Annotated[
        Optional[list[str]], typer.Option("--region", help="Replace the regions (repeatable).", show_default=False)
    ] = None,
    industry: Annotated[
        Optional[list[str]], typer.Option("--industry", help="Replace the industries (repeatable).", show_default=False)
    ] = None,
) -> None:
    """Change a rep's details."""
    changes: dict[str, object] = {}
    if new_handle is not None:
        changes["handle"] = new_handle
    if name is not None:
        changes["name"] = name
    if email is not None:
        changes["email"] = email
    if commission_rate is not None:
        changes["commission_rate"] = parse.parse_rate(commission_rate, what="commission rate")
    if region is not None:
        changes["regions"] = parse.list_items(region)
    if industry is not None:
        changes["industries"] = parse.list_items(industry)
    with session.write() as conn:
        rep_id = refs.rep(conn, handle)["id"]
        reps.edit(conn, rep_id, changes)
    shown = new_handle or handle
    output.done(unless_unchanged(f"Updated rep {shown}", f"Rep {shown}") if changes else "Nothing to change.")


@app.command("deactivate")
def deactivate(
    handle: str,
    reassign_to: Annotated[
        Optional[str],
        typer.Option("--reassign-to", help="Hand their customers, open deals and follow-ups to this rep.", show_default=False),
    ] = None,
) -> None:
    """Mark a rep inactive (history stays theirs); optionally hand their work to another rep."""
    with session.write() as conn:
        rep = refs.rep(conn, handle)
        other = refs.rep(conn, reassign_to) if reassign_to else None
        if other is not None and not other["active"]:
            raise Invalid(f"rep '{other['handle']}' is inactive: reassign to an active rep")
        moved = reps.deactivate(conn, rep["id"], other["id"] if other is not None else None)
    detail = (
        f"; {plural(moved['customers'], 'customer')}, {plural(moved['deals'], 'open deal')} and "
        f"{plural(moved['activities'], 'open follow-up')} moved to {other['handle']}"
        if other is not None
        else ""
    )
    output.done(f"Deactivated rep {rep['handle']}{detail}")


@app.command("activate")
def activate(handle: str) -> None:
    """Mark a rep active again."""
    with session.write() as conn:
        reps.edit(conn, refs.rep(conn, handle)["id"], {"active": True})
    output.done(f"Activated rep {handle}" if session.changed() else f"Rep {handle} is already active: nothing changed")
