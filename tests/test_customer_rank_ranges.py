"""The tables derived from customers kept for a whole range of customers at once (issue
13): an import, and the undo and redo of one, switch their row triggers off and count the
range in or out with one statement each (``schema.KEPT_BY_RANGE``) — ``_customer_rank``
(m014) worked out again in one sorted pass, the tallies summed per key — on both stores;
every other write keeps them row by row. Either way they hold what their fills build from
scratch."""

from __future__ import annotations

import re
import sqlite3

from salescli import store
from salescli.store import dialect, schema
from dbcheck import derived_exact, traced_statements

NEW = 120  # customers imported: a large share of the file, so undo builds the level index again


def rank_exact(target) -> None:
    conn = store.connect(target)
    try:
        assert derived_exact(conn) == {}
        customers, ranked = (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("customer", "_customer_rank"))
        assert ranked == customers
    finally:
        conn.close()


INSERT_ROWS = "INSERT INTO _customer_rank (revenue, name, customer_id,"
DELETE_ROWS = "DELETE FROM _customer_rank WHERE customer_id BETWEEN"


def ranged(statements: list[str], start: str) -> list[str]:
    """The statements beginning with ``start`` that work on a range of customers."""
    return [s for s in statements if s.startswith(start) and "id BETWEEN" in s]


def test_an_import_and_its_undo_and_redo_keep_the_ranking_for_the_whole_range_at_once(cli, any_store, tmp_path, monkeypatch):
    cli("rep", "add", "ann")
    cli("rep", "add", "bob")
    for name in ("acme", "Émile", "Zeta", "beta"):
        cli("customer", "add", name, "--owner", "ann")
    cli("deal", "add", "Pumps", "--customer", "beta", "--amount", "900")
    cli("deal", "win", "1")
    rows = [f"Customer {n:03d},{('ann', 'bob', '')[n % 3]},{('A', 'B', 'C', '')[n % 4]},vip" for n in range(NEW - 2)]
    rows += ["ÉMILE II,bob,A,", "Zeta,bob,B,key"]  # a name NOCASE sorts unlike casefold; an existing customer updated
    source = tmp_path / "c.csv"
    source.write_text("name,owner,tier,tags\n" + "\n".join(rows) + "\n")
    on_sqlite = not str(any_store).startswith("postgresql")
    statements = traced_statements(monkeypatch)

    cli("import", "customers", source, "--on-conflict", "update")
    rank_exact(any_store)
    assert len(ranged(statements, INSERT_ROWS)) == 1
    if on_sqlite:  # no row trigger of the ranking fired for the new customers: it was off
        assert 'DROP TRIGGER "customer_rank_insert"' in statements
    else:
        assert 'ALTER TABLE "customer" DISABLE TRIGGER "customer_rank_insert"' in statements

    statements.clear()
    cli("undo")
    rank_exact(any_store)
    assert len(ranged(statements, DELETE_ROWS)) == 1
    if on_sqlite:
        assert 'DROP TRIGGER "customer_rank_delete"' in statements
        assert 'DROP INDEX "_customer_rank_level"' in statements  # 120 of 125 rows go: built again after

    statements.clear()
    cli("undo", "--redo")
    rank_exact(any_store)
    assert len(ranged(statements, INSERT_ROWS)) == 1
    if on_sqlite:
        assert 'DROP TRIGGER "customer_rank_insert"' in statements

    cli("customer", "add", "Omega", "--owner", "bob")  # the row triggers are back
    cli("customer", "delete", "Customer 001", "--yes")
    rank_exact(any_store)
    ranking = cli.json("report", "customers")["rows"]
    assert [row["customer"] for row in ranking[:3]] == ["beta", "acme", "Customer 000"]
    assert len(ranking) == 4 + NEW - 1 + 1 - 1


