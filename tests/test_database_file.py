"""Which file a command works on: a typo'd path is an error, not a new empty database, and
a file that is not salescli's (another application's, or damaged) is refused untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from salescli import session

READS = [
    ("report", "due", "--check", "--quiet-if-empty"),
    ("report", "funnel"),
    ("customer", "list"),
    ("customer", "show", "Acme"),
    ("deal", "list"),
    ("rep", "list"),
    ("stage", "list"),
    ("config", "get", "currency"),
    ("export", "customers"),
    ("log",),
    ("backup",),
]
WRITES = [("customer", "add", "Acme"), ("config", "set", "currency", "€"), ("rep", "add", "alice")]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def neighbours(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


# ---------------------------------------------------------------- a file that is not there


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_a_command_that_only_reads_refuses_a_missing_file(cli, tmp_path, args):
    typo = tmp_path / "nodir" / "typo.db"
    error = cli.fails("--db", typo, *args)
    assert error == f"Error: no database at {typo}; `salescli init` creates one\n"
    assert not typo.parent.exists()
    near = tmp_path / "typo.db"
    assert cli.fails("--db", near, *args) == f"Error: no database at {near}; `salescli init` creates one\n"
    assert neighbours(near) == []


@pytest.mark.parametrize("args", WRITES, ids=" ".join)
def test_a_write_creates_the_file_but_never_a_missing_folder(cli, tmp_path, args):
    typo = tmp_path / "nodir" / "typo.db"
    error = cli.fails("--db", typo, *args)
    assert error == f"Error: cannot create the database file {typo}: there is no folder {typo.parent}\n"
    assert not typo.parent.exists()
    new = tmp_path / "new.db"
    cli("--db", new, *args)
    assert new.stat().st_mode & 0o777 == 0o600
    cli("--db", new, "report", "due")


def test_the_default_file_gets_its_private_app_directory(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("SALESCLI_DB")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app_dir = tmp_path / "config" / "salescli"
    assert cli.fails("customer", "list") == f"Error: no database at {app_dir / 'sales.db'}; `salescli init` creates one\n"
    assert not app_dir.exists()
    cli("customer", "add", "Acme")
    assert app_dir.stat().st_mode & 0o777 == 0o700
    assert (app_dir / "sales.db").stat().st_mode & 0o777 == 0o600
    assert cli("customer", "list", "-f", "csv").stdout.splitlines()[1].startswith("1,Acme,")


def test_init_and_an_empty_file_start_a_database(cli, tmp_path):
    assert cli("--db", tmp_path / "a.db", "init").stdout == f"Created: {tmp_path / 'a.db'}\n"
    empty = tmp_path / "empty.db"
    empty.touch()  # as a salescli write leaves a file it created when it is stopped at once
    assert cli("--db", empty, "report", "due", "--check", "--quiet-if-empty").stdout == ""
    assert cli.json("--db", empty, "log") == []


# ---------------------------------------------------------------- another application's file


def other_application(path: Path, *, wal: bool) -> Path:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(
        """
        CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT);
        CREATE TABLE tag (note_id INTEGER, tag TEXT);
        CREATE TRIGGER note_gone AFTER DELETE ON note BEGIN DELETE FROM tag WHERE note_id = old.id; END;
        INSERT INTO note (body) VALUES ('buy milk');
        """
    )
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("wal", [False, True], ids=["rollback journal", "WAL"])
@pytest.mark.parametrize("args", [READS[0], READS[2], READS[9], *WRITES[:2], ("init",)], ids=" ".join)
def test_another_applications_file_is_refused_and_left_byte_for_byte(cli, tmp_path, args, wal):
    other = other_application(tmp_path / "notes.db", wal=wal)
    before = digest(other)
    error = cli.fails("--db", other, *args)
    assert error == (
        f"Error: {other} is not a salescli database (it has tables note, tag), so it was left as it is: "
        "give the path of a salescli database, or of a new file to start one\n"
    )
    assert digest(other) == before
    assert neighbours(other) == ["notes.db"]  # no -wal, no -shm, no backup


# ---------------------------------------------------------------- a damaged file


def a_salescli_file(cli, path: Path) -> Path:
    """A file whose customer table spans many pages: Acme and 300 customers with long names,
    imported at once (the import's CSV file and safety backup are removed)."""
    cli("--db", path, "customer", "add", "Acme")
    clients = path.with_name(f"{path.stem}-clients.csv")
    clients.write_text("name\n" + "".join(f"Customer {n} {'x' * 200}\n" for n in range(300)))
    cli("--db", path, "import", "customers", clients)
    clients.unlink()
    (backup,) = path.parent.glob(f"{path.stem}-import-*.db")
    backup.unlink()
    session.configure(None)  # the last connection closes: the write-ahead log is folded in, and goes
    assert not Path(f"{path}-wal").exists()
    return path


def test_garbage_and_truncated_files_are_damaged(cli, tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(bytes(range(256)) * 40)
    short = tmp_path / "short.db"
    short.write_bytes(b"SQLite format 3\x00" + b"\x10\x00")
    cut = a_salescli_file(cli, tmp_path / "cut.db")
    size = cut.stat().st_size
    cut.write_bytes(cut.read_bytes()[: size // 2])
    reasons = {
        garbage: "it is not an SQLite file",
        short: "it is not an SQLite file",
        cut: f"it is cut short: {size // 2:,} of its {size:,} bytes are there",
    }
    for path, reason in reasons.items():
        before = digest(path)
        for args in (READS[0], WRITES[0]):
            assert cli.fails("--db", path, *args) == (
                f"Error: the database file is damaged ({path}: {reason}): restore a backup "
                '(README "Your data is safe"), or give the right file with --db\n'
            )
        assert digest(path) == before
    assert neighbours(garbage) == ["cut.db", "garbage.db", "short.db"]


def test_a_damaged_page_found_while_reading_says_so(cli, tmp_path):
    path = a_salescli_file(cli, tmp_path / "sales.db")
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'customer'").fetchone()
    conn.close()
    with path.open("r+b") as file:  # scribble over the customer table's first page
        file.seek((root - 1) * page_size)
        file.write(b"\xa5" * page_size)
    error = cli.fails("--db", path, "customer", "list")
    assert error.startswith(f"Error: the database file is damaged ({path}: database disk image is malformed): restore a backup")
