"""The streaming writer of CSV and TSV: byte for byte what the csv module writes, however
the cells are made (a batch is written by one string format; cells to quote are quoted)."""

from __future__ import annotations

import csv
import io
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
    stdout = io.StringIO()
    real, output.sys.stdout = output.sys.stdout, stdout
    try:
        count = output.render(Records([c.key for c in columns], rows, simple=True), columns, fmt=fmt, **options)
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
