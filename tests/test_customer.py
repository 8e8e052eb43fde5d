import sqlite3

import pytest
from wcwidth import wcswidth

from salescli.commands import common
from salescli.store.customers import normalised_name, phone_key

ACME = {
    "id": 1, "name": "Acme Ltd", "company": "Acme Holdings", "title": "Buyer", "contact": "Jane Roe",
    "phone": "+1 555-0100", "email": "jane@acme.example", "industry": "retail", "region": "north",
    "size": "50-200", "source": "referral", "tier": "A", "tags": ["vip", "Wholesale"], "owner": "alice",
    "credit_limit": 50000, "notes": "Pays late", "fields": {"vat": "GB123"},
    "created_at": "2026-11-23 12:00:00", "updated_at": "2026-11-23 12:00:00",
}


def add_acme(cli):
    return cli(
        "customer", "add", "Acme Ltd", "--company", "Acme Holdings", "--title", "Buyer", "--contact", "Jane Roe",
        "--phone", "+1 555-0100", "--email", "jane@acme.example", "--industry", "retail", "--region", "north",
        "--size", "50-200", "--source", "referral", "--tier", "a", "--tag", "Wholesale", "--tag", "vip",
        "--owner", "alice", "--credit-limit", "50k", "--note", "Pays late", "--field", "vat=GB123",
    )


def bare(name, **changes):
    """A customer as listed in JSON, with nothing but a name (and ``changes``)."""
    base = {key: None for key in ACME}
    base.update(name=name, tags=[], fields={}, created_at=ACME["created_at"], updated_at=ACME["updated_at"])
    return {**base, **changes}


def counts(db):
    conn = sqlite3.connect(db)
    return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("customer", "customer_tag", "activity", "deal", "payment", "stage_history")}


def run_sql(db, sql, *params):
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(sql, params)
    conn.close()


def insert_deal(db, deal_id, customer_id, title, amount, stage, *, created="2026-11-01", closed=None,
                expected_close=None, owner=1):
    """A deal with its stage history, written directly (the deal commands live elsewhere)."""
    run_sql(db, "INSERT INTO deal (id, title, customer_id, amount, stage_id, owner_id, created_at, closed_at, "
                "expected_close) VALUES (?, ?, ?, ?, (SELECT id FROM stage WHERE name = ?), ?, ?, ?, ?)",
            deal_id, title, customer_id, amount, stage, owner, f"{created} 09:00:00", closed, expected_close)
    run_sql(db, "INSERT INTO stage_history (deal_id, stage_id, entered_on) VALUES (?, 1, ?)", deal_id, created)
    if closed:
        run_sql(db, "INSERT INTO stage_history (deal_id, stage_id, entered_on) "
                    "VALUES (?, (SELECT id FROM stage WHERE name = ?), ?)", deal_id, stage, closed)


def insert_activity(db, activity_id, customer_id, type_, summary, *, done=None, due=None, score=None,
                    deal=None, owner=1):
    run_sql(db, "INSERT INTO activity (id, customer_id, deal_id, type, summary, owner_id, due, done_at, score, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '2026-11-01 09:00:00')",
            activity_id, customer_id, deal, type_, summary, owner, due, done, score)


def follow_ups(db):
    conn = sqlite3.connect(db)
    return conn.execute(
        "SELECT a.customer_id, a.type, a.summary, r.handle, a.due, a.done_at "
        "FROM activity a LEFT JOIN rep r ON r.id = a.owner_id ORDER BY a.id"
    ).fetchall()


@pytest.fixture
def reps(cli):
    cli("rep", "add", "alice", "--region", "north")
    cli("rep", "add", "bob", "--industry", "retail")
    cli("rep", "add", "carol", "--region", "south", "--industry", "retail")


# ---------------------------------------------------------------- add and list


def test_add_prints_the_id_and_list_shows_every_field(cli, reps):
    assert add_acme(cli).stdout == "1\n"
    assert cli("customer", "add", "Beta", "--no-followup", "--owner", "bob").stdout == "2\n"
    assert cli.json("customer", "list") == [ACME, bare("Beta", id=2, owner="bob")]


