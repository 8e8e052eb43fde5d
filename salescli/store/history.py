"""The command log and undo: every write command, what it changed, and how to take it back.

Every ``session.write()`` is one *command*: a row of ``history_command`` (when, the command
line as typed, a summary of the rows it created / updated / deleted per table). What it
changed is captured by SQLite triggers on every business table, in the same transaction as
the change itself, into ``history_change``:

* insert: the new row's key;
* update: the row's key and its old values (only when some value really changed);
* delete: the row's key and its old values.

So the record cannot disagree with what happened: a rolled-back command leaves neither
changes nor record. The triggers write only while a command is open: the one-row table
``history_state`` holds the open command's id (NULL otherwise), so writes by other tools
(the sqlite3 shell, sqlite-utils) are not recorded. Writes are serialized, so a command's
changes are the consecutive ids ``first_change..last_change`` (no index to keep up: an
index on ``command_id`` doubled the cost of a captured insert).

``undo()`` reverts the latest command not yet reverted by replaying its changes backwards
(delete inserted rows, put back old values, re-insert deleted rows with their ids), as a
new command of kind ``undo`` whose own changes are captured the same way; so ``redo()``
is simply the undo of that undo. Repeated undos walk further back; a redo is possible
until a new command is written after the undo (as in an editor).

Bulk inserts (``import``, the demo generator) avoid the per-row capture with
``bulk_inserts(conn, table)``: the block's new rows are recorded as one id range. (A
trigger costs about 10 µs per inserted customer row just by firing, recording or not,
which is more than the insert itself; so the block drops the table's insert trigger and
puts it back, inside the same transaction.) Undo and redo keep such a range whole, as set
operations: undoing an ``insert-range`` copies its rows into a table of their own
(``history_saved_<change id>``) and deletes them with one statement, recorded as one
``delete-range`` change; undoing that (a redo) inserts them back with one
``INSERT … SELECT``, recorded as an ``insert-range`` again. Other triggers (the derived
tables') fire as for any write.

Values are stored with SQLite's ``quote()`` (exact for reals, text, blobs), as a JSON
object of column → quoted value. Only the changes that can still be replayed are kept:
those of the last ``KEEP_COMMANDS`` writes in effect (undos and redos do not use up the
window: 100 undos in a row take back 100 commands) and of the undos that can still be
redone. Older commands stay in the log but can no longer be undone.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from salescli import parse
from salescli.errors import Invalid
from salescli.store import dialect, schema

KEEP_COMMANDS = 100
PREFIX = "history_"  # the history's own tables and triggers (schema.HISTORY)
RANGE_OPS = ("insert-range", "delete-range")  # changes that record a range of ids at once
LARGEST_ID = 2**63 - 1  # SQLite's largest integer, PostgreSQL's largest BIGINT


# ---------------------------------------------------------------- triggers


def _quote(name: str) -> str:
    """An identifier in SQL (``rowid`` stays the bare word, so it means the row id)."""
    return name if name == "rowid" else '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class TableShape:
    """What the triggers and the replay need to know about one business table."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # primary key columns; ("rowid",) when none is declared
    # What inserted rows can be recorded as a range of (None: they cannot): the row id of
    # an INTEGER PRIMARY KEY table, or the first key column of a table keyed by an
    # INTEGER and more (customer_tag: a range of customer ids).
    range_column: str | None

    def key_expr(self, row: str) -> str:
        if len(self.key) == 1:
            return f"{row}.{_quote(self.key[0])}"
        return "json_array(" + ", ".join(f"{row}.{_quote(c)}" for c in self.key) + ")"

    def key_values(self, stored: Any) -> list[Any]:
        return json.loads(stored) if len(self.key) > 1 else [stored]

    def key_where(self) -> str:
        return " AND ".join(f"{_quote(c)} = ?" for c in self.key)

    def stored_columns(self) -> tuple[str, ...]:
        return self.columns if self.key != ("rowid",) else ("rowid", *self.columns)

    def stored_key(self, stored: str) -> str:
        """SQL: a recorded key (the column ``stored``) as ``key_expr`` gives it (an integer
        key is recorded as text on PostgreSQL)."""
        return f"CAST({stored} AS BIGINT)" if len(self.key) == 1 and self.range_column else stored

    def range_value(self, stored: str) -> str:
        """SQL: the range column's value in a recorded key (the column ``stored``), an
        integer (a key is text on PostgreSQL)."""
        value = stored if len(self.key) == 1 else f"json_extract({stored}, '$[0]')"
        return f"CAST({value} AS BIGINT)"


