"""`salescli db copy SOURCE TARGET`: a whole business from one database to another."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from salescli import output, parse, session, store
from salescli.commands.common import App
from salescli.errors import SalesError, UsageError
from salescli.grammar import plural

app = App(help="The database as a whole: copy a business between files and PostgreSQL servers.")

DATABASE = "A database file, or a postgresql:// URL."
SUMMARY = ("rep", "product", "customer", "deal", "activity", "payment", "target")  # the tables the summary counts
# JSON: every value as stored, typed (CSV writes no difference between empty and none), and
# sorted the same by both kinds of database (CSV's tags are sorted by the database)
CHECKED_FORMAT = "json"


@app.command("copy")
def copy(
    source: Annotated[str, typer.Argument(metavar="SOURCE", help=DATABASE, show_default=False)],
    target: Annotated[
        str, typer.Argument(metavar="TARGET", help=f"{DATABASE} A new file, or an empty database.", show_default=False)
    ],
) -> None:
    """Copy a whole business (records, ids, stages, settings, the log and what undo needs) into a new file or an empty database, then check that every export of the copy is the same as the original's.

    File to server moves a team onto a shared server; server to file makes a portable copy.
    The copy is one transaction: if anything fails (or Ctrl-C), the target is left as it was.
    """
    source_db, target_db = parse.database(source), parse.database(target)
    if _same(source_db, target_db):
        raise UsageError("SOURCE and TARGET are the same database: give a new file or an empty database as TARGET")
    reading = store.connect(source_db)
    try:
        if isinstance(target_db, str) or target_db.exists():
            _copy_into(reading, target_db, target_db)
        else:
            _copy_into_new_file(reading, target_db)
    finally:
        reading.close()


def _same(one: Path | str, other: Path | str) -> bool:
    if isinstance(one, str) or isinstance(other, str):
        return one == other
    return one.resolve() == other.resolve()


def _copy_into_new_file(reading: Any, path: Path) -> None:
    """Built next to ``path`` under a temporary name and given its name once checked: a
    failure or Ctrl-C leaves no file."""
    from salescli import files

    if not path.parent.is_dir():
        raise SalesError(f"cannot write {path}: there is no folder {path.parent}")
    with files.partial(path, what="the copy") as building:
        _copy_into(reading, building, path)
        try:
            files.place(building, path, replace=False)
        except FileExistsError:
            raise SalesError(f"{path} appeared while copying: nothing was copied") from None


def _copy_into(reading: Any, target: Path | str, shown_as: Path | str) -> None:
    from salescli.store import copying

    name = _shown(shown_as)
    writing = store.connect(target, create=True)
    try:
        tables = copying.survey(reading)
        entities = _entities()
        copied = sum(tables.values())
        total = copied + sum(tables.get(entity.table, 0) for entity in entities)
        with output.progress(total, enabled=total >= 100_000) as progress:
            copying.copy(
                reading, writing, tables, named=name, progress=progress, committing=session.committing,
                check=lambda: _same_exports(reading, writing, entities, name, progress, copied, tables),
            )
    finally:
        writing.close()
    counted = [plural(tables.get(table, 0), table) for table in SUMMARY]
    commands = plural(tables.get("history_command", 0), "command")
    output.done(f"Copied {', '.join(counted)} and a log of {commands} to {name}; every export of it is the same.")


def _shown(database: Path | str) -> str:
    """How the summary and errors name a database: a URL without its password, and saying so."""
    if isinstance(database, Path):
        return str(database)
    from urllib.parse import urlsplit

    from salescli.store import postgres

    hidden = urlsplit(database).password is not None or "password=" in database
    return postgres.describe(database) + (" (password hidden)" if hidden else "")


def _entities() -> list[Any]:
    from salescli.transfer import entities

    return list(entities.ENTITIES.values())


def _same_exports(
    source: Any, target: Any, entities: list[Any], name: str, progress: Any, done: int, counts: dict[str, int]
) -> None:
    """Every export (each kind of record) of ``target`` is byte for byte the one of
    ``source``, or the copy fails (and is rolled back)."""
    for entity in entities:
        if progress is not None:
            progress(f"Checking the {entity.name}", done)
        if _export_digest(source, entity) != _export_digest(target, entity):
            raise SalesError(
                f"the copy's export of {entity.name} differs from the original's, so nothing was copied into {name}: "
                "please report this, with the output of `salescli --version`"
            )
        done += counts.get(entity.table, 0)


def _export_digest(conn: Any, entity: Any) -> bytes:
    """A digest of the bytes ``salescli export ENTITY -f json`` writes for ``conn``."""
    import hashlib
    from contextlib import redirect_stdout

    from salescli.transfer import exporter

    class Digest:
        def __init__(self) -> None:
            self.hash = hashlib.sha256()

        def write(self, text: str) -> int:
            self.hash.update(text.encode("utf-8", "surrogatepass"))
            return len(text)

        def flush(self) -> None:
            pass

    digest = Digest()
    columns, rows = exporter.export(conn, entity, CHECKED_FORMAT)
    with redirect_stdout(digest):  # type: ignore[type-var]
        output.render(rows, columns, fmt=CHECKED_FORMAT)
    return digest.hash.digest()
