"""The streaming writer of CSV and TSV: byte for byte what the csv module writes, however
the cells are made (a batch is written by one string format; cells to quote are quoted)."""

from __future__ import annotations

import csv
import functools
import io
import unicodedata
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from salescli import output
from salescli.output import Column, Records

_text = st.one_of(st.none(), st.text(alphabet=st.sampled_from('ab ,\t\n\r"\'=-+@;中\x00\x1b'), max_size=6))
_number = st.one_of(st.none(), st.integers(-10**15, 10**15), st.floats(allow_nan=False, allow_infinity=False))
COLUMNS = [Column("id", kind="id"), Column("name"), Column("amount", kind="number"), Column("notes"), Column("paid", kind="money")]
_cents = st.one_of(st.none(), st.integers(-10**12, 10**12), st.integers(0, 10**6))


def _record(row, delimiter: str, terminator: str) -> str:
    """One record as the csv module writes it with CRLF line ends (so that it quotes a
    cell holding \\r), ending in ``terminator``."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(row)
    return buffer.getvalue()[:-2] + terminator


def _safe(row, columns):
    """The cells as CSV shows them: text (a number in a text column too) made safe for
    spreadsheets, money (cents) in major units."""
    return [
        output.csv_safe(str(v)) if c.kind == "text" and v is not None
        else f"{Decimal(v) / 100:.2f}" if c.kind == "money" and v is not None
        else v
        for c, v in zip(columns, row)
    ]


def _written(rows, columns, fmt: str, **options) -> tuple[int, str]:
    return _rendered(Records([c.key for c in columns], rows, simple=True), columns, fmt=fmt, **options)


def _rendered(rows, columns, **options) -> tuple[int, str]:
    """How many rows ``render`` counted, and what it wrote."""
    stdout = io.StringIO()
    real, output.sys.stdout = output.sys.stdout, stdout
    try:
        count = output.render(rows, columns, **options)
    finally:
        output.sys.stdout = real
    return count, stdout.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**9), _text, _number, st.one_of(_text, st.integers(-9, 9)), _cents), max_size=2500), st.sampled_from(["csv", "tsv"]))
def test_csv_and_tsv_as_the_csv_module_writes_them(rows, fmt):
    delimiter = "," if fmt == "csv" else "\t"
    count, written = _written(rows, COLUMNS, fmt)
    assert count == len(rows)
    header = [c.key for c in COLUMNS]
    assert written == "".join(_record(row, delimiter, "\n") for row in [header, *(_safe(r, COLUMNS) for r in rows)])
    cells = [["" if v is None else str(v) for v in _safe(row, COLUMNS)] for row in rows]
    assert list(csv.reader(io.StringIO(written, newline=""), delimiter=delimiter))[1:] == cells


@settings(max_examples=100, deadline=None)
@given(st.lists(_text, max_size=50))
def test_one_column(values):
    """A record of one empty cell is "" (else it would be an empty line)."""
    column = [Column("notes")]
    _, written = _written([(v,) for v in values], column, "csv")
    assert written == "".join(_record(row, ",", "\n") for row in [["notes"], *(_safe((v,), column) for v in values)])


def test_money_memo_is_emptied_when_full(monkeypatch):
    """Each distinct amount is formatted once (``_MONEY_TEXTS``); past its size the memo
    starts again, and every amount is still written exactly."""
    monkeypatch.setattr(output, "MONEY_MEMO_SIZE", 100)
    monkeypatch.setattr(output, "_MONEY_TEXTS", output._Memo(output._csv_money))
    column = [Column("paid", kind="money")]
    amounts = [(cents,) for cents in [*range(-15000, 15000, 7), None, 0, 5, -5, 10**14]] * 2
    _, written = _written(amounts, column, "csv")
    assert written == "".join(_record(row, ",", "\n") for row in [["paid"], *(_safe(row, column) for row in amounts)])
    assert len(output._MONEY_TEXTS) <= 100 + 1000  # at most one batch past the size


# ---------------------------------------------------------------- plain text
#
# The plain writer converts, measures and formats a batch of rows a column at a time; it
# must write byte for byte what writing each row's cells one by one writes (``_plain``).

_shown = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from("ab %é×中文\u0301\u3000\x1b\n\t"), max_size=8),
    st.text(alphabet=st.sampled_from("xyz"), min_size=30, max_size=40),  # a column grows later on
)
PLAIN_COLUMNS = [
    Column("id", kind="id"), Column("name", missing="(none)"), Column("amount", kind="money"), Column("count", kind="int"),
    Column("when", kind="date"), Column("open", kind="bool"), Column("note"),
]
_plain_row = st.tuples(
    st.one_of(st.integers(1, 10**9), st.none()), _shown, st.one_of(st.none(), st.integers(-10**9, 10**12)),
    st.one_of(st.none(), st.integers(-10**6, 10**6), st.booleans()), st.one_of(st.none(), st.just("2026-11-23")),
    st.one_of(st.none(), st.booleans(), st.integers(0, 1)), _shown,
)


def _plain(rows, columns) -> str:
    """What the plain writer wrote row by row: every cell as ``display_value`` shows it
    (a missing one as its label), widths from the first thousand rows, growing with each
    thousand after; right-aligned numbers, two spaces between, no trailing spaces."""
    @functools.cache  # the rule per character, counted once per distinct text
    def width(text):
        return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    def cells(row):
        return [c.missing if v is None and c.missing else output.display_value(v, c.kind) for c, v in zip(columns, row)]

    def line(texts, widths):
        padded = [" " * (w - width(t)) + t if c.numeric else t + " " * (w - width(t)) for c, t, w in zip(columns, texts, widths)]
        return "  ".join(padded).rstrip() + "\n"

    titles = [c.title for c in columns]
    widths, written = list(map(width, titles)), []
    for start in range(0, len(rows), 1000):
        batch = list(map(cells, rows[start : start + 1000]))
        widths = [max(w, *map(width, column)) for w, column in zip(widths, zip(*batch))]
        written += [line(titles, widths)] if not start else []
        written += [line(texts, widths) for texts in batch]
    return "".join(written) or line(titles, widths)


@settings(max_examples=150, deadline=None)
@given(st.lists(_plain_row, max_size=2200), st.integers(1, len(PLAIN_COLUMNS)), st.booleans())
def test_plain_text_as_written_cell_by_cell(rows, width, as_dicts):
    columns, rows = PLAIN_COLUMNS[:width], [row[:width] for row in rows]  # any column last
    keys = [c.key for c in columns]
    given_rows = [dict(zip(keys, row)) for row in rows] if as_dicts else Records(keys, rows)
    assert _rendered(given_rows, columns, fmt="plain", empty="") == (len(rows), _plain(rows, columns))



# Runs of one row repeated: a batch whose column holds one value is converted once and
# written into the lines' format; equal values shown apart (1, 1.0 and True; 0.0 and -0.0)
# and a % in a text must come out as cell by cell.
REPEATED_COLUMNS = [*PLAIN_COLUMNS, Column("share", kind="ratio"), Column("tier", missing="(none)")]
_repeated_row = st.tuples(
    st.sampled_from([1, 7, None]), st.sampled_from(["a%", "%s", "中文", "x%%y", None]), st.sampled_from([0, 150, None]),
    st.sampled_from([1, 1.0, True, 0, None]), st.sampled_from(["2026-11-23", None]), st.sampled_from([True, 1, False, None]),
    st.sampled_from(["", "%", "中"]), st.sampled_from([0.0, -0.0, 0.5, 1.0, 1, None]), st.sampled_from(["C", None]),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_repeated_row, st.integers(1, 1500)), max_size=6), st.sampled_from(["records", "columns"]))
def test_plain_text_of_repeated_values_as_written_cell_by_cell(runs, given_as):
    rows = [row for row, times in runs for _ in range(times)]
    keys = [c.key for c in REPEATED_COLUMNS]
    if given_as == "records":
        given_rows = Records(keys, rows)
    else:  # a report's batches of columns, of any sizes
        batches = [rows[start : start + 700] for start in range(0, len(rows), 700)]
        given_rows = output.Columns([dict(zip(keys, map(list, zip(*batch)))) for batch in batches])
    assert _rendered(given_rows, REPEATED_COLUMNS, fmt="plain", empty="") == (len(rows), _plain(rows, REPEATED_COLUMNS))


_share = st.one_of(st.floats(0, 2, allow_nan=False), st.sampled_from([0.0, -0.0, 0.0005, 0.00049999999999, 0.0015, 0.9995, 1.0]))


@settings(max_examples=100, deadline=None)
@given(st.lists(_share, max_size=2500), st.booleans())
def test_plain_text_of_a_share_in_order_as_written_cell_by_cell(shares, descending):
    """A column in order (a cumulative share) is shown run by run: the same texts as one by one."""
    columns = [Column("id", kind="id"), Column("cumulative", kind="ratio")]
    rows = list(enumerate(sorted(shares, reverse=descending)))
    assert _rendered(Records(["id", "cumulative"], rows), columns, fmt="plain", empty="") == (len(rows), _plain(rows, columns))


def test_wide_text_measured_as_unicodedata_says():
    """The quick count for Latin-1 and CJK ideographs is the per-character rule."""
    for start, end in ((0, 0x100), (0x4E00, 0xA000)):
        text = "".join(map(chr, range(start, end)))
        expected = sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
        assert output.text_width(text) == expected
