"""Backups and restores: whole, checked copies of the database, put in place in one step.

A copy is read through a connection of its own, in one step inside one read transaction:
it is the database as last committed, as of one moment, even while other processes write
(WAL lets them carry on) and even when the caller is in the middle of a write of its own
(``import`` backs up inside its transaction, before its first write). It is written to a
private temporary file next to its destination, checked (``PRAGMA quick_check``), and only
then given its name (``salescli.files``): a failure, a damaged source or a kill never
leaves half a backup under a backup's name.

``salescli backup`` names its copies ``sales-YYYYMMDD-HHMMSS.db`` (``-2``, ``-3``… for
more in the same second) and never replaces a file unless told to. ``--keep N`` (and
``import``, for the copies labelled ``sales-import-…``) then deletes the older copies of
that name pattern in that directory, and only files that are salescli databases.

``restore`` checks a backup the same way, copies it next to the database, sets the
current file aside (under a backup's name, labelled ``before-restore``) and renames the
copy over it, while holding the database exclusively, with its WAL folded in first: no
process is left using the old file, and no old ``-wal`` can be applied to the new one.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from salescli import files, parse
from salescli.errors import Invalid, NotFound, SalesError, SchemaTooNew
from salescli.store import dialect, schema

BUSY_TIMEOUT_SECONDS = 10.0
RESTORE_LABEL = "before-restore"


def database_file(conn: sqlite3.Connection) -> Path | None:
    """The file behind ``conn``'s main database (None on a server: there is none)."""
    if dialect.on_server(conn):
        return None
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main" and row[2]:
            return Path(row[2])
    raise SalesError("the database has no file to back up")


def _pattern(stem: str, label: str) -> re.Pattern[str]:
    """``sales[-label]-YYYYMMDD-HHMMSS[-N].db`` → (stamp, N)."""
    prefix = re.escape(f"{stem}-{label}-" if label else f"{stem}-")
    return re.compile(prefix + r"(\d{8}-\d{6})(?:-(\d+))?\.db")


def _copies(folder: Path, stem: str, label: str) -> list[tuple[str, int, Path]]:
    """The default-named copies of the database ``stem`` in ``folder``, oldest first."""
    pattern = _pattern(stem, label)
    found = []
    for candidate in folder.iterdir() if folder.is_dir() else ():
        match = pattern.fullmatch(candidate.name)
        if match:
            found.append((match[1], int(match[2] or 1), candidate))
    return sorted(found)


def default_path(folder: Path, stem: str, moment: dt.datetime, *, label: str = "") -> Path:
    """``sales-YYYYMMDD-HHMMSS.db`` (or ``sales-LABEL-…``) in ``folder``; a copy taken in the
    same second as another gets the next number (``-2``, ``-3``…)."""
    stamp = moment.strftime("%Y%m%d-%H%M%S")
    number = 1 + max((n for s, n, _ in _copies(folder, stem, label) if s == stamp), default=0)
    name = f"{stem}-{label}-{stamp}" if label else f"{stem}-{stamp}"
    return folder / (f"{name}-{number}.db" if number > 1 else f"{name}.db")


