"""The PostgreSQL store (issue 15): the test server itself, and what runs on it so far."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from salescli.store import schema


def test_each_test_gets_a_new_database_on_a_real_server(pg_url):
    with psycopg.connect(pg_url) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone()[0]
        conn.execute("CREATE TABLE mine (id integer)")
    assert int(version) >= 150000
    assert tables == 0


def tables_and_columns_pg(url) -> dict[str, list[str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    shape: dict[str, list[str]] = {}
    for table, column in rows:
        shape.setdefault(table, []).append(column)
    return shape


def tables_and_columns_sqlite(path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    shape = {table: [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')] for table in sorted(tables)}
    conn.close()
    return shape


def test_init_on_postgresql_builds_the_schema_the_migrations_build_on_sqlite(cli, pg_url, isolated):
    assert cli("--db", pg_url, "init").stdout == f"Database is ready: {pg_url}\n"
    cli("init")
    assert tables_and_columns_pg(pg_url) == {
        table: columns for table, columns in tables_and_columns_sqlite(isolated).items()
    } | {"_sqlite_migrations": ["id", "migration_set", "name", "applied_at"]}
    with psycopg.connect(pg_url) as conn:
        applied = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        stages = conn.execute("SELECT name, position, probability, kind FROM stage ORDER BY position").fetchall()
    assert applied == schema.NAMES
    assert stages[0] == ("lead", 10, 10, "open") and stages[-1] == ("lost", 70, 0, "lost")
    # the settings are read through the store, the same as from a file
    assert cli("--db", pg_url, "config", "get", "stale_deal_days").stdout == "14\n"
    assert cli("--db", pg_url, "init").stdout == f"Database is ready: {pg_url}\n"  # a second time: nothing to do


def test_a_database_written_by_a_newer_salescli_is_refused_and_left_alone(cli, pg_url):
    cli("--db", pg_url, "init")
    with psycopg.connect(pg_url) as conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('salescli', 'm999_future', now())")
        before = conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    error = cli.fails("--db", pg_url, "config", "list")
    assert "written by a newer salescli (it has migration 'm999_future'" in error
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == before


def test_another_applications_database_is_refused_and_left_alone(cli, pg_url):
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE invoice (id integer)")
    error = cli.fails("--db", pg_url, "init")
    assert f"{pg_url} is not a salescli database (it has table invoice), so it was left as it is" in error
    assert list(tables_and_columns_pg(pg_url)) == ["invoice"]


def test_passwords_are_never_shown(cli, pg_url, monkeypatch):
    server = pg_url.removeprefix("postgresql://salescli@")
    with_password = f"postgresql://salescli:s3cret@{server}"
    assert cli("--db", with_password, "config", "path").stdout == f"postgresql://salescli@{server}\n"
    monkeypatch.setenv("SALESCLI_DB", f"{pg_url}?password=s3cret&sslmode=disable")
    assert cli("config", "path").stdout == f"{pg_url}?sslmode=disable\n"
    assert cli("init").stdout == f"Database is ready: {pg_url}?sslmode=disable\n"  # trust: the password is not needed
    host_port = server.split("/")[0]
    port = int(host_port.rsplit(":", 1)[1])
    error = cli.fails("--db", f"postgresql://ann:s3cret@127.0.0.1:{port + 1}/sales", "config", "list")
    assert error.startswith(f"Error: cannot connect to postgresql://ann@127.0.0.1:{port + 1}/sales: ")
    assert "s3cret" not in error


def test_the_derived_tables_follow_every_write_on_postgresql(cli, pg_url, isolated):
    """_stage_stay and _uncontacted are kept by PL/pgSQL triggers made from the SQLite ones:
    the same writes leave the same rows on both engines."""
    writes = [
        "INSERT INTO customer (id, name, created_at, updated_at) VALUES (1, 'Acme', '2026-11-01', '2026-11-01'), (2, 'Beta', NULL, '2026-11-01')",
        "INSERT INTO deal (id, title, customer_id, amount, stage_id, created_at) VALUES (1, 'D', 1, 100, 1, '2026-11-01')",
        "INSERT INTO stage_history (id, deal_id, stage_id, entered_on) VALUES (1, 1, 1, '2026-11-01'), (2, 1, 2, '2026-11-04'), (3, 1, 3, '2026-11-10 12:00:00')",
        "INSERT INTO activity (id, customer_id, type, created_at) VALUES (1, 1, 'call', '2026-11-02')",
        "DELETE FROM stage_history WHERE id = 2",
        "UPDATE stage_history SET entered_on = '2026-11-05' WHERE id = 3",
        "INSERT INTO stage_history (id, deal_id, stage_id, entered_on) VALUES (4, 1, 4, '2026-11-03 06:00:00')",
        "UPDATE activity SET customer_id = 2 WHERE id = 1",
    ]
    read = ["SELECT stage_id, deal_id, history_id, days FROM _stage_stay ORDER BY history_id", "SELECT customer_id FROM _uncontacted ORDER BY 1"]
    cli("--db", pg_url, "init")
    cli("init")
    lite = sqlite3.connect(isolated)
    with psycopg.connect(pg_url) as conn:
        for statement in writes:
            conn.execute(statement)
            lite.execute(statement)
            assert [conn.execute(query).fetchall() for query in read] == [lite.execute(query).fetchall() for query in read], statement
        assert conn.execute(read[0]).fetchall() == [(1, 1, 1, 2.25), (4, 1, 4, 1.75)]
        assert conn.execute(read[1]).fetchall() == [(1,)]


# ---------------------------------------------------------------- the same commands on both stores


def test_customers_are_added_listed_and_shown_the_same_on_both_stores(cli, any_store):
    assert cli("customer", "add", "Acme", "--tag", "vip", "--tag", "b", "--region", "North").stdout == "1\n"
    assert cli("customer", "add", "Beta").stdout == "2\n"
    assert cli("customer", "list", "--format", "csv").stdout == (
        "id,name,company,title,contact,phone,email,industry,region,size,source,tier,tags,owner,credit_limit,notes,fields,created_at,updated_at\n"
        "1,Acme,,,,,,,North,,,,b; vip,,,,,2026-11-23 12:00:00,2026-11-23 12:00:00\n"
        "2,Beta,,,,,,,,,,,,,,,,2026-11-23 12:00:00,2026-11-23 12:00:00\n"
    )
    shown = cli.json("customer", "show", "acme")
    assert (shown["id"], shown["name"], shown["region"], shown["tags"]) == (1, "Acme", "North", ["b", "vip"])
    assert [(f["type"], f["summary"], f["due"]) for f in shown["follow_ups"]] == [("task", "First contact", "2026-11-24")]


def test_a_name_taken_in_any_case_is_refused_and_nothing_is_written(cli, any_store):
    cli("customer", "add", "Acme")
    assert cli.fails("customer", "add", "ACME") == "Error: a customer named 'Acme' already exists (#1)\n"
    assert [row["name"] for row in cli.json("customer", "list")] == ["Acme"]
    assert [entry["command"] for entry in cli.json("log")] == ["customer add Acme"]


def test_undo_redo_and_log_on_both_stores(cli, any_store):
    cli("customer", "add", "Acme")
    cli("customer", "add", "Beta", "--tag", "vip", "--tag", "b")
    assert cli("undo").stdout == "Undid #2 `customer add Beta --tag vip --tag b`: 1 activity, 2 customer tags and 1 customer removed.\n"
    assert [row["name"] for row in cli.json("customer", "list")] == ["Acme"]
    cli("undo", "--redo")
    assert [(row["name"], row["tags"]) for row in cli.json("customer", "list")] == [("Acme", []), ("Beta", ["b", "vip"])]
    assert [(entry["id"], entry["command"], entry["changes"], entry["undone"]) for entry in cli.json("log")] == [
        (4, "undo --redo", "redid #2: 1 customer, 2 customer tags and 1 activity created", False),
        (3, "undo", "undid #2: 1 activity, 2 customer tags and 1 customer removed", True),
        (2, "customer add Beta --tag vip --tag b", "1 customer, 2 customer tags and 1 activity created", False),
        (1, "customer add Acme", "1 customer and 1 activity created", False),
    ]
    cli("undo")
    cli("undo")
    assert cli("customer", "list").stdout == "No customers yet: add one with 'salescli customer add NAME'.\n"
    nothing = (
        "no write command is left to revert ('salescli log' lists them)" if isinstance(any_store, Path)
        else "no write command of salescli's is left to revert ('undo --anyone' takes back anyone's)"  # the database user's
    )
    assert cli.fails("undo") == f"Error: nothing to undo: {nothing}\n"


def test_reps_deals_and_stage_totals_on_both_stores(cli, any_store):
    """Sums come back as integers of cents on PostgreSQL too (its sum() answers numeric)."""
    assert cli("rep", "add", "ann").stdout == "1\n"
    cli("customer", "add", "Acme", "--owner", "ann")
    assert cli("deal", "add", "Big", "-c", "Acme", "--amount", "500").stdout == "1\n"
    assert cli("deal", "add", "Small", "-c", "Acme", "--amount", "120.50").stdout == "2\n"
    assert cli("stage", "list", "--format", "csv").stdout.splitlines()[:3] == [
        "name,position,probability,kind,deals,amount",
        "lead,10,0.1,open,2,620.50",
        "contacted,20,0.2,open,0,0.00",
    ]
    assert cli("deal", "list", "--format", "csv").stdout.splitlines()[1:] == [
        "1,Big,Acme,500.00,,,1,lead,0.1,,ann,,2026-11-23 12:00:00,,",
        "2,Small,Acme,120.50,,,1,lead,0.1,,ann,,2026-11-23 12:00:00,,",
    ]


def store_connection(target):
    """A connection to the test's database through the store (``?`` placeholders on both)."""
    from salescli import store

    return store.connect(target)


