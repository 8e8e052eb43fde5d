"""A PostgreSQL server of our own, from Debian's packages: a throwaway one for the tests
(issue 15) and a kept one for the benchmark (``bench/run.py --store postgresql``).

``Server()`` makes a new cluster (``initdb``) in a temporary folder; ``stop()`` stops it and
removes the folder. The tests' server has trust authentication for its one superuser and
durability off (``fsync``: a test's data lives for a second). ``Server(folder)`` keeps its
cluster in ``folder`` (made on the first start, started again later, or found running and
used as it is) with the server's own settings, durable as installed; ``stop()`` stops it
only if this run started it, and keeps the folder. Either listens on 127.0.0.1 at a free
port (and on a unix socket in its folder). PostgreSQL refuses to run as root, so under root
the cluster belongs to, and runs as, the ``postgres`` user (or ``nobody``) through ``runuser``.

tests/conftest.py starts one server per test session (in xdist's controller, handing its
URL to the workers) and gives each test a database of its own, copied from a template.
salescli itself never imports this module.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "salescli"
TEMPLATE = "salescli_template"
INSTALL_HINT = "PostgreSQL 15 or newer is needed for the tests: `make postgresql` installs Debian's"
THROWAWAY = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class Unavailable(RuntimeError):
    """No PostgreSQL server programs on this machine, or the server would not start."""


def bindir() -> Path:
    """The folder of the newest installed server programs (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise Unavailable(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _runner() -> tuple[list[str], str | None]:
    """How to run the server programs: as ourselves, or (as root) as an unprivileged user."""
    if os.geteuid() != 0:
        return [], None
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"], user
    raise Unavailable("running as root, and there is no 'postgres' or 'nobody' user to run PostgreSQL as")


class Server:
    def __init__(self, folder: Path | None = None) -> None:
        self.bin = bindir()
        self.kept = folder is not None
        if folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="salescli-pg-"))
        else:
            self.folder = Path(folder).resolve()
            self.folder.mkdir(parents=True, exist_ok=True)
        self.data = self.folder / "data"
        self.port = _free_port()
        self.started = False
        self.prefix, user = _runner()
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.log = self.folder / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}"

    def database_url(self, name: str) -> str:
        return f"{self.url}/{name}"

    def _run(self, program: str, *args: str, check: bool = True) -> int:
        run = subprocess.run([*self.prefix, str(self.bin / program), *args], capture_output=True, text=True, cwd=self.folder)
        if run.returncode and check:
            raise Unavailable(f"{program} failed ({run.returncode}):\n{run.stdout}{run.stderr}{self._log_tail()}")
        return run.returncode

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text().splitlines()[-20:])
        except OSError:
            return ""

    def _running_port(self) -> int | None:
        """The port of this folder's server if it is running (postmaster.pid's fourth line)."""
        if self._run("pg_ctl", "status", "-D", str(self.data), check=False):
            return None
        return int((self.data / "postmaster.pid").read_text().splitlines()[3])

    def start(self) -> "Server":
        """Start the server (a kept folder's running server is used as it is)."""
        fresh = not (self.data / "PG_VERSION").exists()
        if fresh:
            self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
                      *([] if self.kept else ["--no-sync"]))
        running = self._running_port()
        if running is not None:
            self.port = running
            return self
        options = " ".join([
            "-c listen_addresses=127.0.0.1",
            f"-p {self.port}",
            f"-c unix_socket_directories={self.folder}",
            *([] if self.kept else [THROWAWAY]),
            "-c max_connections=200",
        ])
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log), "-o", options)
        self.started = True
        if fresh:
            self.sql(f"CREATE DATABASE {TEMPLATE}")
        return self

    def sql(self, statement: str, database: str = "postgres") -> list[tuple]:
        """Run one statement as the superuser (CREATE/DROP DATABASE need autocommit): its rows."""
        import psycopg

        with psycopg.connect(self.database_url(database), autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def stop(self) -> None:
        """Stop the server (a kept one only if this run started it); remove a throwaway folder."""
        try:
            if (self.data / "postmaster.pid").exists() and (self.started or not self.kept):
                self._run("pg_ctl", "stop", "-m", "fast" if self.kept else "immediate", "-w", "-D", str(self.data))
        finally:
            if not self.kept:
                shutil.rmtree(self.folder, ignore_errors=True)
