"""A real, throwaway PostgreSQL server for the tests (issue 15), from Debian's packages.

``Server.start()`` makes a new cluster (``initdb``) in a temporary folder and starts it on
127.0.0.1 at a free port (and on a unix socket in the same folder), with trust
authentication for its one superuser and durability off (``fsync``: a test's data lives
for a second). PostgreSQL refuses to run as root, so under root the cluster belongs to,
and runs as, the ``postgres`` user (or ``nobody``) through ``runuser``.
``Server.stop()`` stops it and removes the folder.

conftest.py starts one server per test session (in xdist's controller, handing its URL to
the workers) and gives each test a database of its own, copied from a template.
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
    def __init__(self) -> None:
        self.bin = bindir()
        self.folder = Path(tempfile.mkdtemp(prefix="salescli-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
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

    def _run(self, program: str, *args: str) -> None:
        run = subprocess.run([*self.prefix, str(self.bin / program), *args], capture_output=True, text=True, cwd=self.folder)
        if run.returncode:
            raise Unavailable(f"{program} failed ({run.returncode}):\n{run.stdout}{run.stderr}{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text().splitlines()[-20:])
        except OSError:
            return ""

    def start(self) -> "Server":
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        options = " ".join([
            "-c listen_addresses=127.0.0.1",
            f"-p {self.port}",
            f"-c unix_socket_directories={self.folder}",
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "-c max_connections=200",
        ])
        self._run("pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data), "-l", str(self.log), "-o", options)
        self.sql(f"CREATE DATABASE {TEMPLATE}")
        return self

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement as the superuser (CREATE/DROP DATABASE need autocommit)."""
        import psycopg

        with psycopg.connect(self.database_url(database), autocommit=True) as conn:
            conn.execute(statement)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data))
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
