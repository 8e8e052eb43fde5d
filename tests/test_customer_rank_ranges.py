"""``_customer_rank`` (m014) kept for a whole range of customers at once (issue 13): an
import, and the undo and redo of one, switch its row triggers off and work out the range's
rows in one sorted statement (``schema.KEPT_BY_RANGE``), on both stores; every other write
keeps it row by row. Either way it holds what its fill builds from scratch."""

from __future__ import annotations

from salescli import store
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
    if on_sqlite:  # no row trigger of the ranking fired for the new customers
        assert not [s for s in statements if s.startswith("-- TRIGGER customer_rank_insert")]
        assert 'DROP TRIGGER "customer_rank_insert"' in statements
    else:
        assert 'ALTER TABLE "customer" DISABLE TRIGGER "customer_rank_insert"' in statements

    statements.clear()
    cli("undo")
    rank_exact(any_store)
    assert len(ranged(statements, DELETE_ROWS)) == 1
    if on_sqlite:
        assert not [s for s in statements if s.startswith("-- TRIGGER customer_rank_delete")]
        assert 'DROP INDEX "_customer_rank_level"' in statements  # 120 of 125 rows go: built again after

    statements.clear()
    cli("undo", "--redo")
    rank_exact(any_store)
    assert len(ranged(statements, INSERT_ROWS)) == 1
    if on_sqlite:
        assert not [s for s in statements if s.startswith("-- TRIGGER customer_rank_insert")]

    cli("customer", "add", "Omega", "--owner", "bob")  # the row triggers are back
    cli("customer", "delete", "Customer 001", "--yes")
    rank_exact(any_store)
    ranking = cli.json("report", "customers")["rows"]
    assert [row["customer"] for row in ranking[:3]] == ["beta", "acme", "Customer 000"]
    assert len(ranking) == 4 + NEW - 1 + 1 - 1


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
