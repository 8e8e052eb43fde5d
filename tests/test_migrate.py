"""Migrations: an old file is upgraded in place, a newer one is refused, a new one is complete."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from salescli import store
from salescli.store import history, schema

FIXTURE = Path(__file__).parent / "fixtures" / "v1.db"
M001_TABLES = [
    "setting", "rep", "customer", "customer_tag", "product", "stage",
    "deal", "stage_history", "activity", "target", "payment",
]


def v1_columns(table: str) -> str:
    conn = sqlite3.connect(FIXTURE)
    try:
        return ", ".join(f'"{row[1]}"' for row in conn.execute(f"PRAGMA table_info({table})"))
    finally:
        conn.close()


def dump(path: Path, tables: list[str]) -> dict[str, list[tuple]]:
    """The v1 columns of ``tables`` (later migrations may add columns)."""
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT {v1_columns(t)} FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    finally:
        conn.close()


def applied(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return store.applied_migrations(conn)
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def v1(isolated: Path) -> Path:
    """A copy of the v1 fixture as this test's database file."""
    shutil.copyfile(FIXTURE, isolated)
    return isolated


def test_the_fixture_is_a_v1_file():
    assert applied(FIXTURE) == ["m001_initial"]
    conn = sqlite3.connect(FIXTURE)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'history%'").fetchone() == (0,)
    assert {t: len(rows) for t, rows in dump(FIXTURE, M001_TABLES).items()} == {
        "setting": 3, "rep": 2, "customer": 2, "customer_tag": 2, "product": 1, "stage": 7,
        "deal": 2, "stage_history": 3, "activity": 2, "target": 2, "payment": 1,
    }


def test_an_old_file_is_upgraded_in_place_and_keeps_every_record(cli, v1):
    before = dump(FIXTURE, M001_TABLES)
    assert cli.json("rep", "list") == [
        {"handle": "alice", "name": "Alice Wong", "email": "alice@example.com", "active": True,
         "commission_rate": 0.05, "regions": ["north"], "industries": ["retail"], "customers": 1, "open_deals": 0},
        {"handle": "bob", "name": "Bob Li", "email": None, "active": False,
         "commission_rate": 0.3333, "regions": [], "industries": [], "customers": 1, "open_deals": 1},
    ]
    assert applied(v1) == schema.NAMES
    assert dump(v1, M001_TABLES) == before  # every record, every value, bit for bit
    assert cli("config", "get", "currency").stdout == "€\n"
    # the upgraded file records and undoes like a new one
    cli("rep", "edit", "bob", "--name", "Robert")
    cli("rep", "add", "carol")
    cli("undo")
    cli("undo")
    assert dump(v1, M001_TABLES) == before


def test_a_file_from_a_newer_salescli_is_refused_and_left_alone(cli, v1):
    cli("rep", "list")  # bring it up to date first
    conn = sqlite3.connect(v1)
    with conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, 'm999_from_the_future', '2030-01-01')",
            [schema.MIGRATION_SET],
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    fingerprint = digest(v1)
    for command in (["rep", "add", "carol"], ["rep", "list"], ["undo"], ["backup"]):
        error = cli.fails(*command)
        assert "newer salescli" in error and "m999_from_the_future" in error and "upgrade salescli" in error
    assert digest(v1) == fingerprint
    assert not Path(f"{v1}-wal").exists() or Path(f"{v1}-wal").stat().st_size == 0
    assert sorted(p.name for p in v1.parent.iterdir() if p.suffix == ".db") == ["sales.db"]  # no backup made


def test_a_new_file_gets_every_migration_and_every_capture_trigger(cli, isolated):
    assert not isolated.exists()
    cli("rep", "add", "alice")
    assert applied(isolated) == schema.NAMES
    conn = sqlite3.connect(isolated)
    tables = history.business_tables(conn)
    assert set(M001_TABLES) <= set(tables)
    assert not [t for t in tables if t.startswith(("history_", "_sqlite", "sqlite_"))]
    triggers = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'history%'")}
    assert triggers == {f"history_{t}_{op}" for t in tables for op in ("insert", "update", "delete")}
    assert conn.execute("SELECT * FROM history_state").fetchall() == [(None,)]


def test_an_upgraded_file_takes_existing_customers_without_a_creation_date(cli, v1, tmp_path):
    before = dump(FIXTURE, M001_TABLES)
    source = tmp_path / "c.csv"
    source.write_text("name\nOld Friend\n", encoding="utf-8")
    cli("import", "customers", source)  # migration m005 lets created_at be NULL
    conn = sqlite3.connect(v1)
    assert conn.execute("SELECT created_at FROM customer WHERE name = 'Old Friend'").fetchall() == [(None,)]
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("SELECT count(*) FROM customer_tag").fetchone() == (2,)  # tags survive the change
    cli("undo")
    assert dump(v1, M001_TABLES) == before


def test_an_old_file_counts_each_first_contact_once(cli, v1):
    """m006: the First contact tasks an older salescli ticked off beside the contact go, and so
    do open ones of customers already contacted; one done by hand, or still needed, stays."""
    conn = sqlite3.connect(v1)
    with conn:
        conn.execute("INSERT INTO customer (id, name, created_at, updated_at) VALUES (3, 'New Co', "
                     "'2026-11-20 09:00:00', '2026-11-20 09:00:00'), (4, 'Quiet Co', "
                     "'2026-11-20 09:00:00', '2026-11-20 09:00:00')")
        conn.executemany(
            "INSERT INTO activity (id, customer_id, type, summary, due, done_at, notes, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, '2026-11-20 09:00:00')",
            [
                (3, 3, "task", "First contact", "2026-11-21", "2026-11-21", "completed by activity #4"),  # twice
                (4, 3, "call", "Intro", None, "2026-11-21", None),
                (5, 1, "task", "First contact", "2026-04-01", None, None),  # Acme: visited, and a deal won
                (6, 2, "task", "First contact", "2026-11-01", "2026-11-02", None),  # done by hand: the contact
                (7, 4, "task", "First contact", "2026-11-21", None, None),  # nobody called yet: still due
            ],
        )
    conn.close()
    # by hand: 7 activities, less #3 (a second count of call #4) and #5 (Acme was contacted) = 5
    assert sorted(a["id"] for a in cli.json("activity", "list")) == [1, 2, 4, 6, 7]


def test_a_process_that_waited_while_another_migrated_changes_nothing(cli, isolated, monkeypatch):
    """Many commands on a new file at once: those that saw no schema wait for the write
    lock while one migrates; then, seeing it done under the lock, they are done too — they
    do not make the undo triggers again, one after another, holding the lock each time
    (CI's "database is locked" with eight processes racing on a new file)."""
    from salescli import store
    from salescli.store import history

    cli("init")  # the other process, done first
    looks = [[]]  # this one's first look came before the other committed
    real = store.applied_migrations
    monkeypatch.setattr(store, "applied_migrations", lambda conn: looks.pop() if looks else real(conn))
    monkeypatch.setattr(store, "_refuse_foreign", lambda conn, path: None)  # the file looked empty then too
    made_again = []
    monkeypatch.setattr(history, "install_triggers", lambda conn: made_again.append(conn))
    store.connect(isolated).close()
    assert made_again == []
