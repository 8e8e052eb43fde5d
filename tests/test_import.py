"""`salescli import`: reading real-world files, checking every row first, matching, and
writing only what the file says."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat

import pytest
from dbcheck import traced_statements
from fixtures.sample import query, seed


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def customers(db) -> list[tuple]:
    return query(db, "SELECT id, name, phone, email FROM customer ORDER BY id")


def import_backups(db) -> list[str]:
    """The backups imports took of ``db``, by name."""
    return sorted(p.name for p in db.parent.glob(f"{db.stem}-import-*.db"))


def counts(db) -> dict[str, int]:
    tables = ("customer", "customer_tag", "deal", "stage_history", "activity", "target", "payment", "rep", "product")
    return {table: query(db, f"SELECT count(*) FROM {table}")[0][0] for table in tables}


# ---------------------------------------------------------------- reading files


def test_headers_synonyms_and_defaults(cli, isolated, tmp_path):
    source = write(
        tmp_path / "c.csv",
        "Customer Name,E-mail,Mobile,Tel-Ext,Tags\nAcme Ltd,a@acme.test,555 0100,12,vip; north；VIP\n",
    )
    result = cli("import", "customer", source)  # the singular names the entity too
    assert result.stdout == f"Imported customers from {source}: 1 created, 0 updated, 0 skipped.\n"
    assert "ignoring column 'Tel-Ext'" in result.stderr
    assert customers(isolated) == [(1, "Acme Ltd", "555 0100", "a@acme.test")]
    # no created_at: an existing customer, created before salescli knew it (NULL); updated
    # now (SALESCLI_TODAY puts the clock at noon); no automatic rules
    assert query(isolated, "SELECT created_at, updated_at, owner_id, fields FROM customer") == [
        (None, "2026-11-23 12:00:00", None, "{}")
    ]
    assert query(isolated, "SELECT tag FROM customer_tag ORDER BY tag") == [("north",), ("vip",)]
    assert counts(isolated)["activity"] == 0


def test_gb18030_chinese_headers_and_semicolons(cli, isolated, tmp_path):
    source = write(
        tmp_path / "客户.csv",
        "客户名称;电话;邮箱;公司;联系人;行业;地区;来源;备注\n"
        "北京科技有限公司;13800138000;bj@example.cn;北京科技;王先生;软件;华北;展会;重要, 客户\n",
        "gb18030",
    )
    cli("import", "customers", source)
    assert query(isolated, "SELECT name, phone, email, company, contact, industry, region, source, notes FROM customer") == [
        ("北京科技有限公司", "13800138000", "bj@example.cn", "北京科技", "王先生", "软件", "华北", "展会", "重要, 客户")
    ]


def test_utf8_bom_and_tabs(cli, isolated, tmp_path):
    source = tmp_path / "bom.tsv"
    source.write_bytes(b"\xef\xbb\xbf" + "名称\t手机\tEmail Address\n上海贸易\t139\tsh@example.cn\n".encode())
    cli("import", "customers", source)
    assert customers(isolated) == [(1, "上海贸易", "139", "sh@example.cn")]


def test_forced_encoding(cli, isolated, tmp_path):
    source = write(tmp_path / "latin.csv", "name,notes\nCafé Müller,ß\n", "latin-1")
    cli("import", "customers", source, "--encoding", "latin-1")
    assert query(isolated, "SELECT name, notes FROM customer") == [("Café Müller", "ß")]
    assert "unknown encoding" in cli.fails("import", "customers", source, "--encoding", "klingon", code=2)


def test_map_option(cli, isolated, tmp_path):
    source = write(tmp_path / "c.csv", "Kunde,Telefon,Geburtstag,Intern\nMüller GmbH,0301234,1970-05-01,x\n")
    cli("import", "customers", source, "--map", "Kunde=name", "--map", "telefon=phone",
        "--map", "Geburtstag=field:birthday", "--map", "Intern=")
    assert query(isolated, "SELECT name, phone, fields FROM customer") == [
        ("Müller GmbH", "0301234", '{"birthday": "1970-05-01"}')
    ]
    assert "no field 'nonsense'" in cli.fails("import", "customers", source, "--map", "Kunde=nonsense", code=2)
    assert "does not have: 'Nope'" in cli.fails("import", "customers", source, "--map", "Nope=name", code=2)


def test_empty_file_and_missing_column(cli, isolated, tmp_path):
    assert "is empty" in cli.fails("import", "customers", write(tmp_path / "empty.csv", ""))
    header_only = cli("import", "customers", write(tmp_path / "header.csv", "name,phone\n"))
    assert "0 created" in header_only.stdout
    error = cli.fails("import", "customers", write(tmp_path / "c.csv", "phone,email\n1,a@b.c\n"))
    assert "has no column for name" in error and "--map" in error
    error = cli.fails("import", "customers", write(tmp_path / "two.csv", "Email,E-mail,name\na,b,c\n"))
    assert "'Email' and 'E-mail' both mean email" in error
    assert "no file" in cli.fails("import", "customers", tmp_path / "missing.csv")
    assert counts(isolated)["customer"] == 0


def test_unknown_entity_is_a_usage_error(cli, tmp_path):
    source = write(tmp_path / "c.csv", "name\nx\n")
    assert "unknown entity 'widgets'" in cli.fails("import", "widgets", source, code=2)
    assert "unknown --on-conflict mode" in cli.fails("import", "customers", source, "--on-conflict", "merge", code=2)


# ---------------------------------------------------------------- one bad row writes nothing


BAD = (
    "name,email,tier,credit_limit,created_at\n"
    "Good One,g@x.test,A,12000.50,2025-01-02\n"
    "Bad One,b@x.test,Z,lots,2025-13-01\n"
    "\n"
    "Good Two,,b,\"1,500\",2025-02-03 04:05:06\n"
    ",nobody@x.test,,,\n"
)


def test_one_bad_row_writes_nothing_and_names_every_problem(cli, isolated, tmp_path):
    source = write(tmp_path / "c.csv", BAD)
    error = cli.fails("import", "customers", source)
    assert error.splitlines() == [
        "row 3, column tier: tier 'Z' is not A, B or C",
        "row 3, column credit_limit: 'lots' is not an amount of money: use 12000.50",
        "row 3, column created_at: '2025-13-01' is not a date: use YYYY-MM-DD",
        "row 6, column name: a value is required",
        "Error: 2 rows are invalid, so nothing was written: correct them, or use --skip-invalid to import the 2 rows that are valid",
    ]
    assert counts(isolated)["customer"] == 0
    assert import_backups(isolated) == [] and not (tmp_path / "c.csv.rejects.csv").exists()


def test_dry_run_counts_and_writes_nothing(cli, isolated, tmp_path):
    seed(isolated)
    source = write(tmp_path / "c.csv", "name,phone\nAcme Ltd,1\nNew One,2\nNew Two,3\n")
    result = cli("import", "customers", source, "--dry-run", "--on-conflict", "update")
    assert result.stdout == (
        f"Dry run of customers from {source}: would create 2, update 1, skip 0. Nothing was written.\n"
    )
    assert counts(isolated)["customer"] == 3
    assert query(isolated, "SELECT phone FROM customer WHERE id = 1") == [("+1 555 0100",)]
    bad = cli("import", "customers", write(tmp_path / "bad.csv", BAD), "--dry-run", code=1)
    assert "would create 2, update 0, skip 0; 2 rows are invalid." in bad.stdout
    assert "row 3, column tier" in bad.stderr and "Error: 2 rows would stop the import" in bad.stderr
    skipping = cli("import", "customers", tmp_path / "bad.csv", "--dry-run", "--skip-invalid")
    assert "would create 2, update 0, skip 0; 2 rows are invalid." in skipping.stdout
    assert not (tmp_path / "bad.csv.rejects.csv").exists()
    assert import_backups(isolated) == [] and counts(isolated)["customer"] == 3


def test_dry_run_shows_only_the_first_problems(cli, tmp_path):
    cli("init")
    rows = "".join(f"Name {n},{'x' if n % 2 else 'A'}\n" for n in range(60))
    error = cli.fails("import", "customers", write(tmp_path / "c.csv", "name,tier\n" + rows), "--dry-run")
    problems = [line for line in error.splitlines() if line.startswith("row ")]
    assert len(problems) == 20 and problems[0].startswith("row 3, column tier")
    assert "… and 10 more problems" in error


def test_skip_invalid_writes_good_rows_and_rejects(cli, isolated, tmp_path):
    source = write(tmp_path / "c.csv", BAD)
    result = cli("import", "customers", source, "--skip-invalid")
    rejects = tmp_path / "c.csv.rejects.csv"
    assert result.stdout == f"Imported customers from {source}: 2 created, 0 updated, 0 skipped; 2 rejected, see {rejects}.\n"
    assert query(isolated, "SELECT name, tier, credit_limit, created_at FROM customer ORDER BY id") == [
        ("Good One", "A", 1200050, "2025-01-02 00:00:00"),
        ("Good Two", "B", 150000, "2025-02-03 04:05:06"),
    ]
    assert rejects.read_bytes().decode() == (
        "name,email,tier,credit_limit,created_at,error\r\n"
        'Bad One,b@x.test,Z,lots,2025-13-01,"column tier: tier \'Z\' is not A, B or C; '
        "column credit_limit: 'lots' is not an amount of money: use 12000.50; "
        "column created_at: '2025-13-01' is not a date: use YYYY-MM-DD\"\r\n"
        ",nobody@x.test,,,,column name: a value is required\r\n"
    )


def test_rejects_keep_the_source_encoding_and_delimiter(cli, isolated, tmp_path):
    source = write(tmp_path / "c.csv", "客户名称;等级\n好客户;A\n坏客户;Z\n", "gb18030")
    cli("import", "customers", source, "--skip-invalid")
    rejects = (tmp_path / "c.csv.rejects.csv").read_bytes().decode("gb18030")
    assert rejects == "客户名称;等级;error\r\n坏客户;Z;column 等级: tier 'Z' is not A, B or C\r\n"


def test_duplicates_inside_the_file_are_errors(cli, isolated, tmp_path):
    source = write(tmp_path / "c.csv", "id,name\n,Acme\n7,Beta\n,ACME\n7,Gamma\n,Delta\n")
    error = cli.fails("import", "customers", source)
    assert "row 4, column name: duplicates row 2" in error
    assert "row 5, column id: duplicates row 3" in error
    assert counts(isolated)["customer"] == 0


def test_too_many_cells_and_broken_quotes(cli, tmp_path):
    error = cli.fails("import", "customers", write(tmp_path / "c.csv", "name,phone\nA,1,extra\n"))
    assert "row 2: has 3 cells but the header has 2 columns" in error
    error = cli.fails("import", "customers", write(tmp_path / "q.csv", 'name,phone\nA,"1\nB,2\n'))
    assert "q.csv, row 2: not readable as CSV: a quoted cell is never closed" in error


# ---------------------------------------------------------------- matching


def test_conflict_modes_for_customers(cli, isolated, tmp_path):
    seed(isolated)
    source = write(tmp_path / "c.csv", "name,phone,tags\nacme ltd,999,new\nFresh,1,\n")
    error = cli.fails("import", "customers", source)
    assert "row 2, column name: customer #1 already exists (use --on-conflict skip or update)" in error
    assert counts(isolated)["customer"] == 3

    assert "1 created, 0 updated, 1 skipped" in cli("import", "customers", source, "--on-conflict", "skip").stdout
    assert query(isolated, "SELECT phone FROM customer WHERE id = 1") == [("+1 555 0100",)]

    cli("import", "customers", write(tmp_path / "d.csv", "name,phone,tags\nacme ltd,999,new\n"),
        "--on-conflict", "update")
    row = query(isolated, "SELECT name, phone, email, updated_at FROM customer WHERE id = 1")
    # the file's values win, the name's case too; columns the file does not have are untouched
    assert row == [("acme ltd", "999", "jane@acme.test", "2026-11-23 12:00:00")]
    assert query(isolated, "SELECT tag FROM customer_tag WHERE customer_id = 1") == [("new",)]


def test_update_by_id_renames_and_merges_custom_fields(cli, isolated, tmp_path):
    seed(isolated)
    source = write(tmp_path / "c.csv", "id,name,field:vat,field:shoe\n1,Acme Group,,42\n")
    cli("import", "customers", source, "--on-conflict", "update")
    assert query(isolated, "SELECT name, fields FROM customer WHERE id = 1") == [
        ("Acme Group", '{"birthday":"1980-01-02","shoe":"42"}')
    ]
    clash = write(tmp_path / "e.csv", "id,name\n1,北京科技有限公司\n")
    assert "customer #2 already has this name" in cli.fails("import", "customers", clash, "--on-conflict", "update")


def test_an_empty_id_cell_matches_by_natural_key_and_keeps_the_id(cli, isolated, tmp_path):
    """An export with new rows added by hand (no id yet) and old rows edited, imported back."""
    seed(isolated)
    source = write(tmp_path / "c.csv", "id,name,phone\n,Acme Ltd,+1 555 0199\n,Newcomer,1\n2,北京科技有限公司,2\n")
    assert "1 created, 2 updated" in cli("import", "customers", source, "--on-conflict", "update").stdout
    assert customers(isolated) == [
        (1, "Acme Ltd", "+1 555 0199", "jane@acme.test"),
        (2, "北京科技有限公司", "2", None),
        (5, 'Quote "Q" Co', None, None),
        (6, "Newcomer", "1", None),
    ]


def test_unknown_id_creates_that_id(cli, isolated, tmp_path):
    seed(isolated)
    cli("import", "customers", write(tmp_path / "c.csv", "id,name\n40,Forty\n,Next\n"))
    assert query(isolated, "SELECT id, name FROM customer WHERE id > 5 ORDER BY id") == [(40, "Forty"), (41, "Next")]
    taken = write(tmp_path / "d.csv", "id,name\n50,Acme Ltd\n")
    assert "this name belongs to customer #1, not #50" in cli.fails("import", "customers", taken)


def test_reps_products_and_targets_match_by_natural_key(cli, isolated, tmp_path):
    seed(isolated)
    reps = write(tmp_path / "r.csv", "handle,name,commission\nAlice,Alice W.,10%\ncarol,,\n")
    assert "rep #1 already exists" in cli.fails("import", "reps", reps)
    cli("import", "reps", reps, "--on-conflict", "update")
    assert query(isolated, "SELECT handle, name, commission_rate, active FROM rep ORDER BY id") == [
        ("alice", "Alice W.", 0.1, 1), ("bob", "Bob", 0.0, 0), ("carol", "Carol", 0.0, 1)
    ]
    products = write(tmp_path / "p.csv", "sku,name,price\np-100,Widget XL,1300\nNEW-1,New,9.99\n")
    assert "1 created, 0 updated, 1 skipped" in cli("import", "products", products, "--on-conflict", "skip").stdout
    targets = write(tmp_path / "t.csv", "metric,period,rep,value\nrevenue,2026-q4,,600k\nrevenue,2026-Q4,alice,100k\n")
    cli("import", "targets", targets, "--on-conflict", "update")
    assert query(isolated, "SELECT metric, period, start, end, rep_id, value FROM target WHERE metric = 'revenue' ORDER BY id") == [
        ("revenue", "2026-Q4", "2026-10-01", "2026-12-31", None, 60000000),
        ("revenue", "2026-Q4", "2026-10-01", "2026-12-31", 1, 10000000),
    ]


# ---------------------------------------------------------------- references and history


def test_deals_name_their_customer_and_get_a_stage_history(cli, isolated, tmp_path):
    seed(isolated)
    source = write(
        tmp_path / "d.csv",
        "title,customer,amount,stage,created_at,closed_at,product,quantity\n"
        "Open one,acme ltd,1k,qualified,2026-10-01 09:00:00,,,\n"
        "Won one,北京科技有限公司,2500,won,2026-09-01,2026-11-02,p-100,2\n"
        "Default stage,5,100,,,,,\n",
    )
    cli("import", "deals", source)
    assert query(
        isolated,
        "SELECT d.id, d.title, d.customer_id, d.amount, s.name, d.created_at, d.closed_at, d.product_id, d.quantity, "
        "d.owner_id, d.cost FROM deal d JOIN stage s ON s.id = d.stage_id WHERE d.id > 3 ORDER BY d.id",
    ) == [
        (4, "Open one", 1, 100000, "qualified", "2026-10-01 09:00:00", None, None, 1, None, None),
        (5, "Won one", 2, 250000, "won", "2026-09-01 00:00:00", "2026-11-02", 1, 2, None, None),
        (6, "Default stage", 5, 10000, "lead", "2026-11-23 12:00:00", None, None, 1, None, None),
    ]
    assert query(
        isolated,
        "SELECT h.deal_id, s.name, h.entered_on FROM stage_history h JOIN stage s ON s.id = h.stage_id "
        "WHERE h.deal_id > 3 ORDER BY h.id",
    ) == [(4, "qualified", "2026-10-01"), (5, "lead", "2026-09-01"), (5, "won", "2026-11-02"), (6, "lead", "2026-11-23")]


def test_deal_row_errors(cli, isolated, tmp_path):
    seed(isolated)
    source = write(
        tmp_path / "d.csv",
        "title,customer,amount,stage,closed_at,lost_reason,owner\n"
        "A,Nobody Inc,1,lead,,,\n"
        "B,Acme Ltd,1,won,,,\n"
        "C,Acme Ltd,1,lead,2026-01-01,,\n"
        "D,Acme Ltd,1,limbo,,,zed\n"
        "E,Acme Ltd,1,won,2026-01-01,too dear,\n",
    )
    error = cli.fails("import", "deals", source)
    assert "row 2, column customer: no customer 'Nobody Inc'" in error
    assert "row 3, column closed_at: a won deal needs closed_at" in error
    assert "row 4, column closed_at: the deal is in the open stage 'lead'" in error
    assert "row 5, column stage: no stage 'limbo': the stages are lead, contacted" in error
    assert "row 5, column owner: no rep 'zed'" in error
    assert "row 6, column lost_reason: only a lost deal has a lost_reason" in error
    assert counts(isolated)["deal"] == 3


def test_deal_update_by_id_rebuilds_its_history(cli, isolated, tmp_path):
    seed(isolated)
    source = write(tmp_path / "d.csv", "id,title,customer,amount,stage,closed_at\n1,Widgets for Acme,Acme Ltd,4000,won,2026-11-20\n")
    assert "deal #1 already exists" in cli.fails("import", "deals", source)
    cli("import", "deals", source, "--on-conflict", "update")
    assert query(isolated, "SELECT amount, stage_id, closed_at FROM deal WHERE id = 1") == [(400000, 6, "2026-11-20")]
    # as a fresh import of the row would have it: the first open stage when created, won when closed
    assert query(isolated, "SELECT stage_id, entered_on FROM stage_history WHERE deal_id = 1 ORDER BY id") == [
        (1, "2026-09-01"), (6, "2026-11-20")
    ]
    reopen = write(tmp_path / "r.csv", "id,title,customer,amount,stage\n3,Acme again,Acme Ltd,999,negotiation\n")
    cli("import", "deals", reopen, "--on-conflict", "update")
    assert query(isolated, "SELECT title, stage_id, closed_at, lost_reason FROM deal WHERE id = 3") == [
        ("Acme again", 5, None, None)
    ]
    assert query(isolated, "SELECT stage_id, entered_on FROM stage_history WHERE deal_id = 3 ORDER BY id") == [
        (5, "2026-07-01")]
    same = write(tmp_path / "s.csv", "id,title,customer,amount\n1,Widgets,Acme Ltd,4000\n")  # no stage or date change
    cli("import", "deals", same, "--on-conflict", "update")
    assert query(isolated, "SELECT stage_id, entered_on FROM stage_history WHERE deal_id = 1 ORDER BY id") == [
        (1, "2026-09-01"), (6, "2026-11-20")]


def test_reimported_dates_rebuild_the_history_the_funnel_reads(cli, isolated, tmp_path, monkeypatch):
    """Issue 11: a corrected closed_at moved the revenue but left the history at the old won
    date; a corrected created_at left history from before the deal existed."""
    monkeypatch.setenv("SALESCLI_TODAY", "2026-10-01")
    cli("customer", "add", "Acme", "--no-followup")
    cli("deal", "add", "Pumps", "--customer", "acme", "--amount", "1k")  # created 10-01
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-23")
    cli("deal", "move", "1", "proposal", "--on", "2026-10-10")
    cli("deal", "win", "1", "--on", "2026-10-20")
    cli("export", "deals", "--output", tmp_path / "deals.csv")
    text = (tmp_path / "deals.csv").read_text()
    assert ",2026-10-01 12:00:00,2026-10-20," in text
    (tmp_path / "deals.csv").write_text(text.replace(",2026-10-20,", ",2026-11-05,"))  # won later than recorded
    cli("import", "deals", tmp_path / "deals.csv", "--on-conflict", "update")
    # by hand: created 10-01, won 11-05 → cycle 35 days; the history is lead 10-01 → won 11-05,
    # so the one finished stay (lead) lasts 35 days too — not 9 + 10 = 19 as before
    funnel = cli.json("report", "funnel")
    assert funnel["summary"]["avg_cycle_days"] == 35.0
    assert [(r["stage"], r["avg_days_in_stage"]) for r in funnel["rows"] if r["avg_days_in_stage"] is not None] == [
        ("lead", 35.0)]
    cli("target", "set", "revenue", "5k", "--period", "2026-11")
    assert cli.json("report", "targets")["rows"][0]["actual"] == 1000  # the revenue moved to November
    # a corrected created_at (10-15): nothing in the history before the deal existed
    text = (tmp_path / "deals.csv").read_text().replace("2026-10-01 12:00:00", "2026-10-15 09:00:00")
    (tmp_path / "deals.csv").write_text(text)
    cli("import", "deals", tmp_path / "deals.csv", "--on-conflict", "update")
    assert query(isolated, "SELECT stage_id, entered_on FROM stage_history ORDER BY id") == [
        (1, "2026-10-15"), (6, "2026-11-05")]
    # 10-15 → 11-05 = 21 days, both as the cycle and as the stay in lead; _stage_stay stays exact
    funnel = cli.json("report", "funnel")
    assert (funnel["summary"]["avg_cycle_days"], funnel["rows"][0]["avg_days_in_stage"]) == (21.0, 21.0)
    assert query(isolated, "SELECT stage_id, deal_id, days FROM _stage_stay") == [(1, 1, 21.0)]


def test_imports_refuse_dates_in_the_future(cli, isolated, tmp_path):
    seed(isolated)
    before = counts(isolated)
    deals = write(tmp_path / "d.csv", "title,customer,amount,stage,created_at,closed_at\n"
                                      "Soon,Acme Ltd,1,won,2026-11-01,2026-11-24\nNow,Acme Ltd,1,won,2026-11-01,2026-11-23\n")
    assert "row 2, column closed_at: 2026-11-24 is in the future" in cli.fails("import", "deals", deals)
    activities = write(tmp_path / "a.csv", "customer,type,done_at,due\nAcme Ltd,call,2026-11-24,\nAcme Ltd,call,,2026-11-24\n")
    error = cli.fails("import", "activities", activities)
    assert "row 2, column done_at: 2026-11-24 is in the future" in error and "row 3" not in error
    payments = write(tmp_path / "p.csv", "deal,amount,paid_on\n2,100,2026-12-01\n")
    assert "row 2, column paid_on: 2026-12-01 is in the future" in cli.fails("import", "payments", payments)
    assert counts(isolated) == before


def test_activities_and_payments_check_their_deal(cli, isolated, tmp_path):
    seed(isolated)
    activities = write(
        tmp_path / "a.csv",
        "customer,deal,type,summary,done_at,due,score\n"
        "Acme Ltd,2,call,wrong deal,2026-11-01,,\n"
        "Acme Ltd,,visit,no dates,,,\n"
        "Acme Ltd,,dance,bad type,2026-11-01,,9\n"
        "Acme Ltd,1,meet,ok,,fri,\n",
    )
    error = cli.fails("import", "activities", activities)
    assert "row 2, column deal: deal 2 belongs to another customer" in error
    assert "row 3, column done_at: an activity needs done_at (when it happened) or due" in error
    assert "row 4, column type: unknown activity type 'dance'" in error
    assert "row 4, column score: score 9 is out of range" in error
    assert "row 5" not in error
    payments = write(tmp_path / "p.csv", "deal,amount,paid_on\n1,100,2026-11-01\n99,100,2026-11-01\n2,-5,2026-11-01\n")
    error = cli.fails("import", "payments", payments)
    assert "row 2, column deal: deal 1 is not won" in error
    assert "row 3, column deal: no deal with id 99" in error
    assert "row 4, column amount:" in error and "negative" in error
    assert counts(isolated)["payment"] == 1 and counts(isolated)["activity"] == 2


def _won_deal_of(cli, amount: str) -> None:
    cli("customer", "add", "Acme", "--no-followup")
    cli("deal", "add", "Order", "--customer", "Acme", "--amount", amount, "--created", "2026-11-01")
    cli("deal", "win", "1", "--on", "2026-11-10")


def _payments(cli) -> list[tuple]:
    return [(p["id"], p["deal"], p["amount"], p["paid_on"]) for p in cli.json("export", "payments")]


def test_imported_payments_keep_to_what_deal_pay_takes(cli, any_store, tmp_path):
    """Each row as `deal pay` would take it, after the rows before it: an import recorded
    $165 against a $100 deal (and $0, and a payment before the deal was won)."""
    _won_deal_of(cli, "100")
    cli("deal", "pay", "1", "30", "--on", "2026-11-12")
    payments = write(tmp_path / "p.csv", "deal,amount,paid_on\n1,50,2026-11-20\n1,50,2026-11-20\n1,0,2026-11-20\n"
                                         "1,5,2026-11-01\n1,20,2026-11-21\n")
    error = cli.fails("import", "payments", payments)
    assert error.splitlines()[:3] == [
        "row 3, column amount: a payment of $50.00 would overpay deal 1: its outstanding balance is $20.00",
        "row 4, column amount: a payment must be more than zero",
        "row 5, column paid_on: 2026-11-01 is before deal 1 was won (2026-11-10)",
    ]
    assert "row 2" not in error and "row 6" not in error  # 30 + 50 + 20 = 100: paid in full
    assert _payments(cli) == [(1, 1, 30, "2026-11-12")]
    cli("import", "payments", payments, "--skip-invalid")
    assert _payments(cli) == [(1, 1, 30, "2026-11-12"), (2, 1, 50, "2026-11-20"), (3, 1, 20, "2026-11-21")]
    # an update counts without the amount it replaces: 30 → 31 overpays, 30 → 29 does not
    for amount, written in (("31", False), ("29", True)):
        update = write(tmp_path / "u.csv", f"id,deal,amount,paid_on\n1,1,{amount},2026-11-12\n")
        if written:
            cli("import", "payments", update, "--on-conflict", "update")
        else:
            assert "would overpay deal 1: its outstanding balance is $30.00" in cli.fails(
                "import", "payments", update, "--on-conflict", "update")
    assert [row[2] for row in _payments(cli)] == [29, 50, 20]


def test_an_imported_deal_with_payments_stays_won_at_no_less_than_paid(cli, any_store, tmp_path):
    """As `deal move` and `deal edit` refuse it: an import took a paid deal back to lead,
    or its amount below what was paid (a balance of -$45.00)."""
    _won_deal_of(cli, "100")
    cli("deal", "pay", "1", "95", "--on", "2026-11-12")
    exported = cli("export", "deals").stdout
    cheaper = write(tmp_path / "a.csv", exported.replace(",100.00,", ",50.00,"))
    assert "row 2, column amount: deal 1 has $95.00 paid: its amount cannot be less than that" in cli.fails(
        "import", "deals", cheaper, "--on-conflict", "update")
    reopened = write(tmp_path / "s.csv", exported.replace(",won,", ",lead,").replace(",2026-11-10,", ",,"))
    assert "row 2, column stage: deal 1 has $95.00 paid against it: it stays won" in cli.fails(
        "import", "deals", reopened, "--on-conflict", "update")
    assert cli("export", "deals").stdout == exported
    cli("import", "deals", write(tmp_path / "ok.csv", exported.replace(",100.00,", ",95.00,")), "--on-conflict", "update")
    assert [deal["amount"] for deal in cli.json("export", "deals")] == [95]


def test_a_western_european_excel_file_is_not_read_as_chinese(cli, isolated, tmp_path):
    """cp1252 bytes that happen to be GB18030 too went in as Chinese ("Müller GmbH" as
    "M黮ler GmbH") without a word: such a file now needs its encoding named."""
    text = "name,contact\r\nMüller GmbH,Herr Jürgen\r\nBäckerei Köhler,Frau Schön\r\n"
    western = write(tmp_path / "de.csv", text, "cp1252")
    error = cli.fails("import", "customers", western)
    assert "reads as GB18030 (Chinese) text, but 'M黮ler' in it looks like 'Müller' in a Western European encoding" in error
    assert "--encoding (cp1252 for Excel in Western Europe, gb18030 for Chinese)" in error
    cli("import", "customers", western, "--encoding", "cp1252")
    chinese = write(tmp_path / "zh.csv", "name,contact\r\nABC科技有限公司,张伟\r\niPhone专卖店,Amy王\r\n", "gb18030")
    cli("import", "customers", chinese)
    assert [c["name"] for c in cli.json("customer", "list")] == ["ABC科技有限公司", "Bäckerei Köhler", "iPhone专卖店", "Müller GmbH"]


def test_targets_values_by_metric(cli, isolated, tmp_path):
    source = write(
        tmp_path / "t.csv",
        "metric,period,value\nrevenue,2026-11,12000.50\nunits,2026-W48,30\nsatisfaction,2026,85%\nwon_deals,2026,1.5\n",
    )
    assert "row 5, column value: '1.5' is not a whole number" in cli.fails("import", "targets", source)
    source.write_text(source.read_text().replace("won_deals,2026,1.5\n", ""))
    cli("import", "targets", source)
    assert query(isolated, "SELECT metric, period, start, end, value FROM target ORDER BY id") == [
        ("revenue", "2026-11", "2026-11-01", "2026-11-30", 1200050),
        ("units", "2026-W48", "2026-11-23", "2026-11-29", 30),
        ("satisfaction", "2026", "2026-01-01", "2026-12-31", 8500),
    ]


def test_an_import_writes_with_no_savepoint_and_its_statement_journals_in_files(cli, isolated, tmp_path, monkeypatch):
    """Under a savepoint every changed page goes to the statement journal again: a
    100,000-row import took minutes. So the command's transaction opens none; the import's
    write has a larger page cache, and its statement journals in temporary files (in memory
    they grew with the file: next test), putting the settings back."""
    statements = traced_statements(monkeypatch)
    source = write(tmp_path / "c.csv", "name,tags\nAcme,vip\nBeta,\nGamma,north\n")
    result = cli("import", "customers", source)
    assert result.stdout == f"Imported customers from {source}: 3 created, 0 updated, 0 skipped.\n"
    assert [row[1] for row in customers(isolated)] == ["Acme", "Beta", "Gamma"]
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]
    begin, commit = statements.index("BEGIN IMMEDIATE"), statements.index("COMMIT")
    assert "PRAGMA temp_store = FILE" in statements[:begin]
    assert "PRAGMA cache_size = -8192" in statements[:begin]
    assert "PRAGMA temp_store = 0" in statements[commit:]  # as it was: the default


def sqlite_memory_peak():
    """A function that returns the most memory SQLite (the library salescli's connections
    use) has held since it was last called, in bytes, and starts counting again."""
    import ctypes

    import _sqlite3

    try:
        status = ctypes.CDLL(_sqlite3.__file__).sqlite3_status64  # the module's own SQLite, linked in or not
    except AttributeError:
        pytest.skip("SQLite's memory statistics cannot be reached from this Python")

    def peak() -> int:
        current, highest = ctypes.c_int64(), ctypes.c_int64()
        status(0, ctypes.byref(current), ctypes.byref(highest), 1)  # SQLITE_STATUS_MEMORY_USED, then reset
        return highest.value

    peak()
    return peak


def test_an_import_needs_no_more_memory_however_many_customers_the_file_holds(cli, isolated, tmp_path):
    """Issue 13: an import into a million customers peaked at 125 MiB, 50 MiB more than into
    100,000. Each ``INSERT … SELECT`` of 5,000 rows changes a page of every index for most
    rows, and its statement journal, kept in memory, held every such page: it grew with the
    file. Three imports of 3,000 customers with long names (few to an index page), each into
    a file larger by what the one before added: the last needs no more memory than the one
    before it, in SQLite (7 MiB more before) or in Python."""
    import random
    import tracemalloc

    names = random.Random(13)
    sqlite_peak = sqlite_memory_peak()

    def import_customers(number: int) -> None:
        source = tmp_path / f"c{number}.csv"
        source.write_text("name\n" + "".join(f"{names.randbytes(400).hex()} {number}-{row}\n" for row in range(3000)))
        cli("import", "customers", source)
        for backup in import_backups(isolated):  # tens of MB each
            (isolated.parent / backup).unlink()

    def peaks(number: int) -> tuple[int, int]:
        """SQLite's and Python's peak memory during import ``number``."""
        sqlite_peak()
        tracemalloc.start()
        try:
            import_customers(number)
            return sqlite_peak(), tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    import_customers(1)
    (sqlite_before, python_before), (sqlite_last, python_last) = peaks(2), peaks(3)
    assert query(isolated, "SELECT count(*) FROM customer") == [(9000,)]
    assert sqlite_before > 4 << 20  # SQLite counts what it holds: at least its page cache
    assert sqlite_last < sqlite_before + (2 << 20), (sqlite_before, sqlite_last)
    assert python_last < python_before + (1 << 20), (python_before, python_last)


def test_an_import_inserts_its_records_with_one_statement_per_batch(cli, isolated, tmp_path, monkeypatch):
    """One INSERT into a table with triggers per row cost 60 % more CPU than the same rows in
    one INSERT … SELECT (every statement opens its cursors and statement journal anew): the
    check puts the rows it planned into the spool (a temporary database attached to the
    connection), and the write inserts them from there into customer 5,000 at a time, and
    their tags likewise."""
    from salescli.transfer import importer

    monkeypatch.setattr(importer, "BATCH", 4)  # checked 4 rows at a time, written 5 at a time
    monkeypatch.setattr(importer, "WRITE_BATCH", 5)
    statements = traced_statements(monkeypatch)
    names = [f"Customer {n:02d}" for n in range(1, 13)]
    source = write(tmp_path / "c.csv", "name,tags\n" + "".join(f"{name},vip\n" for name in names))
    cli("import", "customers", source)
    # (the trace repeats a statement for each trigger it sets off: the distinct texts count)
    inserts = sorted({s for s in statements if s.startswith(("INSERT INTO customer (", "INSERT OR IGNORE INTO customer_tag"))})
    assert [s.split(" FROM ")[1].split(" AND IFNULL")[0] for s in inserts] == [
        "spool.plans_create WHERE rowid BETWEEN 1 AND 5",
        "spool.plans_create WHERE rowid BETWEEN 11 AND 12",
        "spool.plans_create WHERE rowid BETWEEN 6 AND 10",
    ] + [f"spool.plans_create s, json_each(s.extra) j WHERE s.extra IS NOT NULL AND s.rowid BETWEEN {rows}" for rows in ("1 AND 5", "11 AND 12", "6 AND 10")]
    assert not [s for s in statements if "INSERT INTO customer" in s and "VALUES" in s]  # no row inserted by itself
    assert statements.count("DETACH DATABASE spool") == 1
    assert query(isolated, "SELECT id, name FROM customer ORDER BY id") == list(enumerate(names, start=1))
    assert query(isolated, "SELECT count(*) FROM customer_tag WHERE tag = 'vip'") == [(12,)]


def test_backup_before_writing_keeps_three(cli, isolated, tmp_path):
    made = []
    for number in range(5):
        result = cli("import", "customers", write(tmp_path / f"c{number}.csv", f"name\nCustomer {number}\n"))
        made.append(result.stderr.split("Backed up the database to ")[1].strip())
    # `salescli backup`'s naming, labelled; the clock is fixed, so all five are taken "in the same second"
    stamp = "sales-import-20261123-120000"
    assert [os.path.basename(p) for p in made] == [f"{stamp}.db", *(f"{stamp}-{n}.db" for n in range(2, 6))]
    assert [str(isolated.parent / name) for name in import_backups(isolated)] == made[2:]
    for number, copy in enumerate(made[2:], start=2):
        path = isolated.parent / copy
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        # the database as it was before that import: the customers and commands of the imports before it,
        # none of the import's own (uncommitted) record
        assert query(path, "SELECT count(*) FROM customer")[0][0] == number
        assert query(path, "SELECT line FROM history_command ORDER BY id")[-1][0] == f"import customers {tmp_path}/c{number - 1}.csv"
        assert query(path, "SELECT count(*), command_id FROM history_state") == [(1, None)]
        assert query(path, "PRAGMA integrity_check") == [("ok",)]
    cli("backup")  # a backup the user asked for is never deleted by an import's
    cli("import", "customers", write(tmp_path / "c5.csv", "name\nCustomer 5\n"))
    assert import_backups(isolated) == [f"{stamp}-4.db", f"{stamp}-5.db", f"{stamp}-6.db"]
    assert (isolated.parent / "sales-20261123-120000.db").exists()


def test_the_backup_is_a_copy_of_the_file_unless_a_reader_holds_back_the_checkpoint(cli, isolated, tmp_path, monkeypatch):
    """The import's backup copies the file byte for byte once a checkpoint has folded every
    committed page into it; while a reader of an older snapshot keeps the checkpoint from
    finishing, it copies page by page. Either way it is the database as last committed."""
    from salescli.store import backup

    copied_whole = []
    whole_copy = backup._copy_committed_file
    monkeypatch.setattr(backup, "_copy_committed_file", lambda *paths: copied_whole.append(whole_copy(*paths)) or copied_whole[-1])
    cli("import", "customers", write(tmp_path / "a.csv", "name\nFirst\n"))
    reader = sqlite3.connect(isolated)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM customer").fetchone() == (1,)  # a snapshot of one customer
    cli("customer", "add", "Second")  # committed to the write-ahead log, after the reader's snapshot
    held = cli("import", "customers", write(tmp_path / "b.csv", "name\nThird\n")).stderr.split("Backed up the database to ")[1].strip()
    reader.close()
    whole = cli("import", "customers", write(tmp_path / "c.csv", "name\nFourth\n")).stderr.split("Backed up the database to ")[1].strip()
    assert copied_whole == [True, False, True]
    assert query(held, "SELECT name FROM customer ORDER BY id") == [("First",), ("Second",)]
    assert query(whole, "SELECT name FROM customer ORDER BY id") == [("First",), ("Second",), ("Third",)]
    for path in (held, whole):
        assert query(path, "PRAGMA integrity_check") == [("ok",)]
        assert query(path, "SELECT count(*), command_id FROM history_state") == [(1, None)]


def test_no_backup_when_nothing_is_written(cli, isolated, tmp_path):
    seed(isolated)
    cli("import", "customers", write(tmp_path / "c.csv", "name\nAcme Ltd\n"), "--on-conflict", "skip")
    assert import_backups(isolated) == []


def test_a_backup_that_cannot_be_written_stops_the_import(cli, isolated, tmp_path, monkeypatch):
    cli("import", "customers", write(tmp_path / "a.csv", "name\nFirst\n"))
    before, log = counts(isolated), cli("log").stdout

    def disk_full(source, target, **options):
        target.write_bytes(b"half a copy")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("salescli.store.backup._backup", disk_full)
    error = cli.fails("import", "customers", write(tmp_path / "b.csv", "name\nSecond\n"))
    assert error == (
        f"Error: cannot write the backup {isolated.parent}/sales-import-20261123-120000-2.db: "
        "No space left on device; nothing was imported\n"
    )
    assert counts(isolated) == before and cli("log").stdout == log
    assert import_backups(isolated) == ["sales-import-20261123-120000.db"]  # and no partial file left
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def another_command_writes_during_the_backup(monkeypatch, db, *statements: str) -> None:
    """Between the import's check and its write (while it backs up), another connection commits ``statements``."""
    from salescli.store import backup

    copy = backup.copy

    def copy_after_another_write(*args, **kwargs):
        other = sqlite3.connect(db)
        with other:
            for statement in statements:
                other.execute(statement)
        other.close()
        return copy(*args, **kwargs)

    monkeypatch.setattr(backup, "copy", copy_after_another_write)


