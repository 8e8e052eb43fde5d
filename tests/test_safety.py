"""The command log, undo / redo, the bulk path, backups and file modes."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from salescli import session
from salescli.store import history, schema

from fixtures.sample import query, seed

NOON = "2026-11-23 12:00:00"


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every row of every business table, in key order (what undo must restore exactly)."""
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(f'SELECT * FROM "{table}" ORDER BY 1, 2').fetchall()
            for table in history.business_tables(conn)
        }
    finally:
        conn.close()


def log_lines(cli) -> list[tuple]:
    return [(e["id"], e["command"], e["changes"], e["undone"]) for e in cli.json("log")]


def write_script(db: Path, line: str, body) -> None:
    """Run ``body(conn)`` as one recorded write command, as a command module would."""
    session.configure(db)
    session.remember_command(line.split())
    try:
        with session.write() as conn:
            body(conn)
    finally:
        session.configure(None)


def test_write_commands_are_logged_with_their_changes(cli):
    cli("rep", "add", "alice")
    cli("rep", "add", "bob", "--name", "Bob O'Neil", "--region", "北区")
    cli("config", "set", "currency", "€")
    cli("rep", "edit", "alice", "--email", "a@x.test")
    cli("rep", "list")  # a read: not logged
    cli("rep", "edit", "alice")  # changes nothing: not logged
    cli("rep", "activate", "alice")  # already active: nothing changed, not logged
    cli.fails("rep", "add", "alice")  # failed: not logged
    cli.fails("rep", "add", "Bad!", code=2)
    assert cli.json("log") == [
        {"id": 4, "at": NOON, "command": "rep edit alice --email a@x.test", "changes": "1 rep updated", "undone": False},
        {"id": 3, "at": NOON, "command": "config set currency €", "changes": "1 setting updated", "undone": False},
        {"id": 2, "at": NOON, "command": "rep add bob --name \"Bob O'Neil\" --region 北区", "changes": "1 rep created", "undone": False},
        {"id": 1, "at": NOON, "command": "rep add alice", "changes": "1 rep created", "undone": False},
    ]
    assert [e["id"] for e in cli.json("log", "--limit", "2")] == [4, 3]
    assert [line.split() for line in cli("log", "-n", "1", "-f", "plain").stdout.splitlines()] == [
        ["id", "when", "command", "changes", "undone"],
        ["4", "2026-11-23", "12:00:00", "rep", "edit", "alice", "--email", "a@x.test", "1", "rep", "updated", "no"],
    ]


def test_log_on_a_new_file_says_so(cli):
    cli("init")
    assert cli("log").stdout == "No write commands yet.\n"
    assert cli.json("log") == []


def test_undo_walks_back_and_redo_brings_back(cli, isolated):
    cli("rep", "add", "alice")
    empty_but_alice = snapshot(isolated)
    cli("rep", "add", "bob")
    with_bob = snapshot(isolated)
    cli("rep", "deactivate", "bob")
    assert cli("undo").stdout == "Undid #3 `rep deactivate bob`: 1 rep changed back.\n"
    assert snapshot(isolated) == with_bob
    assert cli("undo").stdout == "Undid #2 `rep add bob`: 1 rep removed.\n"
    assert snapshot(isolated) == empty_but_alice
    assert cli("undo", "--redo").stdout == "Redid #2 `rep add bob`: 1 rep created.\n"
    assert snapshot(isolated) == with_bob
    assert log_lines(cli) == [
        (6, "undo --redo", "redid #2: 1 rep created", False),
        (5, "undo", "undid #2: 1 rep removed", True),
        (4, "undo", "undid #3: 1 rep changed back", False),
        (3, "rep deactivate bob", "1 rep updated", True),
        (2, "rep add bob", "1 rep created", False),
        (1, "rep add alice", "1 rep created", False),
    ]
    # the redone command can be undone again: the undo takes the redo back
    assert cli("undo").stdout == "Undid #2 `rep add bob`: 1 rep removed.\n"
    assert snapshot(isolated) == empty_but_alice
    assert cli("undo").stdout == "Undid #1 `rep add alice`: 1 rep removed.\n"
    assert cli.json("rep", "list") == []


