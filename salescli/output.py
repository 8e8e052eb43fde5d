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

import datetime as dt
import functools
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, compress, islice, repeat
from math import copysign
from operator import add, eq, floordiv, is_, itemgetter, le, mod, not_, sub
from typing import Any

from salescli.errors import Invalid, UsageError
from salescli.grammar import plural

FORMATS = ("table", "plain", "csv", "tsv", "json", "markdown")
TABLE_ROWS = 50  # what a table shows without --limit

# Set by the session once the database is open (the currency setting).
CURRENCY = {"symbol": "$"}


@dataclass(frozen=True)
class Column:
    """How one key of the rows is shown.

    kind: ``text`` | ``id`` (a number shown without separators) | ``int`` | ``money``
    (cents) | ``ratio`` (fraction) | ``percent`` (a fraction a user typed as a percentage:
    ``5%`` in CSV, so that an import reads it back exactly) | ``change`` (a signed fraction:
    +12.5%) | ``points`` (a signed difference of fractions, in percentage points: +3.0) |
    ``number`` | ``count`` (a whole number, or a
    fractional one such as an expected count) | ``date`` | ``list`` | ``bool`` | ``object``
    (a dict: ``key=value`` pairs; JSON text in CSV). ``bar`` draws the value as a bar in
    ``table`` format: a ratio as itself, any other number relative to the largest value
    shown. ``mark`` names a fraction of the row drawn as a tick on that bar (e.g. where a
    target should be by today). ``kind_key`` names a field of the row holding the kind of
    this cell, for columns whose rows mix units (money in one row, counts in the next).
    ``missing`` is what people see where the value is missing (``(no source)``); programs
    (JSON, CSV) get null / an empty cell, so that a real value of that text stays apart.

    ``priority`` says what a table too wide for the terminal gives up first: 1 is always
    shown, 2 (the default) is left out after every 3. ``tone`` gives a row's cell its
    meaning on a terminal, ``"bad"`` (red), ``"warn"`` (yellow) or ``"good"`` (green), or
    None (see ``tones``).
    """

    key: str
    header: str | None = None
    kind: str = "text"
    bar: bool = False
    mark: str | None = None
    kind_key: str | None = None
    missing: str = ""
    priority: int = 2
    tone: Callable[[Mapping[str, Any]], str | None] | None = None

    @property
    def title(self) -> str:
        return self.header or self.key.replace("_", " ")

    @property
    def numeric(self) -> bool:
        return self.kind in ("id", "int", "money", "ratio", "percent", "change", "points", "number", "count") or self.kind_key is not None

    def kind_of(self, row: Mapping[str, Any]) -> str:
        """This cell's kind: the row's own (``kind_key``) if it names one, else the column's."""
        return (row.get(self.kind_key) if self.kind_key else None) or self.kind


TONES = {"bad": "red", "warn": "yellow", "good": "green"}  # a cell's meaning → its colour


def tones(key: str, **meanings: str) -> Callable[[Mapping[str, Any]], str | None]:
    """A ``Column.tone`` reading the row's ``key``: ``tones("status", behind="bad", met="good")``."""
    return lambda row: meanings.get(row.get(key))  # type: ignore[arg-type]


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


def shows_summary(fmt: str | None) -> bool:
    """Whether ``fmt`` shows a report's summary (CSV and TSV leave it out)."""
    return choose_format(fmt) not in ("csv", "tsv")


def for_programs(fmt: str | None) -> bool:
    """Whether ``fmt`` is read by programs (csv, tsv, json: every field) rather than people."""
    return choose_format(fmt) in ("csv", "tsv", "json")


# ---------------------------------------------------------------- values


def _json_cell(kind: str) -> Callable[[Any], Any]:
    return functools.partial(json_value, kind=kind)


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


# ---------------------------------------------------------------- CSV cells a spreadsheet opens safely

# A text cell a spreadsheet would run as a formula starts with one of these (OWASP, "CSV
# injection"): CSV and TSV put a ``'`` before it. A value already starting with ``'``
# and then one of these (or another ``'``) gets one more, so that ``csv_text`` below can
# take exactly one off again: export → import is exact for every value.
FORMULA_STARTS = "=+-@\t\r"
_QUOTED_STARTS = FORMULA_STARTS + "'"
_RISKY_STARTS = frozenset(_QUOTED_STARTS)
# What Excel would read as something else than the text: a number, date, time, fraction,
# percentage or amount (``0123`` → 123, ``1.10`` → 1.1, ``1,234`` → 1234, ``1E5`` → 100000,
# ``1-10`` → 10 January, ``3/4``, ``March 1``, ``3月4日``, ``00:30``, ``10:30 AM``, ``1 1/2``, ``50%``, ``$5``,
# ``+44 20 7946 0000``, 12 digits or more shown as 1.23E+11 and kept to 15), or TRUE/FALSE.
# ``--excel`` writes these as ``="0123"``, which Excel shows as the text 0123 (a formula's
# text holds 255 characters at most: a longer cell is left as it is). Digits alone, up to
# 11 and not from 0, stay: Excel shows and saves them as they are; and so do dates and times
# as salescli writes them (``2026-11-23 09:30:00``): Excel reads them as the dates they are.
_MONTH = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
_EXCEL_NUMBER_LIKE = re.compile(
    r"(?![1-9]\d{0,10}$|0$|\d{4}-\d\d-\d\d(?: \d\d:\d\d(?::\d\d)?)?$)(?=\D*\d)(?:"
    r"[\d .,:/+%()$¥€£-]*\d[\d .,:/+%()$¥€£eE-]*(?i:\s*[ap]\.?m\.?)?"
    rf"|(?i:\d{{1,4}}[ ./-]*(?:{_MONTH})\.?(?:[ ./,-]*\d{{1,4}})?|(?:{_MONTH})\.?[ ./,-]*\d{{1,4}}(?:[ ./,-]*\d{{1,4}})?)"
    r"|[\d年月日号 ]*\d[\d年月日号 ]*"
    r")|(?i:true|false)"
)
# Where such a cell may start (most text cannot be one: checked first, as it is quick).
_EXCEL_MAYBE = re.compile(r"[\d+.($¥€£-]|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|true|false)").match
_EXCEL_TEXT = re.compile(r'="([^"]*)"')


