"""The files salescli writes besides the database (exports, rejected rows, backups and the
directories for them): never the database, whole or not at all, and private."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from fixtures.sample import query

from salescli import output
from salescli.store import backup as backups

CUSTOMERS = "id,name,company,title,contact,phone,email,industry,region,size,source,tier,tags,owner,credit_limit,notes,created_at,updated_at\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_000():
    old = os.umask(0)
    yield
    os.umask(old)


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if "partial" in p.name]


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_export_never_writes_over_the_database_or_its_files(cli, isolated, suffix):
    cli("customer", "add", "Acme")
    target = Path(f"{isolated}{suffix}")
    which = f"the database's {suffix[1:]} file" if suffix else "the database itself"
    assert cli.fails("export", "customers", "-o", target) == (
        f"Error: {target} is {which} ({target}): write the export somewhere else\n"
    )
    assert query(isolated, "SELECT name FROM customer") == [("Acme",)]
    assert query(isolated, "PRAGMA integrity_check") == [("ok",)]
    assert not Path(f"{isolated}-journal").exists()


def test_export_never_writes_over_the_database_by_another_name(cli, isolated, tmp_path):
    cli("customer", "add", "Acme")
    (tmp_path / "link.csv").symlink_to(isolated)
    os.link(isolated, tmp_path / "hard.csv")
    (tmp_path / "sub").mkdir()
    for target in (tmp_path / "link.csv", tmp_path / "hard.csv", tmp_path / "sub" / ".." / "sales.db", Path("sales.db")):
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            assert "is the database itself" in cli.fails("export", "customers", "--output", target)
        finally:
            os.chdir(cwd)
    assert cli("customer", "list", "-f", "csv").stdout.splitlines()[1].startswith("1,Acme,")
    assert (tmp_path / "link.csv").is_symlink() and (tmp_path / "hard.csv").stat().st_nlink == 2


def test_a_failed_export_keeps_the_file_it_was_to_replace(cli, isolated, tmp_path, monkeypatch):
    cli("customer", "add", "Acme")
    out = tmp_path / "customers.csv"
    out.write_text("last week's export\n")

    def disk_full(rows, columns, fmt=None, **kwargs):
        print("id,name")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output, "render", disk_full)
    assert cli.fails("export", "customers", "-o", out) == f"Error: cannot write the export {out}: No space left on device\n"
    assert out.read_text() == "last week's export\n" and leftovers(tmp_path) == []

    def interrupted(rows, columns, fmt=None, **kwargs):
        print("id,name")
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "render", interrupted)
    cli("export", "customers", "-o", out, code=130)
    assert out.read_text() == "last week's export\n" and leftovers(tmp_path) == []


def test_an_export_through_a_symlink_replaces_the_file_it_points_to(cli, tmp_path):
    cli("customer", "add", "Acme")
    (tmp_path / "exports").mkdir()
    real = tmp_path / "exports" / "customers.csv"
    real.write_text("old\n")
    (tmp_path / "latest.csv").symlink_to(real)
    cli("export", "customers", "-o", tmp_path / "latest.csv")
    assert (tmp_path / "latest.csv").is_symlink() and real.read_text().startswith(CUSTOMERS)
    assert "is a directory" in cli.fails("export", "customers", "-o", tmp_path / "exports")


def test_rejects_file_never_writes_over_the_database(cli, tmp_path):
    source = tmp_path / "c.csv"
    source.write_text("name,tier\nGood Co,A\nBad Co,Z\n")
    db = tmp_path / "c.csv.rejects.csv"  # a database by the name the rejects would get
    cli("--db", db, "rep", "add", "alice")
    error = cli.fails("--db", db, "import", "customers", source, "--skip-invalid")
    assert f"Error: {db} is the database itself ({db}): write the rejected rows somewhere else" in error
    assert query(db, "SELECT handle FROM rep") == [("alice",)] and query(db, "SELECT count(*) FROM customer") == [(0,)]

    other = tmp_path / "d.csv"
    other.write_text(source.read_text())
    (tmp_path / "d.csv.rejects.csv").symlink_to(db)
    assert "is the database itself" in cli.fails("--db", db, "import", "customers", other, "--skip-invalid")
    assert query(db, "SELECT count(*) FROM customer") == [(0,)] and query(db, "PRAGMA integrity_check") == [("ok",)]


def test_an_import_that_fails_leaves_no_rejects_file(cli, isolated, tmp_path, monkeypatch):
    cli("customer", "add", "Acme")
    source = tmp_path / "c.csv"
    source.write_text("name,tier\nGood Co,A\nBad Co,Z\n")

    def disk_full(source, target, **options):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    working = backups._backup
    monkeypatch.setattr(backups, "_backup", disk_full)
    assert "No space left on device; nothing was imported" in cli.fails("import", "customers", source, "--skip-invalid")
    assert not (tmp_path / "c.csv.rejects.csv").exists() and leftovers(tmp_path) == []
    monkeypatch.setattr(backups, "_backup", working)
    assert "1 rejected, see" in cli("import", "customers", source, "--skip-invalid").stdout
    assert (tmp_path / "c.csv.rejects.csv").read_bytes() == b"name,tier,error\r\nBad Co,Z,\"column tier: tier 'Z' is not A, B or C\"\r\n"


def test_every_file_and_directory_salescli_makes_is_private(cli, isolated, tmp_path, umask_000, monkeypatch):
    monkeypatch.delenv("SALESCLI_DB")  # the default file's folders are made (a --db path's folder must exist)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "new" / "place"))
    new_db = tmp_path / "new" / "place" / "salescli" / "sales.db"
    cli("customer", "add", "Acme")
    assert [mode(new_db), mode(new_db.parent), mode(new_db.parent.parent), mode(new_db.parent.parent.parent)] == [
        0o600, 0o700, 0o700, 0o700
    ]
    monkeypatch.setenv("SALESCLI_DB", str(isolated))

    cli("customer", "add", "Acme")
    replaced = tmp_path / "old.csv"
    replaced.write_text("")
    replaced.chmod(0o644)
    for out in (tmp_path / "customers.csv", tmp_path / "customers.json", replaced):
        cli("export", "customers", "-o", out)
        assert mode(out) == 0o600, out

    source = tmp_path / "c.csv"
    source.write_text("name,tier\nGood Co,A\nBad Co,Z\n")
    cli("import", "customers", source, "--skip-invalid")
    assert mode(tmp_path / "c.csv.rejects.csv") == 0o600
    assert mode(tmp_path / "sales-import-20261123-120000.db") == 0o600

    written = Path(cli("backup", f"{tmp_path}/backups/nightly/").stdout.strip())
    assert [mode(written), mode(written.parent), mode(written.parent.parent)] == [0o600, 0o700, 0o700]
    existing = tmp_path / "shared"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    cli("backup", f"{existing}/")  # a directory that exists is left as it is
    assert mode(existing) == 0o755


def test_a_backup_never_replaces_a_device_or_a_pipe(cli, isolated, tmp_path):
    """`backup /dev/null --force`, run as root, put the copy in place of /dev/null: a
    device, pipe or socket is refused (here a named pipe, which --force replaced too)."""
    cli("customer", "add", "Acme")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for force in ((), ("--force",)):
        error = cli.fails("backup", pipe, *force)
        assert error == f"Error: {pipe} is not a regular file (a device, pipe or socket): write the backup to a file\n"
        assert stat.S_ISFIFO(os.lstat(pipe).st_mode) and leftovers(tmp_path) == []


@pytest.mark.parametrize("entity", ["customers", "calendar"])
def test_an_export_into_a_pipe_writes_into_it_and_leaves_it_a_pipe(cli, tmp_path, entity):
    """`-o /dev/null` or a named pipe is written into, as `>` would: replacing it with a
    file (as root, /dev/null itself) would break every program that uses it."""
    cli("customer", "add", "Acme", "--phone", "+1 555 0100")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so that opening it to write does not wait
    try:
        cli("export", entity, "-o", fifo)
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        assert b"Acme" in os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert leftovers(tmp_path) == []
