"""The one output layer: every listing, card and report ends here.

Formats (SPEC §5):

* ``table``    rich table (default on a terminal); first ``limit`` rows, then "N more".
* ``plain``    tabulate text, no colour, no box drawing (default when piped).
* ``markdown`` a GitHub-flavoured table.
* ``csv`` / ``tsv``  header of the keys, then rows; summaries omitted; streamed.
* ``json``     a listing is an array of objects; a report is
  ``{"report", "period", "rows", "summary"}``; streamed row by row.

Values arrive raw: money as integer cents, ratios as fractions, dates as ISO strings or
``date`` objects, lists as lists. Each ``Column`` says how to show its value. stdout is for
data; ``message``/``warn`` go to stderr. rich and tabulate are imported only when used.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from salescli.errors import UsageError

FORMATS = ("table", "plain", "csv", "tsv", "json", "markdown")
TABLE_ROWS = 50  # what a table shows without --limit

# Set by the session once the database is open (the currency setting).
CURRENCY = {"symbol": "$"}


@dataclass(frozen=True)
class Column:
    """How one key of the rows is shown.

    kind: ``text`` | ``id`` (a number shown without separators) | ``int`` | ``money``
    (cents) | ``ratio`` (fraction) | ``change`` (a signed fraction: +12.5%) | ``points``
    (a signed difference of fractions, in percentage points: +3.0) | ``number`` | ``count`` (a whole number, or a
    fractional one such as an expected count) | ``date`` | ``list`` | ``bool`` | ``object``
    (a dict: ``key=value`` pairs; JSON text in CSV). ``bar`` draws the value as a bar in
    ``table`` format: a ratio as itself, any other number relative to the largest value
    shown. ``mark`` names a fraction of the row drawn as a tick on that bar (e.g. where a
    target should be by today). ``kind_key`` names a field of the row holding the kind of
    this cell, for columns whose rows mix units (money in one row, counts in the next).
    """

    key: str
    header: str | None = None
    kind: str = "text"
    bar: bool = False
    mark: str | None = None
    kind_key: str | None = None

    @property
    def title(self) -> str:
        return self.header or self.key.replace("_", " ")

    @property
    def numeric(self) -> bool:
        return self.kind in ("id", "int", "money", "ratio", "change", "points", "number", "count") or self.kind_key is not None

    def kind_of(self, row: Mapping[str, Any]) -> str:
        """This cell's kind: the row's own (``kind_key``) if it names one, else the column's."""
        return (row.get(self.kind_key) if self.kind_key else None) or self.kind


def stdout_isatty() -> bool:
    """Whether stdout is a terminal (tests override this one function)."""
    return sys.stdout.isatty()


def choose_format(fmt: str | None) -> str:
    if fmt is None:
        return "table" if stdout_isatty() else "plain"
    value = fmt.strip().lower()
    if value not in FORMATS:
        raise UsageError(f"unknown format '{fmt}': use one of {', '.join(FORMATS)}")
    return value


def for_programs(fmt: str | None) -> bool:
    """Whether ``fmt`` is read by programs (csv, tsv, json: every field) rather than people."""
    return choose_format(fmt) in ("csv", "tsv", "json")


# ---------------------------------------------------------------- values


