"""`salescli backup` and `salescli restore`: checked copies, never over the database or
another copy, nothing half-written left behind, and a restore that puts a copy in place safely."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.sample import query

from salescli.commands import common

SALESCLI = str(Path(sys.executable).with_name("salescli"))
STAMP = "20261123-120000"  # SALESCLI_TODAY puts the clock at noon


def names(folder: Path) -> list[str]:
    """The files in ``folder``, but for the open database's -wal and -shm (there or not, as connections come and go)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in ("sales.db-wal", "sales.db-shm"))


def reps(db: Path) -> list[str]:
    return [row[0] for row in query(db, "SELECT handle FROM rep ORDER BY handle")]


def damage(db: Path) -> None:
    """Fill a table with pages of data, then overwrite the root page of it with garbage."""
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE bulk (text)")
    conn.executemany("INSERT INTO bulk VALUES (?)", [("x" * 200,)] * 500)
    conn.commit()
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'bulk'").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    conn.close()
    with open(db, "r+b") as file:
        file.seek((root - 1) * size)
        file.write(b"\xff" * size)


# ---------------------------------------------------------------- backup


def test_backup_never_writes_over_the_database_or_its_files(cli, isolated, tmp_path):
    cli("rep", "add", "alice")
    (tmp_path / "link.db").symlink_to(isolated)
    os.link(isolated, tmp_path / "hard.db")
    for target, which in [
        (f"{isolated}-wal", "the database's wal file"),
        (f"{isolated}-shm", "the database's shm file"),
        (f"{isolated}-journal", "the database's journal file"),
        (tmp_path / "link.db", "the database itself"),
        (tmp_path / "hard.db", "the database itself"),
        (tmp_path / "." / ".." / tmp_path.name / "sales.db", "the database itself"),
    ]:
        for force in ([], ["--force"]):
            error = cli.fails("backup", target, *force)
            assert error.startswith(f"Error: {target} is {which} (") and "write the backup somewhere else" in error
    assert reps(isolated) == ["alice"] and query(isolated, "PRAGMA integrity_check") == [("ok",)]
    assert not Path(f"{isolated}-journal").exists()


def test_backup_replaces_a_file_only_with_force(cli, isolated, tmp_path):
    cli("rep", "add", "alice")
    named = tmp_path / "copy.db"
    named.write_text("my notes")
    assert cli.fails("backup", named) == f"Error: {named} already exists: add --force to replace it\n"
    assert named.read_text() == "my notes"
    assert cli("backup", named, "--force").stdout == f"{named}\n"
    assert reps(named) == ["alice"]


def test_backups_in_the_same_second_never_overwrite_each_other(isolated, tmp_path):
    subprocess.run([SALESCLI, "rep", "add", "alice"], check=True)
    folder = tmp_path / "nightly"
    folder.mkdir()
    runs = [subprocess.Popen([SALESCLI, "backup", f"{folder}/"], stdout=subprocess.PIPE, text=True) for _ in range(6)]
    written = sorted(run.communicate(timeout=60)[0].strip() for run in runs)
    assert [run.returncode for run in runs] == [0] * 6
    expected = [f"sales-{STAMP}.db", *(f"sales-{STAMP}-{n}.db" for n in range(2, 7))]
    assert written == sorted(str(folder / name) for name in expected)
    assert names(folder) == sorted(expected)


def test_quiet_backup_prints_nothing(cli, isolated):
    cli("rep", "add", "alice")
    result = cli("backup", "--quiet")
    assert (result.stdout, result.stderr) == ("", "")
    assert reps(isolated.parent / f"sales-{STAMP}.db") == ["alice"]
    assert "already exists" in cli.fails("backup", isolated.parent / f"sales-{STAMP}.db", "--quiet")  # errors still show


def test_keep_prunes_only_salescli_backups_of_this_database(cli, isolated, tmp_path):
    cli("rep", "add", "alice")
    folder = tmp_path / "nightly"
    folder.mkdir()
    (folder / f"sales-{STAMP}-9.db").write_text("a file of mine that looks like a backup")
    (folder / "notes.txt").write_text("mine")
    (folder / "sales-20200101-000000.db").mkdir()
    cli("backup", folder / "other.db")
    for _ in range(4):
        cli("backup", folder)  # -10 to -13: after the highest number there
    cli("--db", tmp_path / "crm.db", "init")
    cli("--db", tmp_path / "crm.db", "backup", folder)  # another database's copy
    assert cli("backup", folder, "--keep", "2", "--quiet").stdout == ""
    assert names(folder) == sorted([
        "crm-20261123-120000.db", "notes.txt", "other.db", "sales-20200101-000000.db",
        f"sales-{STAMP}-9.db", f"sales-{STAMP}-13.db", f"sales-{STAMP}-14.db",
    ])
    assert cli("backup", "--keep", "1").stdout == f"{isolated.parent}/sales-{STAMP}.db\n"
    assert "--keep deletes older backups in a directory" in cli.fails("backup", folder / "x.db", "--keep", "1", code=2)
    assert "0 is not in the range" in cli.fails("backup", "--keep", "0", code=2)


