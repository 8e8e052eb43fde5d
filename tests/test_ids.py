"""Every command hits the record it names: an id is never handed out twice (not after undo,
delete, an undone import or demo, nor in a file made by an older salescli)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from salescli import session, store
from dbcheck import rows as query

from salescli.commands import common
from salescli.store import history, schema

FIXTURE = Path(__file__).parent / "fixtures" / "v1.db"


def new_id(result) -> int:
    return int(result.stdout.strip().splitlines()[-1])


ADD = {
    "customer": lambda cli, name: cli("customer", "add", name),
    "deal": lambda cli, name: cli("deal", "add", name, "--customer", "Acme", "--amount", "100"),
    "activity": lambda cli, name: cli("activity", "log", "Acme", "--type", "call", "--summary", name),
}
SHOW = {
    "customer": ("customer", "show"),
    "deal": ("deal", "show"),
    "activity": ("activity", "delete", "--yes"),  # activities have no show: a delete must find nothing
}
DELETE = {"customer": ("customer", "delete"), "deal": ("deal", "delete"), "activity": ("activity", "delete")}
NOT_FOUND = {"customer": "no customer with id {}", "deal": "no deal with id {}", "activity": "no activity with id {}"}


@pytest.fixture
def acme(cli):
    cli("customer", "add", "Acme")


@pytest.mark.parametrize("noun", ["customer", "deal", "activity"])
@pytest.mark.parametrize("taken_back_by", ["undo", "delete"])
def test_an_id_taken_back_is_never_given_again(cli, isolated, acme, noun, taken_back_by):
    first = new_id(ADD[noun](cli, "Temp"))
    if taken_back_by == "undo":
        cli("undo")
    else:
        cli(*DELETE[noun], first, "--yes")
    second = new_id(ADD[noun](cli, "Innocent"))
    assert second == first + 1
    log = query(isolated, "SELECT count(*) FROM history_command")
    error = cli.fails(*SHOW[noun], first)
    assert NOT_FOUND[noun].format(first) in error
    assert query(isolated, "SELECT count(*) FROM history_command") == log  # nothing written


def test_an_id_no_customer_has_is_never_read_as_the_start_of_a_name(cli, any_store):
    """`customer delete 1` a second time deleted "1 Main Street", and `#1` (as salescli
    writes an id) named "#1 Supplier": an id names that customer or none."""
    for name in ("Temp Co", "1 Main Street", "#1 Supplier"):
        cli("customer", "add", name, "--no-followup")
    cli("customer", "delete", "1", "--yes")
    log = cli("log").stdout
    for ref in ("1", "#1"):
        assert "no customer with id 1" in cli.fails("customer", "delete", ref, "--yes")
        assert "no customer with id 1" in cli.fails("deal", "add", "Order", "--customer", ref, "--amount", "5")
    assert cli("log").stdout == log  # nothing written
    assert [c["name"] for c in cli.json("customer", "list")] == ["#1 Supplier", "1 Main Street"]
    assert (cli.json("customer", "show", "#2")["name"], cli.json("customer", "show", "#1 sup")["id"]) == ("1 Main Street", 3)
    assert "customer name '#77' is # and digits: it would read as an id" in cli.fails("customer", "add", "#77", code=2)


def test_winning_an_undone_deal_does_not_win_the_next_one(cli, isolated, acme):
    """The issue's script: the id printed by `deal add` still names that deal, or none."""
    deal = new_id(cli("deal", "add", "Temp deal", "--customer", "Acme", "--amount", "100"))
    cli("undo")
    bob = new_id(cli("deal", "add", "Bob's deal", "--customer", "Acme", "--amount", "5"))
    assert bob != deal
    assert f"no deal with id {deal}" in cli.fails("deal", "win", deal)
    assert [(d["id"], d["stage"]) for d in cli.json("deal", "list")] == [(bob, "lead")]


def test_redo_brings_back_the_original_ids_and_new_ones_go_above(cli, isolated, acme):
    one = new_id(cli("deal", "add", "One", "--customer", "Acme", "--amount", "1"))
    two = new_id(cli("deal", "add", "Two", "--customer", "Acme", "--amount", "2"))
    cli("undo")
    cli("undo")
    cli("undo", "--redo")
    cli("undo", "--redo")
    assert [(d["id"], d["title"]) for d in cli.json("deal", "list")] == [(one, "One"), (two, "Two")]
    three = new_id(cli("deal", "add", "Three", "--customer", "Acme", "--amount", "3"))
    assert three == two + 1