def test_after_another_write_the_file_is_checked_again_and_counted_as_written(cli, isolated, tmp_path, monkeypatch):
    cli("rep", "add", "alice")
    another_command_writes_during_the_backup(
        monkeypatch, isolated,
        "INSERT INTO rep (handle, name, created_at) VALUES ('bob', 'Bob', '2026-11-23 11:00:00')",
        "INSERT INTO customer (name, updated_at) VALUES ('Delta', '2026-11-23 11:00:00')",
    )
    source = write(tmp_path / "c.csv", "name,owner,tags\nAcme,bob,vip\nBeta,alice,new; vip\nDelta,alice,\nGamma,,\n")
    result = cli("import", "customers", source, "--skip-invalid", "--on-conflict", "skip")
    rejects = tmp_path / "c.csv.rejects.csv"
    # Acme's owner did not exist when the file was checked: it stays rejected; Delta is there now: skipped
    assert result.stdout == f"Imported customers from {source}: 2 created, 0 updated, 1 skipped; 1 rejected, see {rejects}.\n"
    assert rejects.read_text(encoding="utf-8").splitlines()[1:] == [
        "Acme,bob,vip,\"column owner: no rep 'bob' (add it with 'salescli rep add', or import reps first)\""
    ]
    assert query(isolated, "SELECT c.id, c.name, r.handle FROM customer c LEFT JOIN rep r ON r.id = c.owner_id ORDER BY c.id") == [
        (1, "Delta", None), (2, "Beta", "alice"), (3, "Gamma", None),
    ]
    assert query(isolated, "SELECT customer_id, tag FROM customer_tag ORDER BY 1, 2") == [(2, "new"), (2, "vip")]
    cli("undo")
    assert query(isolated, "SELECT name FROM customer") == [("Delta",)] and query(isolated, "SELECT count(*) FROM customer_tag") == [(0,)]


