"""Rows made into text by SQLite: what `report due -f tsv|csv` writes, a thousand records
at a time, without a Python object per cell (``output.Made`` checks and writes the text).

A batch is one value: its records' lines (UTF-8 bytes) joined by newlines, the cells by
tabs, none quoted. Each cell is what ``output`` writes for its kind: a missing value
empty, ids, whole numbers and dates as they are (the schema holds integers, or ISO text,
there: SQLite writes them as Python does), and text after a ``'`` where
``output.csv_safe`` puts one. A text cell whose value SQLite would write otherwise than
Python (a float) becomes ``"``, a quote no made text may hold: ``output`` then writes that
batch from its rows, cell by cell. (A blob, which only another tool could store in a text
column, would go out as its bytes.) SQLite only: PostgreSQL's rows take the per-cell path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from salescli.store import dialect

_NOT_AS_PYTHON = "typeof({x}) IN ('real', 'blob')"


def line(cells: Sequence[str], kinds: Sequence[str | None], risky: str) -> str | None:
    """The SQL expression of one record's line, the ``cells`` (expressions) shown by their
    ``kinds`` (None: as it is, SQL's own text or whole number); None when a kind is not one
    SQLite makes (``cell``)."""
    made = [expression if kind is None else cell(expression, kind, risky) for expression, kind in zip(cells, kinds)]
    if None in made:
        return None
    return f"printf('{chr(9).join(['%s'] * len(made))}', {', '.join(made)})"  # type: ignore[arg-type]


BATCH = 1000  # records a batch


@dataclass(frozen=True)
class Batch:
    """``count`` records, those whose key comes after ``after`` (None: from the first) and
    up to ``through`` (None: to the last), and their lines joined by newlines."""

    after: Sequence[Any] | None
    through: Sequence[Any] | None
    count: int
    text: bytes


def joined(line: str) -> str:
    """The SQL aggregate of the lines of a batch (``line`` an expression), as UTF-8 bytes;
    in the order the rows are read."""
    return f"CAST(group_concat({line}, char(10)) AS BLOB)"


def batches(conn: Any, batch: Callable[[Sequence[Any] | None], tuple[Sequence[Any] | None, int, bytes]]) -> Iterator[Batch]:
    """Each ``Batch`` of a query, all read from one snapshot: ``batch(after)`` gives the key
    of the ``BATCH``-th record after ``after`` (None when fewer are left), and the number
    and the joined lines of the records up to it."""
    if not conn.in_transaction:
        dialect.one_snapshot(conn)
    after = None
    while True:
        through, count, text = batch(after)
        if count:
            yield Batch(after, through, count, text)
        if through is None:
            return
        after = tuple(through)


def cell(x: str, kind: str, risky: str) -> str | None:
    """The SQL expression of the text of ``x`` (an expression) as a cell of ``kind``: text
    (``text``) made safe as ``output.csv_safe`` makes it (after a ``'`` where it starts with
    a character of ``risky``, or with a ``'`` and then one of those or another ``'``), or a
    value written as it is (``id``, ``int``, ``date``). None for any other kind."""
    odd = _NOT_AS_PYTHON.format(x=x)
    if kind == "text":
        # text starting here or later (most), or with a digit (a date), is safe as it is
        past = chr(ord(max(risky + "'")) + 1)
        starts, quoted = _starting(risky), "'''' || " + _starting(risky + "'")
        return (
            f"CASE WHEN {x} >= '{past}' THEN {x} WHEN {x} IS NULL THEN NULL "
            f"WHEN {x} >= '0' AND {x} < '{min(char for char in risky if char > '0')}' THEN {x} WHEN {odd} THEN '\"' "
            f"WHEN {x} GLOB {starts} OR {x} GLOB {quoted} THEN '''' || {x} ELSE {x} END"
        )
    if kind in ("id", "int", "date"):  # the schema's integers (or ISO text), which SQLite writes as Python does
        return x
    return None


def _starting(chars: str) -> str:
    """A GLOB pattern, as an SQL expression, of text starting with one of ``chars``: ``-``
    first (a literal there, not a range), control characters and ``'`` by their code."""
    assert not set(chars) & set("]^"), chars
    ordered = sorted(chars, key=lambda char: char != "-")
    codes = ", ".join(str(ord(char)) for char in ordered if not char.isprintable() or char == "'")
    literal = "".join(char for char in ordered if char.isprintable() and char != "'")
    return f"'[{literal}' || char({codes}) || ']*'" if codes else f"'[{literal}]*'"