def csv_safe(value: str, excel: bool = False) -> str:
    """A text cell as CSV writes it: ``'=HYPERLINK(…)``, ``''=x`` for ``'=x``, and with
    ``excel`` ``="0123"`` for what Excel would otherwise read as a number or a date."""
    if excel and _EXCEL_MAYBE(value) and len(value) <= 255 and _EXCEL_NUMBER_LIKE.fullmatch(value):
        return f'="{value}"'
    if value and (value[0] in FORMULA_STARTS or (value[0] == "'" and value[1:2] and value[1] in _QUOTED_STARTS)):
        return "'" + value
    return value


def csv_text(cell: str) -> str:
    """The value of a CSV cell written by ``csv_safe`` (what ``import`` reads)."""
    if cell[:1] == "'" and cell[1:2] and cell[1] in _QUOTED_STARTS:
        return cell[1:]
    if cell[:2] == '="' and (match := _EXCEL_TEXT.fullmatch(cell)):
        return match[1]
    return cell


def _csv_cell(kind: str, excel: bool = False) -> Callable[[Any], str]:
    """The CSV form of one kind, as a function (chosen once per column: big exports).
    Text (and lists) go through ``csv_safe``; numbers, negative ones too, stay numbers."""
    if kind in ("text", "list"):
        plain = _plain_text if kind == "text" else _csv_list
        if excel:
            return lambda v: csv_safe(plain(v), True)

        def safe(value: Any) -> str:  # csv_safe, called only for the few cells it may change
            if value.__class__ is not str:
                value = plain(value)
            return csv_safe(value) if value[:1] in _RISKY_STARTS else value

        return safe
    if kind == "money":
        return _csv_money
    if kind in ("ratio", "change", "points"):
        return lambda v: "" if v is None else f"{round(v, 4)}"
    if kind == "percent":
        from salescli.parse import format_rate

        return lambda v: "" if v is None else format_rate(v)
    if kind == "object":
        return lambda v: json.dumps(v, ensure_ascii=False) if v else ""
    if kind == "bool":
        return lambda v: "" if v is None else ("true" if v else "false")
    return _plain_text


def _csv_money(cents: int | None) -> str:
    return "" if cents is None else f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


class _Memo(dict):
    """``convert`` of each value asked for, worked out once (``memo[value]``)."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, value: Any) -> Any:
        self[value] = converted = self.convert(value)
        return converted


# The text of each amount written so far: an export's money columns repeat a few hundred
# prices and totals, each formatted once. Whole numbers only (a float equal to one would
# share its key); emptied when it holds more than MONEY_MEMO_SIZE amounts.
_MONEY_TEXTS = _Memo(_csv_money)
MONEY_MEMO_SIZE = 100_000


def _csv_money_column(cents: list[Any]) -> list[str]:
    """``_csv_money`` of each value: in C, through ``_MONEY_TEXTS``, for a column of whole numbers (or none)."""
    if not _INT_OR_NONE.issuperset(map(type, cents)):
        return list(map(_csv_money, cents))
    if len(_MONEY_TEXTS) > MONEY_MEMO_SIZE:
        _MONEY_TEXTS.clear()
    return list(map(_MONEY_TEXTS.__getitem__, cents))


def _csv_list(value: list[Any] | None) -> str:
    return "" if value is None else "; ".join(str(item) for item in value)


def _plain_text(value: Any) -> str:
    if value is None:
        return ""
    if value.__class__ is str:
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


# C0 controls but tab and newline, DEL, and C1 controls (ESC and CSI among them).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def safe_text(text: str) -> str:
    """``text`` with its control characters shown as escapes (ESC as ``\\x1b``), newlines
    and tabs kept: nothing a name contains can drive the terminal (colours, title,
    clipboard, screen clearing)."""
    return text if text.isprintable() else _CONTROLS.sub(_escape, text)


def one_line(text: str) -> str:
    """``safe_text`` on one line, for a cell: a newline shows as ⏎, a tab as a space."""
    if text.isprintable():
        return text
    return _CONTROLS.sub(_escape, text.replace("\r\n", "\n")).replace("\n", "⏎").replace("\t", " ")


def _shown_text(value: Any) -> str:
    """A text value as people see it, on one line, nothing that drives the terminal; a
    missing one as nothing. (On the streaming path: one check for most cells.)"""
    if value.__class__ is str:
        return value if value.isprintable() else one_line(value)
    return "" if value is None or value == [] or value == {} else one_line(_plain_text(value))


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
    if kind in ("ratio", "percent"):
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
        return lambda v: one_line(", ".join(str(item) for item in v))
    if kind == "object":
        return lambda v: one_line(", ".join(f"{key}={item}" for key, item in v.items()))
    if kind == "bool":
        return lambda v: "yes" if v else "no"
    return _shown_text


def _cells(
    columns: Sequence[Column], cell: Callable[[str], Callable[[Any], str]], *, labelled: bool = False
) -> Callable[[Mapping[str, Any]], list[str]]:
    """A function turning a row into its cells; per-row kinds (``kind_key``) looked up only
    for the columns that have them. ``labelled`` (for people): a missing value shows as its
    column's ``missing`` label."""
    fixed = [(c.key, _labelled(cell(c.kind), c.missing) if labelled and c.missing else cell(c.kind)) for c in columns]
    if not any(c.kind_key for c in columns):
        return lambda row: [convert(row.get(key)) for key, convert in fixed]
    return lambda row: [
        cell(c.kind_of(row))(row.get(c.key)) if c.kind_key else convert(row.get(key))
        for c, (key, convert) in zip(columns, fixed)
    ]


def _labelled(convert: Callable[[Any], str], label: str) -> Callable[[Any], str]:
    return lambda v: label if v is None else convert(v)


def _display_or_missing(kind: str) -> Callable[[Any], str]:
    present = _display_cell(kind)
    if present is _shown_text:  # shows a missing value as nothing itself
        return present
    return lambda v: "" if v is None or v == "" or v == [] or v == {} else present(v)


def _display_column(column: Column) -> Callable[[list[Any]], list[str]]:
    """``_cells``' conversion (labelled) of a whole column of values at once: the kinds in
    ``_DISPLAY_WHOLE`` in a few calls where every value present is of a type they take,
    anything else cell by cell."""
    cell = _display_or_missing(column.kind)
    if column.missing:
        cell = _labelled(cell, column.missing)
    whole = _DISPLAY_WHOLE.get(column.kind)
    if whole is None:
        return lambda values: list(map(cell, values))

    def convert(values: list[Any]) -> list[str]:
        if _repeated(values):  # e.g. the many customers who bought nothing
            return [cell(values[0])] * len(values)
        missing = None in values and list(map(is_, values, repeat(None)))
        if missing and all(missing):
            return [cell(None)] * len(values)
        present = list(compress(values, map(not_, missing))) if missing else values
        texts = whole(present)
        if texts is None:
            return list(map(cell, values))
        if missing:
            label, texts = cell(None), iter(texts)
            return [label if gone else next(texts) for gone in missing]
        return texts

    return convert


