"""`salescli dashboard`: the headline reports as one self-contained HTML page."""

from __future__ import annotations

import datetime as dt
import sys
from collections import deque
from pathlib import Path
from typing import Annotated

import typer

from salescli import output, parse, session, store
from salescli.commands import report_analysis, report_daily, report_trend
from salescli.commands.common import App
from salescli.reports import analysis, daily
from salescli.reports import trend as trends
from salescli.store import analysis as queries
from salescli.store import reporting

TREND_MONTHS = 12
DUE_DAYS = 7


def build(today: dt.date) -> str:
    """The dashboard page of the open database, as of ``today``."""
    from salescli import dashboard as board

    conn = session.connection()
    currency = store.setting(conn, "currency")
    month, quarter = parse.containing("month", today), parse.containing("quarter", today)

    chosen, actuals = reporting.targets(conn, today, None, None)
    targets = [row for row in daily.targets(chosen, actuals, today).rows if row["period"] in (month.label, quarter.label)]

    funnel = daily.funnel(*reporting.funnel(conn, None, None))

    due = list(report_daily.due_rows(conn, today, today + dt.timedelta(days=DUE_DAYS), None))

    reps, _ = analysis.reps(queries.rep_figures(conn, month, None), every_rep=False)

    shown = trends.months(today, TREND_MONTHS)
    window = trends.window(today, TREND_MONTHS)
    start, end = window.start.isoformat(), window.end.isoformat()
    actuals = reporting.target_actuals(conn, start, end, None, per_owner=False)
    trend = trends.trend(shown, *actuals, reporting.lost_deals(conn, start, end, None))

    receivables = analysis.Receivables(*queries.receivable_balances(conn, analysis.age_limits(today)))
    deque(receivables.rows(), maxlen=0)  # the ageing totals add up the balances gone past
    ageing = receivables.summary

    sections = [
        board.Section("targets", f"Targets for {month.label} and {quarter.label}", targets, report_daily.TARGETS,
                      board.targets_chart(targets), row_class="status",
                      empty="No targets for this month or quarter: salescli target set METRIC VALUE --period this-month"),
        board.Section("funnel", "Funnel of all deals: how far they got", board.with_drop(funnel.rows), FUNNEL_COLUMNS,
                      board.funnel_chart(funnel.rows), empty="No deals yet."),
        board.Section("due", f"Follow-ups due by {today + dt.timedelta(days=DUE_DAYS)}", due, report_daily.DUE,
                      row_class="bucket", empty="Nothing due, and every new customer has been contacted."),
        board.Section("reps", f"Reps in {month.label}", reps, report_analysis.REPS, board.reps_chart(reps, currency),
                      empty="No active reps."),
        board.Section("trend", f"The last {TREND_MONTHS} months against a year earlier", trend.rows, report_trend.TREND,
                      board.trend_chart(trend.rows, currency)),
        board.Section("receivables", "Receivables by age", [ageing], AGEING_COLUMNS,
                      board.ageing_chart(ageing, report_analysis.RECEIVABLES, currency)),
    ]
    return board.page(f"Sales dashboard — {today.isoformat()}", sections, footer=f"salescli · {session.short_name()} · {parse.timestamp()}")


FUNNEL_COLUMNS = [*report_daily.FUNNEL[:5], output.Column("drop", "drop-off", kind="ratio"), *report_daily.FUNNEL[5:]]
AGEING_COLUMNS = [c for c in report_analysis.RECEIVABLES_SUMMARY if c.key != "customers"]


def dashboard(
    output_file: Annotated[
        Path, typer.Option("--output", "-o", help="The HTML file to write ('-': standard output).")
    ] = Path("sales-dashboard.html"),
) -> None:
    """Write the dashboard: this month's and quarter's targets with pace, the funnel, follow-ups due, the reps, the 12-month trend and receivables ageing, as one HTML file that opens offline on a laptop or a phone.
    """
    html = build(parse.today())
    if str(output_file) == "-":
        sys.stdout.write(html)
        return
    from salescli import files
    from salescli.store import backup as backups

    with files.writing(output_file, database=backups.database_file(session.connection()), what="the dashboard") as out:
        out.write(html)
    output.message(f"Wrote the dashboard to {output_file}")


def register(app: App) -> None:
    app.command("dashboard")(dashboard)
