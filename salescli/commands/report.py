"""`salescli report …`: the daily reports and the analysis reports."""

from __future__ import annotations

from salescli.commands import report_analysis, report_daily, report_trend
from salescli.commands.common import App

app = App(help="Reports: funnel, targets, due follow-ups, forecast, stale deals, and analysis.")

report_daily.register(app)
report_analysis.register(app)
report_trend.register(app)
