"""The benchmark behind SPEC §9 (`make bench`): time every report, listing, show, export,
the import and its undo at reference scale, next to the floor — the least any tool could
do for the same answer — measured in the same run on the same machine, and write the
table of that scale into BENCHMARKS.md (each scale keeps its own section).

* The reference file (`salescli demo --customers N --seed 1`: N customers, 2.5 N deals,
  10 N activities) is cached in the data folder (``--data``, default bench/data) under a
  name that changes with the generator (salescli/demo.py, store/bulk.py, commands/demo.py),
  the scale, the seed and "today" — not with the schema: before timing, the cached file is
  opened once by salescli, which applies any new migration. A file built elsewhere with the
  same generator is adopted (copied, never opened in place) instead of building one:
  ``--reference FILE``, or ``reference-N.db`` in the data folder. ``--rebuild`` builds anew.
* Each command runs once to warm the page cache, then ``--runs`` times (default 7), each in
  a fresh process; a listing or a show writes to a pseudo-terminal (a table, with its
  default limit), everything else to /dev/null (plain output, as under cron). Wall time,
  CPU time (user + system) and peak RSS of that process, from os.wait4, taken by a small
  launcher process (``LAUNCHER``) so that this script's own memory does not count.
  salescli's modules are compiled to bytecode first, as an install would have them.
* Commands that write run on a copy of the reference file: `import customers` of 100,000
  new customers (with its safety backup), `undo` of it and `undo --redo`, then an untimed
  `undo` that leaves the copy as it was for the next run (``--write-runs``, default 3).
  Six cycles of import, undo, redo and undo of 10,000 rows into a file holding only the
  reps show whether the file keeps growing.
* Floors: `--help` against a bare Typer app; `report due` on an empty file against Python +
  Typer + the same SQL; every read command against the very SQL it ran (traced from a run
  of the command) through the bare `sqlite3 -readonly` shell, in the shell's tab or CSV
  mode when the command streams tab- or comma-separated rows (salescli's own SQL function
  casefold(), which the shell lacks, replaced by the built-in lower(): the same work per
  row, the same text for ASCII); `import customers` against
  the shell's `.import` of the same CSV, inserted into the same `customer` table (same
  indexes and triggers) of a copy of the same file.
* A command that does not exist yet is reported as "not available", so the script runs on
  any branch and measures everything once merged.

* ``--store postgresql``: the read commands (and `report due` on an empty database) against
  a local PostgreSQL server of the bench's own (bench/pgserver.py, also the tests' server),
  its cluster kept in ``DATA/postgresql``; the reference file copied into a database there
  once (`salescli db copy`); floors through ``psql``; the server's CPU time measured beside
  the client's. Its section of BENCHMARKS.md is "PostgreSQL (local server), N customers".

Usage: python bench/run.py [--scale N] [--data DIR] [--reference FILE] [--runs N] [--store sqlite|postgresql]
                           [--write-runs N] [--rebuild] [--only TEXT]... [--output FILE]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pgserver

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SALESCLI = [str(BIN / "salescli")] if (BIN / "salescli").exists() else [sys.executable, "-m", "salescli"]
SQLITE3 = shutil.which("sqlite3")
PSQL = shutil.which("psql") or "psql"
TODAY = "2026-11-23"  # a Monday; the reference data is dated relative to it
SEED = 1
SEARCH = "golden river"
REFERENCE_SCALE = 100_000
IMPORT_ROWS = 100_000
CYCLE_ROWS = 10_000
CYCLES = 6
GENERATOR_FILES = ("salescli/demo.py", "salescli/store/bulk.py", "salescli/commands/demo.py")
MIB = 1024 * 1024

# Runs a salescli command inside Python, recording the SQL it sends to SQLite (with the
# parameters filled in) into a JSON file: the floor then runs exactly those statements.
CAPTURE = r"""
import json, sys
from salescli import store
log, args = sys.argv[1], sys.argv[2:]
statements = []
connect = store.connect
def tracing(*args, **kwargs):
    conn = connect(*args, **kwargs)
    if hasattr(conn, "set_trace_callback"):
        conn.set_trace_callback(statements.append)
    else:  # PostgreSQL: each statement as the server gets it, its parameters filled in
        import psycopg
        from salescli.store import postgres
        def traced(execute):
            def run(self, sql, params=()):
                arguments = params if isinstance(params, dict) else list(params)
                statements.append(psycopg.ClientCursor(conn.raw).mogrify(postgres.spoken(sql), arguments)
                                  if arguments else postgres.spoken(sql, False))
                return execute(self, sql, params)
            return run
        postgres.Connection.execute = traced(postgres.Connection.execute)
        postgres.Cursor.execute = traced(postgres.Cursor.execute)
    return conn
store.connect = tracing
sys.argv = ["salescli", *args]
from salescli.cli import main
try:
    main()
except SystemExit:
    pass
finally:
    skip = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")
    with open(log, "w") as out:
        json.dump([s for s in statements if not s.lstrip().upper().startswith(skip)], out)
"""

# The least a Typer program does to answer --help: the interpreter, Typer, one command.
BARE_TYPER = r"""
import typer
app = typer.Typer(add_completion=False)
@app.command()
def main(name: str = "x") -> None:
    "Say hello."
app()
"""

# Python + Typer imported + the same SQL as the command ran, rows fetched.
PYTHON_SQL = r"""
import json, sqlite3, sys
import typer
conn = sqlite3.connect(sys.argv[1])
for sql in json.load(open(sys.argv[2])):
    conn.execute(sql).fetchall()