def _repeated(values: list[Any]) -> bool:
    """Whether every value is the first one, of its type: ``1``, ``1.0`` and ``True`` are
    equal but not shown alike, nor are ``0.0`` and ``-0.0``."""
    first = values[0]
    if values[-1] != first or values.count(first) != len(values):
        return False
    kind = first.__class__
    return kind is str or first is None or (kind is int or (kind is float and first != 0)) and {kind}.issuperset(map(type, values))


def _display_money(cents: list[Any]) -> list[str] | None:
    """``format_money`` of whole amounts, none negative."""
    if not (_INT_ONLY.issuperset(map(type, cents)) and min(cents, default=0) >= 0):
        return None
    symbol = CURRENCY["symbol"].replace("{", "{{").replace("}", "}}")
    return list(map(f"{symbol}{{:,}}.{{:02d}}".format, map(floordiv, cents, repeat(100)), map(mod, cents, repeat(100))))


def _display_text(values: list[Any]) -> list[str] | None:
    """``_shown_text`` of strings that need no escape: themselves."""
    return values if _STR_ONLY.issuperset(map(type, values)) and all(map(str.isprintable, values)) else None


def _display_ratio(values: list[Any]) -> list[str] | None:
    """A ratio of each float as a percentage: ``.1%`` multiplies by 100 as ``_display_cell`` does.
    A column in order, all above zero (a cumulative share), is shown run by run (``_in_order``)."""
    if not _FLOAT_ONLY.issuperset(map(type, values)):
        return None
    if values[0] > 0 and all(map(le, values, islice(values, 1, None))):
        return _in_order(values, "{:.1%}".format)
    return list(map("{:.1%}".format, values))


def _in_order(values: list[Any], show: Callable[[Any], str]) -> list[str]:
    """``show`` of each of ``values``, which are in order, where showing keeps the order (a
    value rounded): every value between two shown alike shows alike too, so the end of each
    run of one text is found by bisection, a few ``show`` a run."""
    texts: list[str] = []
    start, last = 0, len(values) - 1
    while start <= last:
        text, low, high = show(values[start]), start, last  # values[low] shows as text
        if show(values[high]) == text:
            low = high
        while high - low > 1:
            middle = (low + high) // 2
            if show(values[middle]) == text:
                low = middle
            else:
                high = middle
        texts += [text] * (low + 1 - start)
        start = low + 1
    return texts


# kind → the human form of a column of present values, or None when they are not all of
# the types it takes (``_display_column``)
def _once_each(whole: Callable[[list[Any]], list[str] | None]) -> Callable[[list[Any]], list[str] | None]:
    """``whole`` made of each distinct value once where the values repeat (amounts and
    shares of the many customers who bought nothing). Equal values are one to a dict but
    not always one text: a column holding 0.0 and -0.0, or values of more than one type
    (1, 1.0, True), is made whole."""

    def convert(values: list[Any]) -> list[str] | None:
        try:
            distinct = set(values)
        except TypeError:  # unhashable: not a number
            return whole(values)
        zeros = compress(values, map(eq, values, repeat(0)))
        if (
            len(distinct) * 2 > len(values)
            or len(set(map(type, values))) > 1
            or (0 in distinct and len(set(map(copysign, repeat(1.0), zeros))) > 1)
        ):
            return whole(values)
        keys = list(distinct)
        texts = whole(keys)
        return None if texts is None else list(map(dict(zip(keys, texts)).__getitem__, values))

    return convert


_DISPLAY_WHOLE: dict[str, Callable[[list[Any]], list[str] | None]] = {
    "text": _display_text,
    "id": lambda values: list(map(str, values)) if _INT_ONLY.issuperset(map(type, values)) else None,
    "int": _once_each(lambda values: list(map("{:,}".format, values)) if _INT_ONLY.issuperset(map(type, values)) else None),
    "money": _once_each(_display_money),
    "ratio": _once_each(_display_ratio),
    "percent": _once_each(_display_ratio),
}
_STR_ONLY = frozenset((str,))
_INT_ONLY = frozenset((int,))
_FLOAT_ONLY = frozenset((float,))


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
    wide: bool = False,
    excel: bool = False,
    encoding: str | None = None,
) -> int:
    """Write ``rows`` in ``fmt``; return how many rows there were.

    ``report`` switches JSON to the report envelope. With ``quiet_if_empty`` nothing at
    all is printed when there are no rows (for cron). ``total``: how many rows there are
    in all when ``rows`` holds only the first ``limit`` (a table then says "N more"
    without reading the rest). ``summary`` is read only after the last row is written, so
    a streaming report may fill it in as its rows go past. A table fits the terminal
    unless ``wide`` (``_fit``). ``excel`` and ``encoding`` are for CSV and TSV (``_write_csv``).
    """
    fmt = choose_format(fmt)
    keys, simple = None, False
    if isinstance(rows, Columns):
        if fmt == "plain":
            return _write_columns(rows, columns, title, limit, summary, summary_columns, empty, quiet_if_empty)
        rows = rows.records([c.key for c in columns])
    if isinstance(rows, Records):
        if rows.made is not None and fmt in ("csv", "tsv") and not excel and encoding is None and limit is None and len(columns) > 1:
            raw = _utf8_bytes(sys.stdout)
            made = rows.made() if raw is not None else None
            if made is not None:
                return _write_made(raw, made, columns, rows.keys, "," if fmt == "csv" else "\t", quiet_if_empty)
        keys, simple, rows = rows.keys, rows.simple, rows.rows
        if fmt not in ("csv", "tsv", "json", "plain"):  # for people: a few rows, as dicts
            rows, keys = map(dict, map(zip, repeat(keys), rows)), None
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None and quiet_if_empty:
        return 0
    all_rows = iterator if first is None else chain([first], iterator)
    if limit is not None and fmt != "table":
        all_rows = islice(all_rows, limit)
    out = sys.stdout
    if fmt in ("csv", "tsv", "json"):
        tuples = _tuples(all_rows, columns, keys)
        if fmt == "json":
            return _write_json(out, tuples, columns, simple, report, period, summary, summary_columns)
        return _write_csv(out, tuples, columns, simple, "," if fmt == "csv" else "\t", excel, encoding)
    if fmt == "table":
        shown = limit or TABLE_ROWS
        empty_text = empty if first is None else None
        return _write_rich(all_rows, columns, title, shown, summary, summary_columns, empty_text, total, wide)
    return _write_text(out, all_rows, columns, fmt, title, summary, summary_columns, first is None and empty, keys)


