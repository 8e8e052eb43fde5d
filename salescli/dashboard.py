"""The dashboard (``salescli dashboard``): one self-contained HTML page of the headline
reports — targets with pace, the funnel, follow-ups due, the reps, the 12-month trend and
receivables ageing — with charts drawn as SVG on the server by pygal (no JavaScript, no
network: the page reads the same offline, on a laptop or a phone).

Pure: reports in, HTML text out. Each section shows the report's own table (the output
layer's ``html_table``) under its chart, so every figure on the page is one that the
matching ``salescli report … -f json`` gives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from salescli import output
from salescli.output import Column

FONTS = "-apple-system, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', sans-serif"
CSS = f"""
body {{ font-family: {FONTS}; margin: 0 auto; max-width: 1100px; padding: 12px; color: #222; }}
h1 {{ font-size: 1.4em; }} h2 {{ font-size: 1.15em; margin: 0.2em 0; }}
section {{ margin: 18px 0 28px; }}
.chart {{ max-width: 720px; }}
.chart svg {{ width: 100%; height: auto; }}
.scroll {{ overflow-x: auto; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ padding: 3px 8px; border-bottom: 1px solid #e3e3e3; text-align: left; white-space: nowrap; }}
.num {{ text-align: right; }}
tr.overdue td, tr.behind td, tr.missed td {{ color: #b00020; }}
tr.today td {{ color: #8a6d00; }}
tr.met td, tr.ahead td {{ color: #1b7f3b; }}
footer {{ color: #777; font-size: 0.8em; }}
"""
CHART_TARGETS = 10
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


@dataclass
class Section:
    key: str
    title: str
    rows: Sequence[Mapping[str, Any]]
    columns: Sequence[Column]
    chart: str = ""
    row_class: str | None = None
    empty: str = "Nothing to show."


def _style():
    from pygal.style import Style

    return Style(
        font_family=FONTS,
        background="white",
        plot_background="white",
        colors=("#2f6db5", "#f0a030", "#4caf50", "#b00020", "#7e57c2"),
        title_font_size=18,
        label_font_size=15,
        major_label_font_size=15,
        legend_font_size=15,
        value_font_size=14,
    )


def _svg(chart: Any) -> str:
    """The chart as inline SVG, without pygal's script (no JavaScript on the page)."""
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def _chart(kind: str, **options: Any) -> Any:
    import pygal

    config = dict(
        js=[], disable_xml_declaration=True, style=_style(), width=640, height=340, explicit_size=False, print_values=False,
        truncate_label=-1, truncate_legend=-1,  # never "$1,…" or "contact…": a label is read whole or not at all
    )
    config.update(options)
    return getattr(pygal, kind)(**config)


def with_drop(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The funnel's rows with each stage's drop-off: the share of the deals that reached it
    and went no further (unknown while its conversion is)."""
    return [{**row, "drop": None if row.get("conversion") is None else 1 - row["conversion"]} for row in rows]


def targets_chart(rows: Sequence[Mapping[str, Any]]) -> str:
    """Progress of the team's targets (the reps' when the team has none) against where
    they should be by today (the pace)."""
    rows = [r for r in rows if not r["rep"]] or list(rows[:CHART_TARGETS])
    if not rows:
        return ""
    progress = [round(min(r["progress"] or 0, 2.0) * 100, 1) for r in rows]
    top = max(100, -(-max(progress) // 10) * 10)
    chart = _chart("HorizontalBar", height=90 + 46 * len(rows), range=(0, top), legend_at_bottom=True,
                   value_formatter=lambda v: f"{v:.0f}%")
    chart.x_labels = [f"{r['metric']} {r['period']}" + (f" ({r['rep']})" if r["rep"] else "") for r in rows]
    chart.add("progress", progress)
    chart.add("expected by today", [round((r["expected_progress"] or 0) * 100, 1) if r.get("expected_progress") is not None else None for r in rows])
    return _svg(chart)


def funnel_chart(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    chart = _chart("Bar", legend_at_bottom=True)
    chart.x_labels = [output.one_line(r["stage"]) for r in rows]  # as the tables show it: no control character
    chart.add("deals reached", [r["reached"] for r in rows])
    chart.add("still open", [r["open"] for r in rows])
    return _svg(chart)


def reps_chart(rows: Sequence[Mapping[str, Any]], currency: str) -> str:
    if not rows:
        return ""
    chart = _chart("HorizontalBar", height=90 + 40 * len(rows), show_legend=False,
                   value_formatter=lambda v: f"{currency}{v:,.0f}")
    chart.x_labels = [r["rep"] or "(unassigned)" for r in rows]
    chart.add("revenue", [(r["revenue"] or 0) / 100 for r in rows])
    return _svg(chart)


def trend_chart(rows: Sequence[Mapping[str, Any]], currency: str) -> str:
    if not rows:
        return ""
    chart = _chart("Bar", legend_at_bottom=True, x_label_rotation=-30, value_formatter=lambda v: f"{currency}{v:,.0f}")
    chart.x_labels = [r["month"] for r in rows]
    chart.add("revenue", [(r["revenue"] or 0) / 100 for r in rows])
    chart.add("a year earlier", [(r["revenue_year_ago"] or 0) / 100 for r in rows])
    return _svg(chart)


def ageing_chart(summary: Mapping[str, Any], columns: Sequence[Column], currency: str) -> str:
    buckets = [c for c in columns if c.key in ("0_30", "31_60", "61_90", "over_90")]
    if not summary.get("outstanding"):
        return ""
    chart = _chart("Bar", show_legend=False, height=300, value_formatter=lambda v: f"{currency}{v:,.0f}")
    chart.x_labels = [c.title for c in buckets]
    chart.add("outstanding", [(summary.get(c.key) or 0) / 100 for c in buckets])
    return _svg(chart)


def page(title: str, sections: Sequence[Section], *, footer: str) -> str:
    """The whole HTML document."""
    body = []
    for s in sections:
        chart = f'<div class="chart">{s.chart}</div>' if s.chart else ""
        table = output.html_table(s.rows, s.columns, row_class=s.row_class, empty=s.empty)
        body.append(f'<section id="{s.key}"><h2>{escape(s.title)}</h2>{chart}<div class="scroll">{table}</div></section>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>{''.join(body)}<footer>{escape(footer)}</footer></body></html>\n"
    )