DEALS_CSV = """title,customer,amount,stage,owner,source,created_at,closed_at
Imported one,Acme,200.00,lead,ann,ads,2026-11-02 09:00:00,
Imported two,Beta,80.00,won,bob,,2026-11-03 09:00:00,2026-11-20
"""


def test_every_derived_table_stays_exact_through_every_kind_of_write(cli, any_store, tmp_path):
    """m004 and m009–m012's tables (``schema.DERIVED_TABLES``), kept by triggers (PL/pgSQL
    on PostgreSQL, translated from the SQLite ones): after commands of every kind, an
    import, undo and redo of its range, merge, stage and rep changes and deletes, each
    holds what its fill builds from scratch."""
    from dbcheck import derived_exact

    csv = tmp_path / "deals.csv"
    csv.write_text(DEALS_CSV)
    steps = [
        ("rep", "add", "ann"), ("rep", "add", "bob"),
        ("customer", "add", "Acme", "--owner", "ann", "--source", "Web"),
        ("customer", "add", "Beta", "--owner", "bob"),
        ("customer", "add", "Gamma", "--source", "referral"),
        ("deal", "add", "Big", "-c", "Acme", "--amount", "1000", "--source", "ads", "--created", "2026-11-01",
         "--close", "2026-12-01"),
        ("deal", "add", "Mid", "-c", "Beta", "--amount", "300", "--cost", "100", "--created", "2026-11-05"),
        ("deal", "add", "Small", "-c", "Gamma", "--amount", "50"),
        ("deal", "move", "1", "qualified"),
        ("activity", "log", "Acme", "-t", "call", "-s", "hi", "--deal", "1", "--on", "2026-11-10", "--score", "5"),
        ("activity", "log", "Beta", "-t", "visit", "-s", "yo", "--on", "2026-11-12", "--score", "3"),
        ("activity", "plan", "Gamma", "call back", "--due", "2026-11-30"),
        ("deal", "win", "1"), ("deal", "pay", "1", "400"),
        ("deal", "lose", "2", "--reason", "price"),
        ("deal", "edit", "3", "--amount", "75", "--owner", "bob", "--source", "fair", "--close", "2026-12-10"),
        ("customer", "edit", "Gamma", "--source", "Web", "--owner", "ann"),
        ("stage", "add", "demo", "--after", "qualified", "-p", "50"), ("deal", "move", "3", "demo"),
        ("import", "deals", str(csv)), ("undo",), ("undo", "--redo"),
        ("rep", "deactivate", "bob", "--reassign-to", "ann"),
        ("customer", "merge", "Beta", "Acme"), ("undo",),
        ("deal", "delete", "3", "-y"),
        ("customer", "delete", "Gamma", "-y", "--cascade"), ("undo",),
    ]
    for step in steps:
        cli(*step)
        conn = store_connection(any_store)
        try:
            assert derived_exact(conn) == {}, step
        finally:
            conn.close()
    conn = store_connection(any_store)
    try:
        assert conn.execute("SELECT count(*) FROM _deal_owed").fetchone()[0] == 2
        won = conn.execute("SELECT customer_id, revenue, frequency FROM _customer_won ORDER BY 1").fetchall()
        assert [tuple(row) for row in won] == [(1, 100000, 1), (2, 8000, 1)]
    finally:
        conn.close()