def business_tables(conn: sqlite3.Connection) -> list[str]:
    """Every ordinary table except SQLite's, sqlite-utils' and the history's own (and
    full-text indexes, whose own triggers follow their content table)."""
    if dialect.on_server(conn):
        from salescli.store import postgres

        return postgres.business_tables(conn)  # type: ignore[arg-type]
    kinds = {row[1]: row[2] for row in conn.execute("PRAGMA main.table_list")}
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY rootpage").fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [
        name
        for name, _ in rows
        if kinds.get(name, "table") == "table"
        and not name.startswith(("sqlite_", "_", PREFIX))
        and name not in virtual
        and not any(name.startswith(v + "_") for v in virtual)
    ]


def shape(conn: sqlite3.Connection, table: str) -> TableShape:
    if dialect.on_server(conn):  # every table has a declared key there (no rowid)
        from salescli.store import postgres

        columns, key, integer_first = postgres.table_info(conn, table)  # type: ignore[arg-type]
        return TableShape(table, columns, key, key[0] if integer_first else None)
    info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    columns = tuple(row[1] for row in info)
    declared = sorted((row[5], row[1], (row[2] or "").upper()) for row in info if row[5])
    without_rowid = "WITHOUT ROWID" in (
        conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()[0].upper()
    )
    key = tuple(name for _, name, _ in declared) or ("rowid",)
    range_column = None
    if declared and declared[0][2] == "INTEGER":
        range_column = "rowid" if len(declared) == 1 and not without_rowid else declared[0][1]
    return TableShape(table, columns, key, range_column)


def _trigger_sql(table: TableShape) -> list[str]:
    """The insert, update and delete triggers of one table, in that order."""
    name, lit = _quote(table.name), _literal(table.name)
    old = "json_object(" + ", ".join(f"{_literal(c)}, quote(OLD.{_quote(c)})" for c in table.stored_columns()) + ")"
    changed = " OR ".join(f"OLD.{_quote(c)} IS NOT NEW.{_quote(c)}" for c in table.columns)
    record = f"INSERT INTO history_change (command_id, tbl, op, pk, old) SELECT command_id, {lit}"
    recording = "FROM history_state WHERE command_id IS NOT NULL"
    return [
        f"CREATE TRIGGER {_trigger(table.name, 'insert')} AFTER INSERT ON {name} BEGIN "
        f"{record}, 'insert', {table.key_expr('NEW')}, NULL {recording}; END",
        f"CREATE TRIGGER {_trigger(table.name, 'update')} AFTER UPDATE ON {name} WHEN {changed} BEGIN "
        f"{record}, 'update', {table.key_expr('NEW')}, {old} {recording}; END",
        f"CREATE TRIGGER {_trigger(table.name, 'delete')} AFTER DELETE ON {name} BEGIN "
        f"{record}, 'delete', {table.key_expr('OLD')}, {old} {recording}; END",
    ]


def _trigger(table: str, op: str) -> str:
    return _quote(f"{PREFIX}{table}_{op}")


def install_triggers(conn: sqlite3.Connection) -> None:
    """(Re)create the capture triggers from the schema as it is now.

    Run after every migration, so a table or column added later is captured too.
    On PostgreSQL the same triggers run as PL/pgSQL (``postgres.to_postgres``).
    """
    if dialect.on_server(conn):
        from salescli.store import postgres

        postgres.drop_triggers(conn, PREFIX)  # type: ignore[arg-type]
        for table in business_tables(conn):
            for statement in _trigger_sql(shape(conn, table)):
                for translated in postgres.to_postgres(statement):
                    conn.execute(translated)
        return
    for (trigger,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ? ESCAPE '\\'",
        [PREFIX.replace("_", "\\_") + "%"],
    ).fetchall():
        conn.execute(f"DROP TRIGGER {_quote(trigger)}")
    for table in business_tables(conn):
        for statement in _trigger_sql(shape(conn, table)):
            conn.execute(statement)


# ---------------------------------------------------------------- recording


def current(conn: sqlite3.Connection) -> int | None:
    """The id of the command being recorded (None outside ``recording``)."""
    return conn.execute("SELECT command_id FROM history_state").fetchone()[0]