def copy(
    conn: sqlite3.Connection,
    destination: Path | None = None,
    *,
    label: str = "",
    keep: int | None = None,
    replace: bool = False,
    check: bool = True,
) -> Path:
    """Back the database up to ``destination`` (a file, or a directory to put the default
    name in; default: next to the database). Returns the path written. An existing file
    is replaced only if ``replace``, and never the database or its -wal/-shm/-journal.

    ``label`` goes into the default name; ``keep`` (with a default name) then deletes all
    but the newest ``keep`` copies with that name pattern in that directory. ``check=False``
    (the safety copy an import takes) leaves out reading every page back (``quick_check``):
    the copy is still known to be a salescli database.
    """
    source = database_file(conn)
    if source is None:
        raise SalesError("a database on a PostgreSQL server has no file to copy: its backup is not built yet")
    folder, named = source.parent, None
    if destination is not None:
        destination = Path(destination).expanduser()
        if destination.is_dir():
            folder = destination
        else:
            files.refuse_database(destination, source, "the backup")
            files.refuse_special(destination, "the backup")
            named = destination.resolve()
            if named.exists() and not replace:
                raise Invalid(f"{destination} already exists: add --force to replace it")
    moment = parse.now()
    target = named or default_path(folder, source.stem, moment, label=label)
    with files.partial(target, what="the backup") as temporary:
        try:
            _backup(source, temporary, check=check)
        except Damaged as error:
            raise SalesError(f"the database file is damaged ({error}): no backup was written") from None
        except sqlite3.OperationalError as error:  # busy, locked, out of space …
            raise SalesError(f"cannot write the backup {target}: {error}") from None
        except OSError as error:
            raise SalesError(f"cannot write the backup {target}: {error.strerror}") from None
        try:
            if named is None:  # the next free name: never over another copy, even one named at this moment
                target = _free_name(folder, source.stem, moment, label, lambda name: files.place(temporary, name, replace=False))
            else:
                files.place(temporary, named, replace=replace)
        except FileExistsError:
            raise Invalid(f"{target} already exists: add --force to replace it") from None
        except OSError as error:
            raise SalesError(f"cannot write the backup {target}: {error.strerror}") from None
    if named is None and keep is not None:
        prune(folder, source.stem, label, keep)
    return target


def _free_name(folder: Path, stem: str, moment: dt.datetime, label: str, put: Callable[[Path], None]) -> Path:
    """``put`` a file under the next default name in ``folder``, then the next, … until
    it no longer fails with ``FileExistsError`` (another process took that name)."""
    while True:
        target = default_path(folder, stem, moment, label=label)
        try:
            put(target)
        except FileExistsError:
            continue
        return target


def prune(folder: Path, stem: str, label: str, keep: int) -> None:
    """Delete all but the newest ``keep`` default-named copies in ``folder`` that are salescli databases."""
    ours = [path for _, _, path in _copies(folder, stem, label) if _is_salescli_database(path)]
    for path in ours[: max(len(ours) - keep, 0)]:
        files.remove(path)


def _is_salescli_database(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)  # no -wal/-shm made beside it
    except sqlite3.Error:
        return False
    try:
        return bool(_migrations(conn))
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def _migrations(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id", [schema.MIGRATION_SET]
    ).fetchall()
    return [row[0] for row in rows]


class Damaged(SalesError):
    """A file SQLite cannot read whole; the message is what it found."""


def _first_problem(problems: list[str]) -> str:
    """The first thing ``quick_check`` found, on one line."""
    lines = [line for problem in problems for line in problem.splitlines() if not line.startswith("***")]
    more = ", and more" if len(lines) > 1 else ""
    return f"{lines[0]}{more}" if lines else "unknown problem"


def _backup(source: Path, target: Path, *, check: bool = True) -> list[str]:
    """Copy the committed database at ``source`` into the empty file ``target`` and check
    the copy (``Damaged`` if it fails; ``check=False``: only that it is a database);
    returns the migrations it has."""
    reading = sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        copied_whole = _copy_committed_file(source, target)
        copied = sqlite3.connect(target)
        try:
            copied.execute("PRAGMA journal_mode = OFF")  # a temporary file: no rollback journal beside it
            if not copied_whole:
                reading.backup(copied)  # all pages in one step: one read transaction, one moment
            problems = [row[0] for row in copied.execute("PRAGMA quick_check" if check else "PRAGMA schema_version")]
            if check and problems != ["ok"]:
                raise Damaged(_first_problem(problems))
            try:
                return _migrations(copied)
            except sqlite3.OperationalError:  # no migrations table
                return []
        finally:
            copied.close()
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as error:  # malformed, not a database
        raise Damaged(str(error)) from None
    finally:
        reading.close()


