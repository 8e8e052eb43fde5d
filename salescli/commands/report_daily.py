"""The daily reports: funnel, targets, due, forecast, stale (SPEC §6)."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections.abc import Iterator
from typing import Annotated, Any, Optional

import typer

from salescli import output, parse, session, store
from salescli.commands.common import (
    App,
    FormatOption,
    FromOption,
    LimitOption,
    PeriodOption,
    QuietOption,
    ToOption,
    WideOption,
)
from salescli.errors import WORK_FOUND
from salescli.grammar import plural
from salescli.output import Column
from salescli.reports import daily
from salescli.store import refs, reporting

OwnerOption = Annotated[
    Optional[str], typer.Option("--owner", "--rep", help="Only this rep's (handle).", show_default=False)
]
RepOption = Annotated[
    Optional[str], typer.Option("--rep", "--owner", help="Only this rep's targets (handle).", show_default=False)
]

FUNNEL = [
    Column("stage", priority=1),
    Column("probability", kind="ratio", priority=3),
    Column("reached", kind="int", bar=True, priority=1),
    Column("reached_value", "reached value", kind="money"),
    Column("conversion", kind="ratio", priority=1),
    Column("lost", kind="int"),
    Column("open", kind="int"),
    Column("open_value", "open value", kind="money"),
    Column("avg_days_in_stage", "avg days in stage", kind="number", priority=3),
]
FUNNEL_SUMMARY = [
    Column("deals", kind="int"),
    Column("won", kind="int"),
    Column("won_value", "won value", kind="money"),
    Column("lost", kind="int"),
    Column("lost_value", "lost value", kind="money"),
    Column("win_rate", "win rate", kind="ratio"),
    Column("avg_won_value", "avg won value", kind="money"),
    Column("avg_cycle_days", "avg cycle days", kind="number"),
    Column("open_value", "open value", kind="money"),
    Column("weighted_value", "weighted value", kind="money"),
]
TARGETS = [
    Column("metric", priority=1),
    Column("period"),
    Column("rep", missing="(team)", priority=1),
    Column("target", kind_key="unit", priority=1),
    Column("actual", kind_key="unit", priority=1),
    Column("progress", kind="ratio", bar=True, mark="expected_progress", priority=1),
    Column("elapsed", kind="ratio", priority=3),
    Column("expected", kind_key="unit", priority=3),
    Column("projected", kind_key="unit"),
    Column("remaining", kind_key="unit"),
    Column("per_day_needed", "per day needed", kind_key="unit", priority=3),
    Column("status", priority=1, tone=output.tones("status", behind="bad", missed="bad", ahead="good", met="good")),
]
TARGETS_SUMMARY = [Column(key, kind="int") for key in ("targets", "met", "ahead", "behind", "missed", "not_started")]
DUE = [
    Column("bucket", priority=1, tone=output.tones("bucket", overdue="bad", today="warn")),
    Column("id", kind="id"),
    Column("due", kind="date", priority=1),
    Column("days", kind="int", priority=3),
    Column("customer", priority=1),
    Column("deal", kind="id", priority=3),
    Column("type", priority=3),
    Column("summary", priority=1),
    Column("owner"),
]
DUE_SUMMARY = [Column(key, kind="int") for key in ("overdue", "today", "upcoming", "uncontacted")]
FORECAST = [
    Column("month", priority=1),
    Column("deals", kind="int"),
    Column("amount", kind="money", priority=1),
    Column("weighted", kind="money", bar=True, priority=1),
    Column("won", kind="money"),
]
FORECAST_SUMMARY = [Column("deals", kind="int"), Column("amount", kind="money"), Column("weighted", kind="money"), Column("won", kind="money")]
STALE = [
    Column("id", kind="id", priority=1),
    Column("title", priority=1),
    Column("customer"),
    Column("stage"),
    Column("amount", kind="money", priority=1),
    Column("owner"),
    Column("last_activity", "last activity", kind="date", priority=3),
    Column("days_idle", "days idle", kind="int", priority=1),
]
STALE_SUMMARY = [Column("deals", kind="int"), Column("amount", kind="money")]


def _title(text: str, owner: str | None) -> str:
    return f"{text}, {owner.strip().lower()}'s" if owner else text


def funnel(
    period: PeriodOption = None,
    start: FromOption = None,
    end: ToOption = None,
    owner: OwnerOption = None,
    fmt: FormatOption = None,
    wide: WideOption = False,
) -> None:
    """Where is my pipeline: how many deals reached each stage, and where they drop.

    The deals created in the period (default: all time). Reaching a stage means getting that far or further.
    """
    span = parse.period_option(period, start, end)
    conn = session.connection()
    owner_id = refs.optional_rep_id(conn, owner)
    report = daily.funnel(*reporting.funnel(conn, span, owner_id))
    output.render(
        report.rows,
        FUNNEL,
        fmt=fmt,
        wide=wide,
        title=_title(f"Funnel of deals created {f'in {span.label}' if span else 'at any time'}", owner),
        report="funnel",
        period=span,
        summary=report.summary,
        summary_columns=FUNNEL_SUMMARY,
    )


def targets(
    period: PeriodOption = None,
    start: FromOption = None,
    end: ToOption = None,
    rep: RepOption = None,
    fmt: FormatOption = None,
    quiet_if_empty: QuietOption = False,
    wide: WideOption = False,
    limit: LimitOption = None,
) -> None:
    """Are we on target: each target's actual, pace, projection and status.

    Default: the targets running today; with --period, those overlapping it. The progress bar marks where today's pace puts you.
    """
    today = parse.today()
    span = parse.period_option(period, start, end)
    conn = session.connection()
    chosen, actuals = reporting.targets(conn, today, span, refs.optional_rep_id(conn, rep))
    report = daily.targets(chosen, actuals, today)
    output.render(
        report.rows,
        TARGETS,
        fmt=fmt,
        quiet_if_empty=quiet_if_empty,
        wide=wide,
        limit=limit,
        title=_title(f"Targets {f'overlapping {span.label}' if span else f'running on {today}'}", rep),
        report="targets",
        period=span,
        summary=report.summary,
        summary_columns=TARGETS_SUMMARY,
        empty="No targets for that period: set one with 'salescli target set METRIC VALUE --period P'.",
    )


def due(
    days: Annotated[str, typer.Option("--days", metavar="N", help="Include follow-ups due up to N days ahead.")] = "7",
    owner: OwnerOption = None,
    quiet_if_empty: Annotated[
        bool, typer.Option("--quiet-if-empty", help="Print nothing at all when nothing is due (for cron).")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit with status 3 when anything is overdue or uncontacted (errors exit 1 or 2).")
    ] = False,
    fmt: FormatOption = None,
    wide: WideOption = False,
    limit: LimitOption = None,
) -> None:
    """Who must I call today: follow-ups overdue, due today and coming up, and new customers nobody has contacted.

    --check exits with status 3 when anything is overdue or uncontacted; --quiet-if-empty prints nothing when nothing is due.
    """
    ahead = parse.parse_count(days, what="--days", minimum=0, maximum=parse.MAX_DAYS)
    today = parse.today()
    until = today + dt.timedelta(days=ahead)
    conn = session.connection()
    owner_id = refs.optional_rep_id(conn, owner)
    rows = _due(conn, today, until, owner_id)
    tally = daily.Tally()
    counted = check or output.shows_summary(fmt)
    if counted:  # as the rows stream past (not for CSV/TSV: no summary)
        rows = tally.count(rows)
    output.render(
        output.Records(daily.DUE_KEYS, rows, simple=True, made=None if counted else lambda: _due_made(conn, today, until, owner_id)),
        DUE,
        fmt=fmt,
        wide=wide,
        limit=limit,
        title=_title(f"Follow-ups due by {until}", owner),
        report="due",
        summary=tally.buckets,
        summary_columns=DUE_SUMMARY,
        empty=f"Nothing due by {until}, and every new customer has been contacted.",
        quiet_if_empty=quiet_if_empty,
    )
    if check and tally.needs_action:
        raise typer.Exit(WORK_FOUND)


def due_rows(conn: sqlite3.Connection, today: dt.date, until: dt.date, owner_id: int | None) -> Iterator[dict[str, Any]]:
    """What `report due` lists, as dicts: what `remind` mails and the dashboard shows."""
    return (dict(zip(daily.DUE_KEYS, row)) for row in _due(conn, today, until, owner_id))


def _due(conn: sqlite3.Connection, today: dt.date, until: dt.date, owner_id: int | None) -> Iterator[tuple[Any, ...]]:
    """What `report due` lists, streamed (tuples of ``daily.DUE_KEYS``), read once asked for."""
    hours = store.number_setting(conn, "first_contact_hours")
    yield from daily.due(reporting.due_activities(conn, today, until, owner_id), _uncontacted(conn, today, owner_id, hours), today, hours)


def _uncontacted(conn: sqlite3.Connection, today: dt.date, owner_id: int | None, hours: int) -> Iterator[Any]:
    return reporting.uncontacted(conn, daily.uncontacted_cutoff(today, hours), owner_id)


def _due_made(conn: sqlite3.Connection, today: dt.date, until: dt.date, owner_id: int | None) -> Iterator[output.Made] | None:
    """What `report due` lists as text SQLite makes, a thousand follow-ups at a time (read
    again as rows where that text will not do), then the customers not contacted yet
    (rows); None where the store makes no such text."""
    follow_ups = reporting.due_activity_lines(conn, today, until, owner_id, kinds=[c.kind for c in DUE], risky=output.FORMULA_STARTS)
    if follow_ups is None:
        return None
    hours = store.number_setting(conn, "first_contact_hours")

    def batches() -> Iterator[output.Made]:
        for batch in follow_ups:
            rows = functools.partial(reporting.due_activities, conn, today, until, owner_id, after=batch.after, through=batch.through)
            yield output.Made(batch.text, batch.count, rows)
        yield output.Made(None, 0, lambda: daily.due((), _uncontacted(conn, today, owner_id, hours), today, hours))

    return batches()


def forecast(
    months: Annotated[str, typer.Option("--months", metavar="N", help="How many months to show, starting with this one.")] = "6",
    owner: OwnerOption = None,
    fmt: FormatOption = None,
    wide: WideOption = False,
) -> None:
    """Open deals by the month they are expected to close, and what was won this month.

    Rows: overdue (expected close is past), each month, later (after the months shown), undated (no expected close).
    """
    count = parse.parse_count(months, what="--months", minimum=1, maximum=parse.MAX_MONTHS)
    today = parse.today()
    conn = session.connection()
    report = daily.forecast(*reporting.forecast(conn, today, refs.optional_rep_id(conn, owner)), today, count)
    output.render(
        report.rows,
        FORECAST,
        fmt=fmt,
        wide=wide,
        title=_title(f"Forecast of open deals, {report.period.label}", owner),
        report="forecast",
        period=report.period,
        summary=report.summary,
        summary_columns=FORECAST_SUMMARY,
    )


def stale(
    days: Annotated[
        Optional[str],
        typer.Option("--days", metavar="N", help="Idle for N days or more (default: the stale_deal_days setting).", show_default=False),
    ] = None,
    owner: OwnerOption = None,
    fmt: FormatOption = None,
    quiet_if_empty: QuietOption = False,
    wide: WideOption = False,
    limit: LimitOption = None,
) -> None:
    """Open deals nobody has worked on for N days, most idle first.

    Work is an activity done on the deal, or on its customer without naming a deal, or a stage move.
    """
    idle = parse.parse_count(days, what="--days", minimum=0, maximum=parse.MAX_DAYS) if days is not None else None
    today = parse.today()
    conn = session.connection()
    if idle is None:
        idle = store.number_setting(conn, "stale_deal_days")
    keys, deals = reporting.stale(conn, today, daily.stale_since(today, idle), refs.optional_rep_id(conn, owner))
    report = daily.Stale(deals)
    output.render(
        output.Records(keys, report.rows(), simple=True),
        STALE,
        fmt=fmt,
        quiet_if_empty=quiet_if_empty,
        wide=wide,
        limit=limit,
        title=_title(f"Open deals idle for {plural(idle, 'day')} or more", owner),
        report="stale",
        summary=report.summary,
        summary_columns=STALE_SUMMARY,
        empty=f"No open deal has been idle for {plural(idle, 'day')} or more.",
    )


def register(app: App) -> None:
    """Attach these reports to the `report` group."""
    for command in (funnel, targets, due, forecast, stale):
        app.command(command.__name__)(command)
