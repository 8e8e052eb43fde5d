"""NOCASE on both stores (issue 15): SQLite's NOCASE folds ASCII letters alone and then
compares bytes; on a PostgreSQL server the same rule is ``lower()`` of "C" text (m020).
Names, skus, stage names and tags that differ beyond ASCII case are different on both."""

from __future__ import annotations

import psycopg
import pytest

from salescli.store import schema

MIX = ["Zeta", "Émile", "émile", "a", "B", "青岛", "Ωmega", "b_c", "B.c"]
# ASCII letters folded, then bytes: '.' < '_' < 'z' < 'É' (C3 89) < 'é' (C3 A9) < 'Ω' (CE A9) < '青' (E9 9D 92)
MIX_IN_NOCASE_ORDER = ["a", "B", "B.c", "b_c", "Zeta", "Émile", "émile", "Ωmega", "青岛"]


def names(cli, *args: str) -> list[str]:
    return [row["name"] for row in cli.json("customer", "list", *args)]


def test_names_differing_beyond_ascii_case_are_two_customers_and_ascii_case_is_one(cli, any_store):
    cli("customer", "add", "Émile")
    cli("customer", "add", "émile")
    assert cli.fails("customer", "add", "ÉMILE") == "Error: a customer named 'Émile' already exists (#1)\n"
    assert cli.fails("customer", "edit", "émile", "--name", "ÉMILE") == "Error: a customer named 'Émile' already exists (#1)\n"
    assert names(cli) == ["Émile", "émile"]
    assert [cli.json("customer", "show", name)["id"] for name in ("Émile", "émile", "ÉMILE", "éMiLe")] == [1, 2, 1, 2]
    assert cli.fails("customer", "show", "EMILE") == (
        "Error: no customer 'EMILE'; did you mean émile? ('salescli customer list' shows them)\n"
    )


def test_the_customer_list_is_in_the_same_order_on_both_stores(cli, any_store):
    for name in MIX:
        cli("customer", "add", name, "--tag", "t")
    assert names(cli) == MIX_IN_NOCASE_ORDER
    assert names(cli, "--tag", "T") == MIX_IN_NOCASE_ORDER  # filtered: sorted after the scan
    assert cli("customer", "list", "--limit", "3", "-f", "csv").stdout.splitlines()[1:] == [
        line for line in cli("customer", "list", "-f", "csv").stdout.splitlines()[1:4]
    ]


def test_an_import_matches_names_and_skus_in_ascii_case_alone(cli, any_store, tmp_path):
    cli("customer", "add", "Émile")
    cli("product", "add", "É-a", "Chair", "--price", "10")
    customers = tmp_path / "customers.csv"
    customers.write_text("name,region\nÉMILE,North\némile,South\n", encoding="utf-8")
    assert cli.fails("import", "customers", str(customers)) == (  # ÉMILE is Émile, émile is new
        "row 2, column name: customer #1 already exists (use --on-conflict skip or update)\n"
        "Error: 1 row is invalid, so nothing was written: correct it, or use --skip-invalid to import the 1 row that is valid\n")
    cli("import", "customers", str(customers), "--on-conflict", "update")
    assert [(row["name"], row["region"]) for row in cli.json("customer", "list")] == [("ÉMILE", "North"), ("émile", "South")]
    products = tmp_path / "products.csv"
    products.write_text("sku,name,price\né-a,Stool,5\nÉ-A,Chair again,12\n", encoding="utf-8")
    cli("import", "products", str(products), "--on-conflict", "update")
    assert [(row["sku"], row["name"], row["price"]) for row in cli.json("product", "list")] == [
        ("É-A", "Chair again", 12), ("é-a", "Stool", 5)]


def test_tags_skus_stage_names_and_rep_handles_fold_ascii_case_alone(cli, any_store, tmp_path):
    cli("customer", "add", "Acme", "--tag", "Élite")
    assert names(cli, "--tag", "ÉLITE") == ["Acme"]
    assert names(cli, "--tag", "élite") == []
    cli("customer", "edit", "Acme", "--remove-tag", "élite")  # not the same tag: kept
    assert cli.json("customer", "show", "Acme")["tags"] == ["Élite"]
    cli("customer", "edit", "Acme", "--add-tag", "élite", "--add-tag", "ÉLITE")  # a second tag, and a repeat
    assert sorted(cli.json("customer", "show", "Acme")["tags"]) == ["Élite", "élite"]
    assert names(cli, "--tag", "élite") == ["Acme"]
    cli("customer", "edit", "Acme", "--remove-tag", "ÉLITE", "--remove-tag", "élite")
    assert cli.json("customer", "show", "Acme")["tags"] == []
    cli("customer", "add", "Beta", "--tag", "Straße", "--tag", "STRASSE", "--tag", "strasse")
    assert sorted(cli.json("customer", "show", "Beta")["tags"]) == ["STRASSE", "Straße"]
    csv = tmp_path / "tags.csv"
    csv.write_text("name,tags\nGamma,Élite; élite; ÉLITE\n", encoding="utf-8")
    cli("import", "customers", str(csv))
    assert sorted(cli.json("customer", "show", "Gamma")["tags"]) == ["Élite", "élite"]

    cli("product", "add", "É-a", "Chair", "--price", "10")
    cli("product", "add", "é-a", "Stool", "--price", "5")
    cli("product", "add", "b-1", "Bench", "--price", "7")
    cli("product", "add", "A-1", "Armchair", "--price", "9")
    assert cli.fails("product", "add", "É-A", "Sofa", "--price", "1") == "Error: a product with sku 'É-a' already exists\n"
    assert [row["sku"] for row in cli.json("product", "list")] == ["A-1", "b-1", "É-a", "é-a"]
    cli("deal", "add", "D1", "-c", "Acme", "--product", "é-A")
    cli("deal", "add", "D2", "-c", "Acme", "--product", "B-1")
    assert [row["product"] for row in cli.json("deal", "list")] == ["é-a", "b-1"]
    assert cli.fails("deal", "add", "D3", "-c", "Acme", "--product", "E-A") == (
        "Error: no product 'E-A': known skus include A-1, b-1, É-a, é-a\n")

    cli("stage", "add", "Étude", "-p", "40")
    cli("stage", "add", "étude", "-p", "50")
    assert cli.fails("stage", "add", "ÉTUDE", "-p", "60") == "Error: a stage 'Étude' already exists\n"
    assert [row["name"] for row in cli.json("stage", "list")][5:7] == ["Étude", "étude"]

    cli("rep", "add", "Ann")
    assert cli.fails("rep", "add", "ANN") == "Error: a rep 'ann' already exists\n"
    assert cli.fails("rep", "add", "Élodie", code=2).startswith("Error: rep handle 'Élodie' is not valid")
    assert [row["handle"] for row in cli.json("rep", "list")] == ["ann"]