def test_text_sorts_by_its_bytes_as_on_sqlite_whatever_the_servers_locale(cli, pg_url):
    """Text columns are COLLATE "C" on the server: a database made with an English ICU
    locale (which would put `b.c` before `B_c` and `Éa` among the E's) orders a report and
    an export as a file does."""
    server, name = pg_url.rsplit("/", 1)
    english = f"{name}_en"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {english} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
    try:
        for database in (None, f"{server}/{english}"):
            where = [] if database is None else ["--db", database]
            for customer in ("a b", "ab", "a-c", "ZZ", "aa", "Éa", "b.c", "B_c"):
                cli(*where, "customer", "add", customer)
        for command in (("report", "customers", "-f", "csv"), ("export", "customers")):
            assert cli("--db", f"{server}/{english}", *command).stdout == cli(*command).stdout, command
        assert [line.split(",")[1] for line in cli("report", "customers", "-f", "csv").stdout.splitlines()[1:]] == [
            "a b", "a-c", "aa", "ab", "b.c", "B_c", "ZZ", "Éa"]
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {english} WITH (FORCE)")


# ---------------------------------------------------------------- several people at once


def test_on_a_server_undo_takes_back_your_own_latest_and_log_says_who_ran_what(cli, pg_url, monkeypatch):
    monkeypatch.setenv("SALESCLI_DB", pg_url)
    monkeypatch.setenv("SALESCLI_USER", "ann")
    cli("customer", "add", "Acme")
    monkeypatch.setenv("SALESCLI_USER", "bob")
    cli("customer", "add", "Beta")
    monkeypatch.setenv("SALESCLI_USER", "ann")
    assert cli("undo").stdout == "Undid #1 `customer add Acme`: 1 activity and 1 customer removed.\n"
    assert [row["name"] for row in cli.json("customer", "list")] == ["Beta"]
    assert cli.fails("undo") == (
        "Error: nothing to undo: no write command of ann's is left to revert ('undo --anyone' takes back anyone's)\n"
    )
    assert cli("undo", "--anyone").stdout == "Undid #2 `customer add Beta`: 1 activity and 1 customer removed.\n"
    monkeypatch.delenv("SALESCLI_USER")  # then the database user
    cli("customer", "add", "Gamma")
    # (ids may skip one on a server: a failed command used one up)
    assert [(e["by"], e["command"], e["undone"]) for e in cli.json("log")] == [
        ("salescli", "customer add Gamma", False),
        ("ann", "undo --anyone", False),
        ("ann", "undo", False),
        ("bob", "customer add Beta", True),
        ("ann", "customer add Acme", True),
    ]
    header, latest = (line.split() for line in cli("log", "-f", "plain").stdout.splitlines()[:2])
    assert (header[:4], latest[3:6]) == (["id", "when", "by", "command"], ["salescli", "customer", "add"])