def test_an_undone_import_leaves_its_ids_used(cli, isolated, tmp_path):
    cli("customer", "add", "Acme")  # #1
    customers = tmp_path / "c.csv"
    customers.write_text("name\nBeta\nGamma\nDelta\n", encoding="utf-8")
    cli("import", "customers", customers)
    assert sorted(c["id"] for c in cli.json("customer", "list")) == [1, 2, 3, 4]
    cli("undo")
    assert new_id(cli("customer", "add", "Epsilon")) == 5
    assert "no customer with id 3" in cli.fails("customer", "show", "3")
    cli("undo")
    cli("import", "customers", customers)  # again: above every id given so far
    assert sorted(c["id"] for c in cli.json("customer", "list")) == [1, 6, 7, 8]


def test_an_imported_id_leaves_room_for_the_ids_that_follow_it(cli, isolated, acme, tmp_path):
    """A row with id 1,000,000,000,000 (the most a command accepts) was imported, and the
    next `deal add` printed 1,000,000,000,001, an id no command would take."""
    top = tmp_path / "top.csv"
    top.write_text("id,title,customer,amount\n1000000000000,Top,Acme,5\n", encoding="utf-8")
    before = query(isolated, "SELECT count(*) FROM history_command")
    error = cli.fails("import", "deals", top)
    assert "row 2, column id: a new deal's id must be at most 100,000,000,000, not 1,000,000,000,000" in error
    assert query(isolated, "SELECT count(*) FROM history_command") == before
    top.write_text("id,title,customer,amount\n100000000000,Top,Acme,5\n", encoding="utf-8")
    cli("import", "deals", top)
    after = new_id(cli("deal", "add", "Next", "--customer", "Acme", "--amount", "1"))
    assert after == 100_000_000_001
    cli("deal", "win", after)
    exported = tmp_path / "deals.csv"
    cli("export", "deals", "-o", exported)
    assert "0 created, 2 updated" in cli("import", "deals", exported, "--on-conflict", "update").stdout


def test_every_table_with_an_integer_id_hands_out_new_ids(cli, isolated):
    cli("init")
    conn = sqlite3.connect(isolated)
    id_tables = [t for t in history.business_tables(conn) if history.shape(conn, t).range_column == "rowid"]
    assert set(id_tables) >= {"rep", "customer", "product", "stage", "deal", "stage_history", "activity", "target", "payment"}
    for table in id_tables:
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()
        assert "INTEGER PRIMARY KEY AUTOINCREMENT" in sql, f"{table}: declare its id INTEGER PRIMARY KEY AUTOINCREMENT"


def schema_objects(path: Path) -> list[tuple]:
    return query(
        path,
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('table', 'index', 'trigger', 'view') "
        "AND name NOT LIKE '_sqlite_migrations%' ORDER BY type, name",
    )


def test_an_old_file_keeps_its_ids_and_goes_on_above_them(cli, isolated, tmp_path):
    shutil.copyfile(FIXTURE, isolated)
    before = {t: query(FIXTURE, f"SELECT id FROM {t} ORDER BY id") for t in ("customer", "deal", "activity", "stage_history")}
    cli("rep", "list")  # migrates
    assert {t: query(isolated, f"SELECT id FROM {t} ORDER BY id") for t in before} == before
    assert query(isolated, "PRAGMA foreign_key_check") == []
    assert query(isolated, "PRAGMA integrity_check") == [("ok",)]
    # the migrated file has the schema of a new one: every index and trigger (the undo
    # capture, the stage stays) is back, and every id table counts from its largest id
    fresh = tmp_path / "fresh.db"
    cli("--db", fresh, "init")
    assert schema_objects(isolated) == schema_objects(fresh)
    assert new_id(cli("customer", "add", "Gamma")) == 3
    assert new_id(cli("deal", "add", "Third", "--customer", "Gamma", "--amount", "1")) == 3
    cli("deal", "move", 3, "qualified")  # the stage stays follow (m004's triggers)
    assert query(isolated, "SELECT deal_id, days FROM _stage_stay WHERE deal_id = 3") == [(3, 0.0)]


