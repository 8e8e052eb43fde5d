"""`salescli target set|list|delete`."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Optional

import typer

from salescli import output, parse, session
from salescli.commands.common import App, FormatOption, LimitOption, PeriodOption, WideOption
from salescli.output import Column
from salescli.store import refs, targets

app = App(help="Targets: revenue, won deals, margin, units, new customers, activities, satisfaction per period.")

COLUMNS = [
    Column("metric"),
    Column("period"),
    Column("start", kind="date"),
    Column("end", kind="date"),
    Column("rep"),
    Column("value", kind_key="unit"),
]

MetricArgument = Annotated[str, typer.Argument(help=f"One of {', '.join(targets.METRICS)}.", show_default=False)]
RequiredPeriod = Annotated[
    str, typer.Option("--period", "-p", help="2026, 2026-Q4, 2026-11, 2026-W48, this-month, …", show_default=False)
]
RepOption = Annotated[Optional[str], typer.Option("--rep", help="The rep (handle); default: the team.", show_default=False)]


def _who(rep: sqlite3.Row | None) -> str:
    return f"rep {rep['handle']}" if rep is not None else "the team"


def _shown(metric: str, value: int) -> str:
    kind = targets.OUTPUT_KINDS[targets.METRICS[metric]]
    return output.display_value(targets.display_value(metric, value), kind)


@app.command("set")
def set_(
    metric: MetricArgument,
    value: Annotated[str, typer.Argument(help="Money (120k, 12万), a count (40) or a percentage (80 or 80%).", show_default=False)],
    period: RequiredPeriod,
    rep: RepOption = None,
    split: Annotated[
        Optional[str],
        typer.Option(
            "--split",
            help="Also set it for each of the quarters, months or weeks in the period, divided evenly "
            "(the remainder on the last ones; a rate is repeated, not divided).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Set a target (setting one that exists updates it)."""
    metric = targets.parse_metric(metric)
    amount = targets.parse_value(metric, value)
    span = parse.parse_period(period)
    split = parse.parse_choice(split, targets.SPLITS, what="split") if split else None
    with session.write() as conn:
        person = refs.optional_rep(conn, rep)
        result = targets.set_target(
            conn, metric, span, amount, rep_id=person["id"] if person is not None else None, split=split
        )
    who = _who(person)
    if result["previous"] is None:
        output.done(f"Set {metric} target for {span.label} ({who}): {_shown(metric, amount)}")
    else:
        output.done(
            f"Updated {metric} target for {span.label} ({who}): {_shown(metric, amount)} "
            f"(was {_shown(metric, result['previous'])})"
        )
    parts = result["parts"]
    if parts:
        values = [share for _, share in parts]
        amounts = ", ".join(f"{values.count(v)} × {_shown(metric, v)}" for v in dict.fromkeys(values))
        updated = f"; {result['parts_updated']} of them updated" if result["parts_updated"] else ""
        output.done(f"  and the {split} {parts[0][0].label} to {parts[-1][0].label}: {amounts}{updated}")


@app.command("list")
def list_(
    period: PeriodOption = None,
    rep: Annotated[Optional[str], typer.Option("--rep", help="Only this rep's targets (handle).", show_default=False)] = None,
    limit: LimitOption = None,
    fmt: FormatOption = None,
    wide: WideOption = False,
) -> None:
    """List targets (with --period: those whose period overlaps it)."""
    span = parse.parse_period(period) if period else None
    conn = session.connection()
    rows = targets.listing(conn, period=span, rep_id=refs.rep(conn, rep)["id"] if rep else None)
    output.render(
        rows,
        COLUMNS,
        fmt=fmt,
        wide=wide,
        limit=limit,
        empty="No targets: set one with 'salescli target set METRIC VALUE --period P'.",
    )


@app.command("delete")
def delete(metric: MetricArgument, period: RequiredPeriod, rep: RepOption = None) -> None:
    """Delete one target (the team's, or a rep's with --rep)."""
    metric = targets.parse_metric(metric)
    span = parse.parse_period(period)
    with session.write() as conn:
        person = refs.optional_rep(conn, rep)
        value = targets.delete(conn, metric, span, person)
    output.done(f"Deleted {metric} target for {span.label} ({_who(person)}): {_shown(metric, value)}")