def test_backup_of_a_damaged_file_says_so_and_writes_nothing(cli, isolated):
    cli("rep", "add", "alice")
    damage(isolated)
    before = names(isolated.parent)
    error = cli.fails("backup")
    assert error.startswith("Error: the database file is damaged (") and error.endswith("): no backup was written\n")
    assert "\n" not in error.rstrip("\n")
    assert names(isolated.parent) == before


def interrupted_backup(tmp_path: Path) -> subprocess.Popen:
    """A `salescli backup` into tmp_path/k/ that stops, half-way, until it is killed."""
    hang = (
        "import time, salescli.store.backup as b\n"
        "copy = b._backup\n"
        "def slow(source, target, **options):\n"
        "    target.write_bytes(b'half a copy')\n"
        "    time.sleep(60)\n"
        "b._backup = slow\n"
        "from salescli.cli import main\n"
        "main()\n"
    )
    (tmp_path / "k").mkdir()
    run = subprocess.Popen([sys.executable, "-c", hang, "backup", f"{tmp_path}/k/"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not any((tmp_path / "k").iterdir()):
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.05)
    return run


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminated_backup_leaves_nothing(isolated, tmp_path, how):
    subprocess.run([SALESCLI, "rep", "add", "alice"], check=True)
    run = interrupted_backup(tmp_path)
    run.send_signal(how)
    assert run.wait(timeout=30) == 128 + how
    assert names(tmp_path / "k") == []


def test_the_leftover_of_a_killed_backup_goes_with_the_next_one(isolated, tmp_path):
    subprocess.run([SALESCLI, "rep", "add", "alice"], check=True)
    run = interrupted_backup(tmp_path)
    run.kill()  # SIGKILL: nothing can clean up
    run.wait(timeout=30)
    (leftover,) = names(tmp_path / "k")
    assert leftover.startswith(f".sales-{STAMP}.db.") and leftover.endswith(".partial")
    Path(tmp_path / "k" / f"{leftover}-journal").write_text("")
    written = subprocess.run([SALESCLI, "backup", f"{tmp_path}/k/"], capture_output=True, text=True, check=True).stdout
    assert written == f"{tmp_path}/k/sales-{STAMP}.db\n"
    assert names(tmp_path / "k") == [f"sales-{STAMP}.db"]


def test_a_backup_in_progress_is_not_taken_for_a_leftover(isolated, tmp_path):
    subprocess.run([SALESCLI, "rep", "add", "alice"], check=True)
    run = interrupted_backup(tmp_path)
    try:
        (working,) = names(tmp_path / "k")
        subprocess.run([SALESCLI, "backup", f"{tmp_path}/k/"], capture_output=True, check=True)
        assert names(tmp_path / "k") == [working, f"sales-{STAMP}.db"]
    finally:
        run.terminate()
        run.wait(timeout=30)


# ---------------------------------------------------------------- restore


def test_restore_puts_a_backup_in_place_and_keeps_the_current_file(cli, isolated, tmp_path):
    cli("rep", "add", "alice")
    copy = Path(cli("backup", tmp_path / "copy.db").stdout.strip())
    cli("rep", "add", "bob")
    result = cli("restore", copy, "--yes")
    aside = isolated.parent / f"sales-before-restore-{STAMP}.db"
    assert result.stdout == f"Restored {copy} to {isolated}; the file it replaced is kept as {aside}.\n"
    assert reps(isolated) == ["alice"] and reps(aside) == ["alice", "bob"]
    assert reps(copy) == ["alice"]
    assert stat.S_IMODE(isolated.stat().st_mode) == 0o600 and stat.S_IMODE(aside.stat().st_mode) == 0o600
    assert query(isolated, "PRAGMA journal_mode") == [("wal",)]
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name or p.name.startswith(f"{aside.name}-")]
    cli("rep", "add", "carol")  # the restored file is a working database
    assert cli("restore", aside, "--yes").stdout.endswith(f"kept as {aside.parent}/sales-before-restore-{STAMP}-2.db.\n")
    assert reps(isolated) == ["alice", "bob"]


