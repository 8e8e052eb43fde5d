"""`salescli db copy SOURCE TARGET`: a whole business moved between files and PostgreSQL
servers and back, with its ids, log and undo; a target is only ever written whole."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import dbcheck
from fixtures.sample import ORDER, seed

from salescli import store

SALESCLI = str(Path(sys.executable).with_name("salescli"))
IMPORTED = "name,tier\nNew One,A\nNew Two,B\n"


def business(cli, db: Path, tmp_path: Path) -> None:
    """Every kind of record (fixtures.sample), then commands: a deleted customer (an id not
    to be handed out again), a setting, and last an import taken back (its rows set aside,
    for a redo)."""
    seed(db)
    cli("customer", "add", "Zeta GmbH", "--tag", "new", "--tag", "Émile")
    cli("deal", "win", "1")
    cli("config", "set", "currency", "€")
    cli("customer", "add", "Gone Ltd")
    cli("customer", "delete", "Gone Ltd", "--yes")
    (tmp_path / "new.csv").write_text(IMPORTED)
    cli("import", "customers", tmp_path / "new.csv")
    cli("undo")


def exports(cli, db: Path | str) -> dict[str, str]:
    return {f"{entity} {fmt}": cli("--db", db, "export", entity, "-f", fmt).stdout for entity in ORDER for fmt in ("csv", "json")}


def log(cli, db: Path | str) -> list[tuple]:
    return [(e["id"], e["at"], e["command"], e["changes"], e["undone"]) for e in cli.json("--db", db, "log", "--limit", "100")]


def test_a_business_moved_to_a_server_and_back_keeps_every_export_its_log_and_its_undo(cli, isolated, tmp_path, pg_url, monkeypatch):
    monkeypatch.setenv("SALESCLI_USER", "ann")  # who ran the commands: the server's undo takes back ann's
    business(cli, isolated, tmp_path)
    back = tmp_path / "back.db"
    moved = cli("db", "copy", isolated, pg_url).stdout
    assert moved == (
        "Copied 2 reps, 2 products, 4 customers, 3 deals, 3 activities, 1 payment, 3 targets and a log of 7 commands "
        f"to {pg_url}; every export of it is the same.\n"
    )
    cli("db", "copy", pg_url, back)
    databases = [isolated, pg_url, back]
    first = exports(cli, isolated)
    assert '"Zeta GmbH"' in first["customers json"] and "New One" not in first["customers json"]
    for db in databases[1:]:
        assert exports(cli, db) == first, db
        assert log(cli, db) == log(cli, isolated), db
        conn = store.connect(db)
        try:
            assert dbcheck.derived_exact(conn) == {}, db
        finally:
            conn.close()
    # the same undo and redo on each: the import set aside comes back, then goes again with the commands before it
    customers = []
    for args in (("undo", "--redo"), ("undo",), ("undo",), ("undo", "--redo")):
        said = {cli("--db", db, *args).stdout for db in databases}
        assert len(said) == 1, (args, said)
        listed = {cli("--db", db, "export", "customers", "-f", "json").stdout for db in databases}
        assert len(listed) == 1, args
        customers.append([c["name"] for c in json.loads(listed.pop())])
    assert said == {"Redid #5 `customer delete 'Gone Ltd' --yes`: 1 activity and 1 customer deleted.\n"}
    assert customers == [
        ["Acme Ltd", "北京科技有限公司", 'Quote "Q" Co', "Zeta GmbH", "New One", "New Two"],
        ["Acme Ltd", "北京科技有限公司", 'Quote "Q" Co', "Zeta GmbH"],
        ["Acme Ltd", "北京科技有限公司", 'Quote "Q" Co', "Zeta GmbH", "Gone Ltd"],
        ["Acme Ltd", "北京科技有限公司", 'Quote "Q" Co', "Zeta GmbH"],
    ]
    for db in databases:
        assert exports(cli, db) == first, db
    # and each hands out the same next id: never one a deleted customer had
    added = {cli("--db", db, "customer", "add", "Next Ltd").stdout for db in databases}
    assert added == {"10\n"}  # 1, 2 and 5 seeded, Zeta 6, Gone 7, the import's 8 and 9


def test_a_file_copied_to_a_file_and_a_server_to_a_server(cli, isolated, tmp_path, pg_url, other_pg_url):
    business(cli, isolated, tmp_path)
    cli("db", "copy", isolated, tmp_path / "copy.db")
    cli("db", "copy", isolated, pg_url)
    cli("db", "copy", pg_url, other_pg_url)
    first = exports(cli, isolated)
    for db in (tmp_path / "copy.db", other_pg_url):
        assert exports(cli, db) == first, db
        assert log(cli, db) == log(cli, isolated), db


def test_a_target_that_holds_a_business_is_refused_and_left_as_it_was(cli, isolated, tmp_path, pg_url):
    seed(isolated)
    cli("--db", pg_url, "customer", "add", "Theirs")
    other = tmp_path / "other.db"
    cli("--db", other, "config", "set", "currency", "€")  # a log is a business's too
    for target, holds in (
        (pg_url, "1 customer, 1 activity and 1 command in its log"),
        (other, "1 command in its log"),
    ):
        before = dbcheck.snapshot(target)
        error = cli.fails("db", "copy", isolated, target)
        assert error == (
            f"Error: {target} already holds a business ({holds}), so nothing was copied: copy into a new file, "
            "or into an empty database on a server (createdb makes one)\n"
        )
        assert dbcheck.snapshot(target) == before


def test_an_empty_database_takes_the_copy(cli, isolated, tmp_path, pg_url):
    seed(isolated)
    cli("--db", pg_url, "init")  # migrated, nothing in it yet
    empty = tmp_path / "empty.db"
    cli("--db", empty, "init")
    for target in (pg_url, empty):
        cli("db", "copy", isolated, target)
        assert exports(cli, target) == exports(cli, isolated)


def test_bad_sources_and_targets_are_clean_errors_and_write_nothing(cli, isolated, tmp_path):
    seed(isolated)
    new = tmp_path / "new.db"
    assert cli.fails("db", "copy", tmp_path / "missing.db", new) == (
        f"Error: no database at {tmp_path / 'missing.db'}; `salescli init` creates one\n"
    )
    assert cli.fails("db", "copy", isolated, tmp_path / "no" / "such" / "new.db") == (
        f"Error: cannot write {tmp_path / 'no' / 'such' / 'new.db'}: there is no folder {tmp_path / 'no' / 'such'}\n"
    )
    assert cli.fails("db", "copy", isolated, isolated, code=2) == (
        "Error: SOURCE and TARGET are the same database: give a new file or an empty database as TARGET\n"
    )
    error = cli.fails("db", "copy", isolated, "postgresql://ann:s3cret@db.example.com:port/sales", code=2)
    assert error.startswith("Error: the database URL is not valid") and "s3cret" not in error
    assert [path.name for path in tmp_path.rglob("*") if not path.name.startswith("sales.db")] == []


def test_a_source_written_by_a_newer_salescli_is_refused(cli, isolated, tmp_path, pg_url):
    seed(isolated)
    conn = store.connect(isolated)
    with conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('salescli', 'm999_future', '')")
    conn.close()
    cli("--db", pg_url, "init")
    before = dbcheck.snapshot(pg_url)
    for target in (tmp_path / "new.db", pg_url):
        error = cli.fails("db", "copy", isolated, target)
        assert error.startswith("Error: this database was written by a newer salescli (it has migration 'm999_future'")
    assert not (tmp_path / "new.db").exists()
    assert dbcheck.snapshot(pg_url) == before


def test_passwords_are_never_shown(cli, isolated, pg_url):
    seed(isolated)
    with_password = pg_url.replace("postgresql://salescli@", "postgresql://salescli:s3cret@")  # trust: not needed
    result = cli("db", "copy", isolated, with_password)
    assert result.stdout.endswith(f" to {pg_url} (password hidden); every export of it is the same.\n")
    error = cli.fails("db", "copy", isolated, with_password)
    assert error.startswith(f"Error: {pg_url} (password hidden) already holds a business")
    assert "s3cret" not in result.stdout + result.stderr + error


def test_a_copy_whose_exports_differ_is_taken_back(cli, isolated, tmp_path, pg_url, monkeypatch):
    """The check runs before the copy commits: a difference leaves the target as it was."""
    from salescli.commands import db as command

    seed(isolated)
    monkeypatch.setattr(command, "_export_digest", _differs_on_the_target(command._export_digest, isolated))
    cli("--db", pg_url, "init")  # an empty database as salescli makes it (a copy would make it so first)
    before = dbcheck.snapshot(pg_url)
    for target in (pg_url, tmp_path / "new.db"):
        error = cli.fails("db", "copy", isolated, target)
        assert error == (
            f"Error: the copy's export of payments differs from the original's, so nothing was copied into {target}: "
            "please report this, with the output of `salescli --version`\n"
        )
    assert dbcheck.snapshot(pg_url) == before
    assert not (tmp_path / "new.db").exists()


def _differs_on_the_target(real, source: Path):
    """``_export_digest`` that sees one difference: the target's payments."""
    from salescli.store import backup

    def digest(conn, entity):
        on_source = backup.database_file(conn) == source
        return real(conn, entity) + (b"" if on_source or entity.name != "payments" else b"changed")

    return digest