"""


# ---------------------------------------------------------------- budgets and measures


@dataclass
class Budget:
    """What SPEC §9 allows a command: wall seconds, peak MiB, a multiple of its floor."""

    seconds: float | None = None
    mib: float = 100
    floor: float | None = None

    def __str__(self) -> str:
        parts = [f"≤ {self.seconds:g} s"] if self.seconds is not None else []
        if self.floor is not None:
            parts.append(f"≤ {self.floor:g} × floor")
        return ", ".join([*parts, f"≤ {self.mib:g} MiB"])


@dataclass
class Measure:
    """A set of timed runs of one command line."""

    label: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)  # the PostgreSQL server's, for the command's connections
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def peak_mib(self) -> float:
        return max(self.rss) / MIB

    @property
    def server_cpu_median(self) -> float | None:
        return statistics.median(self.server_cpu) if self.server_cpu else None

    @property
    def all_cpu_median(self) -> float:
        """The CPU the answer cost: the command's, and the server's on its behalf."""
        return statistics.median(map(sum, zip(self.cpu, self.server_cpu))) if self.server_cpu else self.cpu_median

    def add(self, wall: float, cpu: float, rss: int, server_cpu: float | None = None) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)
        self.rss.append(rss)
        if server_cpu is not None:
            self.server_cpu.append(server_cpu)


@dataclass
class Case:
    what: str
    budget: Budget
    measure: Measure | None = None
    floor: Measure | None = None
    verdict: str = ""


# ---------------------------------------------------------------- running


# Starts each measured command and reports on it. A process's peak RSS (ru_maxrss) counts
# the memory of the process that started it, up to the moment it started the program
# (fork or vfork share or copy that memory until exec): started from this script, which
# grows to tens of MiB, every command would seem to need at least as much. This small
# process, started first, does the starting instead; what it adds is measured (`true`).
# With "tty", the command's stdout is a pseudo-terminal of 120 × 50, read and thrown away.
LAUNCHER = r"""
import fcntl, json, os, struct, sys, termios, threading, time
def drain(fd):
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass
for line in sys.stdin:
    argv, env, stdin, err, tty = json.loads(line)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    reader = None
    if tty:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
        actions.append((os.POSIX_SPAWN_DUP2, slave, 1))
        reader = threading.Thread(target=drain, args=(master,))
        reader.start()
    else:
        actions.append((os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0))
    start = time.perf_counter()
    try:
        pid = os.posix_spawnp(argv[0], argv, env, file_actions=actions)
    except OSError as error:
        print(json.dumps([0, 0, 0, 127, str(error)]), flush=True)
        continue
    finally:
        if tty:
            os.close(slave)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if reader:
        reader.join()
        os.close(master)
    print(json.dumps([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024,
                      os.waitstatus_to_exitcode(status)]), flush=True)
"""


class Launcher:
    """The process that starts every measured command (see ``LAUNCHER``)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-S", "-c", LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.errors = tempfile.NamedTemporaryFile(prefix="salescli-bench-", suffix=".err", delete=False)
        self.errors.close()

    def run(self, argv: list[str], env: dict[str, str], stdin: Path | None, tty: bool) -> tuple[float, float, int, int, str]:
        assert self.process.stdin and self.process.stdout
        job = [argv, env, str(stdin or os.devnull), self.errors.name, tty]
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        wall, cpu, rss, status, *failure = json.loads(self.process.stdout.readline())
        message = failure[0] if failure else Path(self.errors.name).read_text(encoding="utf-8", errors="replace")
        return wall, cpu, rss, status, message

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait()
        Path(self.errors.name).unlink(missing_ok=True)


_launcher: list[Launcher] = []


def run_once(
    argv: list[str], *, env: dict[str, str], stdin: Path | None = None, tty: bool = False
) -> tuple[float, float, int, int, str]:
    """Run ``argv`` in a fresh process: wall seconds, CPU seconds (user + system), peak RSS
    bytes, exit status, stderr."""
    if not _launcher:
        _launcher.append(Launcher())
    return _launcher[0].run(argv, env, stdin, tty)


def failure(status: int, stderr: str) -> str:
    if status == 2 and "No such command" in stderr:
        return "not available"
    last = stderr.strip().splitlines()[-1:] or [""]
    return f"failed (exit {status}): {last[0][:120]}"


def measure(
    label: str, argv: list[str], *, runs: int, env: dict[str, str], stdin: Path | None = None, tty: bool = False
) -> Measure:
    """One warm-up run, then ``runs`` timed ones."""
    result = Measure(label)
    for attempt in range(runs + 1):
        served = _server_meter[0].cpu() if _server_meter else None
        wall, cpu, rss, status, stderr = run_once(argv, env=env, stdin=stdin, tty=tty)
        if status:
            result.error = failure(status, stderr)
            return result
        if attempt:  # the first run only warms the caches
            result.add(wall, cpu, rss, None if served is None else _server_meter[0].cpu() - served)
    return result


class ServerMeter:
    """The CPU time a local PostgreSQL server spent: its postmaster's and that of the
    children it reaped (/proc's utime, stime, cutime, cstime), once the connections a
    command opened have ended (their backends gone from the postmaster's children)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, postmaster: int) -> None:
        self.pid = postmaster
        self.background = self._children()

    def _children(self) -> set[str]:
        return set(Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split())

    def cpu(self) -> float:
        deadline = time.monotonic() + 2
        while not self._children() <= self.background and time.monotonic() < deadline:
            time.sleep(0.005)
        self.background = self._children()  # a background worker the server started since
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(value) for value in fields[11:15]) / self.TICK


_server_meter: list[ServerMeter] = []


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESCLI_")}
    env.update(SALESCLI_TODAY=TODAY, NO_COLOR="1", LC_ALL="C.UTF-8", PYTHONDONTWRITEBYTECODE="1", TERM="xterm")
    return env


def salescli(db: Path | str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run salescli untimed (setting up), failing loudly."""
    result = subprocess.run([*SALESCLI, "--db", str(db), *args], env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"salescli {' '.join(args)} failed:\n{result.stderr}")
    return result


