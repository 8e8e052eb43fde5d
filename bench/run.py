"""The benchmark behind SPEC §9 (`make bench`): time each budgeted command at reference
scale, next to the floor — the least any tool could do for the same answer — measured in
the same run on the same machine, and write BENCHMARKS.md.

* The reference file (100,000 customers, 250,000 deals, 1,000,000 activities, ~2,000
  targets) is built once by `salescli demo --customers 100000` and cached in bench/data/
  under a name that changes with the generator, the schema, the scale and the seed
  (`--rebuild` forces a new one). Every command runs with SALESCLI_TODAY fixed, so the
  data and "today" line up whatever the date.
* Each command runs once to warm the page cache, then `--runs` times (default 7), each in a
  fresh process with stdout to /dev/null (not a terminal: plain output, as in cron). Wall
  time per run; peak RSS of that process from os.wait4's resource usage, taken by a small
  launcher process (``LAUNCHER``) so that this script's own memory does not count.
  salescli's modules are compiled to bytecode first, as an install would have them.
* Floors: `--help` and the empty-file `report due` against a bare Typer app and against
  Python + Typer + the same SQL; the read commands against the very SQL they ran (traced
  from a run of the command) through the bare `sqlite3` shell; `import customers` against
  `sqlite-utils insert --csv` of the same file.
* A command that does not exist yet is reported as "not available", so the script runs on
  any branch and measures everything once merged.

Usage: python bench/run.py [--runs N] [--rebuild] [--customers N] [--only TEXT]... [--output FILE]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
BIN = Path(sys.executable).parent
SALESCLI = [str(BIN / "salescli")] if (BIN / "salescli").exists() else [sys.executable, "-m", "salescli"]
SQLITE_UTILS = str(BIN / "sqlite-utils") if (BIN / "sqlite-utils").exists() else shutil.which("sqlite-utils")
SQLITE3 = shutil.which("sqlite3")
TODAY = "2026-11-23"  # a Monday; the reference data is dated relative to it
SEED = 1
SEARCH = "golden river"
REFERENCE_CUSTOMERS = 100_000
GENERATOR_FILES = ("salescli/demo.py", "salescli/store/bulk.py", "salescli/store/schema.py", "salescli/commands/demo.py")
MIB = 1024 * 1024

# Runs a salescli command inside Python, recording the SQL it sends to SQLite (with the
# parameters filled in) into a JSON file: the floor then runs exactly those statements.
CAPTURE = r"""
import json, sys
from salescli import store
log, args = sys.argv[1], sys.argv[2:]
statements = []
connect = store.connect
def tracing(path):
    conn = connect(path)
    conn.set_trace_callback(statements.append)
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


@dataclass
class Measure:
    """A set of timed runs of one command line."""

    label: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
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


@dataclass
class Case:
    what: str
    budget: str
    measure: Measure | None = None
    floor: Measure | None = None
    verdict: str = ""


# ---------------------------------------------------------------- running