def test_on_a_server_undo_redo_brings_back_your_own_last_undo(cli, pg_url, monkeypatch):
    """Two reps undo one after the other: ann's redo brings back what ann took back, not
    bob's (which was the latest undo of all), and says so when she has none."""
    monkeypatch.setenv("SALESCLI_DB", pg_url)
    for user, name in (("ann", "Acme"), ("bob", "Beta")):
        monkeypatch.setenv("SALESCLI_USER", user)
        cli("customer", "add", name)
    monkeypatch.setenv("SALESCLI_USER", "ann")
    cli("undo")
    monkeypatch.setenv("SALESCLI_USER", "carl")
    assert cli.fails("undo", "--redo") == (
        "Error: nothing to redo: no undo of carl's is left to take back ('undo --redo --anyone' redoes anyone's)\n"
    )
    monkeypatch.setenv("SALESCLI_USER", "bob")
    cli("undo")
    monkeypatch.setenv("SALESCLI_USER", "ann")
    assert cli("undo", "--redo").stdout == "Redid #1 `customer add Acme`: 1 customer and 1 activity created.\n"
    assert [row["name"] for row in cli.json("customer", "list")] == ["Acme"]
    assert cli("undo", "--redo", "--anyone").stdout == "Redid #2 `customer add Beta`: 1 customer and 1 activity created.\n"
    assert sorted(row["name"] for row in cli.json("customer", "list")) == ["Acme", "Beta"]