def test_ctrl_c_leaves_the_target_as_it_was(tmp_path, pg_url):
    """Real processes and signals: interrupted at any moment, the copy is all there (status
    0) or not at all (130), on a server and in a new file."""
    env = {"SALESCLI_TODAY": "2026-11-23", "PATH": "/usr/bin:/bin"}
    source = tmp_path / "demo.db"
    subprocess.run([SALESCLI, "--db", source, "demo", "--customers", "300"], env=env, check=True, capture_output=True)
    subprocess.run([SALESCLI, "--db", pg_url, "init"], env=env, check=True, capture_output=True)
    before = dbcheck.snapshot(pg_url)
    outcomes = []
    for delay in (0.4, 0.8, 1.2, 1.6, 2.4):
        target = tmp_path / f"copy-{delay}.db"
        for into in (target, pg_url) if 0 not in outcomes else (target,):  # a server copied whole takes no other
            process = subprocess.Popen([SALESCLI, "db", "copy", source, into], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                process.wait(delay)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=120)
            assert "Traceback" not in err and process.returncode in (0, 130), err
            if into == pg_url:
                outcomes.append(process.returncode)
            if process.returncode == 130:
                assert out == ""
                assert dbcheck.snapshot(pg_url) == before if into == pg_url else not target.exists()
            else:
                assert out.startswith("Copied 3 reps") and exports_match(source, into), err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial file left
    assert 130 in outcomes