# Starts each measured command and reports on it. A process's peak RSS (ru_maxrss) counts
# the memory of the process that started it, up to the moment it started the program
# (fork or vfork share or copy that memory until exec): started from this script, which
# grows to tens of MiB, every command would seem to need at least as much. This small
# process, started first, does the starting instead; what it adds is measured (`true`).
LAUNCHER = r"""
import json, os, sys, time
for line in sys.stdin:
    argv, env, stdin, err = json.loads(line)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    start = time.perf_counter()
    try:
        pid = os.posix_spawnp(argv[0], argv, env, file_actions=actions)
    except OSError as error:
        print(json.dumps([0, 0, 0, 127, str(error)]), flush=True)
        continue
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
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

    def run(self, argv: list[str], env: dict[str, str], stdin: Path | None) -> tuple[float, float, int, int, str]:
        assert self.process.stdin and self.process.stdout
        job = [argv, env, str(stdin or os.devnull), self.errors.name]
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


def run_once(argv: list[str], *, env: dict[str, str], stdin: Path | None = None) -> tuple[float, float, int, int, str]:
    """Run ``argv`` in a fresh process: wall seconds, CPU seconds (user + system), peak RSS
    bytes, exit status, stderr."""
    if not _launcher:
        _launcher.append(Launcher())
    return _launcher[0].run(argv, env, stdin)


def measure(label: str, argv: list[str], *, runs: int, env: dict[str, str], setup=None, stdin: Path | None = None) -> Measure:
    """One warm-up run, then ``runs`` timed ones (``setup()`` before each, untimed)."""
    result = Measure(label)
    for attempt in range(runs + 1):
        if setup:
            setup()
        wall, cpu, rss, status, stderr = run_once(argv, env=env, stdin=stdin)
        if status:
            if status == 2 and "No such command" in stderr:
                result.error = "not available"
            else:
                last = stderr.strip().splitlines()[-1:] or [""]
                result.error = f"failed (exit {status}): {last[0][:120]}"
            return result
        if attempt:  # the first run only warms the caches
            result.wall.append(wall)
            result.cpu.append(cpu)
            result.rss.append(rss)
    return result


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESCLI_")}
    env.update(SALESCLI_TODAY=TODAY, NO_COLOR="1", LC_ALL="C.UTF-8", PYTHONDONTWRITEBYTECODE="1")
    return env


# ---------------------------------------------------------------- the files


def generator_key(customers: int) -> str:
    digest = hashlib.sha256(f"{customers}:{SEED}:{TODAY}".encode())
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


def reference_file(customers: int, rebuild: bool, env: dict[str, str]) -> tuple[Path, float | None]:
    """The cached reference-scale file (built when missing, stale or ``rebuild``) and how
    long its build took (None when not known)."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"reference-{customers}-{generator_key(customers)}.db"
    built = path.with_suffix(".json")  # how long the build took, for the report
    if path.exists() and not rebuild:
        return path, json.loads(built.read_text())["seconds"] if built.exists() else None
    for old in DATA.glob(f"reference-{customers}-*"):
        old.unlink()
    building = DATA / "building.db"
    remove_db(building)
    print(f"Building the reference file ({customers:,} customers) …", file=sys.stderr, flush=True)
    wall, _, rss, status, stderr = run_once(
        [*SALESCLI, "--db", str(building), "demo", "--customers", str(customers), "--seed", str(SEED)], env=env
    )
    if status:
        sys.exit(f"building the reference file failed:\n{stderr}")
    fold_wal(building)
    building.rename(path)
    built.write_text(json.dumps({"seconds": round(wall, 1), "load": os.getloadavg()[0]}))
    print(f"… built in {wall:.1f} s (peak RSS {rss / MIB:.0f} MiB)", file=sys.stderr)
    return path, wall


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
    return figures