def test_undoing_a_small_share_deletes_the_ranking_rows_one_by_one_in_its_order(cli, isolated, tmp_path, monkeypatch):
    """A range that takes few of the ranking's rows away leaves its indexes in place and
    deletes its rows one at a time, in the ranking's order (by name here: none has won
    anything), so that each page changes once; the ranking is then what its fill builds."""
    cli("rep", "add", "ann")
    for n in range(30):
        cli("customer", "add", f"Old {n:02d}", "--owner", "ann")
    names = ["delta", "alpha", "Charlie", "bravo", "Echo"]  # by case-blind name; binary order differs
    (tmp_path / "c.csv").write_text("name,owner\n" + "".join(f"{name},ann\n" for name in names))
    cli("import", "customers", tmp_path / "c.csv")
    with sqlite3.connect(isolated) as conn:
        ids = dict(conn.execute("SELECT name, id FROM customer WHERE name NOT LIKE 'Old %'").fetchall())
    assert sorted(ids.values()) == list(range(31, 36))  # the range the import recorded
    statements = traced_statements(monkeypatch)

    cli("undo")
    rank_exact(isolated)
    deleted = [int(s.rsplit("= ", 1)[1]) for s in statements if s.startswith("DELETE FROM _customer_rank WHERE customer_id = ")]
    assert deleted == [ids[name] for name in ("alpha", "bravo", "Charlie", "delta", "Echo")]
    assert not [s for s in statements if s.startswith("DROP INDEX")]  # 5 of 35 rows: the indexes stay


def test_undo_and_redo_write_with_a_larger_page_cache_and_put_it_back(cli, isolated, monkeypatch):
    """A 100,000-row import's undo changes more pages than SQLite's default 2 MB cache holds:
    undo and redo set a 32 MiB cache before their transaction and put it back after; their
    statement journals stay in temporary files (in memory they held 100 MiB more)."""
    cli("customer", "add", "Acme")
    statements = traced_statements(monkeypatch)
    for args in (("undo",), ("undo", "--redo")):
        statements.clear()
        cli(*args)
        begin, commit = statements.index("BEGIN IMMEDIATE"), statements.index("COMMIT")
        assert "PRAGMA cache_size = -32768" in statements[:begin]
        assert "PRAGMA temp_store = DEFAULT" in statements[:begin]
        assert "PRAGMA cache_size = -2000" in statements[commit:]  # as it was: the default


# the row triggers of the tallies and lists a range of customers is counted in or out of at once
TALLIES_INSERTED = ("report_customer_channel_insert", "customer_day_insert", "uncontacted_customer_insert")
TALLIES_DELETED = ("report_customer_channel_delete", "customer_day_delete", "uncontacted_customer_delete")


def all_exact(target) -> None:
    conn = store.connect(target)
    try:
        assert derived_exact(conn) == {}
    finally:
        conn.close()


def switched_off(statements: list[str], triggers: tuple[str, ...], on_sqlite: bool) -> None:
    """The triggers were off for the range: dropped and made again after (SQLite; this
    Python's trace shows no trigger's own statements), or disabled (PostgreSQL)."""
    for name in triggers:
        if on_sqlite:
            assert f'DROP TRIGGER "{name}"' in statements
        else:
            assert f'ALTER TABLE "customer" DISABLE TRIGGER "{name}"' in statements


def test_a_range_of_customers_is_counted_in_and_out_of_the_tallies_at_once(cli, any_store, tmp_path, monkeypatch):
    cli("rep", "add", "ann")
    cli("rep", "add", "bob")
    cli("customer", "add", "Acme", "--owner", "ann", "--source", "Web")
    cli("deal", "add", "Pumps", "--customer", "Acme", "--amount", "900")
    days = ("2026-01-05", "2026-01-05T09:30:00", "", "2026-03-01")  # two on one day; one never created (no date)
    sources = (" Web ", "web", "", "Referral")  # one channel in any case and spacing; none
    rows = [f"Lead {n:03d},{('ann', 'bob', '')[n % 3]},{sources[n % 4]},{days[n % 5 % 4]}" for n in range(60)]
    rows.append("Acme,bob,Referral,2026-02-02")  # an existing customer updated: row triggers as usual
    source = tmp_path / "c.csv"
    source.write_text("name,owner,source,created_at\n" + "\n".join(rows) + "\n")
    on_sqlite = not str(any_store).startswith("postgresql")
    statements = traced_statements(monkeypatch)
    before = cli.json("report", "sources", "--period", "2026")

    cli("import", "customers", source, "--on-conflict", "update")
    all_exact(any_store)
    switched_off(statements, TALLIES_INSERTED, on_sqlite)
    assert len([s for s in statements if s.startswith("INSERT INTO _source_customers") and "BETWEEN" in s]) == 1
    imported = cli.json("report", "sources", "--period", "2026")
    assert imported != before

    statements.clear()
    cli("undo")
    all_exact(any_store)
    switched_off(statements, TALLIES_DELETED, on_sqlite)
    assert cli.json("report", "sources", "--period", "2026") == before

    statements.clear()
    cli("undo", "--redo")
    all_exact(any_store)
    switched_off(statements, TALLIES_INSERTED, on_sqlite)
    assert cli.json("report", "sources", "--period", "2026") == imported

    cli("customer", "delete", "Lead 001", "--yes")  # the row triggers are back
    cli("customer", "add", "Omega", "--owner", "bob", "--source", "web")
    all_exact(any_store)