def test_nothing_to_undo_or_redo_is_refused_and_writes_nothing(cli, isolated):
    assert "nothing to undo" in cli.fails("undo")
    assert "nothing to redo" in cli.fails("undo", "--redo")
    cli("rep", "add", "alice")
    cli("undo")
    assert "nothing to undo" in cli.fails("undo")
    cli("rep", "add", "bob")  # a new command after the undo ends the chance to redo
    error = cli.fails("undo", "--redo")
    assert "nothing to redo" in error and "#3 `rep add bob` was written after the last undo" in error
    assert [e["id"] for e in cli.json("log")] == [3, 2, 1]
    assert [r["handle"] for r in cli.json("rep", "list")] == ["bob"]


def test_undo_restores_every_kind_of_change_exactly(cli, isolated):
    cli("rep", "add", "alice", "--commission-rate", "7.5%")
    cli("config", "set", "currency", "¥")

    def setup(conn):
        conn.execute("UPDATE rep SET commission_rate = 1.0 / 3 WHERE handle = 'alice'")  # a real with 17 digits
        for i, name in enumerate(["Acme", "Acme Ltd", "北京贸易"], start=1):
            conn.execute(
                "INSERT INTO customer (name, owner_id, notes, fields, created_at, updated_at) VALUES (?, 1, ?, '{}', ?, ?)",
                [name, "it's \"quoted\"\nand multi-line" if i == 1 else None, NOON, NOON],
            )
        conn.executemany("INSERT INTO customer_tag VALUES (?, ?)", [(1, "vip"), (1, "north"), (2, "vip")])
        conn.execute("INSERT INTO product (sku, name, price, cost) VALUES ('W-1', 'Widget', 1200, NULL)")
        for customer in (1, 1, 2):
            deal = conn.execute(
                "INSERT INTO deal (title, customer_id, amount, product_id, stage_id, created_at) VALUES ('D', ?, 5000, 1, 1, ?)",
                [customer, NOON],
            ).lastrowid
            conn.execute("INSERT INTO stage_history (deal_id, stage_id, entered_on) VALUES (?, 1, '2026-11-23')", [deal])
            conn.execute("INSERT INTO activity (customer_id, deal_id, type, created_at) VALUES (?, ?, 'call', ?)", [customer, deal, NOON])
        conn.execute("INSERT INTO payment (deal_id, amount, paid_on, created_at) VALUES (1, 100, '2026-11-23', ?)", [NOON])
        conn.execute("INSERT INTO target (metric, period, start, end, value) VALUES ('revenue', '2026', '2026-01-01', '2026-12-31', 9)")

    write_script(isolated, "setup", setup)
    before = snapshot(isolated)

    def merge_and_more(conn):
        # a merge: move deals, activities and tags from Acme (1) to Acme Ltd (2), delete Acme
        conn.execute("UPDATE deal SET customer_id = 2 WHERE customer_id = 1")
        conn.execute("UPDATE activity SET customer_id = 2 WHERE customer_id = 1")
        conn.execute("UPDATE OR IGNORE customer_tag SET customer_id = 2 WHERE customer_id = 1")
        conn.execute("DELETE FROM customer WHERE id = 1")  # cascades to its remaining tag
        # and everything else a command may do
        conn.execute("DELETE FROM activity WHERE deal_id = 3")
        conn.execute("DELETE FROM deal WHERE id = 3")  # cascades to its stage history
        conn.execute("INSERT OR REPLACE INTO setting (key, value) VALUES ('currency', 'CHF')")
        conn.execute("DELETE FROM setting WHERE key = 'stale_deal_days'")
        conn.execute("UPDATE rep SET regions = '[\"東\"]', commission_rate = 0.1")
        conn.execute("UPDATE product SET cost = 700")
        conn.execute("DELETE FROM target")
        conn.execute("INSERT INTO rep (handle, name, created_at) VALUES ('carol', 'Carol', ?)", [NOON])

    write_script(isolated, "customer merge Acme INTO Acme Ltd", merge_and_more)
    assert snapshot(isolated) != before
    out = cli("undo").stdout
    assert out.startswith("Undid #4 `customer merge Acme INTO Acme Ltd`: ")
    assert "1 customer" in out and "1 rep removed" in out and "2 deals" in out and "1 target" in out
    assert snapshot(isolated) == before
    after = cli("undo", "--redo")
    assert after.stdout.startswith("Redid #4 `customer merge Acme INTO Acme Ltd`: ")
    assert snapshot(isolated)["customer"] == before["customer"][1:]  # Acme merged away again
    cli("undo")
    assert snapshot(isolated) == before


