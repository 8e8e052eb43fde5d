"""Several salescli processes at once, and a write killed half-way (real processes, not CliRunner)."""

from __future__ import annotations

import json
import os
import pty
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


SALESCLI = str(Path(sys.executable).with_name("salescli"))
WRITERS, WRITES_EACH = 4, 10  # 40 write commands at once, against 2 readers and backups


def salescli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the installed console script (the environment carries SALESCLI_DB and SALESCLI_TODAY)."""
    return subprocess.run([SALESCLI, *args], capture_output=True, text=True, timeout=timeout)


def writer_commands(k: int) -> list[list[str]]:
    commands = []
    for i in range(WRITES_EACH):
        if i % 5 == 3:
            commands.append(["rep", "edit", f"w{k}-{i - 1}", "--email", f"w{k}.{i}@example.com"])
        elif i % 5 == 4:
            commands.append(["config", "set", "stale_deal_days", str(100 * (k + 1) + i)])
        else:
            commands.append(["rep", "add", f"w{k}-{i}", "--name", f"作者 {k}-{i}"])
    return commands


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_parallel_writers_readers_and_backups_on_a_new_file(isolated, tmp_path):
    """No `init` first: the processes also race to create and migrate the file."""
    done = []

    def write(k: int) -> list[tuple]:
        results = [(c, salescli(*c)) for c in writer_commands(k)]
        done.append(k)
        return results

    def read(_: int) -> list[tuple]:
        results = []
        while not isolated.exists():  # a read refuses a missing file: it waits for the first write to create it
            time.sleep(0.01)
        while len(done) < WRITERS and len(results) < 16:
            for command in (["rep", "list", "-f", "json"], ["log", "-f", "json", "--limit", "1000"]):
                result = salescli(*command)
                results.append((command, result))
                assert (result.returncode, result.stderr) == (0, ""), (command, result.returncode, result.stderr)
                json.loads(result.stdout)  # complete, well-formed output
        return results

    def back_up(_: int) -> list[tuple]:
        results = []
        for n in range(2):
            time.sleep(1.0)
            results.append((["backup"], salescli("backup", str(tmp_path / f"copy{n}.db"))))
        return results

    jobs = [(write, k) for k in range(WRITERS)] + [(read, 0), (read, 1), (back_up, 0)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        finished = [pool.submit(job, k) for job, k in jobs]
        runs = [run for future in finished for run in future.result()]

    problems = [(c, r.returncode, r.stderr) for c, r in runs if r.returncode != 0 or r.stderr]
    assert problems == []
    reps = json.loads(salescli("rep", "list", "-f", "json").stdout)
    expected = {f"w{k}-{i}" for k in range(WRITERS) for i in range(WRITES_EACH) if i % 5 < 3}
    assert {r["handle"] for r in reps} == expected
    assert {r["handle"] for r in reps if r["email"]} == {f"w{k}-{i - 1}" for k in range(WRITERS) for i in range(3, WRITES_EACH, 5)}
    log = json.loads(salescli("log", "-f", "json", "--limit", "1000").stdout)
    assert len(log) == WRITERS * WRITES_EACH  # every write, logged once
    assert sorted(e["command"] for e in log) == sorted(
        " ".join(c if " " not in c else f"'{c}'" for c in command) for k in range(WRITERS) for command in writer_commands(k)
    )
    assert integrity(isolated) == "ok"
    for n in range(2):  # each backup is the database as of one moment: every rep with its log line
        copy = sqlite3.connect(tmp_path / f"copy{n}.db")
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        added = copy.execute("SELECT count(*) FROM history_command WHERE line LIKE 'rep add %'").fetchone()[0]
        assert copy.execute("SELECT count(*) FROM rep").fetchone()[0] == added
        copy.close()


HOLD_THE_WRITE_LOCK = """
import sys
from pathlib import Path
from salescli import session
from salescli.store import reps

session.configure(Path(sys.argv[1]))
session.remember_command(["long", "write"])
with session.write() as conn:
    for i in range(int(sys.argv[2])):
        reps.add(conn, f"bulk{i}")
    for sql in sys.argv[3:]:
        conn.execute(sql)
    print("holding the write lock", flush=True)
    sys.stdin.readline()  # until the test lets go
print("committed", flush=True)
"""


def long_write(db: Path, rows: int, *sql: str) -> subprocess.Popen[str]:
    """A write command that inserts ``rows`` reps (and runs ``sql``) in one transaction,
    then holds it, and the write lock, until ``let_go()``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_WRITE_LOCK, str(db), str(rows), *sql],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wait_for(holder, "holding the write lock")
    return holder