@contextmanager
def recording(conn: sqlite3.Connection, line: str, user: str | None = None) -> Iterator[int]:
    """Record the writes of the block (inside the command's transaction) as one command,
    run by ``user`` (None: not said, as before migration m017)."""
    values = {"at": "?", "line": "?", "first_change": "(SELECT IFNULL(max(id), 0) + 1 FROM history_change)"}
    params = [parse.timestamp(), line]
    if user is not None:
        values["ran_by"] = "?"
        params.append(user)
    command_id = int(
        conn.execute(
            f"INSERT INTO history_command ({', '.join(values)}) VALUES ({', '.join(values.values())}) RETURNING id", params
        ).fetchone()[0]
    )
    conn.execute("UPDATE history_state SET command_id = ?", [command_id])
    yield command_id
    conn.execute("UPDATE history_state SET command_id = NULL")
    counts = summarize(conn, command_id)
    if not counts:  # it wrote nothing: not worth a line in the log, nor an undo
        _discard(conn, *_span(conn, command_id))
        conn.execute("DELETE FROM history_command WHERE id = ?", [command_id])
        return
    conn.execute(
        "UPDATE history_command SET changes = ?, last_change = (SELECT max(id) FROM history_change) WHERE id = ?",
        [json.dumps(counts), command_id],
    )
    _prune(conn, command_id)


def logged(conn: sqlite3.Connection, command_id: int) -> bool:
    """Whether the command is in the log (``recording`` leaves out one that changed nothing)."""
    return conn.execute("SELECT 1 FROM history_command WHERE id = ?", [command_id]).fetchone() is not None


def _span(conn: sqlite3.Connection, command_id: int) -> tuple[int, int]:
    """The ids of the command's changes (so far, while it runs)."""
    row = conn.execute(
        "SELECT first_change, IFNULL(last_change, (SELECT IFNULL(max(id), 0) FROM history_change)) "
        "FROM history_command WHERE id = ?",
        [command_id],
    ).fetchone()
    return int(row[0]), int(row[1])


@contextmanager
def bulk_inserts(conn: sqlite3.Connection, table: str) -> Iterator[int]:
    """Inside a command: the rows the block inserts into ``table`` (which must have an
    INTEGER PRIMARY KEY, or a key whose first column is an INTEGER) are recorded as one
    range of ids (of that first column) instead of one change each.

    The rows must get ids above the largest the table holds or ever handed out, which the
    block is given (``with bulk_inserts(conn, "customer") as above:``): no id (SQLite's
    AUTOINCREMENT then goes above it), or a larger one. A row
    given an id at or below it raises ``ValueError``, which rolls the command back.
    Updates and deletes in the block are recorded as usual. Outside a command (a bulk
    generator with its own transaction) nothing is recorded, and the block is as fast.
    """
    table_shape = shape(conn, table)
    column = _range_column(table_shape)
    command_id, above = current(conn), _max(conn, table, column)
    if command_id is None:
        with _without_capture(conn, table), _kept_by_range(conn, table, "inserted", above + 1, LARGEST_ID):
            yield above
        return
    rows_before = _count(conn, table)
    change_id = _record_range(conn, "insert-range", table, above + 1, None)
    with _without_capture(conn, table), _kept_by_range(conn, table, "inserted", above + 1, LARGEST_ID):
        yield above
    in_range = conn.execute(f"SELECT count(*) FROM {_quote(table)} WHERE {_quote(column)} > ?", [above]).fetchone()[0]
    # rows deleted in the block: older ones (recorded as usual), and the block's own, whose
    # ids the range must still cover so that undoing the delete and the range leaves none
    deleted_below, deleted_last = conn.execute(
        f"SELECT count(*) FILTER (WHERE value <= ?), max(value) FROM (SELECT {table_shape.range_value('pk')} "
        "AS value FROM history_change WHERE id > ? AND tbl = ? AND op = 'delete') AS deleted",
        [above, change_id, table],
    ).fetchone()
    last = max(_max(conn, table, column), deleted_last or 0)
    unrecorded = _count(conn, table) - rows_before + deleted_below - in_range
    if unrecorded:
        raise ValueError(
            f"bulk_inserts: {unrecorded} row(s) of {table} were given an id at or below {above}, "
            "the largest before the block: insert those outside bulk_inserts"
        )
    if table in schema.KEPT_BY_RANGE and conn.execute(
        f"SELECT 1 FROM history_change WHERE id > ? AND tbl = ? AND op IN ('update', 'delete') "
        f"AND {table_shape.range_value('pk')} > ? LIMIT 1",
        [change_id, table, above],
    ).fetchone():
        raise ValueError(
            f"bulk_inserts: the block changed rows of {table} it inserted, whose derived rows are counted "
            "once for the whole range after it (schema.KEPT_BY_RANGE): change them after the block"
        )
    if last > above:
        conn.execute("UPDATE history_change SET last_pk = ? WHERE id = ?", [last, change_id])
    else:
        conn.execute("DELETE FROM history_change WHERE id = ?", [change_id])


CAPTURES = ("insert", "update", "delete")  # the capture triggers of a table, in _trigger_sql's order