@pytest.mark.parametrize("size", [4999, 5003])
def test_many_rows_in_batches(cli, isolated, tmp_path, size, monkeypatch):
    monkeypatch.setattr("salescli.commands.io.PROGRESS_FROM_BYTES", 0)
    rows = "".join(f"Customer {n},{n}\n" for n in range(size))
    result = cli("import", "customers", write(tmp_path / "c.csv", "name,phone\n" + rows))
    assert f"{size} created" in result.stdout
    assert "Checking" not in result.stderr  # no progress bar when stderr is not a terminal
    assert query(isolated, "SELECT count(*), min(id), max(id), count(DISTINCT name) FROM customer") == [(size, 1, size, size)]
    duplicate = write(tmp_path / "d.csv", "name\n" + rows + "customer 4500\n")
    assert f"row {size + 2}, column name: duplicates row 4502" in cli.fails("import", "customers", duplicate, "--on-conflict", "skip")


# ---------------------------------------------------------------- existing customers and new leads (issue 11)


def test_an_imported_customer_list_is_not_a_crowd_of_new_leads(cli, isolated, tmp_path, monkeypatch):
    cli("rep", "add", "alice", "--region", "north")
    cli("rep", "add", "bob")
    cli("customer", "add", "Walk-in", "--owner", "bob")  # a real new customer today, with its First contact
    cli("target", "set", "new_customers", "10", "--period", "2026-11")
    source = write(tmp_path / "c.csv", "name,region,owner\nAcme,north,\nBeta,,bob\nGamma,,\nDelta,south,\n")
    cli("import", "customers", source)
    # by hand: the 4 imported ones are existing customers; only Walk-in is new this month
    (target,) = cli.json("report", "targets")["rows"]
    assert (target["metric"], target["actual"]) == ("new_customers", 1)
    reps = {r["rep"]: r["new_customers"] for r in cli.json("report", "reps")["rows"]}  # all time
    assert reps == {"alice": 0, "bob": 1}
    assert query(isolated, "SELECT name, created_at, owner_id FROM customer WHERE id > 1 ORDER BY id") == [
        ("Acme", None, None), ("Beta", None, 2), ("Gamma", None, None), ("Delta", None, None)]
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-25")  # two days later: none of them is "uncontacted"
    rows = cli.json("report", "due")["rows"]
    assert [(r["bucket"], r["customer"]) for r in rows] == [("overdue", "Walk-in")]  # its First contact, due 11-24
    cli("activity", "log", "walk-in", "--type", "call")
    cli("report", "due", "--check")  # exit status 0: nothing overdue, nobody uncontacted
    # the round trip keeps them existing customers: the export's created_at is empty
    cli("export", "customers", "--output", tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text().splitlines()[2].endswith(",,2026-11-23 12:00:00")  # Acme


def test_import_customers_as_new_leads_or_with_owners_assigned(cli, isolated, tmp_path):
    cli("rep", "add", "alice", "--region", "north")
    cli("rep", "add", "bob")
    cli("target", "set", "new_customers", "10", "--period", "2026-11")
    leads = write(tmp_path / "leads.csv",
                  "name,region,owner,created_at\nL1,north,,\nL2,,,\nL3,,bob,\nL4,,,2026-11-02 09:00:00\n")
    cli("import", "customers", leads, "--leads")
    # owners by the rules, one at a time: L1 north → alice; L2 fewest (alice 1, bob 0) → bob;
    # L3 bob by the file (bob 2); L4 → alice (alice 1 < bob 2). Created now, unless the file says.
    assert query(isolated, "SELECT c.name, r.handle, c.created_at FROM customer c JOIN rep r ON r.id = c.owner_id "
                           "ORDER BY c.id") == [
        ("L1", "alice", "2026-11-23 12:00:00"), ("L2", "bob", "2026-11-23 12:00:00"),
        ("L3", "bob", "2026-11-23 12:00:00"), ("L4", "alice", "2026-11-02 09:00:00")]
    # a First contact each, for its owner, due 24 hours after it was created
    assert [(a["customer"], a["summary"], a["owner"], a["due"]) for a in cli.json("activity", "list")] == [
        ("L4", "First contact", "alice", "2026-11-03"), ("L1", "First contact", "alice", "2026-11-24"),
        ("L2", "First contact", "bob", "2026-11-24"), ("L3", "First contact", "bob", "2026-11-24")]
    (target,) = cli.json("report", "targets")["rows"]
    assert target["actual"] == 4  # all four are new in November
    # --assign alone: owners for the empty ones, but they stay existing customers (no date, no task)
    more = write(tmp_path / "more.csv", "name,region,owner\nM1,north,\nM2,,\nL2,,\n")
    cli("import", "customers", more, "--assign", "--on-conflict", "update")
    # loads now alice 2 (L1 L4), bob 2 (L2 L3): M1 north → alice (3); M2: alice 3, bob 2 → bob (3);
    # L2 (updated, owner cell empty): alice 3, bob 3 → alice (a tie: the lower handle); its open
    # First contact goes along with it
    assert query(isolated, "SELECT c.name, r.handle, c.created_at FROM customer c JOIN rep r ON r.id = c.owner_id "
                           "WHERE c.name IN ('M1', 'M2', 'L2') ORDER BY c.id") == [
        ("L2", "alice", "2026-11-23 12:00:00"), ("M1", "alice", None), ("M2", "bob", None)]
    assert query(isolated, "SELECT count(*) FROM activity") == [(4,)]
    assert query(isolated, "SELECT r.handle FROM activity a JOIN rep r ON r.id = a.owner_id "
                           "WHERE a.customer_id = 2") == [("alice",)]
    error = cli.fails("import", "deals", more, "--leads", code=2)
    assert "--leads and --assign are for importing customers" in error