def let_go(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.close()
    wait_for(holder, "committed")
    assert holder.wait(10) == 0


def wait_for(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdout is not None
    assert process.stdout.readline().strip() == line, process.stderr.read() if process.stderr else ""


def on_a_terminal(*args: str) -> tuple[subprocess.Popen[str], int]:
    """salescli with stderr on a pseudo-terminal (stdout a pipe); returns it and the pty's reading end."""
    reading, writing = pty.openpty()
    process = subprocess.Popen([SALESCLI, *args], stdout=subprocess.PIPE, stderr=writing, text=True)
    os.close(writing)
    return process, reading


def terminal_text(reading: int) -> str:
    """Everything written to the pseudo-terminal, once its process has ended."""
    chunks = []
    while True:
        try:
            chunk = os.read(reading, 4096)
        except OSError:  # EIO: the other end is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(reading)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_a_write_waits_for_another_however_long_and_a_read_does_not(isolated):
    assert salescli("rep", "add", "alice").returncode == 0
    holder = long_write(isolated, 10)
    read = salescli("rep", "list", "-f", "json")
    assert holder.poll() is None  # the read did not wait for the writer to finish
    assert read.returncode == 0 and [r["handle"] for r in json.loads(read.stdout)] == ["alice"]  # the last commit
    piped = subprocess.Popen([SALESCLI, "rep", "add", "bob"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen, terminal = on_a_terminal("rep", "add", "carol")
    time.sleep(11)  # longer than the busy timeout that used to give up with "database is locked"
    assert (piped.poll(), seen.poll()) == (None, None)  # both still waiting
    let_go(holder)
    out, err = piped.communicate(timeout=60)
    assert out in ("12\n", "13\n") and err == ""  # said nothing on stderr: a pipe is not a person
    assert seen.wait(60) == 0
    assert terminal_text(terminal) == "Waiting for another salescli command to finish…\n"
    handles = [r["handle"] for r in json.loads(salescli("rep", "list", "-f", "json").stdout)]
    assert len(handles) == 13 and {"bob", "carol"} <= set(handles)


def test_an_import_checks_and_backs_up_before_it_waits_for_the_write_lock(isolated, tmp_path):
    assert salescli("rep", "add", "alice").returncode == 0
    file = big_customers_file(tmp_path / "customers.csv", 3000)
    holder = long_write(isolated, 1)
    importing = subprocess.Popen([SALESCLI, "import", "customers", str(file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert importing.stderr is not None
    backed_up = importing.stderr.readline()  # the file is checked and the database copied while the other write holds the lock
    assert backed_up == f"Backed up the database to {tmp_path / 'sales-import-20261123-120000.db'}\n"
    assert salescli("import", "customers", str(file), "--dry-run").returncode == 0  # a dry run only reads: no wait
    assert importing.poll() is None  # the import itself waits for the write lock
    let_go(holder)
    assert importing.communicate(timeout=120) == (
        f"Imported customers from {file}: 3000 created, 0 updated, 0 skipped.\n", ""
    )
    assert salescli("rep", "list", "-f", "json").stdout.count("handle") == 2  # alice and bulk0
    conn = sqlite3.connect(tmp_path / "sales-import-20261123-120000.db")  # as it was before the import
    assert conn.execute("SELECT count(*) FROM customer").fetchone() == (0,)
    conn.close()


def test_an_import_whose_rows_another_write_took_meanwhile_writes_nothing(isolated, tmp_path):
    assert salescli("rep", "add", "alice").returncode == 0
    file = big_customers_file(tmp_path / "customers.csv", 3000)
    # while the import checks the file, another command adds a customer the file has too
    holder = long_write(
        isolated, 0,
        "INSERT INTO customer (name, created_at, updated_at) VALUES ('Kunde 002500', '2026-11-23 11:00:00', '2026-11-23 11:00:00')",
    )
    importing = subprocess.Popen([SALESCLI, "import", "customers", str(file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert importing.stderr is not None and importing.stderr.readline().startswith("Backed up the database to ")
    let_go(holder)
    out, err = importing.communicate(timeout=120)
    assert (importing.returncode, out) == (1, "")
    assert err == (
        "Error: row 2502, column name: customer #1 already exists (use --on-conflict skip or update): the database "
        "changed while the file was being checked, so nothing was written; run the import again\n"
    )
    conn = sqlite3.connect(isolated)
    assert conn.execute("SELECT name FROM customer").fetchall() == [("Kunde 002500",)]
    conn.close()


def test_payments_checked_again_after_another_write_count_only_the_rows_that_stay(isolated, tmp_path):
    """A row left out (invalid when first checked: deal 2 was not won) that moved payment #1
    off deal 1 was still counted when the file was checked again, so an import let $70
    through onto a deal with $40 left: $130 paid on $100."""
    for args in (("customer", "add", "Acme", "--no-followup"), ("deal", "add", "A", "-c", "Acme", "--amount", "100", "--created", "2026-11-01"),
                 ("deal", "win", "1", "--on", "2026-11-10"), ("deal", "pay", "1", "30", "--on", "2026-11-12"),
                 ("deal", "add", "B", "-c", "Acme", "--amount", "50", "--created", "2026-11-01")):
        assert salescli(*args).returncode == 0
    payments = tmp_path / "payments.csv"
    payments.write_text("id,deal,amount,paid_on\n1,2,10,2026-11-20\n,1,70,2026-11-20\n", encoding="utf-8")
    holder = long_write(  # meanwhile: deal 2 is won, and deal 1 is paid $30 more
        isolated, 0,
        "UPDATE deal SET stage_id = (SELECT id FROM stage WHERE kind = 'won'), closed_at = '2026-11-20' WHERE id = 2",
        "INSERT INTO payment (deal_id, amount, paid_on, created_at) VALUES (1, 3000, '2026-11-21', '2026-11-23 11:00:00')",
    )
    importing = subprocess.Popen([SALESCLI, "import", "payments", str(payments), "--skip-invalid", "--on-conflict", "update"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert importing.stderr is not None
    assert importing.stderr.readline().startswith("row 2, column deal: deal 2 is not won")
    assert importing.stderr.readline().startswith("Backed up the database to ")
    let_go(holder)
    out, err = importing.communicate(timeout=120)
    assert (importing.returncode, out) == (1, "")
    assert err == (
        "Error: row 3, column amount: a payment of $70.00 would overpay deal 1: its outstanding balance is $40.00: the "
        "database changed while the file was being checked, so nothing was written; run the import again\n"
    )
    conn = sqlite3.connect(isolated)
    assert conn.execute("SELECT id, deal_id, amount FROM payment ORDER BY id").fetchall() == [(1, 1, 3000), (2, 1, 3000)]
    conn.close()


def big_customers_file(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("name,email,tier,owner,tags\n")
        for n in range(rows):
            out.write(f"Kunde {n:06d},k{n}@example.com,{'ABC'[n % 3]},alice,imported; batch {n % 7}\n")
    return path


def test_an_import_killed_while_writing_leaves_the_file_intact_and_unchanged(isolated, tmp_path):
    assert salescli("rep", "add", "alice").returncode == 0
    small = tmp_path / "small.csv"
    small.write_text("name,tags\nAcme,vip\n北京科技,重点\n", encoding="utf-8")
    assert salescli("import", "customers", str(small)).returncode == 0
    before = {
        "customers": salescli("export", "customers", "-f", "json").stdout,
        "reps": salescli("rep", "list", "-f", "json").stdout,
        "log": salescli("log", "-f", "json").stdout,
    }
    wal = Path(f"{isolated}-wal")
    assert not wal.exists()  # the last connection to close checkpointed it away
    victim = subprocess.Popen(
        [SALESCLI, "import", "customers", str(big_customers_file(tmp_path / "big.csv", 60_000))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    # the check pass writes nothing; the write pass spills uncommitted pages into the WAL as it goes
    while not (wal.exists() and wal.stat().st_size > 1 << 20):
        assert victim.poll() is None, f"the import ended before it could be killed: {victim.communicate()}"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.wait(10) == -signal.SIGKILL
    assert "Backed up the database to" in (victim.stderr.read() if victim.stderr else "")

    assert integrity(isolated) == "ok"
    assert salescli("export", "customers", "-f", "json").stdout == before["customers"]
    assert salescli("rep", "list", "-f", "json").stdout == before["reps"]
    assert salescli("log", "-f", "json").stdout == before["log"]
    conn = sqlite3.connect(isolated)
    assert conn.execute("SELECT count(*) FROM customer").fetchone() == (2,)
    assert conn.execute("SELECT count(*) FROM customer_tag").fetchone() == (2,)
    assert conn.execute("SELECT command_id FROM history_state").fetchone() == (None,)
    # the insert triggers the import dropped for its ranges are back: the drop was part of its transaction
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN ('history_customer_insert', 'history_customer_tag_insert')"
    assert sorted(row[0] for row in conn.execute(triggers)) == ["history_customer_insert", "history_customer_tag_insert"]
    conn.close()
    # the backup it took first is whole, and is the file as it was
    assert sorted(p.name for p in tmp_path.glob("sales-import-*.db")) == [
        "sales-import-20261123-120000-2.db", "sales-import-20261123-120000.db",  # the small import's, the big one's
    ]
    copy = tmp_path / "sales-import-20261123-120000-2.db"
    assert integrity(copy) == "ok" and not list(tmp_path.glob(".*partial"))
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT name FROM customer ORDER BY id").fetchall() == [("Acme",), ("北京科技",)]
    conn.close()
    # and the file works as before: the next undo is the last command that committed
    assert salescli("undo").stdout == f"Undid #2 `import customers {small}`: 2 customer tags and 2 customers removed.\n"
    assert salescli("import", "customers", str(small)).returncode == 0