def test_restore_asks_first(cli, isolated, tmp_path, monkeypatch):
    cli("rep", "add", "alice")
    copy = cli("backup", tmp_path / "copy.db").stdout.strip()
    cli("rep", "add", "bob")
    before = names(tmp_path)
    assert "not at a terminal to confirm, so nothing was done (add --yes)" in cli.fails("restore", copy)
    monkeypatch.setattr(common, "stdin_isatty", lambda: True)
    result = cli("restore", copy, input="n\n", code=1)
    assert f"Replace the database {isolated} with {copy}?" in result.stderr and "cancelled" in result.stderr
    assert reps(isolated) == ["alice", "bob"] and names(tmp_path) == before
    cli("restore", copy, input="y\n")
    assert reps(isolated) == ["alice"]


def test_restore_checks_the_backup_first(cli, isolated, tmp_path):
    cli("rep", "add", "alice")
    text = tmp_path / "notes.db"
    text.write_text("not a database")
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    newer = Path(cli("backup", tmp_path / "newer.db").stdout.strip())
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('salescli', 'm999_from_the_future', '')")
    conn.commit()
    conn.close()
    damaged = Path(cli("backup", tmp_path / "damaged.db").stdout.strip())
    damage(damaged)
    before = (isolated.read_bytes(), names(tmp_path))
    assert cli.fails("restore", text, "-y") == f"Error: {text} is damaged or not a database (file is not a database): nothing was restored\n"
    assert cli.fails("restore", plain, "-y") == f"Error: {plain} is not a salescli database: nothing was restored\n"
    assert "was written by a newer salescli (it has migration 'm999_from_the_future'" in cli.fails("restore", newer, "-y")
    assert cli.fails("restore", damaged, "-y").startswith(f"Error: {damaged} is damaged or not a database (")
    assert cli.fails("restore", tmp_path / "none.db", "-y") == f"Error: no backup file {tmp_path}/none.db\n"
    assert "is the database itself" in cli.fails("restore", isolated, "-y")
    assert (isolated.read_bytes(), names(tmp_path)) == before


def test_restore_never_applies_the_old_wal_to_the_restored_file(cli, isolated, tmp_path):
    cli("rep", "add", "alice")
    copy = cli("backup", tmp_path / "copy.db").stdout.strip()
    # a process that wrote and died without closing: its commit is only in sales.db-wal
    subprocess.run(
        [sys.executable, "-c", "import os, sqlite3, sys\n"
         "c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_autocheckpoint = 0')\n"
         "c.execute(\"UPDATE rep SET name = 'Changed' WHERE handle = 'alice'\"); c.commit(); os._exit(0)", str(isolated)],
        check=True,
    )
    assert Path(f"{isolated}-wal").stat().st_size > 0
    cli("restore", copy, "--yes")
    assert query(isolated, "SELECT name FROM rep") == [("Alice",)]
    assert query(isolated, "PRAGMA integrity_check") == [("ok",)]
    aside = isolated.parent / f"sales-before-restore-{STAMP}.db"
    assert query(aside, "SELECT name FROM rep") == [("Changed",)]  # the WAL's commit is in the file kept


def test_restore_refuses_while_the_database_is_in_use(cli, isolated, tmp_path, monkeypatch):
    monkeypatch.setattr("salescli.store.backup.BUSY_TIMEOUT_SECONDS", 0.1)
    cli("rep", "add", "alice")
    copy = cli("backup", tmp_path / "copy.db").stdout.strip()
    cli("rep", "add", "bob")
    reader = sqlite3.connect(isolated)
    try:
        reader.execute("SELECT count(*) FROM rep").fetchone()
        before = names(tmp_path)
        error = cli.fails("restore", copy, "--yes")
        assert f"cannot restore: {isolated} is in use" in error and "nothing was restored" in error
        assert names(tmp_path) == before and reps(isolated) == ["alice", "bob"]
    finally:
        reader.close()


def test_restore_of_a_damaged_database(cli, isolated, tmp_path):
    cli("rep", "add", "alice")
    copy = cli("backup", tmp_path / "copy.db").stdout.strip()
    damage(isolated)
    assert "the database file is damaged" in cli.fails("backup")
    damaged = isolated.read_bytes()
    cli("restore", copy, "--yes")
    assert reps(isolated) == ["alice"] and query(isolated, "PRAGMA quick_check") == [("ok",)]
    assert (isolated.parent / f"sales-before-restore-{STAMP}.db").read_bytes()[100:] == damaged[100:]


def test_restore_onto_a_new_file(cli, tmp_path):
    cli("rep", "add", "alice")
    copy = cli("backup", tmp_path / "copy.db").stdout.strip()
    fresh = tmp_path / "new" / "place" / "s.db"
    assert cli("--db", fresh, "restore", copy, "-y").stdout == f"Restored {copy} to {fresh}.\n"
    assert reps(fresh) == ["alice"]
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
