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
    """Copy a whole business into a new file or an empty database, and check the copy's exports.

    Everything goes: records with their ids, stages, settings, targets, the log and what undo needs.
    File to server moves a team onto a shared server; server to file makes a portable copy.
    Every export of the copy must be the same as the original's. The copy is one transaction:
    if anything fails (or Ctrl-C), the target is left as it was.
    """
    source_db, target_db = parse.database(source), parse.database(target)
    if _same(source_db, target_db):
        raise UsageError("SOURCE and TARGET are the same database: give a new file or an empty database as TARGET")
    reading = store.connect(source_db)
    try:
        if isinstance(target_db, str) or target_db.exists():
            tables = _copy_into(reading, target_db, _shown(target_db))
        else:
            tables = _copy_into_new_file(reading, target_db)
    finally:
        reading.close()
    from salescli.store import copying

    counted = [plural(tables.get(table, 0), table) for table in copying.SHOWN]
    commands = plural(tables.get("history_command", 0), "command")
    output.done(f"Copied {', '.join(counted)} and a log of {commands} to {_shown(target_db)}; every export of it is the same.")


def backup(url: str, destination: Path | None, *, keep: int | None, replace: bool) -> Path:
    """``salescli backup`` of a database on a server: its copy in a new SQLite file
    (``destination``: a file, or a directory for the default name; default: the current
    directory), named ``DBNAME-YYYYMMDD-HHMMSS.db`` unless given; returns its path."""
    from urllib.parse import urlsplit

    from salescli import files
    from salescli.errors import Invalid
    from salescli.store import backup as backups

    folder, named = Path.cwd(), None
    if destination is not None and destination.is_dir():
        folder = destination
    elif destination is not None:
        files.refuse_special(destination, "the backup")
        named = destination
        if named.exists() and not replace:
            raise Invalid(f"{destination} already exists: add --force to replace it")
    stem = urlsplit(url).path.strip("/") or "sales"
    path = named or backups.default_path(folder, stem, parse.now())
    reading = store.connect(url)
    try:
        _copy_into_new_file(reading, path, replace=replace)
    finally:
        reading.close()
    if named is None and keep is not None:
        backups.prune(folder, stem, "", keep)
    return path


def _same(one: Path | str, other: Path | str) -> bool:
    if isinstance(one, str) or isinstance(other, str):
        return one == other
    return one.resolve() == other.resolve()


def _copy_into_new_file(reading: Any, path: Path, *, replace: bool = False) -> dict[str, int]:
    """Built next to ``path`` under a temporary name and given its name once checked: a
    failure or Ctrl-C leaves no file (and the file ``path`` replaced, if ``replace``, as it was)."""
    from salescli import files

    if not path.parent.is_dir():
        raise SalesError(f"cannot write {path}: there is no folder {path.parent}")
    with files.partial(path, what="the copy") as building:
        tables = _copy_into(reading, building, str(path))
        try:
            files.place(building, path, replace=replace)
        except FileExistsError:
            raise SalesError(f"{path} appeared while copying: nothing was copied") from None
    return tables


def _copy_into(reading: Any, target: Path | str, name: str) -> dict[str, int]:
    """Copy the business ``reading`` holds into ``target`` (``name``: how messages call it);
    the rows each table held."""
    from salescli.store import copying

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
    return tables


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