def test_a_row_created_and_changed_in_one_command_counts_once(cli, isolated):
    def body(conn):
        conn.execute("INSERT INTO rep (handle, name, created_at) VALUES ('a', 'A', ?)", [NOON])
        conn.execute("UPDATE rep SET name = 'Ann' WHERE handle = 'a'")
        conn.execute("INSERT INTO rep (handle, name, created_at) VALUES ('b', 'B', ?)", [NOON])
        conn.execute("DELETE FROM rep WHERE handle = 'b'")
        conn.execute("UPDATE setting SET value = '¥' WHERE key = 'currency'")
        conn.execute("UPDATE setting SET value = '€' WHERE key = 'currency'")

    write_script(isolated, "script", body)
    assert log_lines(cli) == [(1, "script", "1 rep created; 1 setting updated", False)]


def test_a_command_that_changes_nothing_on_balance_is_not_logged(cli, isolated):
    def body(conn):
        conn.execute("INSERT INTO rep (handle, name, created_at) VALUES ('a', 'A', ?)", [NOON])
        conn.execute("DELETE FROM rep")

    write_script(isolated, "script", body)
    assert cli.json("log") == []
    assert sqlite3.connect(isolated).execute("SELECT count(*) FROM history_change").fetchone()[0] == 0


def test_a_write_that_changes_nothing_says_so(cli, isolated):
    """`rep activate` of an active rep said "Activated rep ann", and `customer edit` to the
    values it had "Updated customer …": not logged, so the next `undo` took back the
    command before them, which nothing had told."""
    cli("rep", "add", "ann")
    cli("customer", "add", "Acme", "--tier", "B", "--owner", "ann", "--no-followup")
    log = cli("log").stdout
    said = [cli(*args).stdout for args in (
        ("rep", "activate", "ann"), ("customer", "edit", "acme", "--tier", "B"), ("customer", "edit", "acme", "--remove-tag", "x"),
        ("rep", "edit", "ann", "--name", "Ann"), ("stage", "edit", "lead", "-p", "10"))]
    assert said == ["Rep ann is already active: nothing changed\n", "Customer Acme (#1) already was as asked: nothing changed\n",
                    "Customer Acme (#1) already was as asked: nothing changed\n", "Rep ann already was as asked: nothing changed\n",
                    "Stage lead already was as asked: nothing changed\n"]
    assert cli("log").stdout == log
    assert cli("customer", "edit", "acme", "--tier", "A").stdout == "Updated customer Acme (#1)\n"


def test_writes_by_other_tools_are_not_recorded(cli, isolated):
    cli("rep", "add", "alice")
    conn = sqlite3.connect(isolated)
    with conn:
        conn.execute("INSERT INTO rep (handle, name, created_at) VALUES ('zed', 'Zed', ?)", [NOON])
    assert conn.execute("SELECT count(*) FROM history_change").fetchone()[0] == 1
    assert len(cli.json("log")) == 1


def test_undo_refuses_when_other_tools_changed_the_same_rows(cli, isolated):
    cli("rep", "add", "alice")
    cli("rep", "add", "bob")
    other = sqlite3.connect(isolated)
    with other:
        other.execute("DELETE FROM rep WHERE handle = 'bob'")  # not through salescli
    error = cli.fails("undo")
    assert "cannot undo #2 `rep add bob`: the data was changed since by something other than salescli" in error
    assert "1 rep row(s) missing" in error
    write_script(isolated, "script", lambda conn: conn.execute("DELETE FROM rep WHERE handle = 'alice'"))
    with other:
        other.execute("INSERT INTO rep (handle, name, created_at) VALUES ('alice', 'Another Alice', ?)", [NOON])
    before = snapshot(isolated)
    assert "UNIQUE constraint failed" in cli.fails("undo")  # putting alice back would clash
    assert snapshot(isolated) == before
    assert [e["command"] for e in cli.json("log")] == ["script", "rep add bob", "rep add alice"]