# ---------------------------------------------------------------- the files


def generator_key(scale: int) -> str:
    """What the reference data depends on: the generator's code, the scale, seed and today
    (not the schema: a cached file is migrated when salescli opens it)."""
    digest = hashlib.sha256(f"{scale}:{SEED}:{TODAY}".encode())
    for name in GENERATOR_FILES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:12]


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def fold_wal(path: Path) -> None:
    """Fold the write-ahead log into ``path`` so that the file alone is the database."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def db_size(path: Path) -> int:
    return sum(Path(f"{path}{suffix}").stat().st_size for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists())


def customers_in(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM customer").fetchone()[0]
    finally:
        conn.close()


def adopt(source: Path, path: Path, scale: int) -> None:
    """Copy a reference file built elsewhere (never opened in place: opening migrates)."""
    wal = Path(f"{source}-wal")
    if wal.exists() and wal.stat().st_size:
        sys.exit(f"{source} has a write-ahead log beside it: it is still being written (or was not closed); try later")
    found = customers_in(source)
    if found != scale:
        sys.exit(f"{source} holds {found:,} customers, not {scale:,}: use --scale {found}")
    print(f"Adopting {source} as {path.name} (a copy) …", file=sys.stderr, flush=True)
    partial = path.with_suffix(".partial")
    shutil.copyfile(source, partial)
    partial.rename(path)


def reference_file(args: argparse.Namespace, env: dict[str, str]) -> tuple[Path, str]:
    """The cached reference file of ``args.scale`` customers — adopted, or built when
    missing or ``--rebuild`` — migrated to this branch's schema; and where it came from."""
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    scale = args.scale
    path = data / f"reference-{scale}-{generator_key(scale)}.db"
    built = path.with_suffix(".json")  # where the file came from, for the report
    source = Path(args.reference) if args.reference else data / f"reference-{scale}.db"
    if args.rebuild or args.reference or not path.exists():
        for old in data.glob(f"reference-{scale}-*"):
            old.unlink()
        if source.exists() and not args.rebuild:
            adopt(source, path, scale)
            built.write_text(json.dumps({"origin": f"adopted from {source}"}))
        else:
            building = data / "building.db"
            remove_db(building)
            print(f"Building the reference file ({scale:,} customers) …", file=sys.stderr, flush=True)
            wall, _, rss, status, stderr = run_once(
                [*SALESCLI, "--db", str(building), "demo", "--customers", str(scale), "--seed", str(SEED)], env=env
            )
            if status:
                sys.exit(f"building the reference file failed:\n{stderr}")
            fold_wal(building)
            building.rename(path)
            built.write_text(json.dumps({"origin": f"built in {wall:.0f} s (load {os.getloadavg()[0]:.1f})"}))
            print(f"… built in {wall:.1f} s (peak RSS {rss / MIB:.0f} MiB)", file=sys.stderr)
    salescli(path, "log", "-n", "1", env=env)  # applies this branch's migrations, once
    fold_wal(path)
    origin = json.loads(built.read_text())["origin"] if built.exists() else "cached by an earlier run"
    return path, origin