def test_leads_with_their_first_contacts_are_imported_undone_and_redone_as_a_range(cli, any_store, tmp_path, monkeypatch):
    """Nothing names the new customers before they come or after they go (their tasks come
    after them, and go before them): the triggers for deals and activities that name a
    customer stay off for the range."""
    cli("rep", "add", "ann")
    source = tmp_path / "leads.csv"
    source.write_text("name,source\n" + "\n".join(f"Lead {n},web" for n in range(30)) + "\n")
    on_sqlite = not str(any_store).startswith("postgresql")
    statements = traced_statements(monkeypatch)
    named = ("open_follow_up_customer_insert", "report_customer_deals_insert", "stale_deal_customer_insert")

    cli("import", "customers", source, "--leads")
    all_exact(any_store)
    switched_off(statements, named, on_sqlite)
    assert len(cli.json("report", "due", "--days", "30")["rows"]) == 30
    cli("undo")
    all_exact(any_store)
    assert cli.json("report", "due", "--days", "30")["rows"] == []
    statements.clear()
    cli("undo", "--redo")
    all_exact(any_store)
    switched_off(statements, named, on_sqlite)
    assert len(cli.json("report", "due", "--days", "30")["rows"]) == 30


def test_the_triggers_for_deals_stay_on_when_a_deal_names_the_range(cli, isolated, tmp_path, monkeypatch):
    """Another tool (foreign keys off) added a deal for a customer an undo took away: the
    redo brings the customer back with its row triggers for deals on, which move the deal
    to the customer's channel."""
    cli("rep", "add", "ann")
    source = tmp_path / "c.csv"
    source.write_text("name,source,created_at\nAcme,Web,2026-01-05\nBeta,,2026-01-06\n")
    cli("import", "customers", source)
    cli("undo")
    other = sqlite3.connect(isolated)
    with other:
        other.execute(
            "INSERT INTO deal (title, customer_id, stage_id, amount, owner_id, created_at) "
            "SELECT 'Pumps', 1, min(id), 500, 1, '2026-01-07T10:00:00' FROM stage"
        )
    other.close()
    statements = traced_statements(monkeypatch)
    cli("undo", "--redo")
    all_exact(isolated)
    assert 'DROP TRIGGER "report_customer_deals_insert"' not in statements  # on: it moved the deal
    assert 'DROP TRIGGER "open_follow_up_customer_insert"' in statements  # no activity names it
    channels = {row["source"]: row for row in cli.json("report", "sources", "--period", "2026")["rows"]}
    assert channels["web"]["deals"] == 1


def test_a_range_tells_the_names_nocase_sorts_unlike_casefold_as_the_row_triggers_do():
    """``schema._exact_at_once`` (one regular expression) says what ``schema._exact`` (the
    triggers' GLOB) says for every character at either end of each range of the class."""
    conn = sqlite3.connect(":memory:")
    dialect.regexp(conn)
    edges = {0, 0x7F, 0xB7, 0x10FFFF} | set(range(0x20, 0x7F))
    for match in re.finditer(r"(.)-(.)|(.)", schema.CASED_BEYOND_ASCII):  # a range, or one character
        low, high = match.group(1, 2) if match[1] else (match[3], match[3])
        edges |= {ord(low) - 1, ord(low), ord(high), ord(high) + 1}
    names = [f"a{chr(code)}b" for code in sorted(edges) if not 0xD800 <= code <= 0xDFFF] + ["Émile", "émile", "北京 · x", "ǅ"]
    conn.execute("CREATE TABLE c (name TEXT)")
    conn.executemany("INSERT INTO c VALUES (?)", [(name,) for name in names])
    glob = conn.execute(f"SELECT name, {schema._exact('c.name')} FROM c ORDER BY rowid").fetchall()
    regexp = conn.execute(f"SELECT name, {schema._exact_at_once('c.name')} FROM c ORDER BY rowid").fetchall()
    assert regexp == glob
    assert dict(glob)["Émile"] == 0 and dict(glob)["émile"] == 1 and dict(glob)["a\x00b"] == 0