def test_list_is_sorted_by_name_and_filters(cli, reps, isolated):
    add_acme(cli)
    cli("customer", "add", "beta shop", "--tier", "B", "--tag", "VIP", "--source", "web", "--owner", "bob",
        "--region", "South", "--industry", "Retail")
    cli("customer", "add", "Alpha", "--contact", "Li Lei", "--phone", "(021) 6543-2100", "--owner", "carol")

    def names(*args):
        return [row["name"] for row in cli.json("customer", "list", *args)]

    assert names() == ["Acme Ltd", "Alpha", "beta shop"]
    assert names("--tier", "b") == ["beta shop"]
    assert names("--tag", "vip") == ["Acme Ltd", "beta shop"]
    assert names("--tag", "vip", "--tag", "wholesale") == ["Acme Ltd"]
    assert names("--owner", "bob") == ["beta shop"]
    assert names("--source", "WEB") == ["beta shop"]
    assert names("--industry", "retail") == ["Acme Ltd", "beta shop"]
    assert names("--region", "south") == ["beta shop"]
    assert names("--search", "HOLDINGS") == ["Acme Ltd"]  # company, any case
    assert names("--search", "li lei") == ["Alpha"]  # contact
    assert names("--search", "65432100") == ["Alpha"]  # phone digits, however it is written
    assert names("--search", "acme.example") == ["Acme Ltd"]  # email
    assert names("--search", "pays") == ["Acme Ltd"]  # notes
    assert names("--search", "%") == []  # LIKE wildcards are literal
    assert names("--search", "zzz") == []
    assert "no rep 'zed'" in cli.fails("customer", "list", "--owner", "zed")


def test_list_limit_and_plain_columns(cli):
    cli("init")
    assert cli("customer", "list").stdout == "No customers yet: add one with 'salescli customer add NAME'.\n"
    for name in ("Delta", "Alpha", "Charlie", "Bravo"):
        cli("customer", "add", name, "--tier", "C", "--tag", "x")
    lines = cli("customer", "list").stdout.splitlines()
    assert lines[0].split() == ["id", "name", "company", "contact", "phone", "source", "tier", "tags", "owner"]
    assert [line.split()[1] for line in lines[1:]] == ["Alpha", "Bravo", "Charlie", "Delta"]
    # an explicit --limit limits every format; without it plain, csv and json show every row
    assert [r["name"] for r in cli.json("customer", "list", "--limit", "2")] == ["Alpha", "Bravo"]
    assert len(cli("customer", "list", "-f", "csv", "--limit", "3").stdout.splitlines()) == 4
    assert len(cli("customer", "list", "-f", "csv").stdout.splitlines()) == 5
    assert cli("customer", "list", "-f", "csv").stdout.splitlines()[0] == (
        "id,name,company,title,contact,phone,email,industry,region,size,source,tier,tags,owner,"
        "credit_limit,notes,fields,created_at,updated_at"
    )
    assert cli("customer", "list", "--search", "nobody").stdout == "No customers match.\n"


def test_list_table_says_how_many_more(cli, monkeypatch):
    from salescli import output

    for name in ("Alpha", "Bravo", "Charlie"):
        cli("customer", "add", name)
    monkeypatch.setattr(output, "stdout_isatty", lambda: True)
    shown = cli("customer", "list", "--limit", "2", "-f", "table").stdout
    assert "Alpha" in shown and "Bravo" in shown and "Charlie" not in shown
    assert "… 1 more row (use --limit N" in shown


# ---------------------------------------------------------------- owner and first contact


def test_owner_by_region_then_industry_then_load(cli, reps):
    cli("customer", "add", "North One", "--region", "North")  # alice covers north
    cli("customer", "add", "Shop", "--industry", "retail")  # bob and carol both cover retail, both own none: bob (lowest handle)
    cli("customer", "add", "South Shop", "--region", "south", "--industry", "retail")  # carol matches both
    cli("customer", "add", "Nowhere")  # loads alice 1, bob 1, carol 1 -> alice (lowest handle)
    cli("customer", "add", "Nowhere Else")  # alice 2, bob 1, carol 1 -> bob
    owners = {row["name"]: row["owner"] for row in cli.json("customer", "list")}
    assert owners == {"North One": "alice", "Shop": "bob", "South Shop": "carol", "Nowhere": "alice",
                      "Nowhere Else": "bob"}