def test_your_undo_never_overwrites_what_another_changed_since(cli, pg_url, monkeypatch):
    from dbcheck import snapshot

    monkeypatch.setenv("SALESCLI_DB", pg_url)
    monkeypatch.setenv("SALESCLI_USER", "ann")
    cli("customer", "add", "Acme")
    cli("customer", "add", "Beta")
    monkeypatch.setenv("SALESCLI_USER", "bob")
    cli("customer", "edit", "Acme", "--phone", "555 0100")
    monkeypatch.setenv("SALESCLI_USER", "ann")
    assert cli("undo").stdout == "Undid #2 `customer add Beta`: 1 activity and 1 customer removed.\n"
    before = snapshot(pg_url)
    assert cli.fails("undo") == (
        "Error: cannot undo #1: #3 `customer edit Acme --phone '555 0100'` by bob changed the same records since "
        "('salescli log' lists them)\n"
    )
    assert snapshot(pg_url) == before


def test_a_shared_file_logs_who_ran_what_once_there_are_two(cli, isolated, monkeypatch):
    """On a file `undo` keeps its meaning (the latest of all); the log names who ran each
    command once more than one name is in it (SALESCLI_USER)."""
    cli("customer", "add", "Acme")
    assert "by" not in cli.json("log")[0]
    monkeypatch.setenv("SALESCLI_USER", "bob")
    cli("customer", "add", "Beta")
    log = cli.json("log")
    assert [entry["by"] for entry in log][0] == "bob" and log[1]["by"] not in (None, "bob")
    monkeypatch.setenv("SALESCLI_USER", "ann")
    assert cli("undo").stdout == "Undid #2 `customer add Beta`: 1 activity and 1 customer removed.\n"
    monkeypatch.setenv("SALESCLI_USER", "a\tb")
    assert cli.fails("customer", "add", "Gamma", code=2) == (
        "Error: SALESCLI_USER must be one line of text, without control characters\n"
    )

CLIENTS, WRITES_EACH = 10, 2


def test_a_command_reads_one_snapshot_and_its_write_sees_what_is_committed(cli, pg_url):
    """A report's queries all see the database as it was when the command began, whatever
    others commit meanwhile; a write then reads what is committed (under the write lock)."""
    from salescli import session

    cli("--db", pg_url, "customer", "add", "Acme")
    session.configure(pg_url)
    try:
        conn = session.connection()
        count = "SELECT count(*) FROM customer"
        assert conn.execute(count).fetchone()[0] == 1
        with psycopg.connect(pg_url, autocommit=True) as other:
            other.execute("INSERT INTO customer (name, created_at, updated_at) VALUES ('Beta', '2026-11-23', '2026-11-23')")
        assert conn.execute(count).fetchone()[0] == 1  # still the snapshot
        with session.write() as writing:
            assert writing.execute(count).fetchone()[0] == 2
    finally:
        session.configure(None)