def test_bulk_inserts_record_one_range_and_undo_exactly(cli, isolated):
    cli("rep", "add", "alice")
    cli("rep", "add", "bob")
    before = snapshot(isolated)

    def bulk(conn):
        with history.bulk_inserts(conn, "customer"):
            conn.executemany(
                "INSERT INTO customer (name, owner_id, fields, created_at, updated_at) VALUES (?, 1, '{}', ?, ?)",
                [(f"C{i:04d}", NOON, NOON) for i in range(1000)],
            )
            conn.execute("UPDATE rep SET name = 'Bobby' WHERE handle = 'bob'")  # still recorded row by row
        conn.executemany("INSERT INTO customer_tag VALUES (?, 'bulk')", [(i,) for i in range(1, 11)])
        conn.execute("UPDATE customer SET tier = 'A' WHERE id <= 5")  # still counted once, as created
        conn.execute("DELETE FROM customer WHERE id = 1000")

    write_script(isolated, "import customers big.csv", bulk)
    conn = sqlite3.connect(isolated)
    assert conn.execute("SELECT op, count(*) FROM history_change GROUP BY op ORDER BY op").fetchall() == [
        ("delete", 1), ("insert", 12), ("insert-range", 1), ("update", 6),
    ]
    # the insert trigger is back after the block
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'history_customer_insert'").fetchone() == (1,)
    assert log_lines(cli)[0] == (3, "import customers big.csv", "999 customers and 10 customer tags created; 1 rep updated", False)
    assert cli("undo").stdout == (
        "Undid #3 `import customers big.csv`: 1 rep changed back; 999 customers and 10 customer tags removed.\n"
    )
    assert snapshot(isolated) == before
    cli("undo", "--redo")
    assert conn.execute("SELECT count(*), sum(tier = 'A') FROM customer").fetchone() == (999, 5)


def ranges_and_captured_inserts(db: Path, command_id: int) -> tuple[list[tuple], list[tuple]]:
    """How a command's inserts were recorded: ``(table, first id, last id)`` ranges, and
    ``(table, key)`` rows captured one by one."""
    conn = sqlite3.connect(db)
    try:
        first, last = conn.execute("SELECT first_change, last_change FROM history_command WHERE id = ?", [command_id]).fetchone()
        ranges = conn.execute(
            "SELECT tbl, pk, last_pk FROM history_change WHERE id BETWEEN ? AND ? AND op = 'insert-range' ORDER BY id",
            [first, last],
        ).fetchall()
        captured = conn.execute(
            "SELECT tbl, pk FROM history_change WHERE id BETWEEN ? AND ? AND op = 'insert' ORDER BY id", [first, last]
        ).fetchall()
        return ranges, captured
    finally:
        conn.close()