def test_owner_skips_inactive_reps_and_refuses_them(cli, reps, isolated):
    cli("rep", "deactivate", "alice")
    cli("customer", "add", "North One", "--region", "north")
    assert cli.json("customer", "list")[0]["owner"] == "bob"
    before = counts(isolated)
    assert "inactive" in cli.fails("customer", "add", "Two", "--owner", "alice")
    assert counts(isolated) == before


def test_no_reps_means_no_owner_but_first_contact_is_still_planned(cli, isolated):
    assert cli("customer", "add", "Solo").stdout == "1\n"
    assert cli.json("customer", "list")[0]["owner"] is None
    assert follow_ups(isolated) == [(1, "task", "First contact", None, "2026-11-24", None)]


def test_first_contact_is_due_after_the_configured_hours(cli, reps, isolated, monkeypatch):
    cli("customer", "add", "One", "--region", "north")
    cli("config", "set", "first_contact_hours", "48")
    cli("customer", "add", "Two", "--owner", "bob")
    cli("customer", "add", "Three", "--no-followup")
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-23T23:30")
    cli("config", "set", "first_contact_hours", "1")
    cli("customer", "add", "Four", "--owner", "", "--region", "north")  # '' = no owner, even with a match
    assert follow_ups(isolated) == [
        (1, "task", "First contact", "alice", "2026-11-24", None),
        (2, "task", "First contact", "bob", "2026-11-25", None),
        (4, "task", "First contact", None, "2026-11-24", None),
    ]


def test_add_says_owner_and_first_contact_on_a_terminal(cli, reps, monkeypatch):
    from salescli import output

    monkeypatch.setattr(output, "stdout_isatty", lambda: True)
    assert cli("customer", "add", "One", "--region", "north").stdout == (
        "Added customer 1: owner alice, first contact due 2026-11-24\n"
    )
    assert cli("customer", "add", "Two", "--no-followup", "--owner", "").stdout == "Added customer 2: owner none\n"


# ---------------------------------------------------------------- Chinese names


def test_chinese_names_add_lookup_and_align(cli):
    cli("customer", "add", "北京星辰科技有限公司", "--contact", "王伟", "--phone", "010-12345678")
    cli("customer", "add", "Beta", "--contact", "Bo", "--phone", "555")
    assert cli.json("customer", "show", "北京星辰科技有限公司")["id"] == 1
    assert cli.json("customer", "show", "北京星辰")["contact"] == "王伟"
    assert "no customer '上海'" in cli.fails("customer", "show", "上海")
    lines = cli("customer", "list").stdout.splitlines()
    # every column starts at the same display column on every line
    header = lines[0]
    for column in ("name", "contact", "phone", "owner"):
        start = wcswidth(header[: header.index(column)])
        for line, value in ((lines[1], "Beta"), (lines[2], "北京星辰科技有限公司")):
            cell = {"name": value, "contact": "Bo" if value == "Beta" else "王伟",
                    "phone": "555" if value == "Beta" else "010-12345678", "owner": None}[column]
            if cell:
                assert wcswidth(line[: line.index(cell)]) == start, (column, line)


# ---------------------------------------------------------------- errors write nothing


def test_bad_input_writes_nothing(cli, reps, isolated):
    add_acme(cli)
    before = counts(isolated)
    assert "cannot be empty" in cli.fails("customer", "add", "  ", code=2)
    assert "'Acme Ltd' already exists (#1)" in cli.fails("customer", "add", "ACME LTD")
    assert "A, B or C" in cli.fails("customer", "add", "New", "--tier", "D", code=2)
    assert "credit limit 'lots' is not an amount" in cli.fails("customer", "add", "New", "--credit-limit", "lots", code=2)
    assert "no rep 'zed': known reps are alice, bob, carol" in cli.fails("customer", "add", "New", "--owner", "zed")
    assert "only digits" in cli.fails("customer", "add", "123", code=2)
    assert "not KEY=VALUE" in cli.fails("customer", "add", "New", "--field", "novalue", code=2)
    assert "tag cannot be empty" in cli.fails("customer", "add", "New", "--tag", " ", code=2)
    assert counts(isolated) == before