def test_ten_clients_writing_at_once_to_a_new_database_lose_nothing(pg_url, monkeypatch):
    """Real processes, no `init` first: they also race to build the schema. Every write
    lands and is logged once, and no client sees an error (the write lock serializes)."""
    monkeypatch.setenv("SALESCLI_DB", pg_url)
    salescli = str(Path(sys.executable).with_name("salescli"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([salescli, *args], capture_output=True, text=True, timeout=120)

    def client(k: int) -> list[tuple[tuple[str, ...], subprocess.CompletedProcess[str]]]:
        commands = [("rep", "add", f"c{k}-{i}") for i in range(WRITES_EACH - 1)]
        commands.append(("config", "set", "stale_deal_days", str(100 + k)))
        commands.append(("log", "-f", "json", "--limit", "1000"))
        return [(command, run(*command)) for command in commands]

    with ThreadPoolExecutor(CLIENTS) as pool:
        runs = [run for result in pool.map(client, range(CLIENTS)) for run in result]
    assert [(c, r.returncode, r.stderr) for c, r in runs if r.returncode or r.stderr] == []
    reps = json.loads(run("rep", "list", "-f", "json").stdout)
    assert sorted(r["handle"] for r in reps) == sorted(f"c{k}-{i}" for k in range(CLIENTS) for i in range(WRITES_EACH - 1))
    log = json.loads(run("log", "-f", "json", "--limit", "1000").stdout)
    assert len(log) == CLIENTS * WRITES_EACH
    assert len({entry["id"] for entry in log}) == len(log)
    assert run("config", "get", "stale_deal_days").stdout in {f"{100 + k}\n" for k in range(CLIENTS)}


def test_a_client_that_waited_while_another_built_the_schema_changes_no_table(cli, pg_url, monkeypatch):
    """CI's deadlock: a client that saw no schema, waited for the write lock while another
    built it, then made the undo triggers again — DDL waiting on clients already reading
    the tables, while they waited on it. Seeing the schema done under the lock, it is done."""
    from salescli.store import postgres

    cli("--db", pg_url, "init")  # the other client, done first
    looks = [[]]  # this client's first look came before the other committed
    real = postgres.applied_migrations
    monkeypatch.setattr(postgres, "applied_migrations", lambda conn: looks.pop() if looks else real(conn))
    ran: list[str] = []
    execute = postgres.Connection.execute
    monkeypatch.setattr(postgres.Connection, "execute", lambda self, sql, params=(): ran.append(sql) or execute(self, sql, params))
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=3000")  # a wait on a table fails, not hangs
    with psycopg.connect(pg_url) as reader:  # a third client, in the middle of a report
        reader.execute("SELECT count(*) FROM rep, customer, deal, activity").fetchone()
        postgres.connect(pg_url).close()
    assert [sql for sql in ran if sql.lstrip().upper().startswith(("CREATE", "DROP", "ALTER", "INSERT"))] == []


def test_a_command_reads_the_catalogue_not_information_schema(cli, pg_migrated_url, monkeypatch):
    """Every command opens a new connection, on which information_schema's views cost some
    20 ms of the server's work each (issue 13): the tables and identity columns salescli asks
    for on every command and write are read from pg_catalog."""
    from salescli.store import postgres

    ran: list[str] = []
    execute = postgres.Connection.execute
    monkeypatch.setattr(postgres.Connection, "execute", lambda self, sql, params=(): ran.append(sql) or execute(self, sql, params))
    assert cli("--db", pg_migrated_url, "customer", "add", "Acme").stdout == "1\n"
    assert cli("--db", pg_migrated_url, "customer", "list", "-f", "csv").stdout.splitlines()[1].startswith("1,Acme,")
    assert any("pg_class" in sql for sql in ran)
    assert [sql for sql in ran if "information_schema" in sql] == []


def test_libpq_variables_fill_in_what_the_url_leaves_out(cli, pg_url, monkeypatch):
    """`postgresql://` alone: the server, user and database come from PGHOST, PGPORT,
    PGUSER and PGDATABASE, as for psql."""
    server = pg_url.removeprefix("postgresql://salescli@")
    host_port, database = server.split("/")
    host, port = host_port.rsplit(":", 1)
    for name, value in {"PGHOST": host, "PGPORT": port, "PGUSER": "salescli", "PGDATABASE": database}.items():
        monkeypatch.setenv(name, value)
    assert cli("--db", "postgresql://", "init").stdout == "Database is ready: postgresql://\n"
    cli("--db", "postgresql://", "customer", "add", "Acme")
    assert cli("--db", pg_url, "customer", "list", "--format", "csv").stdout.splitlines()[1].startswith("1,Acme,")


def test_a_malformed_url_is_a_usage_error_that_does_not_repeat_it(cli):
    for url in ("postgresql://ann:s3cret@[db.example.com/sales", "postgresql://ann:s3cret@db.example.com:99999/sales"):
        error = cli.fails("--db", url, "customer", "list", code=2)
        assert error.startswith("Error: the database URL is not valid (")
        assert "s3cret" not in error


def test_the_ranking_of_all_time_sorts_names_as_casefold_does_on_both_stores(cli, any_store):
    """``_customer_rank`` (m014) on the server: ordered by lower(name) in "C" (ASCII folded,
    as NOCASE on SQLite); the names with a cased letter beyond ASCII (``exact`` false) put
    in their places by the store, through deals won, a rename and a delete."""
    names = ["Straße", "STRASSE B", "Ärzte", "arzt", "azur", "ÉMILE X", "emile b", "Éa", "a", "Ａcme", "青岛", "Σίσυφος", "ω", "Zed", "b_c", "B.c"]
    for name in names:
        cli("customer", "add", name)
    for number, (name, amount) in enumerate([("Straße", "300"), ("azur", "300"), ("Ａcme", "300"), ("ω", "900")], 1):
        cli("deal", "add", f"D{number}", "-c", name, "--amount", amount)
        cli("deal", "win", str(number))

    def ranked() -> list[str]:
        return [line.split(",")[1] for line in cli("report", "customers", "-f", "csv").stdout.splitlines()[1:]]

    assert ranked() == ["ω", "azur", "Straße", "Ａcme"] + sorted(
        set(names) - {"Straße", "azur", "Ａcme", "ω"}, key=lambda name: (name.casefold(), name))
    cli("customer", "edit", "azur", "--name", "Zürich")
    cli("customer", "delete", "Straße", "-y", "--cascade")
    assert ranked()[:3] == ["ω", "Zürich", "Ａcme"]
    conn = store_connection(any_store)
    try:
        inexact = {row[0] for row in conn.execute("SELECT name FROM _customer_rank WHERE NOT exact")}
    finally:
        conn.close()
    assert inexact == {"Ärzte", "ÉMILE X", "Éa", "Ａcme", "Σίσυφος", "ω"}  # not Zürich: casefold leaves its ü as it is


def test_casefold_on_the_server_is_pythons(pg_url):
    """m019: the server's casefold() folds every character as Python's str.casefold does
    (the rankings of a period and receivables sort by it), ASCII and beyond."""
    from salescli.store import postgres

    names = ["Éz", "éa", "Straße", "STRASSE", "ΣΊΣΥΦΟΣ", "ﬁne", "İstanbul", "Ａcme", "青岛", "Kelvin K", "ǅ", "a'b", "ς"]
    conn = postgres.connect(pg_url)
    try:
        assert [conn.execute("SELECT casefold(?)", [name]).fetchone()[0] for name in names] == [n.casefold() for n in names]
        every = "".join(chr(code) for code in range(0x20, 0x3000) if not 0xD800 <= code <= 0xDFFF)
        assert conn.execute("SELECT casefold(?)", [every]).fetchone()[0] == every.casefold()
    finally:
        conn.close()


def test_the_rankings_of_a_period_and_receivables_sort_names_as_on_sqlite(cli, any_store):
    """Customers with the same figures are listed by casefolded name on both stores."""
    names = ["Éz", "éa", "Straße", "Strasse b", "STRASSE A", "Zed", "ω", "Ωa"]
    for number, name in enumerate(names, 1):
        cli("customer", "add", name)
        cli("deal", "add", f"D{number}", "-c", name, "--amount", "100")
        cli("deal", "win", str(number))
    by_casefold = sorted(names, key=str.casefold)
    period = cli("report", "customers", "-p", "2026", "-f", "csv").stdout.splitlines()[1:]
    assert [line.split(",")[1] for line in period] == by_casefold
    owed = cli("report", "receivables", "-f", "csv").stdout.splitlines()[1:]
    assert [line.split(",")[0] for line in owed] == by_casefold


def test_an_export_on_a_server_streams_its_rows_from_a_cursor_there(cli, pg_url, monkeypatch):
    """The rows of an export (and of the big listings and reports, ``store.tuples``) come
    from a cursor on the server, a batch at a time — memory stays flat however many there
    are, as on SQLite — and every one of them arrives, in order, across the batches."""
    from salescli import store
    from salescli.store import postgres

    names = ["Acme", "Beta", "Gamma", "Delta", "Epsilon"]
    for name in names:
        cli("--db", pg_url, "customer", "add", name)
    monkeypatch.setattr(postgres.Cursor, "STREAM_BATCH", 2, raising=False)
    cursors_open: list[int] = []
    tuples = store.tuples

    def watched(conn, sql, params=()):
        columns, rows = tuples(conn, sql, params)

        def reading():
            for row in rows:
                cursors_open.append(conn.execute("SELECT count(*) FROM pg_cursors").fetchone()[0])
                yield row

        return columns, reading()

    monkeypatch.setattr(store, "tuples", watched)
    exported = cli("--db", pg_url, "export", "customers").stdout.splitlines()
    assert [line.split(",")[1] for line in exported[1:]] == names
    assert cursors_open == [1] * len(names)


def test_a_failed_command_uses_up_no_number_on_either_store(cli, any_store):
    """SQLite's id counters roll back with a failed write; a server's sequences are given
    back too, so the next command and record get the same numbers on both."""
    cli("customer", "add", "Acme")
    cli("undo")
    cli.fails("undo")  # nothing left to undo: a write that failed after it was logged
    cli.fails("undo")
    cli("customer", "add", "Beta")
    assert [entry["id"] for entry in cli.json("log")] == [3, 2, 1]
    assert [(row["id"], row["name"]) for row in cli.json("customer", "list")] == [(2, "Beta")]


def test_a_login_without_rights_is_told_what_to_ask_for_and_changes_nothing(cli, pg_url):
    """A rep's login not (yet) in the team role of README's "A team on one server": an
    error that names the role to be let into, not a crash (it was "unexpected
    InsufficientPrivilege", or an attempt to build the tables again in a database that only
    looked empty to it), and nothing written."""
    import dbcheck

    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    with dbcheck.team(pg_url, ("ann",), ("carol",)) as (team, as_login):
        ann, carol = as_login
        error = cli.fails("--db", as_login[carol], "report", "due")
        assert f"the login {carol} may not make tables in" in error and "run `salescli init` there first" in error
        with psycopg.connect(pg_url) as admin:  # not through salescli, which would build them
            assert admin.execute(tables).fetchall() == [(0,)]

        cli("--db", as_login[ann], "customer", "add", "Acme")
        before = dbcheck.snapshot(pg_url)
        for command in (["customer", "list"], ["customer", "add", "Beta"]):
            error = cli.fails("--db", as_login[carol], *command)
            assert f"the login {carol} has no rights on the salescli tables" in error
            assert f"`GRANT {team} TO {carol}`" in error and "unexpected" not in error

        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {carol}")
        assert "Acme" in cli("--db", as_login[carol], "customer", "list").stdout
        error = cli.fails("--db", as_login[carol], "customer", "add", "Beta")
        assert f"the login {carol} may not do that in" in error and "permission denied" in error
        assert "so nothing was changed" in error and "unexpected" not in error
        assert dbcheck.snapshot(pg_url) == before

        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"GRANT {team} TO {carol}")
        cli("--db", as_login[carol], "customer", "add", "Beta")
        assert [entry["by"] for entry in cli.json("--db", as_login[carol], "log")] == [carol, ann]
