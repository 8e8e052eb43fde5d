"""The files salescli writes besides the database: private, whole or absent, never the database.

Everything salescli writes holds customer data, so every file it creates is mode 0600 and
every directory 0700, whatever the umask. A file is written under a temporary name in its
own directory (``.NAME.PID.partial``) and only renamed to its name once complete: a failure
or an interrupt leaves whatever was there before. The process writing a temporary file
holds a lock on it, so the leftover of one killed outright (SIGKILL, power loss) is told
apart from work in progress, and removed by the next salescli that writes in that directory.

Nothing is ever written over the database or its ``-wal``, ``-shm`` or ``-journal`` file,
however the path spells it (``..``, symlinks, hard links).
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import signal
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from salescli.errors import Invalid, SalesError

DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")
SQLITE_SUFFIXES = ("-journal", "-wal", "-shm")  # what SQLite may add next to a file it writes
PARTIAL = re.compile(r"\..+\.\d+\.partial")


def make_private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents, each mode 0700 (those that exist are left as they are)."""
    missing = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue
        except OSError as error:
            raise SalesError(f"cannot create the directory {folder}: {error.strerror}") from None
        os.chmod(folder, 0o700)  # the umask may have taken bits away, never added any


def refuse_database(path: Path, database: Path | None, what: str) -> None:
    """Fail if writing ``what`` to ``path`` would write over the database or one of its files."""
    clash = database_clash(path, database)
    if clash:
        raise Invalid(f"{path} is {clash}: write {what} somewhere else")


def refuse_special(path: Path, what: str) -> None:
    """Fail if ``path`` is a device, a pipe or a socket: renaming a finished copy over it
    would put a file in its place (``backup /dev/null --force``, run as root, replaced /dev/null)."""
    if _is_stream(path):
        raise Invalid(f"{path} is not a regular file (a device, pipe or socket): write {what} to a file")


def database_clash(path: Path, database: Path | None) -> str | None:
    """Which of the database's files ``path`` is (``the database itself (/…/sales.db)``), if
    any (a database on a server has none)."""
    if database is None:
        return None
    target = Path(path).expanduser().resolve()
    for suffix in DATABASE_SUFFIXES:
        twin = Path(f"{database}{suffix}")
        if target == twin.resolve() or _same_file(target, twin):
            which = f"the database's {suffix[1:]} file" if suffix else "the database itself"
            return f"{which} ({twin})"
    return None


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist
        return False


@contextmanager
def partial(target: Path, *, what: str) -> Iterator[Path]:
    """A new, empty, private file next to ``target`` for the block to fill (and rename with
    ``place``); removed, with any file SQLite made beside it, unless the block renamed it."""
    sweep(target.parent)
    while True:
        path = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # left by a dead process that had our pid (or is ours, in use)
            _remove_if_abandoned(path)
            if path.exists():
                raise SalesError(f"cannot write {what} {target}: {path} is in use") from None
            continue
        except OSError as error:
            raise SalesError(f"cannot write {what} {target}: {error.strerror}") from None
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink:
            break
        os.close(fd)  # a sweep took it between its creation and our lock: make another
    try:
        with _terminate_raises():
            yield path
    finally:
        remove(path)
        os.close(fd)


def place(path: Path, target: Path, *, replace: bool) -> None:
    """Give the finished file ``path`` the name ``target`` in one step: replacing a file of
    that name if ``replace``, else failing with ``FileExistsError`` if there is one."""
    _sync(path)
    if replace:
        os.replace(path, target)
    else:
        try:
            os.link(path, target)  # unlike a rename, never replaces: two copies can race for a name
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            if target.exists():  # a filesystem without hard links: check, then rename
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
            os.replace(path, target)
        else:
            path.unlink()
    _sync(target.parent)


@contextmanager
def writing(path: Path, *, database: Path | None, what: str, encoding: str = "utf-8", errors: str = "strict") -> Iterator[TextIO]:
    """A text file to write ``path`` through: private, renamed into place when the block
    ends, absent (and whatever was at ``path`` untouched) if it fails. A symlink at ``path``
    is followed: the file it points to is replaced. A device or a pipe (``/dev/null``,
    ``/dev/stdout``, a FIFO) is written into, never replaced. Never the database's files."""
    path = Path(path).expanduser()
    refuse_database(path, database, what)
    target = path.resolve()
    if target.is_dir():
        raise Invalid(f"{path} is a directory: give a file name for {what}")
    if _is_stream(path):
        with _text_file(path, encoding, errors, failure=f"cannot write {what} {path}") as out:
            yield out
        return
    with partial(target, what=what) as temporary:
        with _text_file(temporary, encoding, errors, failure=f"cannot write {what} {path}") as out:
            yield out
        try:
            place(temporary, target, replace=True)
        except OSError as error:
            raise SalesError(f"cannot write {what} {path}: {error.strerror}") from None


@contextmanager
def _text_file(path: Path, encoding: str, errors: str, *, failure: str) -> Iterator[TextIO]:
    """``path`` opened for the block to write text into, flushed at its end; an OSError
    (the disk filled up …) is ``failure: why``."""
    try:
        out = open(path, "w", encoding=encoding, errors=errors, newline="")
    except OSError as error:
        raise SalesError(f"{failure}: {error.strerror}") from None
    with out:
        try:
            yield out
            out.flush()
        except OSError as error:
            raise SalesError(f"{failure}: {error.strerror}") from None


def _is_stream(path: Path) -> bool:
    """Whether ``path`` (its symlinks followed) is something other than a file or a directory."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # not there yet: a new file
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def sweep(folder: Path) -> None:
    """Remove the temporary files of salescli processes that died in ``folder``."""
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return
    for name in names:
        if PARTIAL.fullmatch(name):
            _remove_if_abandoned(folder / name)
        elif name.endswith(SQLITE_SUFFIXES) and PARTIAL.fullmatch(name.rsplit("-", 1)[0]):
            if not (folder / name.rsplit("-", 1)[0]).exists():
                (folder / name).unlink(missing_ok=True)


def _remove_if_abandoned(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        remove(path)
    except BlockingIOError:  # its process is still writing it
        pass
    finally:
        os.close(fd)


def remove(path: Path) -> None:
    """Delete ``path`` and any -journal, -wal or -shm file SQLite left beside it."""
    for leftover in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_SUFFIXES)):
        leftover.unlink(missing_ok=True)


def _sync(path: Path) -> None:
    """Flush ``path`` (a file, or a directory's list of names) to the disk, where the system allows."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def _terminate_raises() -> Iterator[None]:
    """While a temporary file is open, ``kill`` (SIGTERM) and a closed terminal (SIGHUP)
    unwind (exit status 128 + the signal's number), so the file is removed before the process ends."""
    if threading.current_thread() is not threading.main_thread():  # only it can handle signals
        yield
        return
    caught = [s for s in (signal.SIGTERM, signal.SIGHUP) if signal.getsignal(s) == signal.SIG_DFL]

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    for signum in caught:
        signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum in caught:
            signal.signal(signum, signal.SIG_DFL)