def test_undo_takes_back_an_import_exactly_and_redo_brings_it_back(cli, isolated, tmp_path):
    seed(isolated)  # customers 1, 2 and 5 (3 and 4 were deleted), tags on 1 and 2, deals 1 to 3
    before = snapshot(isolated)
    customers = tmp_path / "c.csv"
    customers.write_text(
        "id,name,phone,tags,created_at\n"
        ",Acme Ltd,+1 555 0199,partner; vip,\n"  # update by name: tags replaced (1 is at or below the tags' largest)
        ',"Quote ""Q"" Co",,new,\n'  # update of #5, which had no tags: 5 is above the tags' largest
        "3,Gamma GmbH,,,2025-01-02 03:04:05\n"  # an id below the largest customer id: captured row by row
        ",Delta,,a; b,\n"  # new: #10, after the file's largest id
        "9,Epsilon,,c,\n",  # an id above the largest: in the range
        encoding="utf-8",
    )
    cli("import", "customers", customers, "--on-conflict", "update")
    after_customers = snapshot(isolated)
    deals = tmp_path / "d.csv"
    deals.write_text(
        "id,title,customer,amount,stage,created_at,closed_at\n"
        "1,Widgets for Acme,Acme Ltd,4000,won,,2026-11-20\n"  # update: won, its stage history rebuilt (2 out, 2 in)
        ",New deal,Delta,100,qualified,2026-11-01,\n"
        ",Won deal,Gamma GmbH,200,won,2026-10-01,2026-11-02\n",
        encoding="utf-8",
    )
    cli("import", "deals", deals, "--on-conflict", "update")
    after_deals = snapshot(isolated)

    assert ranges_and_captured_inserts(isolated, 1) == (
        [("customer", 6, 10), ("customer_tag", 3, 10)],
        [("customer", 3), ("customer_tag", '[1,"partner"]'), ("customer_tag", '[1,"vip"]')],
    )
    assert ranges_and_captured_inserts(isolated, 2) == ([("deal", 4, 5), ("stage_history", 7, 11)], [])
    assert log_lines(cli) == [
        (2, f"import deals {deals} --on-conflict update",
         "2 deals and 5 stage history entries created; 1 deal updated; 2 stage history entries deleted", False),
        (1, f"import customers {customers} --on-conflict update",
         # (1, 'vip') was deleted and put back: "updated"
         "3 customers and 5 customer tags created; 2 customers and 1 customer tag updated; 1 customer tag deleted", False),
    ]
    assert after_customers["customer_tag"] == [
        (1, "partner"), (1, "vip"), (2, "重点客户"), (5, "new"), (9, "c"), (10, "a"), (10, "b"),
    ]

    assert cli("undo").stdout.startswith(f"Undid #2 `import deals {deals} --on-conflict update`: ")
    assert snapshot(isolated) == after_customers
    assert cli("undo").stdout.startswith(f"Undid #1 `import customers {customers} --on-conflict update`: ")
    assert snapshot(isolated) == before
    cli("undo", "--redo")
    assert snapshot(isolated) == after_customers
    cli("undo", "--redo")
    assert snapshot(isolated) == after_deals
    cli("undo")
    cli("undo")
    assert snapshot(isolated) == before
    assert [(e["id"], e["changes"], e["undone"]) for e in cli.json("log")][:2] == [
        (8, "undid #1: 1 customer tag restored; 1 customer tag and 2 customers changed back; "
            "5 customer tags and 3 customers removed", False),
        (7, "undid #2: 2 stage history entries restored; 1 deal changed back; 5 stage history entries and 2 deals removed",
         False),
    ]


def test_bulk_inserts_refuse_rows_below_the_largest_id(cli, isolated):
    cli("rep", "add", "alice")

    def low_ids(conn):
        conn.execute("INSERT INTO customer (id, name, fields, created_at, updated_at) VALUES (50, 'x', '{}', ?, ?)", [NOON, NOON])
        with history.bulk_inserts(conn, "customer"):
            conn.execute("INSERT INTO customer (name, fields, created_at, updated_at) VALUES ('y', '{}', ?, ?)", [NOON, NOON])
            conn.execute("INSERT INTO customer (id, name, fields, created_at, updated_at) VALUES (7, 'z', '{}', ?, ?)", [NOON, NOON])

    with pytest.raises(ValueError, match="1 row.* at or below 50"):
        write_script(isolated, "script", low_ids)
    conn = sqlite3.connect(isolated)
    assert conn.execute("SELECT count(*) FROM customer").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'history_customer_insert'").fetchone() == (1,)
    assert len(cli.json("log")) == 1


def test_bulk_inserts_refuse_a_block_that_changes_customers_it_inserted(cli, isolated):
    """The tallies of a range of customers count its rows once, after the block
    (``schema.KEPT_BY_RANGE``): a block that also changed one of them would count it twice."""
    cli("rep", "add", "alice")
    cli("customer", "add", "Acme")
    before = snapshot(isolated)

    def changed(conn):
        with history.bulk_inserts(conn, "customer"):
            conn.execute("INSERT INTO customer (name, fields, created_at, updated_at) VALUES ('y', '{}', ?, ?)", [NOON, NOON])
            conn.execute("UPDATE customer SET name = 'Acme Ltd' WHERE name = 'Acme'")  # not of the range: as usual
            conn.execute("UPDATE customer SET created_at = '2026-01-01' WHERE name = 'y'")

    with pytest.raises(ValueError, match="changed rows of customer it inserted"):
        write_script(isolated, "script", changed)
    assert snapshot(isolated) == before
    assert len(cli.json("log")) == 2