def test_the_upgrade_keeps_views_and_triggers_that_name_a_rebuilt_table(cli, isolated, monkeypatch):
    def m004b_example(db):  # what a later schema might hold
        db.execute("CREATE VIEW deal_with_customer AS SELECT d.title, c.name FROM deal d JOIN customer c ON c.id = d.customer_id")
        db.execute("CREATE TABLE audit (what TEXT)")
        db.execute("CREATE TRIGGER deal_audit AFTER DELETE ON deal BEGIN INSERT INTO audit VALUES (OLD.title); END")

    upgrade = schema.NAMES.index("m008_ids_never_reused")
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS[:upgrade], m004b_example, *schema.MIGRATIONS[upgrade:]])
    monkeypatch.setattr(schema, "NAMES", [*schema.NAMES[:upgrade], "m004b_example", *schema.NAMES[upgrade:]])
    cli("customer", "add", "Acme")
    cli("deal", "add", "Widgets", "--customer", "Acme", "--amount", "1")
    assert query(isolated, "SELECT * FROM deal_with_customer") == [("Widgets", "Acme")]
    cli("deal", "delete", "1", "--yes")
    assert query(isolated, "SELECT * FROM audit") == [("Widgets",)]


def test_an_old_file_counts_on_from_ids_its_undo_record_still_knows(cli, isolated, monkeypatch):
    """A deal deleted before the upgrade keeps its id out of use after it (the undo record
    can bring it back)."""
    upgrade = schema.NAMES.index("m008_ids_never_reused")
    migrations, names, user = schema.MIGRATIONS, schema.NAMES, session.user
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:upgrade])
    monkeypatch.setattr(schema, "NAMES", schema.NAMES[:upgrade])
    monkeypatch.setattr(session, "user", lambda conn: None)  # that salescli did not record who
    cli("customer", "add", "Acme")
    for title in ("One", "Two", "Three"):
        cli("deal", "add", title, "--customer", "Acme", "--amount", "1")
    cli("deal", "delete", "3", "--yes")
    assert query(isolated, "SELECT id FROM deal") == [(1,), (2,)]
    monkeypatch.setattr(schema, "MIGRATIONS", migrations)  # the upgrade
    monkeypatch.setattr(schema, "NAMES", names)
    monkeypatch.setattr(session, "user", user)
    assert new_id(cli("deal", "add", "Four", "--customer", "Acme", "--amount", "1")) == 4
    assert "no deal with id 3" in cli.fails("deal", "show", "3")
    cli("undo")
    cli("undo")  # the delete: deal 3 comes back with its id
    assert [d["id"] for d in cli.json("deal", "list")] == [1, 2, 3]
    assert new_id(cli("deal", "add", "Five", "--customer", "Acme", "--amount", "1")) == 5


def test_a_hundred_undos_take_back_the_last_hundred_writes(cli, isolated):
    """Undos do not use up the window: each of 100 undos in a row takes back the next
    older write; the 101st is refused, naming the real limit, and changes nothing."""
    # 120 writes, each recorded as a command of its own, made in-process and without
    # waiting for the disk (the test stays quick); the undos are real commands
    session.configure(isolated)
    session.connection(create=True).execute("PRAGMA synchronous = OFF")
    try:
        for n in range(1, 121):
            session.remember_command(["config", "set", "stale_deal_days", str(n)])
            with session.write() as conn:
                store.set_setting(conn, "stale_deal_days", str(n))
    finally:
        session.configure(None)
    for n in range(120, 20, -1):
        assert cli("undo").stdout.startswith(f"Undid #{n} `config set stale_deal_days {n}`: 1 setting changed back")
    assert cli("config", "get", "stale_deal_days").stdout == "20\n"
    error = cli.fails("undo")
    assert "cannot undo #20 `config set stale_deal_days 20`: only the last 100 write commands can be undone" in error
    assert cli("config", "get", "stale_deal_days").stdout == "20\n"
    assert query(isolated, "SELECT count(*) FROM history_command") == [(220,)]