@contextmanager
def _without_capture(conn: sqlite3.Connection, table: str, op: str = "insert") -> Iterator[None]:
    """Drop the table's ``op`` capture trigger for the block and put it back
    after. Only inside a transaction: DDL is transactional, so a crash or rollback brings
    the trigger back too."""
    trigger = f"{PREFIX}{table}_{op}"
    if not (conn.in_transaction and dialect.trigger_exists(conn, trigger)):
        yield
        return
    with dialect.trigger_off(conn, table, trigger, _trigger_sql(shape(conn, table))[CAPTURES.index(op)]):
        yield


@contextmanager
def _kept_by_range(conn: sqlite3.Connection, table: str, op: str, first: int, last: int) -> Iterator[None]:
    """Around the rows of ``table`` with ids ``first`` to ``last`` that the block inserts
    or deletes (``op``: 'inserted', 'deleted') in bulk: the derived tables kept by range
    (``schema.KEPT_BY_RANGE``) have those row triggers off in the block, and count the
    range's rows out before they go, or in after they came, in one pass each. Only inside a
    transaction; triggers already off are left to whoever switched them off
    (``bulk.derived_deferred`` builds its tables again)."""
    bounds = {"first": first, "last": last}
    kept = [k for k in schema.KEPT_BY_RANGE.get(table, ()) if conn.in_transaction and _switched_off(conn, k, op, bounds)]
    if not kept:
        yield
        return
    dialect.regexp(conn)
    with ExitStack() as off:
        for k in kept:
            for name in getattr(k, op):
                if dialect.trigger_exists(conn, name):
                    off.enter_context(dialect.trigger_off(conn, table, name))
        if op == "deleted":
            for k in kept:
                with _rebuilt(conn, k, bounds) as rebuilt:
                    if not rebuilt:
                        _delete_in_key_order(conn, k, bounds)
                    _run(conn, k.taken, bounds)
        yield
    if op == "inserted":
        for k in kept:
            _run(conn, k.added, bounds)


def _switched_off(conn: sqlite3.Connection, kept: schema.KeptByRange, op: str, bounds: dict[str, int]) -> bool:
    """Whether ``kept``'s triggers for ``op`` go off for the range: some are on, and they
    would do something for it (``kept.idle``)."""
    if not any(dialect.trigger_exists(conn, name) for name in getattr(kept, op)):
        return False
    return not kept.idle or all(bool(conn.execute(sql, bounds).fetchone()[0]) for sql in dialect.schema_text(conn, kept.idle))


def _run(conn: sqlite3.Connection, statements: tuple[str, ...], bounds: dict[str, int]) -> None:
    for statement in statements:
        for sql in dialect.schema_text(conn, statement):
            conn.execute(sql, bounds)


def _delete_in_key_order(conn: sqlite3.Connection, kept: schema.KeptByRange, bounds: dict[str, int], batch: int = 5000) -> None:
    """SQLite: the range's rows of ``kept``'s table deleted one by one in the order of the
    table's key (``kept.keys_in_order``), a batch at a time (memory stays flat)."""
    if dialect.on_server(conn) or not kept.keys_in_order:
        return
    keys = conn.execute(kept.keys_in_order, bounds)  # sorted whole before the first row comes
    while rows := keys.fetchmany(batch):
        conn.executemany(kept.delete_by_key, rows)


@contextmanager
def _rebuilt(conn: sqlite3.Connection, kept: schema.KeptByRange, bounds: dict[str, int]) -> Iterator[bool]:
    """Around the deletes of a range that takes away at least half as many of the derived
    table's rows as it leaves (``kept.share``: the rows it holds counted from above, by the
    largest id): its ``kept.rebuilt`` indexes dropped and built again after
    (one sort of what is left, cheaper than as many deletes at random places in them).
    Gives whether it does. SQLite only: an index's definition is its schema text there."""
    if dialect.on_server(conn) or not kept.rebuilt:
        yield False
        return
    going, held = conn.execute(kept.share, bounds).fetchone()
    if going * 3 < held:
        yield False
        return
    marks = ", ".join("?" * len(kept.rebuilt))
    indexes = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})", kept.rebuilt).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {_quote(name)}")
    yield True
    for _, sql in indexes:
        conn.execute(sql)


def range_floor(conn: sqlite3.Connection, table: str) -> int:
    """The id ``bulk_inserts`` on ``table`` would start now: its rows go above it (and above
    every id the table ever handed out)."""
    return _max(conn, table, _range_column(shape(conn, table)))