# ---------------------------------------------------------------- the server's catalogue


def catalogue(url: str) -> dict[str, list[tuple]]:
    """What NOCASE's place on a server is made of: every column's collation, every index,
    every constraint, the collations of the database's own."""
    with psycopg.connect(url) as conn:
        return {
            "columns": conn.execute(
                "SELECT table_name, column_name, collation_name FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY 1, 2").fetchall(),
            "indexes": conn.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2").fetchall(),
            "constraints": conn.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2").fetchall(),
            "collations": conn.execute(
                "SELECT collname FROM pg_collation WHERE collnamespace = 'public'::regnamespace").fetchall(),
        }


def test_a_server_set_up_before_m020_ends_as_a_new_one_and_keeps_its_records(cli, pg_url, other_pg_url, monkeypatch):
    before = schema.NAMES.index("m020_nocase_on_the_server_as_on_sqlite")
    with monkeypatch.context() as old:
        old.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:before])
        old.setattr(schema, "NAMES", schema.NAMES[:before])
        cli("--db", pg_url, "customer", "add", "Émile")
        cli("--db", pg_url, "product", "add", "É-a", "Chair", "--price", "10")
        cli("--db", pg_url, "stage", "add", "Étude", "-p", "40")
        assert catalogue(pg_url)["collations"] == [("nocase",)]
        with psycopg.connect(pg_url) as conn, pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO customer (name, created_at, updated_at) VALUES ('émile', '', '')")
    cli("--db", other_pg_url, "init")
    cli("--db", pg_url, "customer", "add", "émile")  # migrates first
    assert catalogue(pg_url) == catalogue(other_pg_url)
    assert catalogue(pg_url)["collations"] == []
    assert ("customer", "customer_name", "CREATE UNIQUE INDEX customer_name ON public.customer USING btree (lower(name))") in (
        catalogue(pg_url)["indexes"])
    cli("--db", pg_url, "product", "add", "é-a", "Stool", "--price", "5")
    cli("--db", pg_url, "stage", "add", "étude", "-p", "50")
    assert cli.fails("--db", pg_url, "customer", "add", "ÉMILE") == "Error: a customer named 'Émile' already exists (#1)\n"
    assert [row["name"] for row in cli.json("--db", pg_url, "customer", "list")] == ["Émile", "émile"]
    assert [row["sku"] for row in cli.json("--db", pg_url, "product", "list")] == ["É-a", "é-a"]


def test_name_lookups_on_the_server_read_the_lower_name_index(pg_url):
    """The queries of refs.py and customers.py that compare or order names NOCASE are
    ``lower(name)`` on the server: they read the unique index on it, as SQLite reads its
    NOCASE index."""
    from salescli.store import postgres

    conn = postgres.connect(pg_url)
    try:
        # Only the planner's statistics matter here: the derived tables' row triggers stay off
        # (20,000 customers of one day and channel would update one tally row 20,000 times).
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "INSERT INTO customer (name, created_at, updated_at) "
            "SELECT 'Customer ' || n, '2026-01-01', '2026-01-01' FROM generate_series(1, 20000) AS n"
        )
        conn.execute("ANALYZE customer")
        for sql, params in [
            ("SELECT * FROM customer WHERE name = ? COLLATE NOCASE", ["customer 17"]),
            ("SELECT id, name FROM customer WHERE name = ? COLLATE NOCASE AND id IS DISTINCT FROM ?", ["x", None]),
            ("SELECT name FROM customer WHERE name < ? COLLATE NOCASE ORDER BY name COLLATE NOCASE DESC LIMIT ?", ["Cust", 5]),
            ("SELECT name FROM customer WHERE name >= ? COLLATE NOCASE ORDER BY name COLLATE NOCASE LIMIT ?", ["Cust", 5]),
            ("SELECT name, id FROM customer WHERE name COLLATE NOCASE IN (?, ?)", ["customer 1", "CUSTOMER 2"]),
        ]:
            plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + sql, params).fetchall())
            assert "using customer_name" in plan and "Seq Scan" not in plan, (sql, plan)
        rows = conn.execute("SELECT name, id FROM customer WHERE name COLLATE NOCASE IN (?, ?)", ["customer 1", "CUSTOMER 2"])
        assert sorted(tuple(row) for row in rows) == [("Customer 1", 1), ("Customer 2", 2)]
    finally:
        conn.close()