def _copy_committed_file(source: Path, target: Path) -> bool:
    """Copy the file ``source`` byte for byte into ``target`` when it holds the whole
    committed database (the fast way: the kernel copies, nothing is parsed); False when
    it may not, and nothing was copied.

    Another connection holds the write lock meanwhile, so nothing new is committed, and
    a checkpoint must first have folded every committed page of the write-ahead log into
    the file. False, without waiting, when another command holds the write lock (a backup
    never waits for a write), or a reader of an older snapshot keeps the checkpoint from
    finishing."""
    holder = sqlite3.connect(source, timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        folding = sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            busy, in_log, folded = folding.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            folding.close()
        if busy or in_log != folded:
            return False
        with open(source, "rb") as reading, open(target, "wb") as writing:
            size, done = os.fstat(reading.fileno()).st_size, 0
            while done < size:
                copied = os.copy_file_range(reading.fileno(), writing.fileno(), size - done)
                if not copied:
                    raise OSError(errno.EIO, f"{source} ended early")
                done += copied
        return True
    except sqlite3.OperationalError:  # read-only, busy …: the page by page copy may still work
        return False
    finally:
        holder.close()


# ---------------------------------------------------------------- restore


def restore(backup: Path, database: Path, *, confirm: Callable[[], None]) -> Path | None:
    """Replace ``database`` with a checked copy of ``backup``, once ``confirm`` returns;
    returns where the file it replaced was set aside (None if there was none)."""
    backup = Path(backup).expanduser()
    database = database.expanduser().resolve()  # a symlink's file is replaced, as SQLite writes to it
    if not backup.is_file():
        raise NotFound(f"no backup file {backup}")
    clash = files.database_clash(backup, database)
    if clash:
        raise Invalid(f"{backup} is {clash}, not a backup of it: nothing was restored")
    files.make_private_dir(database.parent)
    with files.partial(database, what="the restored database") as temporary:
        try:
            migrations = _backup(backup, temporary)
        except Damaged as error:
            raise SalesError(f"{backup} is damaged or not a database ({error}): nothing was restored") from None
        except (sqlite3.OperationalError, OSError) as error:
            raise SalesError(f"cannot restore {backup}: {error}; nothing was restored") from None
        if not migrations:
            raise Invalid(f"{backup} is not a salescli database: nothing was restored")
        unknown = [name for name in migrations if name not in schema.NAMES]
        if unknown:
            raise SchemaTooNew(
                f"{backup} was written by a newer salescli (it has migration {unknown[0]!r}, which this "
                "version does not know): upgrade salescli to restore it; nothing was restored"
            )
        _use_wal(temporary)
        confirm()
        with _exclusive(database):
            aside = _set_aside(database) if database.exists() else None
            try:
                files.place(temporary, database, replace=True)
            except OSError as error:
                raise SalesError(f"cannot restore into {database}: {error.strerror}") from None
            for suffix in files.SQLITE_SUFFIXES:
                Path(f"{database}{suffix}").unlink(missing_ok=True)
    return aside


def _use_wal(path: Path) -> None:
    """Put the file at ``path`` in WAL mode, as salescli's databases are (a backup may not be)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


@contextmanager
def _exclusive(database: Path) -> Iterator[None]:
    """Hold ``database`` so that no other process uses it, with its WAL folded into the
    file and removed. A file SQLite cannot read is moved aside as it is."""
    if not database.exists():
        yield
        return
    conn = sqlite3.connect(database, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        # Leaving WAL needs every other connection closed; it folds the WAL into the file and
        # deletes it, and without a journal the lock below leaves no -journal file either.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")  # in exclusive locking mode the lock stays until close
    except sqlite3.OperationalError as error:
        conn.close()
        raise SalesError(
            f"cannot restore: {database} is in use ({error}): stop every salescli using it "
            "(and any cron job), then try again; nothing was restored"
        ) from None
    except sqlite3.DatabaseError:  # damaged: nothing to fold in, set it aside as it is
        pass
    try:
        yield
    except BaseException:
        with suppress(sqlite3.Error):
            conn.execute("PRAGMA journal_mode = WAL")  # as it was
        raise
    finally:
        conn.close()


def _set_aside(database: Path) -> Path:
    """Keep the current file (with any -wal or -journal SQLite could not fold in) under a
    backup's name next to it."""
    try:
        aside = _free_name(database.parent, database.stem, parse.now(), RESTORE_LABEL, lambda name: os.link(database, name))
        for suffix in ("-wal", "-journal"):
            companion = Path(f"{database}{suffix}")
            if companion.exists():
                os.replace(companion, f"{aside}{suffix}")
    except OSError as error:
        raise SalesError(f"cannot keep the current file next to it: {error.strerror}; nothing was restored") from None
    return aside