def _write_columns(rows: Columns, columns, title, limit, summary, summary_columns, empty, quiet_if_empty) -> int:
    """``render`` of ``Columns`` in plain text: the batches' columns as they are."""
    batches = iter(rows.batches) if limit is None else _first_rows(rows.batches, limit)
    first = next(batches, None)
    if first is None and quiet_if_empty:
        return 0
    rows = Columns(chain([first], batches) if first else ())
    return _write_text(sys.stdout, rows, columns, "plain", title, summary, summary_columns, first is None and empty)


def _first_rows(batches: Iterable[Mapping[str, Sequence[Any]]], limit: int) -> Iterator[Mapping[str, Sequence[Any]]]:
    """The batches of the first ``limit`` rows."""
    for batch in batches:
        if limit <= 0:
            return
        size = len(next(iter(batch.values())))
        yield batch if size <= limit else {key: values[:limit] for key, values in batch.items()}
        limit -= size


def _write_json(out, batches, columns, simple, report, period, summary, summary_columns) -> int:
    count = 0
    if report is not None:
        period_json = period.as_json() if hasattr(period, "as_json") else period
        out.write('{"report": %s, "period": %s, "rows": [' % (json.dumps(report), json.dumps(period_json)))
    else:
        out.write("[")
    encode = json.JSONEncoder(ensure_ascii=False).encode
    keys = [c.key for c in columns]
    for rows, cells in _converted(batches, columns, simple, _json_cell, _JSON_AS_IS):
        items = map(encode, map(dict, map(zip, repeat(keys), _rows(cells, len(columns)))))
        out.write(("," if count else "") + "\n  " + ",\n  ".join(items))
        count += rows
    out.write("\n" if count else "")
    if report is not None:
        kinds = {c.key: c.kind for c in summary_columns}
        summary_json = {k: json_value(v, kinds.get(k, "")) for k, v in (summary or {}).items()}
        out.write("], \"summary\": %s}\n" % json.dumps(summary_json, ensure_ascii=False))
    else:
        out.write("]\n")
    return count


def _write_csv(out, rows, columns, simple: bool, delimiter: str, excel: bool = False, encoding: str | None = None) -> int:
    """CSV or TSV; with ``excel`` as Excel opens it best (UTF-8 with a BOM unless
    ``encoding`` says otherwise, CRLF line ends, ``="0123"``); with ``encoding`` the
    bytes of that encoding, whatever ``out`` was opened with."""
    if excel and encoding is None:
        encoding = "utf-8-sig"
    if encoding is None:
        return _write_csv_rows(out, rows, columns, simple, delimiter, excel)
    out.flush()
    encoded = io.TextIOWrapper(out.buffer, encoding=encoding, newline="")
    try:
        return _write_csv_rows(encoded, rows, columns, simple, delimiter, excel)
    finally:
        try:
            encoded.flush()
        finally:
            encoded.detach()  # leave ``out`` open: the caller closes it


def _utf8_bytes(out) -> Any:
    """The binary stream under ``out`` (flushed) when ``out`` writes UTF-8, else None."""
    import codecs

    if getattr(out, "buffer", None) is None or codecs.lookup(out.encoding or "ascii").name != "utf-8":
        return None
    out.flush()
    return out.buffer


def _write_made(raw, batches: Iterable[Made], columns, keys: Sequence[str], delimiter: str, quiet_if_empty: bool) -> int:
    """CSV or TSV of ``Made`` batches to the binary stream ``raw``: each text as it is (its
    tabs the delimiter) where it is what ``_Records`` writes (``Made.as_written``), else its
    rows converted cell by cell."""
    width = len(columns)
    records = _Records(delimiter, width, "\n")
    header = records(1, [c.key for c in columns]).encode()
    separator = delimiter.encode()
    written = 0
    for batch in batches:
        if batch.as_written(width):
            chunks: Iterable[tuple[int, bytes]] = [(batch.count, _delimited(batch.text, separator) + b"\n")]  # type: ignore[arg-type]
        else:
            converted = _converted(_tuples(batch.rows(), columns, keys), columns, True, _csv_cell, _CSV_AS_IS, ("text",))
            chunks = ((rows, records(rows, cells).encode()) for rows, cells in converted)
        for rows, text in chunks:
            raw.write(text if written else header + text)
            written += rows
    if not written and not quiet_if_empty:
        raw.write(header)
    return written


def _delimited(text: bytes, delimiter: bytes) -> bytes:
    """Lines of tab-separated cells (none holding a tab, a line end or a quote) with
    ``delimiter`` between the cells: a cell holding a comma, in CSV, in double quotes."""
    if delimiter == b"\t":
        return text
    if delimiter not in text:
        return text.replace(b"\t", delimiter)
    return b"\n".join(_quoted_line(line, delimiter) if delimiter in line else line.replace(b"\t", delimiter) for line in text.split(b"\n"))


def _quoted_line(line: bytes, delimiter: bytes) -> bytes:
    return delimiter.join(b'"' + cell + b'"' if delimiter in cell else cell for cell in line.split(b"\t"))


def _write_csv_rows(out, batches, columns, simple: bool, delimiter: str, excel: bool) -> int:
    """The header, then each batch of records as one text (``_Records``), written in one go."""
    cell = functools.partial(_csv_cell, excel=excel)
    checked = () if excel else ("text",)  # with --excel every text cell is looked at (="0123")
    records = _Records(delimiter, len(columns), "\r\n" if excel else "\n")
    written = 0  # records, the header first (row 1, as a spreadsheet numbers them)
    header = (1, [c.key for c in columns])
    for rows, cells in chain([header], _converted(batches, columns, simple, cell, _CSV_AS_IS, checked)):
        try:
            out.write(records(rows, cells))
        except UnicodeEncodeError as error:
            lines = _rows(cells, len(columns))
            row = written + next(i for i, line in enumerate(lines, start=1) if not _encodes(line, error.encoding))
            bad = error.object[error.start]
            raise Invalid(
                f"row {row} has '{bad}' (U+{ord(bad):04X}), which {error.encoding} cannot write: use --encoding utf-8 or gb18030"
            ) from None
        written += rows
    return written - 1