def _range_column(table: TableShape) -> str:
    if table.range_column is None:
        raise ValueError(f"bulk_inserts needs a table whose key is or starts with an INTEGER, not {table.name}")
    return table.range_column


def _max(conn: sqlite3.Connection, table: str, column: str) -> int:
    """The largest ``column`` the table holds; for its ids, the largest it ever handed out
    (AUTOINCREMENT: migration m008; PostgreSQL's identity), so a range never starts at an
    id used before."""
    held = int(conn.execute(f"SELECT IFNULL(max({_quote(column)}), 0) FROM {_quote(table)}").fetchone()[0])
    given = dialect.ids_given(conn, table) if column in ("rowid", "id") else None
    return max(held, given or 0)


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0])


# The first and the last change of every row a command touched, counted by kind.
ROW_SUMMARY_SQL = """
WITH touched AS (
    SELECT tbl, min(id) AS first, max(id) AS last FROM history_change
    WHERE id BETWEEN ? AND ? AND op NOT IN ('insert-range', 'delete-range'){outside_ranges}
    GROUP BY tbl, pk
)
SELECT touched.tbl, min(touched.first) AS seen, first.op AS first_op, last.op AS last_op, count(*) AS n
FROM touched
JOIN history_change first ON first.id = touched.first
JOIN history_change last ON last.id = touched.last
GROUP BY touched.tbl, first.op, last.op
"""


def summarize(conn: sqlite3.Connection, command_id: int) -> dict[str, list[int]]:
    """Net effect of a command per table: ``{table: [created, updated, deleted]}``, in the
    order the tables were first touched. A row created and then changed counts as created;
    created and deleted again counts as nothing; a row of an inserted range counts once,
    in the range, however it changed afterwards, and so does a row of a deleted range,
    however it changed before (one created before it in the command counts as nothing)."""
    first, last = _span(conn, command_id)
    tallies: list[tuple[int, str, int, int]] = []  # (first seen, table, which count, n)
    ranges = conn.execute(
        "SELECT id, tbl, op, pk, last_pk FROM history_change WHERE id BETWEEN ? AND ? AND op IN (?, ?)",
        [first, last, *RANGE_OPS],
    ).fetchall()
    shapes = {table: shape(conn, table) for table in {change["tbl"] for change in ranges}}
    for change in ranges:
        table = shapes[change["tbl"]]
        if change["op"] == "insert-range":
            alive = conn.execute(
                f"SELECT count(*) FROM {_quote(table.name)} {_range_where(table)}", [change["pk"], change["last_pk"]]
            ).fetchone()[0]
            tallies.append((change["id"], table.name, 0, alive))
            continue
        gone = conn.execute(
            f"SELECT count(*) FROM {_saved(change['id'])} AS saved WHERE {table.key_expr('saved')} NOT IN "
            f"(SELECT {table.stored_key('pk')} FROM history_change WHERE id BETWEEN ? AND ? AND tbl = ? AND op = 'insert')",
            [first, change["id"], table.name],
        ).fetchone()[0]
        seen = conn.execute(  # when the command first touched a row of the range
            f"SELECT min(id) FROM history_change WHERE id BETWEEN ? AND ? AND tbl = ? AND op NOT IN (?, ?) "
            f"AND {table.range_value('pk')} BETWEEN ? AND ?",
            [first, change["id"], table.name, *RANGE_OPS, change["pk"], change["last_pk"]],
        ).fetchone()[0]
        tallies.append((min(seen or change["id"], change["id"]), table.name, 2, gone))
    # a change after an inserted range to a row of it is the range's, and so is a change
    # before a deleted range; any other (a row deleted before the range started above a
    # lower id) counts on its own
    outside = "".join(
        f" AND NOT (CASE WHEN tbl = ? AND id {'>' if r['op'] == 'insert-range' else '<'} ? "
        f"THEN {shapes[r['tbl']].range_value('pk')} BETWEEN ? AND ? ELSE false END)"
        for r in ranges
    )
    parameters = [first, last, *(value for r in ranges for value in (r["tbl"], r["id"], r["pk"], r["last_pk"]))]
    for row in conn.execute(ROW_SUMMARY_SQL.format(outside_ranges=outside), parameters):
        if row["first_op"] == "insert":
            which = None if row["last_op"] == "delete" else 0
        else:
            which = 2 if row["last_op"] == "delete" else 1
        if which is not None:
            tallies.append((row["seen"], row["tbl"], which, row["n"]))
    counts: dict[str, list[int]] = {}
    for _, table, which, n in sorted(tallies):
        if n:
            counts.setdefault(table, [0, 0, 0])[which] += n
    return counts