def exports_match(one: Path, other: Path | str) -> bool:
    def export(db: Path | str) -> str:
        return subprocess.run([SALESCLI, "--db", db, "export", "activities", "-f", "json"], env={"PATH": "/usr/bin:/bin"},
                              check=True, capture_output=True, text=True).stdout

    return export(one) == export(other)


def test_the_log_of_a_copy_reads_the_same(cli, isolated, tmp_path, pg_url, monkeypatch):
    monkeypatch.setenv("SALESCLI_USER", "ann")
    business(cli, isolated, tmp_path)
    cli("db", "copy", isolated, pg_url)
    entries = json.loads(cli("--db", pg_url, "log", "-f", "json").stdout)
    assert [(e["id"], e["by"], e["command"]) for e in entries][:3] == [
        (7, "ann", "undo"),
        (6, "ann", f"import customers {tmp_path / 'new.csv'}"),
        (5, "ann", "customer delete 'Gone Ltd' --yes"),
    ]


# ---------------------------------------------------------------- backup, restore and demo on a server


def test_demo_builds_the_same_sample_business_on_a_server(cli, isolated, pg_url):
    on_file = cli("demo").stdout
    on_server = cli("--db", pg_url, "demo").stdout
    assert on_server == on_file
    assert exports(cli, pg_url) == exports(cli, isolated)
    assert cli("--db", pg_url, "demo", code=1).stderr == cli("demo", code=1).stderr.replace(str(isolated), pg_url)