class _Records:
    """Batches of records as CSV (or TSV) text, as the csv module writes them: each cell as
    ``str`` writes it (None as nothing), in double quotes (a quote doubled) when it holds
    the delimiter, a quote or a line end — so that a cell's own ``\r`` survives a ``\n``
    line end.

    A batch is made by one string format. Only the columns in ``quoting`` are looked at
    cell by cell: those where a cell to quote was found. The counts of delimiters, line
    ends and quotes in the text show whether any other cell needs quotes (every one is
    either between cells and records or inside those columns); if one does, every column
    is looked at and the batch made again."""

    def __init__(self, delimiter: str, width: int, terminator: str) -> None:
        self.delimiter = delimiter
        self.width = width
        self.breaks = 1 if terminator == "\r\n" else 0  # \r per record
        self.line = delimiter.join(["%s"] * width) + terminator
        self.to_quote = re.compile(f'[{re.escape(delimiter)}"\r\n]' + ("|^$" if width == 1 else ""))  # csv: a lone empty cell is ""
        self.quoting: list[int] = [0] if width == 1 else []

    def __call__(self, count: int, cells: list[Any]) -> str:
        """The text of ``count`` records whose cells are ``cells``, row after row."""
        if None in cells:
            cells = ["" if value is None else value for value in cells]
        text, inside = self._format(count, cells)
        if (
            text.count(self.delimiter) == count * (self.width - 1) + inside.count(self.delimiter)
            and text.count("\n") == count + inside.count("\n")
            and text.count("\r") == count * self.breaks + inside.count("\r")
            and text.count('"') == inside.count('"')
        ):
            return text
        found = (i for i in range(self.width) if self.to_quote.search(self._joined(count, cells[i :: self.width])))
        self.quoting = sorted({*self.quoting, *found})
        return self._format(count, cells)[0]

    def _format(self, count: int, cells: list[Any]) -> tuple[str, str]:
        """The records, the cells of the ``quoting`` columns in quotes where they need
        them; and the text of those cells."""
        if not self.quoting:
            return (self.line * count) % tuple(cells), ""
        cells = cells.copy()
        inside = []
        for i in self.quoting:
            cells[i :: self.width] = column = self._quoted(cells[i :: self.width])
            inside.append(self._joined(count, column))
        return (self.line * count) % tuple(cells), "".join(inside)

    @staticmethod
    def _joined(count: int, column: list[Any]) -> str:
        return ("%s\x00" * count) % tuple(column)

    def _quoted(self, column: list[Any]) -> list[Any]:
        """The column with the text cells that need it in quotes."""
        try:
            found = list(map(self.to_quote.search, column))
        except TypeError:  # not only text: numbers never need quotes
            found = [value.__class__ is str and self.to_quote.search(value) for value in column]
        for j in compress(range(len(column)), found):
            column[j] = '"' + column[j].replace('"', '""') + '"'
        return column


def _encodes(cells: Sequence[Any], encoding: str) -> bool:
    try:
        "".join(cell for cell in cells if cell.__class__ is str).encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


# ---------------------------------------------------------------- streaming for programs
#
# CSV, TSV and JSON write every row of big listings and exports, so their cells are
# converted a batch of rows at a time, one column at a time, and only where needed: a
# batch whose values are all str, int, float or None leaves the cells of most kinds as
# they are (``_Records`` and JSON write those as ``_csv_cell`` / ``json_value`` would);
# in a text column only the cells starting with a character a spreadsheet could run are
# changed (``csv_safe``). Anything else takes the slow path, cell by cell.


@dataclass(frozen=True)
class Records:
    """Rows as tuples with the key of each position (``keys``): what a big query streams
    to ``render`` without making a dict of every row. Each column's key must be a key."""

    keys: Sequence[str]
    rows: Iterable[Sequence[Any]]
    simple: bool = False  # every value is a str, int, float or None (as SQLite gives them): not checked again
    # The same rows as text the store made (``Made``), asked for instead of ``rows`` when
    # all of them are written as CSV or TSV: each text cell made safe as ``csv_safe`` does.
    made: Callable[[], Iterable[Made] | None] | None = None


@dataclass(frozen=True)
class Made:
    """A batch of records as text the store made (UTF-8, the cells joined by tabs, the lines
    by newlines, none quoted: ``store.lines``), how many there are, and the same records as
    tuples (``rows()``, read only when the text is not what ``_Records`` writes: a cell held
    a tab, a line end or a quote). A batch without text is read from ``rows()``."""

    text: bytes | None
    count: int  # lines in ``text``
    rows: Callable[[], Iterable[Sequence[Any]]]

    def as_written(self, width: int) -> bool:
        """Whether ``text`` is what ``_Records`` writes: no cell holds a tab, a line end or
        a quote (each counted at C speed over the whole batch)."""
        text = self.text
        return (
            text is not None
            and b'"' not in text
            and b"\r" not in text
            and text.count(b"\t") == self.count * (width - 1)
            and text.count(b"\n") == self.count - 1
        )


@dataclass(frozen=True)
class Columns:
    """Rows a batch at a time, each batch a list of values per key, none empty: what a
    report works out a column at a time streams to ``render``. Plain text takes the
    columns as they are; the other formats take them row by row (``records``). Every
    value is a str, int, float or None."""

    batches: Iterable[Mapping[str, Sequence[Any]]]

    def records(self, keys: Sequence[str]) -> Records:
        rows = chain.from_iterable(zip(*map(batch.__getitem__, keys)) for batch in self.batches)
        return Records(keys, rows, simple=True)


_SIMPLE = frozenset((str, int, float, type(None)))
_CSV_AS_IS = frozenset(("id", "int", "number", "count", "date"))  # kinds whose simple values CSV writes as they are
_JSON_AS_IS = frozenset(("text", "id", "int", "number", "count", "date", "list", "object", "percent"))  # and JSON
_first_char = itemgetter(0)


def _tuples(rows: Iterable[Any], columns: Sequence[Column], keys: Sequence[str] | None) -> Iterator[list[Any]]:
    """``rows`` (dicts, or tuples in ``keys`` order) as batches of tuples in the order of
    ``columns``; rows whose columns have kinds of their own (``kind_key``) stay dicts."""
    wanted = [c.key for c in columns]
    if any(c.kind_key for c in columns):
        yield from _batches(rows if keys is None else (dict(zip(keys, row)) for row in rows), 1000)
        return
    if keys is not None and list(keys) == wanted:
        yield from _batches(rows, 1000)
        return
    if keys is not None:
        index = {key: i for i, key in enumerate(keys)}
        get = itemgetter(*(index[key] for key in wanted))
    else:
        get = itemgetter(*wanted)
    for batch in _batches(rows, 1000):
        try:
            yield list(map(get, batch)) if len(wanted) > 1 else [(get(row),) for row in batch]
        except KeyError:  # a row without some key: missing there
            yield [tuple(map(row.get, wanted)) for row in batch]


