"""`salescli report trend`: revenue, deals won, new customers, activities and win rate,
month by month, against the same month a year earlier."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from salescli import output, parse, session
from salescli.commands.common import App, FormatOption, WideOption
from salescli.output import Column
from salescli.reports import trend as reports
from salescli.store import refs, reporting


# People see each figure and its change; programs get the year-ago figures too.
_FIGURES = (
    ("revenue", "revenue", "money"),
    ("deals_won", "won", "int"),
    ("new_customers", "new cust.", "int"),
    ("activities", "activities", "int"),
    ("win_rate", "win rate", "ratio"),
)
TREND = [Column("month", priority=1)]
TREND_FULL = [Column("month")]
for key, header, kind in _FIGURES:
    change = Column(f"{key}_change", "± pts" if kind == "ratio" else "±", kind="points" if kind == "ratio" else "change")
    shown = Column(key, header, kind=kind, bar=key == "revenue", priority=1 if key == "revenue" else 2)
    TREND += [shown, Column(change.key, change.header, kind=change.kind, priority=2 if key == "revenue" else 3)]
    TREND_FULL += [Column(key, kind=kind), Column(f"{key}_year_ago", kind=kind), change]
TREND_SUMMARY = [
    *(Column(key, header, kind=kind) for key, header, kind in _FIGURES[:4]),
    *(Column(f"{key}_year_ago", f"{header} a year earlier", kind=kind) for key, header, kind in _FIGURES[:4]),
    Column("revenue_change", "revenue ±", kind="change"),
]


def trend(
    months: Annotated[str, typer.Option("--months", metavar="N", help="How many months, ending with this one.")] = "12",
    owner: Annotated[
        Optional[str], typer.Option("--owner", "--rep", help="Only this rep's (handle).", show_default=False)
    ] = None,
    fmt: FormatOption = None,
    wide: WideOption = False,
) -> None:
    """Month by month: revenue won, deals won, new customers, activities and win rate, each with the change from the same month a year earlier.

    Counted as `report targets` counts them: revenue and deals by the day a deal was won; win rate = won ÷ (won + lost) of the deals closed that month. ± is the change against a year earlier (in percentage points for the win rate).
    """
    count = parse.parse_count(months, what="--months", minimum=1, maximum=parse.MAX_MONTHS)
    today = parse.today()
    shown = reports.months(today, count)
    span = reports.window(today, count)
    conn = session.connection()
    owner_id = refs.optional_rep_id(conn, owner)
    start, end = span.start.isoformat(), span.end.isoformat()
    won, customers, activities = reporting.target_actuals(conn, start, end, owner_id, per_owner=False)
    report = reports.trend(shown, won, customers, activities, reporting.lost_deals(conn, start, end, owner_id))
    output.render(
        report.rows,
        TREND_FULL if output.for_programs(fmt) else TREND,
        fmt=fmt,
        wide=wide,
        title=f"Trend of the last {count} months ({report.period.label})" + (f", {owner.strip().lower()}'s" if owner else ""),
        report="trend",
        period=report.period,
        summary=report.summary,
        summary_columns=TREND_SUMMARY,
    )


def register(app: App) -> None:
    app.command("trend")(trend)