def test_references_unknown_and_ambiguous(cli, isolated):
    cli("customer", "add", "Acme Ltd")
    cli("customer", "add", "Acme Trading")
    cli("customer", "add", "Zenith Acme")
    assert cli.json("customer", "show", "acme t")["name"] == "Acme Trading"
    assert cli.json("customer", "show", "3")["name"] == "Zenith Acme"
    error = cli.fails("customer", "show", "acme")
    assert "ambiguous" in error and "Acme Ltd (#1)" in error and "Acme Trading (#2)" in error
    assert "did you mean Acme Ltd, Acme Trading, Zenith Acme?" in cli.fails("customer", "show", "cme")
    assert "did you mean" not in cli.fails("customer", "show", "Beta")
    before = counts(isolated)
    assert "ambiguous" in cli.fails("customer", "edit", "acme", "--tier", "A")
    assert "no customer 'nobody'" in cli.fails("customer", "delete", "nobody", "--yes")
    assert "no customer 'nobody'" in cli.fails("customer", "merge", "nobody", "acme ltd")
    assert counts(isolated) == before


# ---------------------------------------------------------------- show


def test_show_card_json(cli, reps, isolated):
    add_acme(cli)
    cli("customer", "add", "Other", "--no-followup")
    insert_deal(isolated, 1, 1, "Pumps", 1_200_000, "proposal", expected_close="2026-12-15")
    insert_deal(isolated, 2, 1, "Valves", 500_050, "won", created="2026-10-01", closed="2026-10-20", owner=2)
    insert_deal(isolated, 3, 2, "Not ours", 999, "lead")
    insert_activity(isolated, 10, 1, "call", "Intro call", done="2026-11-10")
    insert_activity(isolated, 11, 1, "visit", "Site visit", done="2026-11-18", score=5, deal=1)
    insert_activity(isolated, 12, 1, "email", "Chase quote", due="2026-11-20", owner=2)
    insert_activity(isolated, 13, 2, "call", "Not ours", done="2026-11-22")
    card = cli.json("customer", "show", "acme")
    assert card == {
        **ACME,
        "deals": [
            {"id": 1, "title": "Pumps", "stage": "proposal", "amount": 12000, "expected_close": "2026-12-15",
             "owner": "alice"},
            {"id": 2, "title": "Valves", "stage": "won", "amount": 5000.5, "expected_close": None, "owner": "bob"},
        ],
        "activities": [
            {"id": 11, "done_at": "2026-11-18", "type": "visit", "summary": "Site visit", "owner": "alice", "score": 5},
            {"id": 10, "done_at": "2026-11-10", "type": "call", "summary": "Intro call", "owner": "alice", "score": None},
        ],
        "follow_ups": [
            {"id": 12, "due": "2026-11-20", "type": "email", "summary": "Chase quote", "owner": "bob",
             "days_overdue": 3},
            {"id": 1, "due": "2026-11-24", "type": "task", "summary": "First contact", "owner": "alice",
             "days_overdue": None},
        ],
        "summary": {"open_pipeline": 12000, "won_revenue": 5000.5, "last_contact": "2026-11-18"},
    }


def test_show_card_plain(cli, isolated):
    cli("customer", "add", "Acme", "--tag", "vip", "--field", "vat=GB1", "--credit-limit", "1,000.5", "--no-followup")
    insert_deal(isolated, 1, 1, "Pumps", 1_200_000, "proposal", owner=None)
    text = cli("customer", "show", "acme").stdout
    assert text.startswith("Acme (#1)\nid            1\nname          Acme\n")
    assert "tags          vip\n" in text and "fields        vat=GB1\n" in text
    assert "credit limit  $1,000.50\n" in text
    assert "Deals\n" in text and "Pumps" in text and "$12,000.00" in text
    assert "Activity\nNone.\n" in text and "Open follow-ups\nNone.\n" in text
    assert text.endswith("open pipeline: $12,000.00 · won revenue: $0.00 · last contact: -\n")


# ---------------------------------------------------------------- edit