# ---------------------------------------------------------------- a confirmed delete

SALESCLI = str(Path(sys.executable).with_name("salescli"))


@pytest.fixture
def meanwhile(isolated, monkeypatch):
    """``meanwhile(["undo"], …)``: commands another salescli process runs while this one's
    question waits at the terminal (then the answer "y" comes)."""

    def arrange(*commands: list[str]) -> None:
        def asked() -> bool:
            for command in commands:
                subprocess.run([SALESCLI, "--db", str(isolated), *map(str, command)], check=True, capture_output=True)
            return True

        monkeypatch.setattr(common, "stdin_isatty", asked)

    return arrange


def refused(cli, isolated, *command: str, what: str) -> None:
    """The confirmed delete changes nothing and says why (the log has only the other
    process's commands)."""
    result = cli(*command, input="y\n", code=1)
    assert f"Error: {what} was changed or deleted while you were asked: nothing was deleted" in result.stderr
    assert query(isolated, "SELECT count(*) FROM history_command WHERE line LIKE '% delete %'") == [(0,)]


def test_a_customer_replaced_while_asked_is_not_deleted(cli, isolated, meanwhile):
    """The issue's race: the question shows Temp Co (#2); another process undoes it and
    adds Innocent Co; "y" must not delete Innocent Co."""
    cli("customer", "add", "Acme")
    cli("customer", "add", "Temp Co")
    meanwhile(["undo"], ["customer", "add", "Innocent Co"])
    refused(cli, isolated, "customer", "delete", "Temp Co", what="customer Temp Co (#2)")
    assert [c["name"] for c in cli.json("customer", "list")] == ["Acme", "Innocent Co"]


def test_a_customer_changed_while_asked_is_not_deleted(cli, isolated, meanwhile):
    cli("customer", "add", "Temp Co", "--no-followup")
    meanwhile(["deal", "add", "Big order", "--customer", "Temp Co", "--amount", "900"])  # not in the question
    refused(cli, isolated, "customer", "delete", "Temp Co", "--cascade", what="customer Temp Co (#1)")
    meanwhile(["customer", "edit", "Temp Co", "--phone", "555"])
    refused(cli, isolated, "customer", "delete", "Temp Co", "--cascade", what="customer Temp Co (#1)")
    assert cli.json("customer", "show", "Temp Co")["phone"] == "555"


def test_a_deal_changed_while_asked_is_not_deleted(cli, isolated, meanwhile):
    cli("customer", "add", "Acme")
    cli("deal", "add", "Widgets", "--customer", "Acme", "--amount", "100")
    meanwhile(["deal", "win", "1"], ["deal", "pay", "1", "100"])  # the question said: no payments
    refused(cli, isolated, "deal", "delete", "1", what="deal 1 'Widgets'")
    meanwhile(["undo"], ["undo"], ["undo"], ["deal", "add", "Gadgets", "--customer", "Acme", "--amount", "5"])
    refused(cli, isolated, "deal", "delete", "1", what="deal 1 'Widgets'")
    assert [(d["id"], d["title"]) for d in cli.json("deal", "list")] == [(2, "Gadgets")]


def test_an_activity_changed_while_asked_is_not_deleted(cli, isolated, meanwhile):
    cli("customer", "add", "Acme", "--no-followup")
    cli("activity", "plan", "Acme", "Call back", "--type", "call", "--due", "2026-11-30")
    meanwhile(["activity", "done", "1"])
    refused(cli, isolated, "activity", "delete", "1", what="activity #1 (call: Call back)")
    assert cli.json("activity", "list")[0]["done_at"] == "2026-11-23"


def test_a_delete_confirmed_with_nothing_changed_deletes(cli, isolated, meanwhile):
    cli("customer", "add", "Acme")
    cli("customer", "add", "Temp Co")
    meanwhile(["customer", "edit", "Acme", "--phone", "555"])  # another record: no matter
    assert cli("customer", "delete", "Temp Co", input="y\n").stdout.endswith("\nDeleted customer Temp Co (#2) with 1 open follow-up\n")
    assert [c["name"] for c in cli.json("customer", "list")] == ["Acme"]
