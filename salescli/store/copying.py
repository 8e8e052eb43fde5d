"""A whole business copied from one database to another (``salescli db copy``): file to
server, server to file, file to file, server to server.

Everything a business is goes across with its ids: every record table, the stages and
settings, the command log with what undo needs to take each command back (the changes,
and the rows an undone import set aside), and the reminders sent. What each database
keeps for itself stays: its migrations (both are at this salescli's), the open command
(none between commands), and its id counters, which are set to the source's so that
both hand out the same next ids. The derived tables (``schema.DERIVED_TABLES``) are
built again from the copied records by their own fills, so they are exact.

The source is read as of one moment (``dialect.one_snapshot``). The target is written in
one transaction with its triggers off (the copy is not a command: nothing is recorded,
and the derived tables are filled once at the end), rows streamed in batches (COPY on a
server). ``check`` runs inside that transaction before it commits: a failure there, an
error, or Ctrl-C leaves the target as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from salescli import store
from salescli.errors import Invalid
from salescli.store import bulk, dialect, history, schema

# What each database keeps for itself (see above).
OWN_TABLES = ("_sqlite_migrations", "history_state")
LOG_TABLES = ("history_command", "history_change", "_reminder")
SHOWN = ("rep", "product", "customer", "deal", "activity", "payment", "target")  # the records a business is counted in
SAVED = re.compile(r"history_saved_(\d+)")  # rows an undone import set aside (history._saved)

Progress = Callable[[str, int], None]


def survey(source: Any) -> dict[str, int]:
    """From now on ``source`` is read as of this moment: the tables a copy takes, in the
    order it takes them, and how many rows each holds."""
    dialect.one_snapshot(source)
    return {table: source.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in copied_tables(source)}


def copy(
    source: Any,
    target: Any,
    tables: dict[str, int],
    *,
    named: str,
    check: Callable[[], None] | None = None,
    progress: Progress | None = None,
    committing: Callable[[], None] | None = None,
) -> None:
    """Copy ``tables`` (``survey(source)``) of the business in ``source`` into ``target``
    (both open and migrated), which must hold no records and no log (``named``: how the
    refusal names it)."""
    derived = list(schema.DERIVED_TABLES)
    kept = [table for table in tables if not SAVED.fullmatch(table)]
    with bulk.fast_writes(target), store.transaction(target, committing=committing):
        refuse_held(target, named)
        with dialect.triggers_off(target, [*kept, *derived]):
            with bulk.indexes_deferred(target, kept):
                done = 0
                for table in tables:
                    done = _copy_table(source, target, table, done, progress)
            _same_ids(source, target, kept)
            if progress is not None:
                progress("Building the reports' tables", done)
            dialect.analyze(target)  # the fills' plans, and the check's, know the tables' sizes
            for table in derived:
                target.execute(f"DELETE FROM {table}")
                dialect.execute_schema(target, schema.DERIVED_TABLES[table])
        if check is not None:
            check()
    source.rollback()


def copied_tables(conn: Any) -> list[str]:
    """The tables a copy takes, each after those it refers to; the log's last."""
    held = [table for table in dialect.tables(conn) if table not in OWN_TABLES and table not in schema.DERIVED_TABLES]
    records = [table for table in held if table not in LOG_TABLES and not SAVED.fullmatch(table)]
    order: list[str] = []

    def place(table: str) -> None:
        if table not in order:
            for parent in dialect.references(conn, table).values():
                if parent != table:
                    place(parent)
            order.append(table)

    for table in records:
        place(table)
    saved = sorted((t for t in held if SAVED.fullmatch(t)), key=lambda t: int(SAVED.fullmatch(t)[1]))  # type: ignore[index]
    return [*order, *(t for t in LOG_TABLES if t in held), *saved]


def refuse_held(target: Any, named: str) -> None:
    """A target that holds records or a log is not written to."""
    counts = bulk.record_counts(target)
    commands = target.execute("SELECT count(*) FROM history_command").fetchone()[0]
    if any(counts.values()) or commands:  # (a customer tag or a stage change goes with one of them)
        from salescli.grammar import plural

        parts = [plural(counts[table], table) for table in SHOWN if counts[table]]
        if commands:
            parts.append(plural(commands, "command") + " in its log")
        held = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
        raise Invalid(
            f"{named} already holds a business ({held}), so nothing was copied: copy into a new file, "
            "or into an empty database on a server (createdb makes one)"
        )


def _copy_table(source: Any, target: Any, table: str, done: int, progress: Progress | None) -> int:
    """One table's rows from ``source`` into ``target`` (its own rows, the stages and
    settings a new database starts with, replaced); returns ``done`` plus their count."""
    saved = SAVED.fullmatch(table)
    if saved:  # made as history._delete_range made it: the columns of the table it saved rows of
        of = source.execute("SELECT tbl FROM history_change WHERE id = ?", [int(saved[1])]).fetchone()[0]
        target.execute(f'CREATE TABLE "{table}" AS SELECT * FROM "{of}" WHERE false')
    else:
        target.execute(f'DELETE FROM "{table}"')
    columns = dialect.columns(target, f'"{table}"')
    names = ", ".join(f'"{column}"' for column in columns)
    count = 0
    rows = iter(store.tuples(source, f'SELECT {names} FROM "{table}"')[1])  # streamed (on a server through a cursor there)
    if table == "history_change" and dialect.on_server(source) and not dialect.on_server(target):
        rows = _keys_as_sqlite_records_them(target, columns, rows)
    for count in dialect.insert_rows(target, table, columns, rows):
        if progress is not None:
            progress(f"Copying {_label(table)}", done + count)
    return done + count


def _label(table: str) -> str:
    """What a table holds, as progress says it (``Copying activities``)."""
    from salescli.grammar import inflect

    if table in LOG_TABLES or SAVED.fullmatch(table):
        return "the log"
    return {"stage_history": "stage history", "setting": "settings"}.get(table) or inflect(2, table.replace("_", " "))


def _keys_as_sqlite_records_them(conn: Any, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """A server records every key as text; SQLite's triggers record an integer key (and a
    range's first id) as an integer, which its undo compares as one."""
    integer_keyed = {t for t in history.business_tables(conn) if (s := history.shape(conn, t)).range_column and len(s.key) == 1}
    tbl, op, pk = columns.index("tbl"), columns.index("op"), columns.index("pk")
    for row in rows:
        if row[pk] is not None and (row[tbl] in integer_keyed or row[op] in history.RANGE_OPS):
            row = (*row[:pk], int(row[pk]), *row[pk + 1 :])
        yield row


def _same_ids(source: Any, target: Any, tables: list[str]) -> None:
    """The target hands out the ids the source would hand out next."""
    for table in tables:
        if "id" in dialect.columns(source, f'"{table}"'):
            given = dialect.ids_given(source, table)
            if given:
                dialect.set_ids_given(target, table, given)