def test_edit_changes_only_what_is_given(cli, reps, isolated, monkeypatch):
    add_acme(cli)
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-24T09:30")
    out = cli("customer", "edit", "acme", "--phone", "555-0199", "--tier", "", "--add-tag", "key", "--add-tag", "VIP",
              "--remove-tag", "WHOLESALE", "--field", "vat=", "--field", "wechat=acme01", "--owner", "bob",
              "--credit-limit", "").stdout
    assert out == "Updated customer Acme Ltd (#1); its open work went along to bob: 1 open follow-up\n"
    assert cli.json("customer", "list") == [{
        **ACME, "phone": "555-0199", "tier": None, "tags": ["key", "vip"], "fields": {"wechat": "acme01"},
        "owner": "bob", "credit_limit": None, "updated_at": "2026-11-24 09:30:00",
    }]
    cli("customer", "edit", "1", "--owner", "", "--tag", "new", "--tag", "other", "--name", "Acme Group", "--company", "")
    row = cli.json("customer", "list")[0]
    assert (row["name"], row["owner"], row["tags"], row["company"]) == ("Acme Group", None, ["new", "other"], None)
    cli("customer", "edit", "acme group", "--tag", "")
    assert cli.json("customer", "list")[0]["tags"] == []
    assert cli("customer", "edit", "acme group").stdout == "Nothing to change.\n"


def test_edit_errors_write_nothing(cli, reps, isolated):
    add_acme(cli)
    cli("customer", "add", "Beta")
    before = cli.json("customer", "list")
    assert "'Beta' already exists" in cli.fails("customer", "edit", "acme", "--name", "BETA")
    assert "cannot be empty" in cli.fails("customer", "edit", "acme", "--name", "", code=2)
    assert "A, B or C" in cli.fails("customer", "edit", "acme", "--tier", "x", "--phone", "1", code=2)
    assert "no rep 'zed'" in cli.fails("customer", "edit", "acme", "--owner", "zed", "--phone", "1")
    assert "'lots'" in cli.fails("customer", "edit", "acme", "--credit-limit", "lots", code=2)
    assert cli.json("customer", "list") == before
    cli("customer", "edit", "acme", "--name", "ACME LTD")  # its own name in another case is fine
    assert cli.json("customer", "show", "1")["name"] == "ACME LTD"


# ---------------------------------------------------------------- delete


def test_delete_asks_and_refuses_without_a_terminal(cli, isolated, monkeypatch):
    cli("customer", "add", "Acme", "--tag", "vip")
    before = counts(isolated)
    assert "not at a terminal" in cli.fails("customer", "delete", "acme")
    monkeypatch.setattr(common, "stdin_isatty", lambda: True)
    result = cli("customer", "delete", "acme", input="n\n", code=1)
    assert "Delete customer Acme (#1) with 1 open follow-up?" in result.stderr
    assert "cancelled" in result.stderr
    assert counts(isolated) == before
    # (the runner echoes the typed answer to stdout; a terminal would not)
    assert cli("customer", "delete", "acme", input="y\n").stdout.endswith(
        "\nDeleted customer Acme (#1) with 1 open follow-up\n"
    )
    assert counts(isolated) == {"customer": 0, "customer_tag": 0, "activity": 0, "deal": 0, "payment": 0,
                                "stage_history": 0}


def test_delete_with_history_needs_cascade(cli, isolated):
    cli("customer", "add", "Acme", "--no-followup")
    cli("customer", "add", "Keep")
    insert_deal(isolated, 1, 1, "Pumps", 100, "won", closed="2026-11-05", owner=None)
    run_sql(isolated, "INSERT INTO payment (deal_id, amount, paid_on, created_at) VALUES (1, 50, '2026-11-06', 'x')")
    insert_activity(isolated, 5, 1, "call", "Called", done="2026-11-02", owner=None)
    insert_activity(isolated, 6, 1, "task", "Send invoice", due="2026-11-30", deal=1, owner=None)
    before = counts(isolated)
    error = cli.fails("customer", "delete", "acme", "--yes")
    assert "has 1 deal and 1 logged activity: add --cascade" in error
    assert counts(isolated) == before
    assert cli("customer", "delete", "acme", "--yes", "--cascade").stdout == (
        "Deleted customer Acme (#1) with 1 deal, 1 payment, 1 logged activity, 1 open follow-up\n"
    )
    assert counts(isolated) == {"customer": 1, "customer_tag": 0, "activity": 1, "deal": 0, "payment": 0,
                                "stage_history": 0}


