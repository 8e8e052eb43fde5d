"""An export: the columns an import reads, and the rows to put in them, streamed.

CSV and JSON carry the same keys. In CSV a customer's custom fields are one column each
(``field:KEY``, every key any customer has, sorted); in JSON they are one ``fields``
object. A target's ``value`` is in its metric's unit: ``12000.50`` for money, a count,
or a share (``80%`` in CSV, ``0.8`` in JSON).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from salescli.output import Column, Records
from salescli.store import transfer as store
from salescli.transfer.entities import (
    CUSTOM_FIELD_PREFIX,
    Entity,
    target_value_json,
    target_value_text,
)


def export(conn: sqlite3.Connection, entity: Entity, fmt: str) -> tuple[list[Column], Records]:
    """The columns and the streamed rows of ``entity`` for ``fmt`` (``csv`` or ``json``)."""
    columns = [Column(f.name, kind=f.kind) for f in entity.fields]
    spread = None
    if entity.custom_fields and fmt == "json":
        after_notes = [c.key for c in columns].index("notes") + 1
        columns.insert(after_notes, Column("fields"))  # where `customer list` has it
    elif entity.custom_fields:  # tags as one text, a column per custom field: SQLite does the work
        spread = {CUSTOM_FIELD_PREFIX + key: key for key in store.custom_field_keys(conn)}
        columns = [Column(c.key, kind="text") if c.kind == "list" else c for c in columns]
        columns += [Column(name) for name in spread]
    names, rows = store.export_rows(conn, entity.name, spread=spread)
    json_columns = store.JSON_COLUMNS if spread is None else store.JSON_COLUMNS - {"tags", "fields"}
    decoded = [i for i, name in enumerate(names) if name in json_columns]
    if decoded:
        rows = _decoded(rows, decoded)
    if entity.name == "targets":
        rows = _changed(rows, names.index("value"), names.index("metric"), target_value_json if fmt == "json" else target_value_text)
    return columns, Records(names, rows, simple=not decoded)


def _decoded(rows: Iterable[tuple[Any, ...]], positions: list[int]) -> Iterator[tuple[Any, ...]]:
    """Rows with their JSON text at ``positions`` decoded (tags sorted as ``customer show`` sorts them)."""
    for row in rows:
        cells = list(row)
        for i in positions:
            if cells[i] is not None:
                cells[i] = json.loads(cells[i])
                if isinstance(cells[i], list):
                    cells[i].sort(key=str.casefold)
        yield tuple(cells)


def _changed(rows: Iterable[tuple[Any, ...]], value: int, metric: int, shown: Callable[[str, int], Any]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        cells = list(row)
        cells[value] = shown(cells[metric], cells[value])
        yield tuple(cells)