def json_value(value: Any, kind: str) -> Any:
    """The JSON form: money in major units, dates as text, missing as null."""
    if value is None:
        return None
    if kind == "money":
        return value / 100 if value % 100 else value // 100
    if kind in ("ratio", "change", "points"):
        return round(value, 4)
    if kind == "bool":
        return bool(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _csv_cell(kind: str) -> Callable[[Any], str]:
    """The CSV form of one kind, as a function (chosen once per column: big exports)."""
    if kind == "money":
        return lambda v: "" if v is None else f"{'-' if v < 0 else ''}{abs(v) // 100}.{abs(v) % 100:02d}"
    if kind in ("ratio", "change", "points"):
        return lambda v: "" if v is None else f"{round(v, 4)}"
    if kind == "list":
        return lambda v: "" if v is None else "; ".join(str(item) for item in v)
    if kind == "object":
        return lambda v: json.dumps(v, ensure_ascii=False) if v else ""
    if kind == "bool":
        return lambda v: "" if v is None else ("true" if v else "false")
    return _plain_text


def _plain_text(value: Any) -> str:
    if value is None:
        return ""
    if value.__class__ is str:
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def display_value(value: Any, kind: str, *, missing: str = "") -> str:
    """The human form, for table / plain / markdown."""
    if value is None or value == [] or value == "" or value == {}:
        return missing
    return _display_cell(kind)(value)


def _display_cell(kind: str) -> Callable[[Any], str]:
    """The human form of one (present) value of a kind, as a function."""
    if kind == "money":
        from salescli.parse import format_money

        symbol = CURRENCY["symbol"]
        return lambda v: format_money(v, symbol)
    if kind == "ratio":
        return lambda v: f"{v * 100:.1f}%"
    if kind == "change":
        return lambda v: f"{v * 100:+.1f}%"
    if kind == "points":
        return lambda v: f"{v * 100:+.1f}"
    if kind == "number":
        return lambda v: f"{v:,.1f}"
    if kind == "count":
        return lambda v: f"{int(v):,}" if v == int(v) else f"{v:,.1f}"
    if kind == "int":
        return lambda v: f"{v:,}"
    if kind == "list":
        return lambda v: ", ".join(str(item) for item in v)
    if kind == "object":
        return lambda v: ", ".join(f"{key}={item}" for key, item in v.items())
    if kind == "bool":
        return lambda v: "yes" if v else "no"
    return _plain_text


def _cells(columns: Sequence[Column], cell: Callable[[str], Callable[[Any], str]]) -> Callable[[Mapping[str, Any]], list[str]]:
    """A function turning a row into its cells; per-row kinds (``kind_key``) looked up only
    for the columns that have them."""
    fixed = [(c.key, cell(c.kind)) for c in columns]
    if not any(c.kind_key for c in columns):
        return lambda row: [convert(row.get(key)) for key, convert in fixed]
    return lambda row: [
        cell(c.kind_of(row))(row.get(c.key)) if c.kind_key else convert(row.get(key))
        for c, (key, convert) in zip(columns, fixed)
    ]


def _display_or_missing(kind: str) -> Callable[[Any], str]:
    present = _display_cell(kind)
    return lambda v: "" if v is None or v == "" or v == [] or v == {} else present(v)


BAR_WIDTH = 12


def bar(fraction: float | None, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``width`` cells for a fraction (clipped to 0..1)."""
    if fraction is None:
        return " " * width
    cells = max(0.0, min(1.0, fraction)) * width
    full = int(cells)
    partial = " ▏▎▍▌▋▊▉"[int((cells - full) * 8)] if full < width else ""
    return ("█" * full + partial).ljust(width)


# ---------------------------------------------------------------- rendering


def render(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    fmt: str | None = None,
    title: str | None = None,
    limit: int | None = None,
    report: str | None = None,
    period: Any = None,
    summary: Mapping[str, Any] | None = None,
    summary_columns: Sequence[Column] = (),
    empty: str = "Nothing to show.",
    quiet_if_empty: bool = False,
    total: int | None = None,
) -> int:
    """Write ``rows`` in ``fmt``; return how many rows there were.

    ``report`` switches JSON to the report envelope. With ``quiet_if_empty`` nothing at
    all is printed when there are no rows (for cron). ``total``: how many rows there are
    in all when ``rows`` holds only the first ``limit`` (a table then says "N more"
    without reading the rest). ``summary`` is read only after the last row is written, so
    a streaming report may fill it in as its rows go past.
    """
    fmt = choose_format(fmt)
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None and quiet_if_empty:
        return 0
    all_rows = iterator if first is None else chain([first], iterator)
    if limit is not None and fmt != "table":
        all_rows = islice(all_rows, limit)
    out = sys.stdout
    if fmt == "json":
        return _write_json(out, all_rows, columns, report, period, summary, summary_columns)
    if fmt in ("csv", "tsv"):
        return _write_csv(out, all_rows, columns, "," if fmt == "csv" else "\t")
    if fmt == "table":
        return _write_rich(
            all_rows, columns, title, limit or TABLE_ROWS, summary, summary_columns, empty if first is None else None, total
        )
    return _write_text(out, all_rows, columns, fmt, title, summary, summary_columns, first is None and empty)


def _write_json(out, rows, columns, report, period, summary, summary_columns) -> int:
    count = 0
    if report is not None:
        period_json = period.as_json() if hasattr(period, "as_json") else period
        out.write('{"report": %s, "period": %s, "rows": [' % (json.dumps(report), json.dumps(period_json)))
    else:
        out.write("[")
    for row in rows:
        item = {c.key: json_value(row.get(c.key), c.kind_of(row)) for c in columns}
        out.write(("," if count else "") + "\n  " + json.dumps(item, ensure_ascii=False))
        count += 1
    out.write("\n" if count else "")
    if report is not None:
        kinds = {c.key: c.kind for c in summary_columns}
        summary_json = {k: json_value(v, kinds.get(k, "")) for k, v in (summary or {}).items()}
        out.write("], \"summary\": %s}\n" % json.dumps(summary_json, ensure_ascii=False))
    else:
        out.write("]\n")
    return count


def _write_csv(out, rows, columns, delimiter: str) -> int:
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    cells = _cells(columns, _csv_cell)
    count = 0
    for batch in _batches(rows, 1000):
        writer.writerows([cells(row) for row in batch])
        count += len(batch)
    return count


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _summary_lines(summary, summary_columns) -> list[tuple[str, str]]:
    if not summary:
        return []
    columns = {c.key: c for c in summary_columns}
    lines = []
    for key, value in summary.items():
        column = columns.get(key, Column(key))
        lines.append((column.title, display_value(value, column.kind, missing="-")))
    return lines


def _write_text(out, rows, columns, fmt, title, summary, summary_columns, empty) -> int:
    if empty:
        if title:
            out.write(f"{title}\n")
        out.write(f"{empty}\n")
        return 0
    if title:
        out.write(f"## {title}\n\n" if fmt == "markdown" else f"{title}\n")
    if fmt == "markdown":
        count = _write_markdown(out, rows, columns)
    else:
        count = _write_plain(out, rows, columns)
    lines = _summary_lines(summary, summary_columns)
    if lines:
        out.write("\n")
        if fmt == "markdown":
            _write_markdown(out, ({"summary": k, "value": v} for k, v in lines), [Column("summary"), Column("value", " ")])
        else:
            width = max(text_width(k) for k, _ in lines)
            out.writelines(f"{_pad(k, width)}  {v}\n" for k, v in lines)
    return count


def text_width(text: str) -> int:
    """Cells a string takes on a terminal: Chinese and other wide characters take two,
    combining marks none. (unicodedata is built in; wcwidth would cost 20 ms to import.)"""
    if text.isascii():
        return len(text)
    from unicodedata import combining, east_asian_width

    return sum(0 if combining(ch) else 2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * (width - text_width(text))
    return gap + text if right else text + gap


def _write_plain(out, rows, columns) -> int:
    """Aligned text without box drawing, streamed: column widths come from the first
    thousand rows and only ever grow, so a huge listing starts at once in flat memory."""
    cells = _cells(columns, _display_or_missing)
    right = [c.numeric for c in columns]
    widths = [text_width(c.title) for c in columns]
    count = 0
    header = True
    for batch in _batches(rows, 1000):
        table = [cells(row) for row in batch]
        for line in table:
            widths = [max(w, text_width(v)) for w, v in zip(widths, line)]
        if header:
            out.write(_plain_line([c.title for c in columns], widths, right))
            header = False
        out.writelines(_plain_line(line, widths, right) for line in table)
        count += len(table)
    if header:
        out.write(_plain_line([c.title for c in columns], widths, right))
    return count


def _plain_line(cells: list[str], widths: list[int], right: list[bool]) -> str:
    return "  ".join(_pad(v, w, r) for v, w, r in zip(cells, widths, right)).rstrip() + "\n"


def _write_markdown(out, rows, columns) -> int:
    from tabulate import tabulate

    cells = _cells(columns, _display_or_missing)
    table = [cells(row) for row in rows]
    align = ["right" if c.numeric else "left" for c in columns]
    out.write(tabulate(table, headers=[c.title for c in columns], tablefmt="github", colalign=align, disable_numparse=True))
    out.write("\n")
    return len(table)


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _write_rich(rows, columns, title, limit, summary, summary_columns, empty, total=None) -> int:
    from rich import box
    from rich.table import Table

    out = console()
    if empty:
        if title:
            out.print(f"[bold]{title}[/bold]")
        out.print(f"[dim]{empty}[/dim]")
        return 0
    shown = list(islice(rows, limit))
    more = sum(1 for _ in rows) if total is None else max(total - len(shown), 0)
    scales = {
        c.key: max((row.get(c.key) or 0 for row in shown), default=0)
        for c in columns
        if c.bar and c.kind != "ratio"
    }
    cells = [[_rich_cell(row, c, scales.get(c.key)) for c in columns] for row in shown]
    # Numbers, dates and other short values are never cut or wrapped; only long text
    # wraps. When even that cannot fit the terminal, the rows print as plain text (the
    # terminal wraps long lines, but nothing is lost).
    plain = [_cells(columns, _display_or_missing)(row) for row in shown]
    widest = [max([0] + [text_width(line[i]) for line in plain]) for i in range(len(columns))]
    fixed = [c.numeric or c.bar or widest[i] <= 12 for i, c in enumerate(columns)]
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
    for i, c in enumerate(columns):
        table.add_column(c.title, justify="right" if c.numeric and not c.bar else "left", no_wrap=fixed[i])
    for line in cells:
        table.add_row(*line)
    needed = 3 * len(columns) + 1  # SIMPLE_HEAD: a space either side of each column, one at the edge
    for i, c in enumerate(columns):
        if fixed[i]:
            needed += max(text_width(c.title), widest[i] + (BAR_WIDTH + 1 if c.bar else 0))
        else:  # wraps at spaces: as narrow as its longest word
            words = c.title.split() + [word for line in plain for word in line[i].split()]
            needed += max((text_width(word) for word in words), default=1)
    if needed > out.width:
        if title:
            out.print(f"[bold]{title}[/bold]")
        _write_plain(out.file, shown, columns)
        out.file.flush()
    else:
        out.print(table)
    if more:
        out.print(f"[dim]… {more:,} more rows (use --limit N, or --format plain to see all)[/dim]")
    lines = _summary_lines(summary, summary_columns)
    if lines:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column(justify="right")
        for key, value in lines:
            grid.add_row(key, value)
        out.print(grid)
    return len(shown) + more


def _rich_cell(row: Mapping[str, Any], column: Column, scale: float | None = None) -> str:
    from rich.markup import escape

    value = row.get(column.key)
    text = escape(display_value(value, column.kind_of(row), missing="—"))
    if not column.bar or value is None:
        return text
    if scale is not None:  # a count or amount, drawn relative to the largest shown
        value = value / scale if scale else 0.0
    cells = bar(value)
    mark = row.get(column.mark) if column.mark else None
    if mark is None:
        return f"[cyan]{cells}[/cyan] {text}"
    at = min(len(cells) - 1, int(max(0.0, min(1.0, mark)) * len(cells)))
    return f"[cyan]{cells[:at]}[/cyan][bold yellow]┃[/bold yellow][cyan]{cells[at + 1:]}[/cyan] {text}"


def html_table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None = None,
    row_class: str | None = None,
    empty: str = "Nothing to show.",
) -> str:
    """A table as an HTML fragment (e-mail, dashboard): the cells as a table shows them,
    escaped; ``row_class`` names a key whose value becomes each row's CSS class."""
    from html import escape

    cells = _cells(columns, _display_or_missing)
    parts = [f"<h2>{escape(title)}</h2>"] if title else []
    body = []
    for row in rows:
        css = f' class="{escape(str(row.get(row_class)))}"' if row_class and row.get(row_class) else ""
        tds = "".join(
            f'<td class="num">{escape(v)}</td>' if c.numeric else f"<td>{escape(v)}</td>" for c, v in zip(columns, cells(row))
        )
        body.append(f"<tr{css}>{tds}</tr>")
    if not body:
        return "".join(parts) + f"<p>{escape(empty)}</p>"
    head = "".join(f'<th class="num">{escape(c.title)}</th>' if c.numeric else f"<th>{escape(c.title)}</th>" for c in columns)
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
    return "".join(parts)


def text_of(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], **options: Any) -> str:
    """What ``render(…, fmt="plain")`` prints, as a string (e-mail bodies)."""
    import io
    from contextlib import redirect_stdout

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        render(rows, columns, fmt="plain", **options)
    return buffer.getvalue()


def render_card(
    record: Mapping[str, Any],
    fields: Sequence[Column],
    *,
    fmt: str | None = None,
    title: str | None = None,
    sections: Sequence[tuple[str, str, Sequence[Mapping[str, Any]], Sequence[Column]]] = (),
    summary: Mapping[str, Any] | None = None,
    summary_columns: Sequence[Column] = (),
) -> None:
    """One record as a card of ``field: value`` lines, then listings under it.

    ``sections`` are ``(key, title, rows, columns)``; in JSON they become nested arrays
    under ``key`` of the one object printed. ``summary`` is one closing line (in JSON an
    object under ``"summary"``; omitted in CSV).
    """
    fmt = choose_format(fmt)
    if fmt == "json":
        item = {c.key: json_value(record.get(c.key), c.kind) for c in fields}
        for key, _, rows, columns in sections:
            item[key] = [{c.key: json_value(r.get(c.key), c.kind) for c in columns} for r in rows]
        if summary is not None:
            kinds = {c.key: c.kind for c in summary_columns}
            item["summary"] = {k: json_value(v, kinds.get(k, "")) for k, v in summary.items()}
        sys.stdout.write(json.dumps(item, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt in ("csv", "tsv"):
        render([record], fields, fmt=fmt)
        return
    lines = [(c.title, display_value(record.get(c.key), c.kind)) for c in fields]
    lines = [(k, v) for k, v in lines if v]
    if fmt == "table":
        from rich.markup import escape
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        for key, value in lines:
            grid.add_row(escape(key), escape(value))
        out = console()
        if title:
            out.print(f"[bold underline]{escape(title)}[/bold underline]")
        out.print(grid)
        out.print()
    else:
        if title:
            sys.stdout.write(f"## {title}\n\n" if fmt == "markdown" else f"{title}\n")
        width = max((len(k) for k, _ in lines), default=0)
        sys.stdout.writelines(f"{k.ljust(width)}  {v}\n" for k, v in lines)
        sys.stdout.write("\n")
    for _, section_title, rows, columns in sections:
        render(rows, columns, fmt=fmt, title=section_title, empty="None.")
        if fmt != "table":
            sys.stdout.write("\n")
    line = " · ".join(f"{key}: {value}" for key, value in _summary_lines(summary, summary_columns))
    if line:
        sys.stdout.write(f"{line}\n")


# ---------------------------------------------------------------- messages


def created(kind: str, record_id: int, detail: str = "") -> None:
    """What every ``add`` prints: a sentence on a terminal, the bare id when piped."""
    if stdout_isatty():
        console().print(f"Added {kind} {record_id}" + (f": {detail}" if detail else ""), markup=False)
    else:
        sys.stdout.write(f"{record_id}\n")


def message(text: str) -> None:
    """A sentence for people (stderr), e.g. what a command did."""
    sys.stderr.write(text + "\n")


def done(text: str) -> None:
    """The result of a write command that creates nothing (stdout: what happened)."""
    sys.stdout.write(text + "\n")


def stderr_isatty() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress(total: int, *, enabled: bool = True) -> Iterator[Callable[[str, int], None] | None]:
    """A progress bar on stderr for a long job, drawn only when ``enabled`` and stderr is a
    terminal: yields ``update(description, completed)`` (out of ``total``), or None."""
    if not (enabled and stderr_isatty()):
        yield None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=total)

        def update(description: str, completed: int) -> None:
            bar.update(task, description=description, completed=completed)

        yield update


def warn(text: str) -> None:
    sys.stderr.write(f"Warning: {text}\n")


def error(text: str) -> None:
    if os.environ.get("NO_COLOR") is None and sys.stderr.isatty():
        sys.stderr.write(f"\x1b[31mError:\x1b[0m {text}\n")
    else:
        sys.stderr.write(f"Error: {text}\n")