# What ``undo`` takes back next: the latest write in effect (a command, or a redo).
IN_EFFECT = "kind != 'undo' AND reverted_by IS NULL"


def _prune(conn: sqlite3.Connection, newest: int) -> None:
    """Forget the changes nothing can replay any more (memory stays bounded however long
    you undo and redo): those older than the last ``KEEP_COMMANDS`` writes in effect,
    and, once ``newest`` is a new command, those of the undos just before it, which can
    no longer be redone. (An undo or redo forgets the changes it took back: ``_revert``.)"""
    oldest_kept = conn.execute(
        f"SELECT first_change FROM history_command WHERE id <= ? AND {IN_EFFECT} ORDER BY id DESC LIMIT 1 OFFSET ?",
        [newest, KEEP_COMMANDS - 1],
    ).fetchone()
    if oldest_kept is not None:
        _discard(conn, 0, oldest_kept[0] - 1)
    if conn.execute("SELECT kind FROM history_command WHERE id = ?", [newest]).fetchone()[0] != "command":
        return
    previous = conn.execute(
        "SELECT ifnull(max(id), 0) FROM (SELECT id FROM history_command WHERE id < ? AND kind = 'command' "
        "ORDER BY id DESC LIMIT 1) AS latest",
        [newest],
    ).fetchone()[0]
    for undo in conn.execute(
        "SELECT id FROM history_command WHERE id > ? AND id < ? AND kind = 'undo' AND reverted_by IS NULL",
        [previous, newest],
    ).fetchall():
        _forget(conn, undo[0])


def _forget(conn: sqlite3.Connection, command_id: int) -> None:
    """Drop the changes of a command that can no longer be replayed."""
    _discard(conn, *_span(conn, command_id))


def _discard(conn: sqlite3.Connection, first: int, last: int) -> None:
    """Delete the changes ``first..last``, and the rows their deleted ranges saved."""
    for (change_id,) in conn.execute(
        "SELECT id FROM history_change WHERE id BETWEEN ? AND ? AND op = 'delete-range'", [first, last]
    ).fetchall():
        conn.execute(f"DROP TABLE IF EXISTS {_saved(change_id)}")
    conn.execute("DELETE FROM history_change WHERE id BETWEEN ? AND ?", [first, last])


# ---------------------------------------------------------------- the log