def _converted(
    batches: Iterable[list[Any]],
    columns: Sequence[Column],
    simple: bool,
    cell: Callable[[str], Callable[[Any], Any]],
    as_is: frozenset[str],
    checked: Sequence[str] = (),
) -> Iterator[tuple[int, list[Any]]]:
    """Each batch (of ``_tuples``) as its number of rows and its cells, row after row in
    one list (a column ``i`` of it is ``cells[i::width]``); ``cell(kind)`` converts one value.

    In a batch of simple values (str, int, float, None: always, if ``simple``), a column of a kind in ``as_is``
    is kept as it is, and so is one of a ``checked`` kind whose cells are all strings
    starting with no risky character (``csv_safe``); the others are converted column by
    column (``_COLUMNWISE``). Any other batch is converted cell by cell."""
    width = len(columns)
    convert = [cell(c.kind) for c in columns]
    always = [(i, _column(convert[i])) for i, c in enumerate(columns) if c.kind not in as_is and c.kind not in checked]
    looked_at = [(i, convert[i]) for i, c in enumerate(columns) if c.kind in checked]
    for batch in batches:
        if isinstance(batch[0], dict):
            yield len(batch), [cell(c.kind_of(row))(row.get(c.key)) for row in batch for c in columns]
            continue
        cells = list(chain.from_iterable(batch))
        if not (simple or _SIMPLE.issuperset(map(type, cells))):
            yield len(batch), [f(value) for row in batch for f, value in zip(convert, row)]
            continue
        for i, column in always:
            cells[i::width] = column(cells[i::width])
        for i, safe in looked_at:
            if not _plain_strings(cells[i::width]):
                cells[i::width] = _made_safe(cells[i::width], safe)
        yield len(batch), cells


# Cell functions whose column-at-once form is quicker than calling them cell by cell.
_COLUMNWISE: dict[Callable[[Any], Any], Callable[[list[Any]], list[Any]]] = {_csv_money: _csv_money_column}
_INT_OR_NONE = frozenset((int, type(None)))


def _column(convert: Callable[[Any], Any]) -> Callable[[list[Any]], list[Any]]:
    """``convert`` applied to each value of a column."""
    return _COLUMNWISE.get(convert) or (lambda values: list(map(convert, values)))


def _rows(cells: list[Any], width: int) -> Iterator[tuple[Any, ...]]:
    """The rows of a batch of ``_converted`` cells."""
    return zip(*[iter(cells)] * width)


def _made_safe(values: list[Any], safe: Callable[[Any], Any]) -> list[Any]:
    """``values`` with ``safe`` (``csv_safe`` of text) applied to the strings starting with
    a risky character and to the values that are neither strings nor missing (a number -5
    in a text column); one starting with a formula character (a phone number's +) gets its
    ``'`` here, without a call."""
    return [
        value if value is None or (value.__class__ is str and value[:1] not in _RISKY_STARTS)
        else "'" + value if value.__class__ is str and value[:1] in _FORMULA_STARTS
        else safe(value)
        for value in values
    ]


def _plain_strings(values: list[Any]) -> bool:
    """Whether ``values`` are only strings (or nothing) starting with no risky character."""
    try:
        return _RISKY_STARTS.isdisjoint(map(_first_char, filter(None, values)))
    except TypeError:  # a value that is not a string
        return False


_FORMULA_STARTS = frozenset(FORMULA_STARTS)


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


def _write_text(out, rows, columns, fmt, title, summary, summary_columns, empty, keys=None) -> int:
    title = title and one_line(title)
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
        count = _write_plain(out, rows, columns, keys)
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
    return sum(map(_CHAR_WIDTHS.__getitem__, text))


def _char_width(char: str) -> int:
    from unicodedata import combining, east_asian_width

    return 0 if combining(char) else 2 if east_asian_width(char) in "WF" else 1


_CHAR_WIDTHS = _Memo(_char_width)  # each character measured once


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * (width - text_width(text))
    return gap + text if right else text + gap


def _write_plain(out, rows, columns, keys: Sequence[str] | None = None) -> int:
    """Aligned text without box drawing, streamed: column widths come from the first
    thousand rows and only ever grow, so a huge listing starts at once in flat memory.
    Each batch of rows is converted a column at a time (``_display_column``) and made
    into lines by one string format. ``keys``: as for ``_tuples``."""
    right = [c.numeric for c in columns]
    titles = [c.title for c in columns]
    widths = [text_width(title) for title in titles]
    count = 0
    for table in _plain_tables(rows, columns, keys):
        rows = len(table[0])
        # a column of one text repeated (the many customers who bought nothing) is measured
        # once and written into the format of the lines
        same = list(map(_repeated, table))
        measured = [_cell_widths(column[:1] if one else column) for column, one in zip(table, same)]
        widths = [
            max(width, max(map(len, column[:1] if one else column) if cell_widths is None else cell_widths, default=0))
            for width, column, one, cell_widths in zip(widths, table, same, measured)
        ]
        if not count:
            out.write(_plain_line(titles, [text_width(title) for title in titles], widths, right))
        specs, varying = [], []
        for i, (column, one, cell_widths, width) in enumerate(zip(table, same, measured, widths)):
            if one:
                specs.append(_pad(column[0], width, right[i]).replace("%", "%%"))
            elif cell_widths is None:
                specs.append(f"%{'' if right[i] else '-'}{width}s")
                varying.append(column)
            else:
                pad = str.rjust if right[i] else str.ljust
                varying.append(list(map(pad, column, map(sub, map(add, repeat(width), map(len, column)), cell_widths))))
                specs.append("%s")
        text = ("  ".join(specs) + "\n") * rows % _interleaved(varying, rows)
        out.write(text if right[-1] and _ends_unspaced(table[-1]) else _trimmed(text))
        count += rows
    if not count:
        out.write(_plain_line(titles, [text_width(title) for title in titles], widths, right))
    return count


def _interleaved(columns: list[list[str]], rows: int) -> tuple[str, ...]:
    """The cells of ``columns`` row after row (a slice assignment a column: quicker than zip)."""
    cells: list[str] = [""] * (rows * len(columns))
    for i, column in enumerate(columns):
        cells[i :: len(columns)] = column
    return tuple(cells)


