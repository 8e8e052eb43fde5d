"""`salescli report …`: the daily reports and the analysis reports."""

from __future__ import annotations

from salescli.commands.common import App
from salescli.commands.lazy import LazyGroup


class ReportGroup(LazyGroup):
    """The reports, each built only when it runs."""

    path = ("report",)
    modules = {
        **dict.fromkeys(("funnel", "targets", "due", "forecast", "stale"), "report_daily"),
        **dict.fromkeys(("reps", "customers", "sources", "products", "lost", "receivables"), "report_analysis"),
        "trend": "report_trend",
    }


app = App(cls=ReportGroup, help="Reports: funnel, targets, due follow-ups, forecast, stale deals, and analysis.")
