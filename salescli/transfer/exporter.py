"""An export: the columns an import reads, and the rows to put in them, streamed.

CSV and JSON carry the same keys. In CSV a customer's custom fields are one column each
(``field:KEY``, every key any customer has, sorted); in JSON they are one ``fields``
object. A target's ``value`` is in its metric's unit: ``12000.50`` for money, a count,
or a share (``80%`` in CSV, ``0.8`` in JSON).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from salescli.output import Column
from salescli.store import transfer as store
from salescli.transfer.entities import (
    CUSTOM_FIELD_PREFIX,
    Entity,
    target_value_json,
    target_value_text,
)


def export(conn: sqlite3.Connection, entity: Entity, fmt: str) -> tuple[list[Column], Iterator[dict[str, Any]]]:
    """The columns and the streamed rows of ``entity`` for ``fmt`` (``csv`` or ``json``)."""
    columns = [Column(f.name, kind=f.kind) for f in entity.fields]
    rows = store.export_rows(conn, entity.name)
    if entity.custom_fields and fmt == "json":
        after_notes = [c.key for c in columns].index("notes") + 1
        columns.insert(after_notes, Column("fields"))  # where `customer list` has it
    elif entity.custom_fields:
        keys = store.custom_field_keys(conn)
        columns += [Column(CUSTOM_FIELD_PREFIX + key) for key in keys]
        rows = _spread_fields(rows)
    if entity.name == "targets":
        rows = _target_values(rows, target_value_json if fmt == "json" else target_value_text)
    return columns, rows


def _spread_fields(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        for key, value in row.pop("fields").items():
            row[CUSTOM_FIELD_PREFIX + key] = value if isinstance(value, str) or value is None else str(value)
        yield row


def _target_values(rows: Iterator[dict[str, Any]], shown: Any) -> Iterator[dict[str, Any]]:
    for row in rows:
        row["value"] = shown(row["metric"], row["value"])
        yield row