# ---------------------------------------------------------------- merge


def test_merge_moves_everything_and_keeps_history(cli, reps, isolated):
    add_acme(cli)
    cli("customer", "add", "ACME limited", "--phone", "999", "--contact", "Other", "--tag", "VIP", "--tag", "old",
        "--field", "vat=XX", "--field", "wechat=acme01", "--note", "Met at fair", "--owner", "bob")
    cli("customer", "add", "Bystander", "--owner", "bob", "--no-followup")
    cli("customer", "edit", "acme ltd", "--email", "", "--size", "")
    insert_deal(isolated, 1, 2, "Pumps", 1000, "won", closed="2026-11-05")
    run_sql(isolated, "INSERT INTO payment (deal_id, amount, paid_on, created_at) VALUES (1, 50, '2026-11-06', 'x')")
    insert_activity(isolated, 7, 2, "call", "Called", done="2026-11-02", deal=1)
    history = sqlite3.connect(isolated).execute("SELECT * FROM stage_history ORDER BY id").fetchall()
    # both first-contact tasks go: the merged customer was called, and has a won deal
    assert cli("customer", "merge", "acme lim", "acme ltd").stdout == (
        "Merged ACME limited (#2) into Acme Ltd (#1): moved 1 deal, 2 activities, 1 tag; filled in notes, fields; "
        "removed open 'First contact' task #1, #2 (the customer has been contacted)\n"
    )
    card = cli.json("customer", "show", "acme")
    assert (card["phone"], card["contact"], card["owner"], card["email"]) == ("+1 555-0100", "Jane Roe", "alice", None)
    assert card["tags"] == ["old", "vip", "Wholesale"]
    assert card["fields"] == {"vat": "GB123", "wechat": "acme01"}
    assert card["notes"] == "Pays late\nMet at fair"
    assert [d["title"] for d in card["deals"]] == ["Pumps"]
    assert [a["summary"] for a in card["activities"]] == ["Called"]
    assert card["follow_ups"] == []
    db = sqlite3.connect(isolated)
    assert db.execute("SELECT * FROM stage_history ORDER BY id").fetchall() == history
    assert db.execute("SELECT deal_id, amount FROM payment").fetchall() == [(1, 50)]
    assert db.execute("SELECT id, deal_id, done_at FROM activity WHERE id = 7").fetchall() == [(7, 1, "2026-11-02")]
    assert [r["name"] for r in cli.json("customer", "list")] == ["Acme Ltd", "Bystander"]


def test_merge_fills_empty_fields_from_the_duplicate(cli, isolated):
    cli("customer", "add", "Old Name", "--phone", "123", "--tier", "B", "--credit-limit", "5k", "--no-followup")
    cli("customer", "add", "New Name", "--email", "a@b.example")
    out = cli("customer", "merge", "old", "new").stdout
    assert out == "Merged Old Name (#1) into New Name (#2): moved 0 deals, 0 activities, 0 tags; filled in phone, tier, credit_limit\n"
    row = cli.json("customer", "list")[0]
    assert (row["phone"], row["tier"], row["credit_limit"], row["email"]) == ("123", "B", 5000, "a@b.example")
    assert counts(isolated)["activity"] == 1


def test_merge_refuses_itself(cli, isolated):
    cli("customer", "add", "Acme")
    before = counts(isolated)
    assert "into itself" in cli.fails("customer", "merge", "acme", "1")
    assert counts(isolated) == before


# ---------------------------------------------------------------- duplicates