def _ends_unspaced(cells: list[str]) -> bool:
    """Whether no cell is empty or ends with whitespace: none ends a line with whitespace
    where it is written last, aligned right."""
    if not all(cells):
        return False
    ends = "".join(map(itemgetter(-1), cells))
    return "".join(ends.split()) == ends


def _trimmed(text: str) -> str:
    """Each line of ``text`` without the whitespace it ends with."""
    return "".join(line.rstrip() + "\n" for line in text[:-1].split("\n"))


def _plain_tables(rows, columns, keys: Sequence[str] | None) -> Iterator[list[list[str]]]:
    """The cells of each batch of ``rows`` (dicts, tuples in ``keys`` order or ``Columns``)
    as people read them, a list per column: a column converted at a time
    (``_display_column``), but where cells have kinds of their own (``kind_key``)."""
    shown = [_display_column(c) for c in columns]
    if isinstance(rows, Columns):
        for batch in _rebatched(rows.batches, [c.key for c in columns], 1000):
            yield [convert(values) for convert, values in zip(shown, batch)]
        return
    cells = _cells(columns, _display_or_missing, labelled=True)
    for batch in _tuples(rows, columns, keys):
        if isinstance(batch[0], dict):
            yield [list(column) for column in zip(*map(cells, batch))]
        else:
            yield [convert(list(values)) for convert, values in zip(shown, zip(*batch))]


def _rebatched(batches: Iterable[Mapping[str, Sequence[Any]]], keys: list[str], size: int) -> Iterator[list[list[Any]]]:
    """The columns ``keys`` of ``batches`` in batches of ``size`` rows (the last fewer):
    the same batches as rows would make, whatever the sizes of the batches given."""
    pending: list[list[Any]] = [[] for _ in keys]
    for batch in batches:
        if not pending[0] and len(batch[keys[0]]) == size:  # as it is
            yield [batch[key] for key in keys]
            continue
        for column, key in zip(pending, keys):
            column.extend(batch[key])
        while len(pending[0]) >= size:
            yield [column[:size] for column in pending]
            pending = [column[size:] for column in pending]
    if pending[0]:
        yield pending


def _cell_widths(column: list[str]) -> list[int] | None:
    """The width of each cell of a column; None when every cell is ASCII (its length)."""
    if "".join(column).isascii():
        return None
    widths = list(map(len, column))
    wide = list(compress(range(len(column)), map(not_, map(str.isascii, column))))
    cells = list(map(column.__getitem__, wide))
    if all(map(_ONE_OR_TWO_IN_THREE.__getitem__, set("".join(cells)))):  # e.g. Chinese names
        widths_of = map(floordiv, map(add, map(len, map(str.encode, cells)), map(len, cells)), repeat(2))
    else:
        widths_of = map(text_width, cells)
    for i, width in zip(wide, widths_of):
        widths[i] = width
    return widths


# Whether a character is ASCII (one cell, one byte in UTF-8) or takes two cells and three
# bytes (most of CJK): a text of only such characters is (bytes + characters) / 2 cells.
_ONE_OR_TWO_IN_THREE = _Memo(lambda char: char.isascii() or ("\u0800" <= char <= "\uffff" and _char_width(char) == 2))


def _plain_line(cells: list[str], cell_widths: list[int], widths: list[int], right: list[bool]) -> str:
    """One aligned line; ``cell_widths`` are the cells' own widths, measured once."""
    padded = (
        " " * (w - cw) + v if r else v + " " * (w - cw) for v, cw, w, r in zip(cells, cell_widths, widths, right)
    )
    return "  ".join(padded).rstrip() + "\n"


def _write_markdown(out, rows, columns) -> int:
    from tabulate import tabulate

    cells = _cells(columns, _display_or_missing, labelled=True)
    table = [[cell.replace("|", "\\|") for cell in cells(row)] for row in rows]  # a | would end the cell
    align = ["right" if c.numeric else "left" for c in columns]
    out.write(tabulate(table, headers=[c.title for c in columns], tablefmt="github", colalign=align, disable_numparse=True))
    out.write("\n")
    return len(table)


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


GAP = 2  # cells between two columns of a table (plain text too)
MIN_CUT = 20  # long text is cut no narrower than this (or its title) before columns go
MIN_BAR = 5  # the narrowest bar still worth drawing


@dataclass
class _Fit:
    """How a table fits the terminal: the width of each column shown (by index, in
    order), and the titles of those left out and of those cut short."""

    widths: dict[int, int]
    left_out: list[str]
    cut: list[str]


def _fit(columns: Sequence[Column], texts: list[list[str]], room: int | None) -> _Fit:
    """Fit the columns, whose cells read ``texts``, into ``room`` cells (None: no limit).

    Long text gives way first, then bars narrow: the least important columns (highest
    ``priority``) and then the widest, none below its least width (numbers, dates and
    short values keep theirs). When even the least widths are too wide, columns are left
    out, least important and rightmost first; priority 1 always stays.
    """
    natural: dict[int, int] = {}
    least: dict[int, int] = {}
    for i, column in enumerate(columns):
        title = text_width(column.title)
        value = max((text_width(line[i]) for line in texts), default=0)
        if column.bar:
            natural[i] = max(title, value + 1 + BAR_WIDTH)
            least[i] = max(title, value + 1 + MIN_BAR)
        else:
            natural[i] = max(title, value)
            least[i] = natural[i] if column.numeric else min(natural[i], max(title, MIN_CUT))
    if room is None:
        return _Fit(natural, [], [])

    def needed(widths: dict[int, int]) -> int:
        return sum(widths.values()) + GAP * (len(widths) - 1)

    while needed(least) > room and (droppable := [i for i in least if columns[i].priority > 1]):
        del least[max(droppable, key=lambda i: (columns[i].priority, i))]
    widths = {i: natural[i] for i in least}
    excess = needed(widths) - room
    for priority in sorted({columns[i].priority for i in widths}, reverse=True):
        tier = [i for i in widths if columns[i].priority == priority]
        while excess > 0 and (slack := [i for i in tier if widths[i] > least[i]]):
            widths[max(slack, key=widths.__getitem__)] -= 1
            excess -= 1
    return _Fit(
        widths,
        left_out=[c.title for i, c in enumerate(columns) if i not in widths],
        cut=[columns[i].title for i, width in widths.items() if width < natural[i] and not columns[i].bar],
    )