def customers_csv(reference: Path, target: Path, limit: int | None = None) -> int:
    """The reference file's customers as a CSV a spreadsheet would hand over: the columns
    of SPEC §2 (owner as a handle, tags joined by "; ", custom fields as field:KEY), no ids."""
    conn = sqlite3.connect(f"file:{reference}?mode=ro", uri=True)
    keys = ("payment_terms", "vat_id", "wechat")
    header = [
        "name", "company", "title", "contact", "phone", "email", "industry", "region", "size", "source", "tier",
        "tags", "owner", "credit_limit", "notes", "created_at", "updated_at", *(f"field:{k}" for k in keys),
    ]
    rows = conn.execute(
        "SELECT c.name, c.company, c.title, c.contact, c.phone, c.email, c.industry, c.region, c.size, c.source, "
        "c.tier, (SELECT group_concat(tag, '; ') FROM customer_tag t WHERE t.customer_id = c.id), r.handle, "
        "c.credit_limit, c.notes, c.created_at, c.updated_at, c.fields "
        "FROM customer c LEFT JOIN rep r ON r.id = c.owner_id ORDER BY c.id" + (f" LIMIT {limit}" if limit else "")
    )
    count = 0
    with open(target, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            *values, fields = row
            credit = values[13]
            values[13] = "" if credit is None else f"{credit // 100}.{credit % 100:02d}"
            extra = json.loads(fields)
            writer.writerow(["" if v is None else v for v in values] + [extra.get(k, "") for k in keys])
            count += 1
    return count


def import_template(reference: Path, target: Path, env: dict[str, str]) -> None:
    """An initialised file holding the reference file's reps (the owners the CSV names)."""
    remove_db(target)
    subprocess.run([*SALESCLI, "--db", str(target), "init"], env=env, check=True, capture_output=True)
    conn = sqlite3.connect(target)
    conn.execute("ATTACH DATABASE ? AS ref", [f"file:{reference}?mode=ro"])
    conn.execute("INSERT INTO rep SELECT * FROM ref.rep")
    conn.commit()
    conn.execute("DETACH DATABASE ref")
    conn.close()
    fold_wal(target)


# ---------------------------------------------------------------- the cases


def traced_sql(args: list[str], env: dict[str, str], work: Path, name: str) -> Path | None:
    """The statements ``salescli ARGS`` runs, as a JSON list (None when it failed)."""
    log = work / f"{name}.json"
    result = subprocess.run([sys.executable, "-c", CAPTURE, str(log), *args], env=env, capture_output=True)
    if result.returncode not in (0, 1) or not log.exists():
        return None
    return log


def sqlite_script(statements: Path) -> Path:
    script = statements.with_suffix(".sql")
    script.write_text("".join(sql.rstrip().rstrip(";") + ";\n" for sql in json.loads(statements.read_text())))
    return script


def read_case(what: str, budget: str, args: list[str], *, db: Path, env: dict, runs: int, work: Path) -> Case:
    """A read command against ``db``; its floor is the SQL it ran, through the sqlite3 shell."""
    case = Case(what, budget)
    argv = [*SALESCLI, "--db", str(db), *args]
    case.measure = measure(what, argv, runs=runs, env=env)
    if case.measure.error:
        return case
    statements = traced_sql(["--db", str(db), *args], env, work, slug(what))
    if statements is None:
        case.floor = Measure("sqlite3 shell, same SQL", error="could not trace the SQL")
    elif SQLITE3:
        case.floor = measure("sqlite3 shell, same SQL", [SQLITE3, "-readonly", str(db)], runs=runs, env=env,
                             stdin=sqlite_script(statements))
    else:
        case.floor = measure("python sqlite3, same SQL", [sys.executable, "-c", PYTHON_SQL, str(db), str(statements)],
                             runs=runs, env=env)
    return case


def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-")[:60]


def compile_bytecode() -> None:
    """Compile salescli's modules, as installing a package does: with PYTHONDONTWRITEBYTECODE
    set (as here) a source checkout would otherwise compile them again on every run."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "salescli")], check=True, capture_output=True)


def cases(args: argparse.Namespace, env: dict[str, str], work: Path) -> tuple[list[Case], dict[str, object]]:
    runs = args.runs
    reference, build_seconds = reference_file(args.customers, args.rebuild, env)
    compile_bytecode()
    info: dict[str, object] = {
        "reference": reference, "build_seconds": build_seconds, "scale": scale_of(reference),
        "launcher_rss": run_once(["true"], env=env)[2],
    }
    empty = work / "empty.db"
    subprocess.run([*SALESCLI, "--db", str(empty), "init"], env=env, check=True, capture_output=True)

    def wanted(what: str) -> bool:
        return not args.only or any(text.lower() in what.lower() for text in args.only)

    result: list[Case] = []
    if wanted("salescli --help"):
        case = Case("salescli --help", "≤ 0.25 s")
        case.measure = measure(case.what, [*SALESCLI, "--help"], runs=runs, env=env)
        case.floor = measure("bare Typer app --help", [sys.executable, "-c", BARE_TYPER, "--help"], runs=runs, env=env)
        result.append(case)
    if wanted("report due (empty file)"):
        case = Case("report due (empty file)", "≤ 0.25 s")
        case.measure = measure(case.what, [*SALESCLI, "--db", str(empty), "report", "due"], runs=runs, env=env)
        statements = None if case.measure.error else traced_sql(["--db", str(empty), "report", "due"], env, work, "empty")
        if statements:
            case.floor = measure("python + typer + same SQL", [sys.executable, "-c", PYTHON_SQL, str(empty), str(statements)],
                                 runs=runs, env=env)
        result.append(case)
    reads = [
        ("report due", "≤ 0.35 s, ≤ 80 MiB", ["report", "due"]),
        ("report due --days 400 -f tsv", "≤ 1.5 s, ≤ 80 MiB", ["report", "due", "--days", "400", "-f", "tsv"]),
        ("report funnel", "≤ 1 s", ["report", "funnel"]),
        ("report targets", "≤ 1 s", ["report", "targets"]),
        ("report reps", "≤ 1 s", ["report", "reps"]),
        ("report forecast", "≤ 1 s", ["report", "forecast"]),
        (f"customer list --search '{SEARCH}'", "≤ 0.3 s", ["customer", "list", "--search", SEARCH]),
    ]
    for what, budget, command in reads:
        if wanted(what):
            print(f"  {what} …", file=sys.stderr, flush=True)
            result.append(read_case(what, budget, command, db=reference, env=env, runs=runs, work=work))
    if wanted("import customers"):
        result.extend(import_cases(reference, env, runs, work))
    return result, info


def import_cases(reference: Path, env: dict[str, str], runs: int, work: Path) -> list[Case]:
    """`import customers` of the reference customers into a fresh file each run, and of a
    tenth of them (peak memory must not grow with the file: within 10 MiB)."""
    template = work / "template.db"
    import_template(reference, template, env)
    target = work / "target.db"
    floor_target = work / "floor.db"
    result = []
    total = scale_of(reference)["customer"]
    sizes = [(None, "≤ 1.5 × floor, flat memory")] + ([(total // 10, "memory reference")] if total >= 20_000 else [])
    for rows, budget in sizes:
        source = work / f"customers-{rows or 'all'}.csv"
        count = customers_csv(reference, source, rows)
        what = f"import customers ({count:,} rows)"
        print(f"  {what} …", file=sys.stderr, flush=True)
        case = Case(what, budget)

        def fresh_target() -> None:
            remove_db(target)
            shutil.copyfile(template, target)

        case.measure = measure(what, [*SALESCLI, "--db", str(target), "import", "customers", str(source)],
                               runs=runs, env=env, setup=fresh_target)
        if not case.measure.error and SQLITE_UTILS:
            case.floor = measure("sqlite-utils insert --csv", [SQLITE_UTILS, "insert", str(floor_target), "customers",
                                 str(source), "--csv"], runs=runs, env=env, setup=lambda: remove_db(floor_target))
        result.append(case)
    return result


# ---------------------------------------------------------------- verdicts and the report


def judge(case: Case, memory_reference: Case | None, busy: bool) -> str:
    """``met`` or ``MISSED (what)`` against the wall-clock budget; on a busy machine a miss
    whose CPU time is within the budget says so."""
    m = case.measure
    if m is None or m.error:
        return "not available" if m is None or m.error == "not available" else "FAILED"
    budget = case.budget
    problems = []
    if budget.startswith("≤ ") and " s" in budget:
        limit = float(budget[2:].split(" s")[0])
        if m.median > limit:
            problems.append("time; CPU within budget, machine busy" if busy and m.cpu_median <= limit else "time")
    if "80 MiB" in budget and m.peak_mib > 80:
        problems.append("memory")
    if "× floor" in budget:
        if case.floor is None or case.floor.error:
            return "no floor"
        if m.median > 1.5 * case.floor.median:
            problems.append("time")
    if "flat memory" in budget and memory_reference and memory_reference.measure and not memory_reference.measure.error:
        small = memory_reference.measure.peak_mib
        if m.peak_mib > small + 10:
            problems.append(f"memory grows: {small:.0f} MiB for a tenth of the rows, {m.peak_mib:.0f} MiB for all")
    if budget == "memory reference":
        return "—"
    return "met" if not problems else "MISSED (" + ", ".join(problems) + ")"


def seconds(value: float) -> str:
    return f"{value:.3f} s"


def table(results: list[Case]) -> list[str]:
    lines = [
        "| what | budget | median | min | max | CPU (median) | peak RSS | floor (median) | ratio | verdict |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for case in results:
        m, f = case.measure, case.floor
        if m is None or m.error:
            lines.append(f"| {case.what} | {case.budget} | {m.error if m else 'not run'} | | | | | | | {case.verdict} |")
            continue
        floor = "—"
        ratio = "—"
        if f is not None:
            floor = f"{f.label}: {f.error}" if f.error else f"{f.label}: {seconds(f.median)}, {f.peak_mib:.0f} MiB"
            if not f.error and f.median > 0:
                ratio = f"{m.median / f.median:.1f}×"
        lines.append(
            f"| {case.what} | {case.budget} | {seconds(m.median)} | {seconds(min(m.wall))} | {seconds(max(m.wall))} | "
            f"{seconds(m.cpu_median)} | {m.peak_mib:.0f} MiB | {floor} | {ratio} | {case.verdict} |"
        )
    return lines


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


def report(results: list[Case], info: dict[str, object], args: argparse.Namespace, load: tuple[float, float]) -> str:
    host = machine()
    scale = info["scale"]
    assert isinstance(scale, dict)
    build = info["build_seconds"]
    built = f"built in {build:.1f} s" if isinstance(build, float) else "built by an earlier run"
    lines = [
        "# Benchmarks",
        "",
        "Measured by `make bench` (`bench/run.py`); SPEC §9 sets the budgets. Regenerate with `make bench`.",
        "",
        f"* Date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}; salescli commit {host['commit']}",
        f"* Machine: {host['cpu']}, {host['cores']} cores, {host['os']}; Python {host['python']}; "
        f"SQLite {host['sqlite']} (shell {host['sqlite_shell']})",
        f"* Load average (1 min) at start and end: {load[0]:.2f} and {load[1]:.2f}"
        + (
            " — the machine was busy with other work: wall times are upper bounds, and the CPU column "
            "(user + system time of the process) shows what the command itself cost"
            if max(load) > (os.cpu_count() or 1) / 2
            else ""
        ),
        f"* Scale: {scale['customer']:,} customers, {scale['deal']:,} deals ({scale['stage_history']:,} stage-history "
        f"rows), {scale['activity']:,} activities of which {scale['open_followups']:,} open follow-ups "
        f"({scale['due_soon']:,} overdue or due within 7 days), {scale['target']:,} targets, {scale['rep']:,} reps, "
        f"{scale['payment']:,} payments; {scale['bytes'] / MIB:,.0f} MiB file; "
        f"`salescli demo --customers {args.customers}`, {built}",
        f"* Method: one warm-up run, then {args.runs} timed runs per command, each a fresh process, stdout to "
        "/dev/null (plain output, as under cron); SALESCLI_TODAY=" + TODAY + "; salescli's modules compiled to "
        "bytecode first (as an install does); peak RSS of that process, started by a small launcher process "
        f"whose own {info['launcher_rss'] / MIB:.0f} MiB is the least any command can show (`true` shows that).",
        "* Floors, measured in the same run: `--help` against a bare Typer app with one command; `report due` on an "
        "empty file against Python + `import typer` + the same SQL; each read command against the exact SQL it ran "
        "(traced from a run) through the bare `sqlite3` shell; `import customers` against "
        "`sqlite-utils insert --csv` of the same file into a fresh file. \"Flat memory\" for the import: peak RSS "
        "at most 10 MiB above that of importing a tenth of the rows.",
        "",
        *table(results),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Time salescli against SPEC §9's budgets.")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    parser.add_argument("--rebuild", action="store_true", help="build the reference file again")
    parser.add_argument("--customers", type=int, default=REFERENCE_CUSTOMERS, help="scale (default 100,000)")
    parser.add_argument("--only", action="append", help="only the cases whose name contains this (repeatable)")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"), help="where to write the report ('-': nowhere)")
    args = parser.parse_args()
    env = base_env()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="salescli-bench-") as scratch:
        try:
            results, info = cases(args, env, Path(scratch))
        finally:
            for launcher in _launcher:
                launcher.close()
    load = (load_start, os.getloadavg()[0])
    busy = max(load) > (os.cpu_count() or 1) / 2
    memory_reference = next((c for c in results if c.budget == "memory reference"), None)
    for case in results:
        case.verdict = judge(case, memory_reference, busy)
    text = report(results, info, args, load)
    print(text)
    if args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