def test_an_import_replacing_every_tag_is_logged_as_it_happened(cli, isolated, tmp_path):
    """The old tags are deleted first, so the new ones form a range starting at the same
    customer ids: the deletes before the range still count."""
    cli("rep", "add", "alice")
    source = tmp_path / "c.csv"
    source.write_text("name,tags\nAcme,vip\n北京科技,重点; vip\n", encoding="utf-8")
    cli("import", "customers", source)
    before = snapshot(isolated)
    cli("import", "customers", source, "--on-conflict", "update")
    assert ranges_and_captured_inserts(isolated, 3) == ([("customer_tag", 1, 2)], [])
    assert log_lines(cli)[0][2] == "3 customer tags created; 3 customer tags deleted"  # the customers as they were
    cli("undo")
    assert snapshot(isolated) == before


def test_bulk_inserts_into_a_table_keyed_by_an_integer_and_more(cli, isolated):
    """customer_tag (customer_id, tag), WITHOUT ROWID: the range is one of customer ids."""
    cli("rep", "add", "alice")

    def customers(conn):
        conn.executemany(
            "INSERT INTO customer (id, name, fields, created_at, updated_at) VALUES (?, ?, '{}', ?, ?)",
            [(i, f"C{i}", NOON, NOON) for i in range(1, 7)],
        )
        conn.executemany("INSERT INTO customer_tag VALUES (?, ?)", [(1, "old"), (2, "old"), (3, "old")])

    write_script(isolated, "setup", customers)
    before = snapshot(isolated)

    def tags(conn):
        with history.bulk_inserts(conn, "customer_tag") as above:
            assert above == 3
            conn.execute("DELETE FROM customer_tag WHERE customer_id = 2")  # recorded as usual
            conn.executemany("INSERT INTO customer_tag VALUES (?, ?)", [(4, "x"), (4, "y"), (6, "x")])
            conn.execute("DELETE FROM customer_tag WHERE customer_id = 6")  # one of the block's own: gone again
        conn.execute("INSERT INTO customer_tag VALUES (1, 'new')")  # outside the block: captured

    write_script(isolated, "tags", tags)
    assert ranges_and_captured_inserts(isolated, 3) == ([("customer_tag", 4, 6)], [("customer_tag", '[1,"new"]')])
    assert log_lines(cli)[0] == (3, "tags", "3 customer tags created; 1 customer tag deleted", False)
    cli("undo")
    assert snapshot(isolated) == before
    cli("undo", "--redo")
    assert snapshot(isolated)["customer_tag"] == [(1, "new"), (1, "old"), (3, "old"), (4, "x"), (4, "y")]

    def low(conn):
        with history.bulk_inserts(conn, "customer_tag"):
            conn.execute("INSERT INTO customer_tag VALUES (3, 'too low')")

    with pytest.raises(ValueError, match="1 row.* at or below 4"):
        write_script(isolated, "low", low)
    with pytest.raises(ValueError, match="needs a table whose key is or starts with an INTEGER, not setting"):
        write_script(isolated, "setting", lambda conn: history.bulk_inserts(conn, "setting").__enter__())
    assert [e["command"] for e in cli.json("log")][:2] == ["undo --redo", "undo"]


