"""`salescli activity log|plan|done|reschedule|list|delete`."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Annotated, Any, Optional

import typer

from salescli import output, parse, recurrence, session
from salescli.commands.common import (
    App,
    FormatOption,
    FromOption,
    LimitOption,
    PeriodOption,
    ToOption,
    WideOption,
    YesOption,
    ahead,
    confirm,
    happened_on,
    still_as_shown,
    warn_if_past,
)
from salescli.errors import UsageError
from salescli.output import Column
from salescli.store import activities, customers, refs

app = App(help="Activities: log calls and visits, plan follow-ups (also recurring ones), tick them off.")


def _due_tone(row: Mapping[str, Any]) -> str | None:
    """An open follow-up's due date: bad when overdue, a warning when due today."""
    if row["done_at"] or not row["due"]:
        return None
    due, today = str(row["due"]), parse.today().isoformat()
    return "bad" if due < today else "warn" if due == today else None


COLUMNS = [
    Column("id", priority=1),
    Column("customer", priority=1),
    Column("deal", priority=3),
    Column("type"),
    Column("summary", priority=1),
    Column("owner"),
    Column("due", kind="date", priority=1, tone=_due_tone),
    Column("done_at", "done", kind="date"),
    Column("score", kind="int", priority=3),
    Column("recurrence", "repeats", priority=3),
    Column("created_at", "created", priority=3),
]



CustomerArgument = Annotated[str, typer.Argument(help="The customer: id, name, or the start of a unique name.")]
IdArgument = Annotated[str, typer.Argument(help="The activity's id.", show_default=False)]
TypeHelp = "call, email, meeting, visit, note or task (a unique prefix will do)."
DealOption = Annotated[
    Optional[str], typer.Option("--deal", help="The deal (id) it is about; must be the customer's.", show_default=False)
]
AssignOption = Annotated[
    Optional[str], typer.Option("--owner", help="The rep (handle); default: the customer's owner.", show_default=False)
]
ScoreOption = Annotated[
    Optional[str],
    typer.Option("--score", help="Customer satisfaction from 1 to 5 (after a visit or after-sales call).", show_default=False),
]
OnOption = Annotated[
    Optional[str],
    typer.Option("--on", help="The day it was done (default: today; 'Dec 5' is the last Dec 5).", show_default=False),
]


def _what(activity: sqlite3.Row) -> str:
    return f"{activity['type']}: {activity['summary']}" if activity["summary"] else activity["type"]


def _first_contact_note(closed: list[int]) -> None:
    if closed:
        ids = ", ".join(f"#{activity_id}" for activity_id in closed)
        output.message(
            f"This was the first contact: removed the open '{customers.FIRST_CONTACT}' task {ids} "
            "(the contact is the activity that counts)."
        )


@app.command("log")
def log(
    customer: CustomerArgument,
    kind: Annotated[str, typer.Option("--type", "-t", help=TypeHelp, show_default=False)],
    summary: Annotated[Optional[str], typer.Option("--summary", "-s", help="What happened.", show_default=False)] = None,
    deal: DealOption = None,
    on: OnOption = None,
    score: ScoreOption = None,
    owner: AssignOption = None,
    next_step: Annotated[
        Optional[str], typer.Option("--next", help="The next step to plan (with --due).", show_default=False)
    ] = None,
    due: Annotated[Optional[str], typer.Option("--due", help="When the next step is due (with --next).", show_default=False)] = None,
) -> None:
    """Log an activity that happened; plan the next step in the same go with --next and --due.

    A call, email, meeting or visit answers the customer's open 'First contact' task, which goes.
    """
    kind = activities.parse_type(kind)
    done_on = happened_on(on)
    if (next_step is None) != (due is None):
        raise UsageError("--next and --due go together: say what the next step is and when it is due")
    follow_up = (next_step, ahead(due)) if next_step is not None and due is not None else None
    rating = activities.parse_score(score)
    with session.write() as conn:
        record = refs.customer(conn, customer)
        result = activities.log(
            conn,
            record,
            kind,
            done_on=done_on,
            summary=(summary or "").strip() or None,
            deal=refs.deal(conn, deal) if deal else None,
            owner=refs.optional_rep(conn, owner),
            score=rating,
            follow_up=follow_up,
        )
    output.created("activity", result["id"], f"{kind} with {record['name']} on {done_on}")
    if follow_up is not None:
        output.created("activity", result["next_id"], f"next step '{follow_up[0]}' due {follow_up[1]}")
        warn_if_past(follow_up[1], "the next step's due date")
    _first_contact_note(result["first_contact"])


