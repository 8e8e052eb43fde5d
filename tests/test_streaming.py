"""The streaming writer of CSV and TSV: byte for byte what the csv module writes, however
the cells are made (a batch with nothing to quote is written by one string format)."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from salescli import output
from salescli.output import Column, Records

_text = st.one_of(st.none(), st.text(alphabet=st.sampled_from('ab ,\t\n\r"\'=-+@;中\x00\x1b'), max_size=6))
_cell = st.one_of(_text, st.integers(-10**15, 10**15), st.floats(allow_nan=False, allow_infinity=False))
COLUMNS = [Column("id", kind="id"), Column("name"), Column("amount", kind="number"), Column("notes")]


def _expected(rows, delimiter: str) -> str:
    """What the csv module writes for ``rows``: text cells as ``csv_safe`` makes them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow([c.key for c in COLUMNS])
    writer.writerows([_safe(row) for row in rows])
    return buffer.getvalue()


def _safe(row):
    return [output.csv_safe(v) if isinstance(v, str) and c.kind == "text" else v for c, v in zip(COLUMNS, row)]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 10**9), _text, _cell, _text), max_size=2500),
    st.sampled_from(["csv", "tsv"]),
)
def test_csv_and_tsv_as_the_csv_module_writes_them(rows, fmt):
    delimiter = "," if fmt == "csv" else "\t"
    stdout = io.StringIO()
    real, output.sys.stdout = output.sys.stdout, stdout
    try:
        count = output.render(Records([c.key for c in COLUMNS], rows, simple=True), COLUMNS, fmt=fmt)
    finally:
        output.sys.stdout = real
    assert count == len(rows)
    written = stdout.getvalue()
    if "\r" not in written:  # (a cell with \r is quoted as with CRLF line ends: see test_export)
        assert written == _expected(rows, delimiter)
    cells = [["" if v is None else str(v) for v in _safe(row)] for row in rows]
    assert list(csv.reader(io.StringIO(written, newline=""), delimiter=delimiter))[1:] == cells