def scale_of(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    week = (dt.date.fromisoformat(TODAY) + dt.timedelta(days=7)).isoformat()
    figures = {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("rep", "customer", "deal", "stage_history", "activity", "target", "payment")
    }
    figures["open_followups"] = conn.execute("SELECT count(*) FROM activity WHERE done_at IS NULL").fetchone()[0]
    figures["due_soon"] = conn.execute(
        "SELECT count(*) FROM activity WHERE done_at IS NULL AND due <= ?", [week]
    ).fetchone()[0]
    figures["bytes"] = path.stat().st_size
    # A customer in the middle, and one of its deals (else a deal in the middle), to show.
    figures["customer_id"] = conn.execute(
        "SELECT id FROM customer ORDER BY id LIMIT 1 OFFSET ?", [figures["customer"] // 2]
    ).fetchone()[0]
    deal = conn.execute("SELECT id FROM deal WHERE customer_id = ? LIMIT 1", [figures["customer_id"]]).fetchone()
    figures["deal_id"] = deal[0] if deal else conn.execute(
        "SELECT id FROM deal ORDER BY id LIMIT 1 OFFSET ?", [figures["deal"] // 2]
    ).fetchone()[0]
    conn.close()
    return figures


CSV_COLUMNS = (
    "name", "company", "title", "contact", "phone", "email", "industry", "region", "size", "source", "tier",
    "tags", "owner", "credit_limit", "notes", "created_at", "updated_at",
)
FIELD_KEYS = ("payment_terms", "vat_id", "wechat")


def customers_csv(reference: Path, target: Path, rows: int, batch: int) -> int:
    """``rows`` of the reference file's customers as a CSV a spreadsheet would hand over,
    renamed (" · import BATCH") so that they are new customers: the columns of SPEC §2
    (owner as a handle, tags joined by "; ", custom fields as field:KEY), no ids."""
    conn = sqlite3.connect(f"file:{reference}?mode=ro", uri=True)
    rows_out = conn.execute(
        "SELECT c.name, c.company, c.title, c.contact, c.phone, c.email, c.industry, c.region, c.size, c.source, "
        "c.tier, (SELECT group_concat(tag, '; ') FROM customer_tag t WHERE t.customer_id = c.id), r.handle, "
        "c.credit_limit, c.notes, c.created_at, c.updated_at, c.fields "
        "FROM customer c LEFT JOIN rep r ON r.id = c.owner_id ORDER BY c.id LIMIT ?",
        [rows],
    )
    count = 0
    with open(target, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*CSV_COLUMNS, *(f"field:{k}" for k in FIELD_KEYS)])
        for row in rows_out:
            *values, fields = row
            values[0] = f"{values[0]} · import {batch}"
            credit = values[13]
            values[13] = "" if credit is None else f"{credit // 100}.{credit % 100:02d}"
            extra = json.loads(fields)
            writer.writerow(["" if v is None else v for v in values] + [extra.get(k, "") for k in FIELD_KEYS])
            count += 1
    conn.close()
    return count


def reps_only(reference: Path, target: Path, env: dict[str, str]) -> None:
    """An initialised file holding the reference file's reps (the owners the CSV names)."""
    remove_db(target)
    salescli(target, "init", env=env)
    conn = sqlite3.connect(target)
    conn.execute("ATTACH DATABASE ? AS ref", [f"file:{reference}?mode=ro"])
    conn.execute("INSERT INTO rep SELECT * FROM ref.rep")
    conn.commit()
    conn.execute("DETACH DATABASE ref")
    conn.close()
    fold_wal(target)


def remove_import_backups(db: Path) -> None:
    for backup in db.parent.glob(f"{db.stem}-import-*"):
        backup.unlink()


# ---------------------------------------------------------------- reading


def traced_sql(args: list[str], env: dict[str, str], work: Path, name: str, tty: bool) -> Path | None:
    """The statements ``salescli ARGS`` runs (on a terminal if ``tty``), as a JSON list
    (None when it failed)."""
    log = work / f"{name}.json"
    status = run_once([sys.executable, "-c", CAPTURE, str(log), *args], env=env, tty=tty)[3]
    if status not in (0, 1) or not log.exists() or not json.loads(log.read_text()):
        return None  # no statements traced: no floor, rather than an empty script's 0.002 s
    return log


# salescli registers casefold() on its connection (Python's str.casefold, to sort names as
# Python does); the sqlite3 shell has no such function. Its floor calls the built-in lower()
# instead: the same work per row, and the same text for ASCII names.
FOLD = re.compile(r"\bcasefold\(")


def sqlite_script(statements: Path, mode: str | None) -> Path:
    """The traced statements as a script for the sqlite3 shell, in output ``mode`` (tabs,
    csv) with a header when the command streams rows that way; ``casefold(`` as ``lower(``."""
    script = statements.with_suffix(".sql")
    dot = f".headers on\n.mode {mode}\n" if mode else ""
    sqls = (FOLD.sub("lower(", sql).rstrip().rstrip(";") + ";\n" for sql in json.loads(statements.read_text()))
    script.write_text(dot + "".join(sqls))
    return script


def psql_floor(url: str, statements: Path, mode: str | None, runs: int, env: dict[str, str]) -> Measure:
    """The traced statements through the bare ``psql`` client, one ``-c`` each, unaligned
    (or tab-separated, or CSV, with a header, when the command streams rows that way)."""
    output = {"tabs": ["-A", "-F", "\t"], "csv": ["--csv"]}.get(mode or "", ["-A", "-t"])
    commands = [part for sql in json.loads(statements.read_text()) for part in ("-c", sql)]
    label = "psql, same SQL" + (f" ({'--csv' if mode == 'csv' else 'tab-separated'})" if mode else "")
    return measure(label, [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, *output, *commands], runs=runs, env=env)


def read_case(what: str, budget: Budget, args: list[str], *, db: str, env: dict, runs: int, work: Path,
              tty: bool = False, mode: str | None = None) -> Case:
    """A read command against ``db`` (a file, or a database's URL); its floor is the SQL it
    ran, through the sqlite3 shell (or psql)."""
    print(f"  {what} …", file=sys.stderr, flush=True)
    case = Case(what, budget)
    argv = [*SALESCLI, "--db", db, *args]
    case.measure = measure(what, argv, runs=runs, env=env, tty=tty)
    if case.measure.error:
        return case
    statements = traced_sql(["--db", db, *args], env, work, slug(what), tty)
    on_server = db.startswith("postgresql://")
    label = ("psql" if on_server else "sqlite3 shell") + ", same SQL"
    if statements is None:
        case.floor = Measure(label, error="could not trace the SQL")
    elif on_server:
        case.floor = psql_floor(db, statements, mode, runs, env)
    elif SQLITE3:
        case.floor = measure(label + (f" (.mode {mode})" if mode else ""), [SQLITE3, "-readonly", db], runs=runs,
                             env=env, stdin=sqlite_script(statements, mode))
    else:
        case.floor = measure("python sqlite3, same SQL", [sys.executable, "-c", PYTHON_SQL, db, str(statements)],
                             runs=runs, env=env)
    return case


def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-")[:60]


def compile_bytecode() -> None:
    """Compile salescli's modules, as installing a package does: with PYTHONDONTWRITEBYTECODE
    set (as here) a source checkout would otherwise compile them again on every run."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "salescli")], check=True, capture_output=True)


# Reports that must answer within 1 s at 1,000,000 customers; the others have 3 s.
FAST_AT_A_MILLION = {"due", "targets", "funnel", "forecast", "reps"}
REPORTS = ("due", "funnel", "targets", "forecast", "stale", "reps", "customers", "sources", "products", "lost",
           "receivables", "trend")


def read_cases(scale: int, figures: dict[str, int], on_server: bool = False
               ) -> list[tuple[str, Budget, list[str], bool, str | None]]:
    """(what, budget, arguments, on a terminal, output mode of the floor) of each read.
    On a server (issue 15), `report due` has 1 s at 100,000 customers, as the others have."""
    small = scale <= REFERENCE_SCALE
    mib = 80 if small else 100

    def report_budget(name: str) -> Budget:
        if small:
            return Budget(0.2 if name == "due" and not on_server else 1, mib)
        return Budget(1 if name in FAST_AT_A_MILLION else 3, mib)

    shown = Budget(1, mib) if small else Budget(None, mib)
    streaming = Budget(None, 100, floor=2)
    cases = [(f"report {name}", report_budget(name), ["report", name], False, None) for name in REPORTS]
    due_tsv = Budget(report_budget("stale").seconds, mib, floor=2)
    cases.insert(1, ("report due --days 400 -f tsv", due_tsv, ["report", "due", "--days", "400", "-f", "tsv"], False, "tabs"))
    cases += [
        ("customer list (terminal)", shown, ["customer", "list"], True, None),
        (f"customer list --search '{SEARCH}' (terminal)", shown, ["customer", "list", "--search", SEARCH], True, None),
        ("deal list (terminal)", shown, ["deal", "list"], True, None),
        ("deal list --open -f tsv", streaming, ["deal", "list", "--open", "-f", "tsv"], False, "tabs"),
        ("activity list (terminal)", shown, ["activity", "list"], True, None),
        (f"customer show {figures['customer_id']} (terminal)", shown,
         ["customer", "show", str(figures["customer_id"])], True, None),
        (f"deal show {figures['deal_id']} (terminal)", shown, ["deal", "show", str(figures["deal_id"])], True, None),
        ("export customers", streaming, ["export", "customers"], False, "csv"),
        ("export deals", streaming, ["export", "deals"], False, "csv"),
        ("export activities", streaming, ["export", "activities"], False, "csv"),
    ]
    return cases


# ---------------------------------------------------------------- writing


def import_floor_script(source: Path) -> str:
    """The sqlite3 shell's least work for the same import: `.import` the CSV, then insert
    its rows (owner handle to id, money to cents) into `customer`, with its indexes and triggers."""
    columns = [c for c in CSV_COLUMNS if c not in ("tags", "owner")]
    values = ["CAST(round(credit_limit * 100) AS INTEGER)" if c == "credit_limit" else f"NULLIF({c}, '')"
              for c in columns]
    return (
        f".import --csv --schema temp {source} _import\n"
        f"INSERT INTO customer ({', '.join(columns)}, owner_id, fields) "
        f"SELECT {', '.join(values)}, (SELECT id FROM rep WHERE handle = owner), '{{}}' FROM temp._import;\n"
    )


def write_cases(reference: Path, env: dict[str, str], runs: int, work: Path) -> list[Case]:
    """`import customers` of IMPORT_ROWS new customers into a copy of the reference file,
    `undo` and `undo --redo` of it, each run ending with an untimed `undo`; the floor on
    another copy, deleting what it inserted after each run."""
    source = work / "import.csv"
    count = customers_csv(reference, source, IMPORT_ROWS, 1)
    target = work / "target.db"
    print(f"  import customers ({count:,} rows): copying the reference file …", file=sys.stderr, flush=True)
    shutil.copyfile(reference, target)
    big = Budget(None, 100, floor=2)
    cases = [Case(f"import customers ({count:,} rows, with its backup)", big),
             Case("undo (of that import)", Budget(3, 100)), Case("undo --redo (of that import)", Budget(3, 100))]
    steps = [["import", "customers", str(source)], ["undo"], ["undo", "--redo"]]
    for case in cases:
        case.measure = Measure(case.what)
    for attempt in range(runs + 1):
        for case, step in zip(cases, steps):
            wall, cpu, rss, status, stderr = run_once([*SALESCLI, "--db", str(target), *step], env=env)
            if status:
                case.measure.error = failure(status, stderr)
                return _without_floor(cases, target)
            if attempt:
                case.measure.add(wall, cpu, rss)
        salescli(target, "undo", env=env)
        remove_import_backups(target)
    if SQLITE3:
        print("  import customers: the sqlite3 shell's floor …", file=sys.stderr, flush=True)
        cases[0].floor = import_floor(target, source, env, runs)
    remove_db(target)
    return cases


def _without_floor(cases: list[Case], target: Path) -> list[Case]:
    remove_import_backups(target)
    remove_db(target)
    return [case for case in cases if case.measure.wall or case.measure.error]


def import_floor(target: Path, source: Path, env: dict[str, str], runs: int) -> Measure:
    """``.import`` into the same table of the same file (the salescli runs left it as it
    was); each run's rows deleted again, untimed."""
    script = target.with_suffix(".import.sql")
    script.write_text(import_floor_script(source))
    conn = sqlite3.connect(target)
    last = conn.execute("SELECT max(id) FROM customer").fetchone()[0]
    conn.close()
    result = Measure("sqlite3 shell .import, same table")
    for attempt in range(runs + 1):
        wall, cpu, rss, status, stderr = run_once([SQLITE3, str(target)], env=env, stdin=script)
        if status or "Error" in stderr:
            result.error = failure(status or 1, stderr)
            return result
        if attempt:
            result.add(wall, cpu, rss)
        conn = sqlite3.connect(target)
        with conn:
            conn.execute("DELETE FROM customer WHERE id > ?", [last])
        conn.close()
    return result


@dataclass
class Growth:
    """File sizes after each cycle of import, undo, redo and undo of CYCLE_ROWS rows."""

    sizes: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def growth(self) -> float:
        return self.sizes[-1] / self.sizes[0] - 1


def growth_cycles(reference: Path, env: dict[str, str], work: Path) -> Growth:
    """CYCLES cycles into a file holding only the reps; each ends where it began."""
    print(f"  {CYCLES} cycles of import/undo/redo/undo of {CYCLE_ROWS:,} rows …", file=sys.stderr, flush=True)
    source = work / "cycle.csv"
    customers_csv(reference, source, CYCLE_ROWS, 2)
    target = work / "cycles.db"
    reps_only(reference, target, env)
    result = Growth()
    for _ in range(CYCLES):
        for step in (["import", "customers", str(source)], ["undo"], ["undo", "--redo"], ["undo"]):
            status, stderr = run_once([*SALESCLI, "--db", str(target), *step], env=env)[3:]
            if status:
                result.error = failure(status, stderr)
                return result
        remove_import_backups(target)
        result.sizes.append(db_size(target))
    remove_db(target)
    return result


# ---------------------------------------------------------------- the run


def cases(args: argparse.Namespace, env: dict[str, str], work: Path) -> tuple[list[Case], Growth | None, dict]:
    runs = args.runs
    reference, origin = reference_file(args, env)
    compile_bytecode()
    figures = scale_of(reference)
    info: dict[str, object] = {"origin": origin, "scale": figures, "launcher_rss": run_once(["true"], env=env)[2]}
    if args.store == "postgresql":
        return server_cases(args, env, work, reference, info), None, info
    empty = work / "empty.db"
    salescli(empty, "init", env=env)
    wanted = wanted_by(args)
    result: list[Case] = []
    start_up = Budget(0.12, 100)
    if wanted("salescli --help"):
        case = Case("salescli --help", start_up)
        case.measure = measure(case.what, [*SALESCLI, "--help"], runs=runs, env=env)
        case.floor = measure("bare Typer app --help", [sys.executable, "-c", BARE_TYPER, "--help"], runs=runs, env=env)
        result.append(case)
    if wanted("report due (empty file)"):
        case = Case("report due (empty file)", start_up)
        case.measure = measure(case.what, [*SALESCLI, "--db", str(empty), "report", "due"], runs=runs, env=env)
        statements = None if case.measure.error else traced_sql(
            ["--db", str(empty), "report", "due"], env, work, "empty", False
        )
        if statements:
            case.floor = measure("python + typer + same SQL", [sys.executable, "-c", PYTHON_SQL, str(empty), str(statements)],
                                 runs=runs, env=env)
        result.append(case)
    result += read_all(args, figures, str(reference), env, work)
    if wanted("import customers") or wanted("undo"):
        result.extend(write_cases(reference, env, args.write_runs, work))
    growth = growth_cycles(reference, env, work) if wanted("cycles") else None
    return result, growth, info


def wanted_by(args: argparse.Namespace) -> Callable[[str], bool]:
    """Whether a case is one ``--only`` asks for (every case without it)."""

    def wanted(what: str) -> bool:
        return not args.only or any(text.lower() in what.lower() for text in args.only)

    return wanted


def read_all(args: argparse.Namespace, figures: dict[str, int], db: str, env: dict[str, str], work: Path) -> list[Case]:
    """Every report, listing, show and export (those ``--only`` asks for) against ``db``."""
    wanted = wanted_by(args)
    return [
        read_case(what, budget, command, db=db, env=env, runs=args.runs, work=work, tty=tty, mode=mode)
        for what, budget, command, tty, mode in read_cases(args.scale, figures, db.startswith("postgresql://"))
        if wanted(what)
    ]


# ---------------------------------------------------------------- on a PostgreSQL server


def server_cases(args: argparse.Namespace, env: dict[str, str], work: Path, reference: Path, info: dict) -> list[Case]:
    """The read commands against the reference business on a local PostgreSQL server of
    the bench's own (its cluster kept in the data folder), and `report due` on an empty
    database; the server's own CPU time measured beside the client's."""
    server = pgserver.Server(Path(args.data) / "postgresql").start()
    try:
        url, loaded = server_database(server, reference, args.scale, env)
        info["server"] = server.sql("SHOW server_version")[0][0].split()[0]
        figures = info["scale"]
        figures["bytes"] = server.sql(f"SELECT pg_database_size('{database_name(args.scale)}')")[0][0]
        info["origin"] = f"{info['origin']}, then {loaded} into a database of the server"
        empty = server.database_url("empty")
        server.sql("DROP DATABASE IF EXISTS empty WITH (FORCE)")
        server.sql("CREATE DATABASE empty")
        salescli(empty, "init", env=env)
        _server_meter.append(ServerMeter(server.postmaster_pid()))
        result = []
        if wanted_by(args)("report due (empty database)"):
            result.append(read_case("report due (empty database)", Budget(None, 100), ["report", "due"], db=empty,
                                    env=env, runs=args.runs, work=work))
        return result + read_all(args, figures, url, env, work)
    finally:
        _server_meter.clear()
        server.stop()


def database_name(scale: int) -> str:
    return f"reference_{scale}"


def server_database(server: pgserver.Server, reference: Path, scale: int, env: dict[str, str]) -> tuple[str, str]:
    """The URL of a database on ``server`` holding the reference file's business, and how
    it got there: copied once by `salescli db copy`, then analysed; the database's comment
    names the file it came from (whose name changes with the generator), so that a new one
    is copied again."""
    name = database_name(scale)
    url = server.database_url(name)
    found = server.sql(f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{name}'")
    if found and (found[0][0] or "").startswith(f"{reference.name} ("):
        salescli(url, "log", "-n", "1", env=env)  # this branch's migrations, once
        return url, found[0][0].split(" (", 1)[1].rstrip(")")
    print(f"Copying {reference.name} into the server's database {name} …", file=sys.stderr, flush=True)
    server.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    server.sql(f"CREATE DATABASE {name}")
    start = time.perf_counter()
    copied = subprocess.run([*SALESCLI, "db", "copy", str(reference), url], env=env, capture_output=True, text=True)
    if copied.returncode:
        sys.exit(f"salescli db copy failed:\n{copied.stderr}")
    how = f"copied by `salescli db copy` in {time.perf_counter() - start:.0f} s"
    print(f"… {how}; VACUUM ANALYZE …", file=sys.stderr, flush=True)
    server.sql("VACUUM ANALYZE", name)
    server.sql(f"COMMENT ON DATABASE {name} IS '{reference.name} ({how})'")
    return url, how


# ---------------------------------------------------------------- verdicts and the report


def judge(case: Case, busy: bool) -> str:
    """``met`` or ``MISSED (what)``; on a busy machine a time miss whose CPU time is within
    the budget says so."""
    m, budget = case.measure, case.budget
    if m is None or m.error:
        return "not available" if m is None or m.error == "not available" else "FAILED"
    problems = []
    if budget.seconds is not None and m.median > budget.seconds:
        problems.append("time; CPU within budget, machine busy" if busy and m.all_cpu_median <= budget.seconds else "time")
    if m.peak_mib > budget.mib:
        problems.append("memory")
    if budget.floor is not None:
        if case.floor is None or case.floor.error:
            problems.append("no floor")
        elif m.median > budget.floor * case.floor.median:
            within = m.all_cpu_median <= budget.floor * case.floor.all_cpu_median
            problems.append("× floor; CPU within, machine busy" if busy and within else "× floor")
    return "met" if not problems else "MISSED (" + ", ".join(problems) + ")"


def seconds(value: float) -> str:
    return f"{value:.3f} s"


def table(results: list[Case]) -> list[str]:
    served = any(case.measure and case.measure.server_cpu for case in results)
    server_cpu = " server CPU (median) |" if served else ""
    lines = [
        f"| what | budget | median | min | max | CPU (median) |{server_cpu} peak RSS | floor (median) | ratio | verdict |",
        "| --- | --- | ---: | ---: | ---: | ---: |" + (" ---: |" if served else "") + " ---: | --- | ---: | --- |",
    ]
    for case in results:
        m, f = case.measure, case.floor
        if m is None or m.error:
            blank = " |" if served else ""
            lines.append(f"| {case.what} | {case.budget} | {m.error if m else 'not run'} | | | |{blank} | | | {case.verdict} |")
            continue
        floor = "—"
        ratio = "—"
        if f is not None:
            floor = f"{f.label}: {f.error}" if f.error else f"{f.label}: {seconds(f.median)}, {f.peak_mib:.0f} MiB"
            if f.server_cpu_median is not None and not f.error:
                floor += f", server CPU {seconds(f.server_cpu_median)}"
            if not f.error and f.median > 0:
                ratio = f"{m.median / f.median:.1f}×"
        server = f" {seconds(m.server_cpu_median or 0)} |" if served else ""
        lines.append(
            f"| {case.what} | {case.budget} | {seconds(m.median)} | {seconds(min(m.wall))} | {seconds(max(m.wall))} | "
            f"{seconds(m.cpu_median)} |{server} {m.peak_mib:.0f} MiB | {floor} | {ratio} | {case.verdict} |"
        )
    return lines


def growth_line(growth: Growth | None) -> list[str]:
    if growth is None:
        return []
    title = f"* File size after each of {CYCLES} cycles of `import customers` ({CYCLE_ROWS:,} rows), `undo`, " \
            "`undo --redo` and `undo`, into a file holding only the reps (budget: the last ≤ 10 % above the first): "
    if growth.error:
        return [title + growth.error]
    sizes = ", ".join(f"{size / 1e6:.1f}" for size in growth.sizes)
    verdict = "met" if growth.growth <= 0.10 else "MISSED"
    return [title + f"{sizes} MB; growth {growth.growth:+.0%}: {verdict}"]


def machine() -> dict[str, str]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True)
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlite_shell": subprocess.run([SQLITE3, "--version"], capture_output=True, text=True).stdout.split()[0]
        if SQLITE3 else "not installed",
        "commit": (commit.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty.stdout.strip() else ""),
        "os": platform.platform(terse=True),
    }


HEADER = """# Benchmarks

Measured by `make bench` (`bench/run.py`; `make bench ARGS="--scale 1000000"` for the second
table); SPEC §9 sets the budgets. Each run rewrites the section of its scale and keeps the others.

* Method: one warm-up run, then the timed runs of each command, each a fresh process with
  SALESCLI_TODAY=2026-11-23 and salescli's modules compiled to bytecode first (as an install does).
  Listings and shows (marked "terminal") write to a 120 × 50 pseudo-terminal: a table with its default
  limit; everything else writes to /dev/null (plain output, as under cron). Peak RSS of that process,
  started by a small launcher process whose own few MiB are the least any command can show.
* Writes run on a copy of the reference file: `import customers` of new customers (its safety backup
  included), then `undo` and `undo --redo` of it, then an untimed `undo` that restores the copy.
* Floors, measured in the same run: `--help` against a bare Typer app with one command; `report due`
  on an empty file against Python + `import typer` + the same SQL; each read command against the exact
  SQL it ran (traced from a run) through the bare `sqlite3 -readonly` shell, to /dev/null, in `.mode
  tabs` or `.mode csv` for the commands that stream such rows (salescli's own SQL function `casefold()`,
  which the shell lacks, replaced by the built-in `lower()`: the same work per row, the same text for
  ASCII names); `import customers` against the shell's
  `.import` of the same CSV inserted into the same `customer` table (same indexes and triggers) of a
  copy of the same file.
* A verdict "CPU within, machine busy": the wall time missed but the process's CPU time did not, while
  other work loaded the machine; a rerun on a quiet machine decides.
* PostgreSQL (`make bench ARGS="--store postgresql"`): the read commands against a local server of the
  bench's own (Debian's, its settings as installed), the reference business copied into it once by
  `salescli db copy` and analysed; salescli connects over TCP to 127.0.0.1. "CPU" is the client's;
  "server CPU" what the server's processes spent meanwhile (the postmaster's and its reaped children's
  CPU time). The floor is the same SQL through `psql -c` (unaligned, or tab-separated, or `--csv`), to
  /dev/null; a verdict "CPU within" counts the server's CPU too.
"""


def section_key(args: argparse.Namespace) -> str:
    """The name of a run's section in BENCHMARKS.md: its scale, after the store if not SQLite."""
    return str(args.scale) if args.store == "sqlite" else f"{args.store}-{args.scale}"


def section(results: list[Case], growth: Growth | None, info: dict, args: argparse.Namespace,
            load: tuple[float, float]) -> str:
    host = machine()
    scale = info["scale"]
    busy = max(load) > (os.cpu_count() or 1) / 2
    on_server = args.store == "postgresql"
    key = section_key(args)
    engine = f"SQLite {host['sqlite']} (shell {host['sqlite_shell']})"
    if on_server:
        engine = f"PostgreSQL {info['server']} (Debian's, as installed; the bench's own cluster), psql; client over TCP to 127.0.0.1"
    stored = "MiB database" if on_server else "MiB file"
    lines = [
        f"<!-- scale {key} -->",
        f"## {'PostgreSQL (local server), ' if on_server else ''}{args.scale:,} customers",
        "",
        f"* Date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}; salescli commit {host['commit']}",
        f"* Machine: {host['cpu']}, {host['cores']} cores, {host['os']}; Python {host['python']}; "
        f"{engine}; launcher {info['launcher_rss'] / MIB:.0f} MiB",
        f"* Load average (1 min) at start and end: {load[0]:.2f} and {load[1]:.2f}"
        + (" — busy: wall times are upper bounds; the CPU columns show what each command cost" if busy else ""),
        f"* Scale: {scale['customer']:,} customers, {scale['deal']:,} deals ({scale['stage_history']:,} stage-history "
        f"rows), {scale['activity']:,} activities of which {scale['open_followups']:,} open follow-ups "
        f"({scale['due_soon']:,} overdue or due within 7 days), {scale['target']:,} targets, {scale['rep']:,} reps, "
        f"{scale['payment']:,} payments; {scale['bytes'] / MIB:,.0f} {stored} (`salescli demo --customers "
        f"{args.scale} --seed {SEED}`, {info['origin']})",
        f"* Runs: {args.runs} timed runs per read command" + ("" if on_server else f", {args.write_runs} per write"),
        *growth_line(growth),
        "",
        *table(results),
        f"<!-- /scale {key} -->",
    ]
    return "\n".join(lines)


def merge(previous: str, new: str, key: str) -> str:
    """HEADER, then every section (SQLite's scales, then the servers'), this run's replacing its own."""
    sections = dict(
        (m.group(1), m.group(0))
        for m in re.finditer(r"<!-- scale ([\w-]+) -->.*?<!-- /scale \1 -->", previous, flags=re.S)
    )
    sections[key] = new

    def order(key: str) -> tuple[str, int]:
        store, _, scale = key.rpartition("-")
        return store, int(scale)

    return HEADER + "\n" + "\n\n".join(sections[key] for key in sorted(sections, key=order)) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Time salescli against SPEC §9's budgets.")
    parser.add_argument("--scale", type=int, default=REFERENCE_SCALE, help="customers in the reference file (default 100,000)")
    parser.add_argument("--data", default=str(ROOT / "bench" / "data"), help="where reference files are cached (default bench/data)")
    parser.add_argument("--reference", help="adopt this reference file (a copy of it) instead of building one")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per read command (default 7)")
    parser.add_argument("--write-runs", type=int, default=3, help="timed runs of import, undo and redo (default 3)")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite",
                        help="postgresql: the read commands on a local server of the bench's own (issue 15)")
    parser.add_argument("--rebuild", action="store_true", help="build the reference file again")
    parser.add_argument("--only", action="append", help="only the cases whose name contains this (repeatable; 'cycles')")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"), help="where to write the report ('-': nowhere)")
    args = parser.parse_args()
    env = base_env()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="salescli-bench-") as scratch:
        try:
            results, growth, info = cases(args, env, Path(scratch))
        finally:
            for launcher in _launcher:
                launcher.close()
    load = (load_start, os.getloadavg()[0])
    busy = max(load) > (os.cpu_count() or 1) / 2
    for case in results:
        case.verdict = judge(case, busy)
    text = section(results, growth, info, args, load)
    print(text)
    if args.output != "-":
        output = Path(args.output)
        output.write_text(merge(output.read_text(encoding="utf-8") if output.exists() else "", text, section_key(args)),
                          encoding="utf-8")
        print(f"Written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