def test_bulk_inserts_outside_a_command_record_nothing(cli, isolated):
    cli("rep", "add", "alice")
    conn = session.connection()
    conn.execute("BEGIN")  # a generator's own transaction: the trigger is dropped for the block, then back
    with conn:
        with history.bulk_inserts(conn, "rep"):
            assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'history_rep_insert'").fetchone()[0] == 0
            conn.execute("INSERT INTO rep (handle, name, created_at) VALUES ('b', 'B', ?)", [NOON])
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'history_rep_insert'").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM history_change").fetchone()[0] == 1
    with history.bulk_inserts(conn, "rep"):  # no transaction: the trigger stays, records nothing
        conn.execute("INSERT INTO rep (handle, name, created_at) VALUES ('c', 'C', ?)", [NOON])
    conn.commit()
    assert conn.execute("SELECT count(*) FROM history_change").fetchone()[0] == 1
    assert [r["handle"] for r in cli.json("rep", "list")] == ["alice", "b", "c"]


def test_only_the_last_commands_keep_their_changes(cli, isolated, monkeypatch):
    monkeypatch.setattr(history, "KEEP_COMMANDS", 3)
    for handle in ("a", "b", "c", "d", "e"):
        cli("rep", "add", handle)
    cli("undo")
    cli("undo")
    cli("undo")  # #3 was the oldest kept when #5 ran; undos do not push it out
    error = cli.fails("undo")
    assert "cannot undo #2 `rep add b`: only the last 3 write commands can be undone, undos and redos not counted" in error
    assert [r["handle"] for r in cli.json("rep", "list")] == ["a", "b"]
    # what can no longer be replayed is forgotten: the undone commands' changes, then (a
    # new command: no redo) the undos' own
    kept = "SELECT c.id FROM history_command c WHERE EXISTS (SELECT 1 FROM history_change h WHERE h.command_id = c.id)"
    assert [row[0] for row in sqlite3.connect(isolated).execute(kept)] == [6, 7, 8]
    cli("rep", "add", "f")
    assert [row[0] for row in sqlite3.connect(isolated).execute(kept)] == [9]