def _write_rich(rows, columns, title, limit, summary, summary_columns, empty, total=None, wide=False) -> int:
    """A rich table that fits the terminal (``_fit``), or any width with ``wide``."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    out = console()
    if title:
        out.print(f"[bold]{escape(one_line(title))}[/bold]")
    if empty:
        out.print(f"[dim]{escape(empty)}[/dim]")
        return 0
    shown = list(islice(rows, limit))
    more = sum(1 for _ in rows) if total is None else max(total - len(shown), 0)
    texts = [[display_value(row.get(c.key), c.kind_of(row), missing=c.missing or "—") for c in columns] for row in shown]
    fit = _fit(columns, texts, None if wide else out.width)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    bars = {}
    for i, width in fit.widths.items():
        column = columns[i]
        table.add_column(
            column.title,
            justify="right" if column.numeric and not column.bar else "left",
            width=width,
            no_wrap=True,
            overflow="ellipsis",
        )
        if column.bar:
            bars[i] = (width - 1 - max(text_width(line[i]) for line in texts), _bar_scale(column, shown))
    for row, line in zip(shown, texts):
        cells = (_cut(line[i], width) for i, width in fit.widths.items())
        table.add_row(*(_rich_cell(row, columns[i], text, *bars.get(i, (0, None))) for i, text in zip(fit.widths, cells)))
    if wide:
        out.width = max(out.width, sum(fit.widths.values()) + GAP * (len(fit.widths) - 1))
    out.print(table)
    if more:
        out.print(f"[dim]… {plural(more, 'more row')} (use --limit N, or --format plain to see all)[/dim]")
    lines = _summary_lines(summary, summary_columns)
    if lines:
        grid = Table.grid(padding=(0, GAP))
        grid.add_column(style="bold")
        grid.add_column(justify="right")
        for key, value in lines:
            grid.add_row(escape(key), escape(value))
        out.print()
        out.print(grid)
    parts = []
    if fit.left_out:
        parts.append(f"Left out: {', '.join(fit.left_out)}")
    if fit.cut:
        parts.append(f"cut: {', '.join(fit.cut)}")
    if parts:  # for people, on stderr, one line: the hint shortened, then the list cut, to fit
        note = "; ".join(parts)
        hint = " (--wide or -f plain shows all)"
        if text_width(note + hint) > out.width:
            hint = " (--wide shows all)"
        console(stderr=True).print(f"[dim]{escape(_cut(note, out.width - text_width(hint)) + hint)}[/dim]")
    return len(shown) + more


def _cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` display cells, ending in … when anything was cut."""
    if text_width(text) <= width:
        return text
    kept, used = [], 1  # the … takes one cell
    for char in text:
        used += text_width(char)
        if used > width:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


def _bar_scale(column: Column, shown: list[Mapping[str, Any]]) -> float | None:
    """What a full bar stands for: a ratio is its own scale (None); a count or an amount
    is drawn relative to the largest one shown."""
    if column.kind == "ratio":
        return None
    return max((row.get(column.key) or 0 for row in shown), default=0)


def _rich_cell(row: Mapping[str, Any], column: Column, text: str, width: int, scale: float | None) -> str:
    """One cell as rich markup: the text escaped, in its tone's colour; a bar of
    ``width`` cells before it in a bar column."""
    from rich.markup import escape

    text = escape(text)
    tone = column.tone(row) if column.tone else None
    if tone:
        text = f"[{TONES[tone]}]{text}[/]"
    value = row.get(column.key)
    if not column.bar or value is None:
        return text
    if scale is not None:
        value = value / scale if scale else 0.0
    cells = bar(value, width)
    mark = row.get(column.mark) if column.mark else None
    if mark is None:
        return f"[cyan]{cells}[/cyan] {text}"
    at = min(len(cells) - 1, int(max(0.0, min(1.0, mark)) * len(cells)))
    return f"[cyan]{cells[:at]}[/cyan][bold]┃[/bold][cyan]{cells[at + 1:]}[/cyan] {text}"


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
    wide: bool = False,
) -> None:
    """One record as a card of ``field: value`` lines, then listings under it.

    ``sections`` are ``(key, title, rows, columns)``; in JSON they become nested arrays
    under ``key`` of the one object printed. ``summary`` is one closing line (in JSON an
    object under ``"summary"``; omitted in CSV). ``wide`` as for ``render``.
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
    values = [(c, display_value(record.get(c.key), c.kind)) for c in fields]
    shown = [(c, value) for c, value in values if value]
    title = title and one_line(title)
    if fmt == "table":
        from rich.markup import escape
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        for column, value in shown:
            grid.add_row(escape(column.title), _rich_cell(record, column, value, 0, None))
        out = console()
        if title:
            out.print(f"[bold underline]{escape(title)}[/bold underline]")
        out.print(grid)
        out.print()
    else:
        if title:
            sys.stdout.write(f"## {title}\n\n" if fmt == "markdown" else f"{title}\n")
        width = max((len(c.title) for c, _ in shown), default=0)
        sys.stdout.writelines(f"{c.title.ljust(width)}  {value}\n" for c, value in shown)
        sys.stdout.write("\n")
    for _, section_title, rows, columns in sections:
        render(rows, columns, fmt=fmt, title=section_title, empty="None.", wide=wide)
        sys.stdout.write("\n")
    line = " · ".join(f"{key}: {value}" for key, value in _summary_lines(summary, summary_columns))
    if line:
        sys.stdout.write(f"{line}\n")


# ---------------------------------------------------------------- messages


def created(kind: str, record_id: int, detail: str = "") -> None:
    """What every ``add`` prints: a sentence on a terminal, the bare id when piped."""
    if stdout_isatty():
        console().print(f"Added {kind} {record_id}" + (f": {one_line(detail)}" if detail else ""), markup=False)
    else:
        sys.stdout.write(f"{record_id}\n")


def message(text: str) -> None:
    """A sentence for people (stderr), e.g. what a command did."""
    sys.stderr.write(safe_text(text) + "\n")


def done(text: str) -> None:
    """The result of a write command that creates nothing (stdout: what happened)."""
    sys.stdout.write(safe_text(text) + "\n")


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
    sys.stderr.write(f"Warning: {safe_text(text)}\n")


def error(text: str) -> None:
    text = safe_text(text)
    if os.environ.get("NO_COLOR") is None and sys.stderr.isatty():
        sys.stderr.write(f"\x1b[31mError:\x1b[0m {text}\n")
    else:
        sys.stderr.write(f"Error: {text}\n")