def test_duplicates_groups_by_name_phone_and_email(cli, reps):
    cli("customer", "add", "Acme Ltd.", "--phone", "+86 138 0013 8000", "--owner", "alice")
    cli("customer", "add", "ACME, Inc", "--phone", "13800138000", "--owner", "bob")
    cli("customer", "add", "北京星辰科技有限公司", "--owner", "carol")
    cli("customer", "add", "北京星辰科技股份有限公司", "--owner", "carol")
    cli("customer", "add", "Zed", "--email", "Sales@Zed.example", "--owner", "bob")
    cli("customer", "add", "Zed Trading", "--email", "sales@zed.example ", "--owner", "bob")
    cli("customer", "add", "Alone", "--phone", "1234", "--owner", "bob")
    cli("customer", "add", "Also Alone", "--phone", "1234", "--owner", "bob")  # too short to compare
    assert cli.json("customer", "duplicates") == [
        {"group": 1, "reason": "name, phone", "id": 1, "name": "Acme Ltd.", "phone": "+86 138 0013 8000", "email": None, "owner": "alice"},
        {"group": 1, "reason": "name, phone", "id": 2, "name": "ACME, Inc", "phone": "13800138000", "email": None, "owner": "bob"},
        {"group": 2, "reason": "email", "id": 5, "name": "Zed", "phone": None, "email": "Sales@Zed.example", "owner": "bob"},
        {"group": 2, "reason": "email", "id": 6, "name": "Zed Trading", "phone": None, "email": "sales@zed.example", "owner": "bob"},
        {"group": 3, "reason": "name", "id": 3, "name": "北京星辰科技有限公司", "phone": None, "email": None, "owner": "carol"},
        {"group": 3, "reason": "name", "id": 4, "name": "北京星辰科技股份有限公司", "phone": None, "email": None, "owner": "carol"},
    ]
    cli("customer", "merge", "acme ltd", "acme, inc")
    cli("customer", "merge", "zed trading", "zed")
    cli("customer", "merge", "北京星辰科技股份", "北京星辰科技有限公司")
    assert cli("customer", "duplicates").stdout == "No likely duplicates.\n"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Acme Ltd", "acme"), ("ACME Limited", "acme"), ("Acme, Inc.", "acme"), ("acme  llc", "acme"),
        ("Müller GmbH", "müller"), ("Smith & Co.", "smith"), ("Star Tech Corp", "startech"),
        ("北京星辰科技有限公司", "北京星辰科技"), ("北京星辰科技股份有限公司", "北京星辰科技"), ("星辰公司", "星辰"),
        ("ＡＣＭＥ　Ｌｔｄ", "acme"), ("Limited", "limited"), ("公司", "公司"),
    ],
)
def test_normalised_name(name, key):
    assert normalised_name(name) == key


def test_phone_key():
    assert phone_key("+86 138-0013-8000") == phone_key("13800138000") == "00138000"
    assert phone_key("555-0100") is None
    assert phone_key(None) is None


def test_every_customer_command_has_help(cli):
    for command in ("add", "list", "show", "edit", "delete", "merge", "duplicates"):
        assert "Usage" in cli("customer", command, "--help").stdout


def test_a_new_owner_takes_the_open_work_along(cli, reps, isolated):
    """Issue 11: `customer edit --owner` left the customer's open follow-ups with the old rep."""
    cli("customer", "add", "Acme", "--owner", "alice")  # First contact #1 (alice)
    cli("activity", "plan", "acme", "Send samples", "--due", "fri")  # #2 alice
    cli("activity", "plan", "acme", "Site visit", "--due", "fri", "--owner", "bob")  # #3 bob's own: stays
    cli("activity", "log", "acme", "--type", "note", "--summary", "Likes blue")  # #4 done: history stays alice's
    cli("deal", "add", "Pumps", "--customer", "acme", "--amount", "1k")  # 1 alice
    cli("deal", "add", "Valves", "--customer", "acme", "--amount", "2k")  # 2 alice, won: closed, stays
    cli("deal", "win", "2")  # (answers First contact #1: it goes)
    out = cli("customer", "edit", "acme", "--owner", "carol").stdout
    # by hand: alice's open work on Acme is deal 1 and follow-up #2 → 1 deal, 1 open follow-up
    assert out == "Updated customer Acme (#1); its open work went along to carol: 1 deal, 1 open follow-up\n"
    db = sqlite3.connect(isolated)
    owners = "SELECT x.id, r.handle FROM {} x LEFT JOIN rep r ON r.id = x.owner_id ORDER BY x.id"
    assert db.execute(owners.format("deal")).fetchall() == [(1, "carol"), (2, "alice")]
    assert db.execute(owners.format("activity")).fetchall() == [(2, "carol"), (3, "bob"), (4, "alice")]