def log(conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    """The latest ``limit`` commands, newest first. An undo or redo names the command it
    took back or brought back (``about``); ``undone`` says whether the command's effect
    is currently reverted (an undo that was redone counts as undone itself)."""
    rows = conn.execute("SELECT * FROM history_command ORDER BY id DESC LIMIT ?", [limit]).fetchall()
    return [
        {
            "id": row["id"],
            "at": row["at"],
            "by": row["ran_by"],
            "command": row["line"],
            "kind": row["kind"],
            "about": _original(conn, row["target_id"])["id"] if row["kind"] != "command" else None,
            "changes": json.loads(row["changes"]),
            "undone": _undone(conn, row),
        }
        for row in rows
    ]


def _undone(conn: sqlite3.Connection, row: sqlite3.Row) -> bool:
    """Reverted by a command that is itself in effect (undo, redo, undo, … alternate)."""
    reverters = 0
    while row["reverted_by"] is not None:
        row = conn.execute("SELECT * FROM history_command WHERE id = ?", [row["reverted_by"]]).fetchone()
        reverters += 1
    return reverters % 2 == 1


def _original(conn: sqlite3.Connection, command_id: int) -> sqlite3.Row:
    """The command an undo or redo is about, following undo → redo → … back to it."""
    row = conn.execute("SELECT * FROM history_command WHERE id = ?", [command_id]).fetchone()
    while row["kind"] != "command":
        row = conn.execute("SELECT * FROM history_command WHERE id = ?", [row["target_id"]]).fetchone()
    return row


# ---------------------------------------------------------------- undo and redo


@dataclass(frozen=True)
class Reverted:
    """What an undo or redo did: the command it took back or brought back, and the net
    changes of doing so (``{table: [created, updated, deleted]}``)."""

    command_id: int
    line: str
    changes: dict[str, list[int]]


def undo(conn: sqlite3.Connection, by: str | None = None) -> Reverted:
    """Revert the latest command that is not an undo and not yet reverted: of anyone, or
    the latest ``by`` ran — unless a later command in effect changed a record it changed
    (its undo would overwrite that).

    Runs inside the command being recorded, which becomes an ``undo`` of it.
    """
    mine = "" if by is None else " AND ran_by = ?"
    target = conn.execute(
        f"SELECT id, first_change, last_change FROM history_command WHERE id < ? AND {IN_EFFECT}{mine} "
        "ORDER BY id DESC LIMIT 1",
        [_require_current(conn), *([] if by is None else [by])],
    ).fetchone()
    if target is None:
        if by is not None:
            raise Invalid(f"nothing to undo: no write command of {by}'s is left to revert ('undo --anyone' takes back anyone's)")
        raise Invalid("nothing to undo: no write command is left to revert ('salescli log' lists them)")
    later = _overwritten(conn, target)
    if later is not None:
        raise Invalid(
            f"cannot undo #{target['id']}: #{later['id']} `{later['line']}` by {later['ran_by'] or 'someone'} "
            "changed the same records since ('salescli log' lists them)"
        )
    return _revert(conn, "undo", target["id"])


def _overwritten(conn: sqlite3.Connection, target: sqlite3.Row) -> sqlite3.Row | None:
    """The first command in effect after ``target`` that changed a row ``target`` changed."""
    return conn.execute(
        "SELECT c.id, c.line, c.ran_by FROM history_command c WHERE c.id > ? AND c.kind = 'command' "
        "AND c.reverted_by IS NULL AND EXISTS (SELECT 1 FROM history_change later JOIN history_change mine "
        "ON mine.tbl = later.tbl AND mine.pk = later.pk "
        "WHERE later.id BETWEEN c.first_change AND c.last_change AND mine.id BETWEEN ? AND ?) ORDER BY c.id LIMIT 1",
        [target["id"], target["first_change"], target["last_change"]],
    ).fetchone()


def redo(conn: sqlite3.Connection, by: str | None = None) -> Reverted:
    """Re-apply what the latest undo (of anyone, or the latest ``by`` ran) reverted, as
    long as no new command was written since (a redo is the undo of that undo; what it
    brings back can be undone again)."""
    me = _require_current(conn)
    mine = "" if by is None else " AND ran_by = ?"
    latest = conn.execute(
        f"SELECT id FROM history_command WHERE id < ? AND kind = 'undo' AND reverted_by IS NULL{mine} "
        "ORDER BY id DESC LIMIT 1",
        [me, *([] if by is None else [by])],
    ).fetchone()
    if latest is None:
        if by is not None:
            raise Invalid(f"nothing to redo: no undo of {by}'s is left to take back ('undo --redo --anyone' redoes anyone's)")
        raise Invalid("nothing to redo: no undo is left to take back")
    since = conn.execute(
        "SELECT id, line FROM history_command WHERE id > ? AND id < ? AND kind = 'command' ORDER BY id LIMIT 1",
        [latest["id"], me],
    ).fetchone()
    if since is not None:
        raise Invalid(
            f"nothing to redo: #{since['id']} `{since['line']}` was written after the last undo, "
            "and a redo could overwrite it"
        )
    return _revert(conn, "redo", latest["id"])


def _require_current(conn: sqlite3.Connection) -> int:
    me = current(conn)
    if me is None:
        raise RuntimeError("undo and redo run inside session.write()")
    return me


def _revert(conn: sqlite3.Connection, kind: str, target: int) -> Reverted:
    """Replay the changes of command ``target`` backwards; the running command becomes
    its ``kind`` ('undo' or 'redo')."""
    me = _require_current(conn)
    about = _original(conn, target)
    first, last = _span(conn, target)
    if not conn.execute("SELECT 1 FROM history_change WHERE id BETWEEN ? AND ? LIMIT 1", [first, last]).fetchone():
        raise Invalid(
            f"cannot {kind} #{about['id']} `{about['line']}`: only the last {KEEP_COMMANDS} write commands "
            "can be undone, undos and redos not counted (restore a backup to go further back)"
        )
    try:
        _replay_backwards(conn, first, last)
    except (sqlite3.IntegrityError, Diverged) as error:
        raise Invalid(
            f"cannot {kind} #{about['id']} `{about['line']}`: the data was changed since by something "
            f"other than salescli ({error}); nothing was changed (restore a backup instead)"
        ) from None
    conn.execute("UPDATE history_command SET kind = ?, target_id = ? WHERE id = ?", [kind, target, me])
    conn.execute("UPDATE history_command SET reverted_by = ? WHERE id = ?", [me, target])
    _forget(conn, target)  # taken back: only the reverting command's own changes can bring it back
    return Reverted(about["id"], about["line"], summarize(conn, me))


class Diverged(Exception):
    """A recorded row is not where the record says: written since by another tool."""


def _replay_backwards(conn: sqlite3.Connection, first: int, last: int, window: int = 1000) -> None:
    """Take back the changes ``first..last``, newest first, a window at a time (memory stays
    flat however big the command was); a run of the same kind of change is one
    ``executemany``. Every row must be where the record says, or ``Diverged``."""
    shapes: dict[str, TableShape] = {}
    while last >= first:
        changes = conn.execute(
            "SELECT id, tbl, op, pk, last_pk, old FROM history_change WHERE id BETWEEN ? AND ? ORDER BY id DESC LIMIT ?",
            [first, last, window],
        ).fetchall()
        if not changes:
            return
        last = changes[-1]["id"] - 1
        runs: list[tuple[str, str, list[Any]]] = []  # (statement, table, parameters of each row), or a range change
        for change in changes:
            table = change["tbl"]
            if table not in shapes:
                shapes[table] = shape(conn, table)
            if change["op"] in RANGE_OPS:
                runs.append((change["op"], table, [change]))
                continue
            statement, parameters = _inverse(shapes[table], change)
            if runs and runs[-1][0] == statement:
                runs[-1][2].append(parameters)
            else:
                runs.append((statement, table, [parameters]))
        for statement, table, rows in runs:
            if statement == "insert-range":
                _delete_range(conn, shapes[table], rows[0]["pk"], rows[0]["last_pk"])
            elif statement == "delete-range":
                _insert_saved(conn, shapes[table], rows[0])
            else:
                touched = conn.executemany(statement, rows).rowcount
                if touched != len(rows):
                    raise Diverged(f"{len(rows) - touched} {table} row(s) missing")


def _range_where(table: TableShape) -> str:
    return f"WHERE {_quote(table.range_column or 'rowid')} BETWEEN ? AND ?"


def _saved(change_id: int) -> str:
    """The table that holds the rows a ``delete-range`` change took away."""
    return _quote(f"{PREFIX}saved_{int(change_id)}")


def _record_range(conn: sqlite3.Connection, op: str, table: str, first: int, last: int) -> int:
    return conn.execute(
        "INSERT INTO history_change (command_id, tbl, op, pk, last_pk) SELECT command_id, ?, ?, ?, ? FROM history_state "
        "RETURNING id",
        [table, op, first, last],
    ).fetchone()[0]


def _delete_range(conn: sqlite3.Connection, table: TableShape, first: int, last: int) -> None:
    """Take an inserted range back: its rows (a range may have gaps) saved whole, then
    deleted with one statement, as one ``delete-range`` change."""
    change_id = _record_range(conn, "delete-range", table.name, first, last)
    conn.execute(f"CREATE TABLE {_saved(change_id)} AS SELECT * FROM {_quote(table.name)} {_range_where(table)}", [first, last])
    with _without_capture(conn, table.name, "delete"), _kept_by_range(conn, table.name, "deleted", first, last):
        conn.execute(f"DELETE FROM {_quote(table.name)} {_range_where(table)}", [first, last])


def _insert_saved(conn: sqlite3.Connection, table: TableShape, change: sqlite3.Row) -> None:
    """Take a deleted range back: its saved rows inserted again with one statement, as one
    ``insert-range`` change (no other row can have those ids: they are never reused)."""
    saved = _saved(change["id"])
    columns = ", ".join(_quote(name) for name in dialect.columns(conn, saved))
    with _without_capture(conn, table.name), _kept_by_range(conn, table.name, "inserted", change["pk"], change["last_pk"]):
        conn.execute(f"INSERT INTO {_quote(table.name)} ({columns}) SELECT {columns} FROM {saved}")
    _record_range(conn, "insert-range", table.name, change["pk"], change["last_pk"])


def _inverse(table: TableShape, change: sqlite3.Row) -> tuple[str, list[Any]]:
    """The statement (and its parameters) that takes one (row's) change back."""
    name = _quote(table.name)
    key = table.key_values(change["pk"])
    if change["op"] == "insert":
        return f"DELETE FROM {name} WHERE {table.key_where()}", key
    old = {column: unquote(value) for column, value in json.loads(change["old"]).items()}
    if change["op"] == "update":
        assignments = ", ".join(f"{_quote(c)} = ?" for c in old)
        return f"UPDATE {name} SET {assignments} WHERE {table.key_where()}", [*old.values(), *key]
    columns, marks = ", ".join(_quote(c) for c in old), ", ".join("?" for _ in old)
    return f"INSERT INTO {name} ({columns}) VALUES ({marks})", list(old.values())


def unquote(text: str) -> Any:
    """The value SQLite's ``quote()`` wrote: NULL, an integer, a real, 'text' or X'blob'."""
    if text == "NULL":
        return None
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text[:2] in ("X'", "x'"):
        return bytes.fromhex(text[2:-1])
    try:
        return int(text)
    except ValueError:
        return float(text)