def test_backup_on_a_server_writes_a_file_of_the_same_business(cli, isolated, tmp_path, pg_url, monkeypatch):
    monkeypatch.setenv("SALESCLI_USER", "ann")
    business(cli, isolated, tmp_path)
    cli("db", "copy", isolated, pg_url)
    folder = tmp_path / "backups"
    name = pg_url.rsplit("/", 1)[1]
    monkeypatch.chdir(tmp_path)
    assert cli("--db", pg_url, "backup").stdout == f"{tmp_path / f'{name}-20261123-120000.db'}\n"  # the current directory
    assert cli("--db", pg_url, "backup", f"{folder}/").stdout == f"{folder / f'{name}-20261123-120000.db'}\n"
    assert cli("--db", pg_url, "backup", folder, "--keep", "1").stdout == f"{folder / f'{name}-20261123-120000-2.db'}\n"
    assert [p.name for p in folder.iterdir()] == [f"{name}-20261123-120000-2.db"]
    copy = folder / f"{name}-20261123-120000-2.db"
    assert exports(cli, copy) == exports(cli, isolated)
    assert log(cli, copy) == log(cli, isolated)
    assert cli.fails("--db", pg_url, "backup", copy) == f"Error: {copy} already exists: add --force to replace it\n"
    cli("--db", pg_url, "customer", "add", "After Ltd")
    cli("--db", pg_url, "backup", copy, "--force", "--quiet")
    assert "After Ltd" in cli("--db", copy, "export", "customers").stdout


def test_restore_on_a_server_is_refused_with_the_copy_to_use(cli, tmp_path, pg_url):
    cli("--db", pg_url, "customer", "add", "Acme")
    cli("--db", pg_url, "backup", tmp_path / "b.db")
    before = dbcheck.snapshot(pg_url)
    assert cli.fails("--db", pg_url, "restore", tmp_path / "b.db", "--yes") == (
        f"Error: restore replaces a database file; {pg_url} is on a server: copy the backup into a new, empty "
        f"database instead (createdb sales2, then: salescli db copy {tmp_path / 'b.db'} postgresql://…/sales2) and use that one\n"
    )
    assert dbcheck.snapshot(pg_url) == before


def test_a_team_role_owns_the_tables_and_the_log_names_each_login(cli, isolated, pg_url):
    """README "A team on one server": logins in a team role taken on at login (so that
    everyone may do everything); the log and undo go by the login."""
    with dbcheck.team(pg_url, ("ann", "bob")) as (team, as_login):
        ann, bob = as_login
        seed(isolated)
        cli("db", "copy", isolated, as_login[ann])
        as_bob = as_login[bob]
        cli("--db", as_bob, "customer", "add", "Bob's Co")
        cli("--db", as_bob, "import", "customers", _csv(isolated.parent))  # turns triggers off: the table's owner's right
        assert [(e["by"], e["command"].split()[:2]) for e in cli.json("--db", as_bob, "log")] == [
            (bob, ["import", "customers"]), (bob, ["customer", "add"])]
        assert cli("--db", as_bob, "undo").stdout.startswith("Undid #2 `import customers")
        assert {row[0] for row in dbcheck.rows(pg_url, "SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")} == {team}


def _csv(folder: Path) -> Path:
    (folder / "more.csv").write_text(IMPORTED)
    return folder / "more.csv"