def test_triggers_follow_tables_and_columns_added_by_later_migrations(cli, isolated, monkeypatch):
    cli("rep", "add", "alice")

    def m003_example(db):
        db.execute("ALTER TABLE rep ADD COLUMN phone TEXT")
        db.execute("CREATE TABLE region (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, m003_example])
    monkeypatch.setattr(schema, "NAMES", [*schema.NAMES, "m003_example"])
    cli("rep", "list")  # opens the file: migrates
    before = snapshot(isolated)

    def body(conn):
        conn.execute("UPDATE rep SET phone = '555' WHERE handle = 'alice'")
        conn.execute("INSERT INTO region (name) VALUES ('north')")

    write_script(isolated, "script", body)
    assert log_lines(cli)[0] == (2, "script", "1 region created; 1 rep updated", False)
    cli("undo")
    assert snapshot(isolated) == before


def test_backup_is_a_private_consistent_copy(cli, isolated):
    old_umask = os.umask(0)
    try:
        cli("rep", "add", "alice")
        first = Path(cli("backup").stdout.strip())
        assert first == isolated.parent / "sales-20261123-120000.db"
        second = Path(cli("backup").stdout.strip())
        assert second == isolated.parent / "sales-20261123-120000-2.db"
        folder = isolated.parent / "backups"
        folder.mkdir()
        third = Path(cli("backup", folder).stdout.strip())
        assert third == folder / "sales-20261123-120000.db"
        named = isolated.parent / "copy.db"
        named.write_text("old contents")
        assert cli.fails("backup", named) == f"Error: {named} already exists: add --force to replace it\n"
        assert named.read_text() == "old contents"
        assert cli("backup", named, "--force").stdout == f"{named}\n"  # replaces an older copy
    finally:
        os.umask(old_umask)
    for copy in (first, second, third, named):
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT handle FROM rep").fetchall() == [("alice",)]
        conn.close()
    assert sorted(p.name for p in isolated.parent.iterdir() if "partial" in p.name or p.name.endswith("-wal")) in (
        [], ["sales.db-wal"],
    )


def test_backup_refuses_the_database_itself_and_missing_folders(cli, isolated):
    cli("rep", "add", "alice")
    assert "is the database itself" in cli.fails("backup", isolated)
    error = cli.fails("backup", isolated.parent / "no" / "such" / "x.db")
    assert "cannot write the backup" in error and "No such file or directory" in error
    assert sorted(p.name for p in isolated.parent.iterdir()) == ["sales.db", "sales.db-shm", "sales.db-wal"]


def test_database_and_its_wal_files_are_private(cli, isolated):
    old_umask = os.umask(0)
    try:
        cli("rep", "add", "alice")
        reader = sqlite3.connect(isolated)  # keep the WAL files open
        reader.execute("SELECT count(*) FROM rep").fetchone()
        files = [isolated, Path(f"{isolated}-wal"), Path(f"{isolated}-shm")]
        assert all(f.exists() for f in files)
        assert [stat.S_IMODE(f.stat().st_mode) for f in files] == [0o600, 0o600, 0o600]
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        reader.close()
    finally:
        os.umask(old_umask)


def test_backup_to_a_new_directory_named_with_a_slash(cli, isolated):
    cli("rep", "add", "alice")
    folder = isolated.parent / "backups" / "nightly"
    written = Path(cli("backup", f"{folder}/").stdout.strip())
    assert written.parent == folder and written.name.startswith("sales-") and written.suffix == ".db"
    assert sqlite3.connect(written).execute("SELECT handle FROM rep").fetchall() == [("alice",)]


def test_undo_and_redo_of_an_import_keep_its_ranges_whole(cli, isolated, tmp_path):
    """Undo deletes an imported range with one statement, its rows saved whole for a redo
    (one ``delete-range`` change, not a captured delete per row); the redo puts them back
    as one ``insert-range``; the derived tables follow; the saved rows go once nothing
    can redo them."""
    cli("rep", "add", "alice")
    cli("customer", "add", "Old Co", "--owner", "alice")
    before = snapshot(isolated)
    source = tmp_path / "c.csv"
    rows = "".join(f"Kunde {n},k{n}@example.com,alice,{'vip; ' if n % 2 else ''}batch {n % 3},{n}.50\n" for n in range(300))
    source.write_text("name,email,owner,tags,credit_limit\n" + rows, encoding="utf-8")
    cli("import", "customers", source)
    after = snapshot(isolated)
    uncontacted = "SELECT customer_id FROM _uncontacted ORDER BY 1"
    everyone_uncontacted = "SELECT id FROM customer WHERE NOT EXISTS (SELECT 1 FROM activity WHERE customer_id = customer.id) ORDER BY 1"

    def ops(command_id: int) -> list[tuple]:
        return query(
            isolated,
            "SELECT tbl, op, pk, last_pk FROM history_change WHERE command_id = ? ORDER BY id", [command_id],
        )

    def saved_tables() -> list[str]:
        return [name for (name,) in query(isolated, "SELECT name FROM sqlite_master WHERE name LIKE 'history_saved_%' ORDER BY name")]

    assert cli("undo").stdout == (
        f"Undid #3 `import customers {source}`: 450 customer tags and 300 customers removed.\n"
    )
    assert snapshot(isolated) == before
    assert query(isolated, uncontacted) == query(isolated, everyone_uncontacted) == []  # Old Co has its first-contact task
    assert ops(4) == [("customer_tag", "delete-range", 1, 301), ("customer", "delete-range", 2, 301)]
    assert len(saved_tables()) == 2
    assert cli("undo", "--redo").stdout == (
        f"Redid #3 `import customers {source}`: 300 customers and 450 customer tags created.\n"
    )
    assert snapshot(isolated) == after
    assert query(isolated, uncontacted) == query(isolated, everyone_uncontacted) and len(query(isolated, uncontacted)) == 300
    assert ops(5) == [("customer", "insert-range", 2, 301), ("customer_tag", "insert-range", 1, 301)]
    assert saved_tables() == []  # the undo was taken back: what it saved is gone with it
    cli("undo")
    assert snapshot(isolated) == before and len(saved_tables()) == 2
    cli("rep", "add", "bob")  # a new command: the undo can no longer be redone
    assert saved_tables() == []
    assert log_lines(cli)[:3] == [
        (7, "rep add bob", "1 rep created", False),
        (6, "undo", "undid #3: 450 customer tags and 300 customers removed", False),
        (5, "undo --redo", "redid #3: 300 customers and 450 customer tags created", True),
    ]