@app.command("plan")
def plan(
    customer: CustomerArgument,
    summary: Annotated[str, typer.Argument(help="What is to be done.")],
    due: Annotated[str, typer.Option("--due", help="When it is due: 2026-12-01, fri, +3d, eom, 'Jan 5' (the next one), …", show_default=False)],
    kind: Annotated[str, typer.Option("--type", "-t", help=TypeHelp)] = "task",
    deal: DealOption = None,
    owner: AssignOption = None,
    every: Annotated[
        Optional[str],
        typer.Option(
            "--every",
            help="Repeat: week, 2 weeks, month, quarter, year, N days, weekday, monday, 'mon, thu', …",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Plan a follow-up; with --every it repeats (completing one plans the next)."""
    due_date = ahead(due)
    kind = activities.parse_type(kind)
    rule = parse.parse_recurrence(every, start=due_date) if every is not None else None
    with session.write() as conn:
        record = refs.customer(conn, customer)
        activity_id = activities.plan(
            conn,
            record,
            summary,
            due=due_date,
            kind=kind,
            deal=refs.deal(conn, deal) if deal else None,
            owner=refs.optional_rep(conn, owner),
            rule=rule,
        )
    repeats = f", {recurrence.describe(rule)}" if rule else ""
    output.created("activity", activity_id, f"{kind} for {record['name']} due {due_date}{repeats}")
    warn_if_past(due_date, "due date")


@app.command("done")
def done(
    activity_id: IdArgument,
    on: OnOption = None,
    note: Annotated[Optional[str], typer.Option("--note", "-n", help="How it went (kept with the activity).", show_default=False)] = None,
    score: ScoreOption = None,
) -> None:
    """Mark a planned activity done; a recurring one plans its next occurrence."""
    done_on = happened_on(on)
    rating = activities.parse_score(score)
    with session.write() as conn:
        activity = refs.activity(conn, activity_id)
        result = activities.done(conn, activity, on=done_on, note=(note or "").strip() or None, score=rating)
    output.done(f"Done activity #{activity['id']} ({_what(activity)}) on {done_on}")
    if result["next"]:
        upcoming = result["next"]
        output.done(f"Next: activity #{upcoming['id']} due {upcoming['due']} ({upcoming['every']})")
    if result["ended"]:
        output.done(f"No next occurrence: {result['ended']}")
    _first_contact_note(result["first_contact"])


@app.command("reschedule")
def reschedule(
    activity_id: IdArgument,
    due: Annotated[str, typer.Argument(help="The new due date: 2026-12-01, fri, +1w, …", show_default=False)],
) -> None:
    """Move an open activity to another day (a recurring series continues from there)."""
    due_date = ahead(due)
    with session.write() as conn:
        activity = refs.activity(conn, activity_id)
        activities.reschedule(conn, activity, due_date)
    output.done(f"Rescheduled activity #{activity['id']} from {activity['due']} to {due_date}")
    warn_if_past(due_date, "due date")


@app.command("list")
def list_(
    customer: Annotated[Optional[str], typer.Option("--customer", "-c", help="Only this customer's.", show_default=False)] = None,
    deal: Annotated[Optional[str], typer.Option("--deal", help="Only this deal's (id).", show_default=False)] = None,
    owner: Annotated[Optional[str], typer.Option("--owner", help="Only this rep's (handle).", show_default=False)] = None,
    open_: Annotated[bool, typer.Option("--open", help="Only planned ones not done yet.")] = False,
    done_: Annotated[bool, typer.Option("--done", help="Only done ones.")] = False,
    kind: Annotated[Optional[str], typer.Option("--type", "-t", help="Only this type.", show_default=False)] = None,
    period: PeriodOption = None,
    start: FromOption = None,
    end: ToOption = None,
    limit: LimitOption = None,
    fmt: FormatOption = None,
    wide: WideOption = False,
) -> None:
    """List activities: open ones by due date, then done ones, most recent first.

    A period selects by the day an activity was done, or for an open one the day it is due.
    """
    if open_ and done_:
        raise UsageError("--open and --done exclude each other: give one, or neither for both")
    span = parse.period_option(period, start, end)
    kind = activities.parse_type(kind) if kind else None
    fmt = output.choose_format(fmt)
    conn = session.connection()
    where = dict(
        customer_id=refs.customer(conn, customer)["id"] if customer else None,
        deal_id=refs.deal(conn, deal)["id"] if deal else None,
        owner_id=refs.rep(conn, owner)["id"] if owner else None,
        state="open" if open_ else "done" if done_ else None,
        kind=kind,
        period=span,
    )
    total = None
    if fmt == "table":  # the first rows, and how many there are in all
        limit = limit or output.TABLE_ROWS
        total = activities.count(conn, **where)
    rows = activities.listing(conn, **where, limit=limit)
    output.render(rows, COLUMNS, fmt=fmt, wide=wide, limit=limit, total=total, empty="No activities.")


@app.command("delete")
def delete(activity_id: IdArgument, yes: YesOption = False) -> None:
    """Delete an activity (deleting the open one of a recurring series ends the series)."""
    activity = refs.activity(session.connection(), activity_id)
    what = _what(activity)
    confirm(f"Delete activity #{activity['id']} ({what})?", yes=yes)
    with session.write() as conn:
        still_as_shown(f"activity #{activity['id']} ({what})", dict(activity), refs.as_now(conn, "activity", activity["id"]))
        activities.delete(conn, activity["id"])
    output.done(f"Deleted activity #{activity['id']} ({what})")
