"""`salescli export`: the columns `import` reads, and round trips that lose nothing."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fixtures.sample import ORDER, seed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salescli import parse, store

CUSTOMERS_CSV = (
    "id,name,company,title,contact,phone,email,industry,region,size,source,tier,tags,owner,"
    "credit_limit,notes,created_at,updated_at,field:birthday,field:vat,field:微信\n"
    '1,Acme Ltd,Acme Holdings,CEO,Jane Roe,\'+1 555 0100,jane@acme.test,manufacturing,north,50-200,'
    'referral,A,North; vip,alice,50000.00,"Met at ""Expo"", wants a demo,\nthen a quote",'
    "2026-03-01 08:15:00,2026-03-02 09:00:00,1980-01-02,DE123,\n"
    "2,北京科技有限公司,北京科技,,王先生,13800138000,,software,华东,,web,B,重点客户,bob,,备注：重要客户,"
    "2026-04-10 14:00:00,2026-04-10 14:00:00,,,bj_tech\n"
    '5,"Quote ""Q"" Co",,,,,,,,,,,,,,,2026-05-20 11:11:11,2026-05-20 11:11:11,,,\n'
)


def test_customers_csv_is_exact(cli, isolated):
    seed(isolated)
    assert cli("export", "customers").stdout == CUSTOMERS_CSV


def test_every_entity_csv(cli, isolated):
    seed(isolated)
    assert cli("export", "deals").stdout == (
        "id,title,customer,amount,cost,product,quantity,stage,expected_close,owner,source,created_at,closed_at,lost_reason\n"
        "1,Widgets for Acme,Acme Ltd,3601.50,2400.00,P-100,3,proposal,2026-12-15,alice,referral,2026-09-01 10:00:00,,\n"
        "2,年度服务合同,北京科技有限公司,12000.50,,SVC-1,1,won,,bob,web,2026-06-01 09:00:00,2026-10-15,\n"
        '3,"Acme, second try",Acme Ltd,999.00,,,1,lost,2026-08-01,,,2026-07-01 12:00:00,2026-08-03,"price, ""too high"""\n'
    )
    assert cli("export", "activities").stdout == (
        "id,customer,deal,type,summary,owner,due,done_at,score,recurrence,notes,created_at\n"
        '1,Acme Ltd,1,call,"Discussed pricing, next steps",alice,,2026-09-05,4,,,2026-09-05 15:00:00\n'
        '2,北京科技有限公司,,task,回访客户,bob,2026-11-30,,,FREQ=WEEKLY;INTERVAL=2,"line one\nline two",2026-11-01 09:00:00\n'
    )
    assert cli("export", "targets").stdout == (
        "id,metric,period,rep,value\n"
        "1,revenue,2026-Q4,,500000.00\n"
        "2,won_deals,2026-11,alice,5\n"
        "3,satisfaction,2026,,80.5%\n"
    )
    assert cli("export", "reps").stdout == (
        "id,handle,name,email,active,commission_rate,regions,industries,created_at\n"
        "1,alice,Alice Wong,alice@example.com,true,5%,north; 华东,,2026-01-05 09:00:00\n"
        "2,bob,Bob,,false,0%,,retail,2026-02-01 10:30:00\n"
    )
    assert cli("export", "products").stdout == (
        'id,sku,name,price,cost,active\n1,P-100,"Widget, large",1200.50,800.00,true\n2,SVC-1,服务包,5000.00,,false\n'
    )
    assert cli("export", "payments").stdout == "id,deal,amount,paid_on,created_at\n1,2,5000.00,2026-11-01,2026-11-01 10:00:00\n"


def test_json_keys_and_values(cli, isolated):
    seed(isolated)
    customers = cli.json("export", "customers")
    assert list(customers[0]) == [
        "id", "name", "company", "title", "contact", "phone", "email", "industry", "region", "size",
        "source", "tier", "tags", "owner", "credit_limit", "notes", "fields", "created_at", "updated_at",
    ]
    assert customers[0]["tags"] == ["North", "vip"]
    assert customers[0]["credit_limit"] == 50000
    assert customers[0]["fields"] == {"birthday": "1980-01-02", "vat": "DE123"}
    assert customers[2]["fields"] == {} and customers[2]["tags"] == []
    assert cli.json("export", "deals")[1] == {
        "id": 2, "title": "年度服务合同", "customer": "北京科技有限公司", "amount": 12000.5, "cost": None,
        "product": "SVC-1", "quantity": 1, "stage": "won", "expected_close": None, "owner": "bob",
        "source": "web", "created_at": "2026-06-01 09:00:00", "closed_at": "2026-10-15", "lost_reason": None,
    }
    assert cli.json("export", "targets") == [
        {"id": 1, "metric": "revenue", "period": "2026-Q4", "rep": None, "value": 500000},
        {"id": 2, "metric": "won_deals", "period": "2026-11", "rep": "alice", "value": 5},
        {"id": 3, "metric": "satisfaction", "period": "2026", "rep": None, "value": 0.805},
    ]
    assert cli.json("export", "reps")[0] == {
        "id": 1, "handle": "alice", "name": "Alice Wong", "email": "alice@example.com", "active": True,
        "commission_rate": 0.05, "regions": ["north", "华东"], "industries": [], "created_at": "2026-01-05 09:00:00",
    }
    assert cli.json("export", "payments") == [
        {"id": 1, "deal": 2, "amount": 5000, "paid_on": "2026-11-01", "created_at": "2026-11-01 10:00:00"}
    ]


def test_empty_export_is_a_header_or_an_empty_array(cli):
    cli("init")
    assert cli("export", "payments").stdout == "id,deal,amount,paid_on,created_at\n"
    assert cli.json("export", "activity") == []


def test_output_file(cli, isolated, tmp_path):
    seed(isolated)
    target = tmp_path / "out" / "p.csv"
    target.parent.mkdir()
    result = cli("export", "products", "--output", target)
    assert result.stdout == ""
    assert "Exported 2 products to" in result.stderr
    assert target.read_text(encoding="utf-8").startswith("id,sku,name,price,cost,active\n1,P-100,")
    assert "cannot write" in cli.fails("export", "products", "-o", tmp_path / "missing" / "p.csv")


def test_bad_entity_and_format_are_usage_errors(cli):
    assert "unknown entity 'widgets'" in cli.fails("export", "widgets", code=2)
    assert "csv, json" in cli.fails("export", "customers", "--format", "xml", code=2)


def round_trip(cli, first_db: Path, second_db: Path, folder: Path) -> None:
    """Export every entity from ``first_db``, import them all into ``second_db``, and
    check the second export is byte-for-byte the first."""
    for entity in ORDER:
        cli("--db", first_db, "export", entity, "--output", folder / f"{entity}.csv")
    for entity in ORDER:
        cli("--db", second_db, "import", entity, folder / f"{entity}.csv")
    for entity in ORDER:
        again = cli("--db", second_db, "export", entity).stdout
        assert again == (folder / f"{entity}.csv").read_text(encoding="utf-8"), entity


def test_round_trip_of_every_entity(cli, isolated, tmp_path):
    seed(isolated)
    round_trip(cli, isolated, tmp_path / "copy.db", tmp_path)
    for entity in ORDER:
        assert cli("--db", tmp_path / "copy.db", "export", entity, "-f", "json").stdout == cli(
            "export", entity, "-f", "json"
        ).stdout


def test_a_list_typed_with_its_separator_is_what_a_file_reads(cli, isolated, tmp_path):
    """`--tag 'a;b'` is two tags, as the same text in a tags cell is: it was kept as one
    tag, which the export wrote as `a;b` and the import read back as two (and so for a
    rep's regions and industries, with the full-width ；too)."""
    cli("customer", "add", "Acme", "--tag", "vip;north", "--tag", "重点；客户", "--tag", " VIP ", "--no-followup")
    cli("rep", "add", "ann", "--region", "华东；华南", "--region", "north; ", "--industry", "retail;food")
    assert cli.json("customer", "show", "Acme")["tags"] == ["north", "vip", "客户", "重点"]
    assert [c["name"] for c in cli.json("customer", "list", "--tag", "VIP; north")] == ["Acme"]  # the filter reads it so too
    assert [(r["regions"], r["industries"]) for r in cli.json("rep", "list")] == [(["华东", "华南", "north"], ["retail", "food"])]
    cli("rep", "edit", "ann", "--industry", "b2b；retail")
    assert cli.json("rep", "list")[0]["industries"] == ["b2b", "retail"]
    assert "a tag cannot be empty" in cli.fails("customer", "edit", "Acme", "--add-tag", " ; ", code=2)
    round_trip(cli, isolated, tmp_path / "copy.db", tmp_path)
    for entity in ("customers", "reps"):
        assert cli("--db", tmp_path / "copy.db", "export", entity, "-f", "json").stdout == cli("export", entity, "-f", "json").stdout


def test_round_trip_through_a_postgresql_server_and_back(cli, isolated, tmp_path, pg_url):
    """Every entity exported from a file, imported into a server database, exported from it
    byte for byte the same; and from the server into a new file the same again."""
    seed(isolated)
    for folder in ("to-server", "back"):
        (tmp_path / folder).mkdir()
    round_trip(cli, isolated, pg_url, tmp_path / "to-server")
    round_trip(cli, pg_url, tmp_path / "back.db", tmp_path / "back")
    for entity in ORDER:
        first = cli("export", entity, "-f", "json").stdout
        assert cli("--db", pg_url, "export", entity, "-f", "json").stdout == first, entity
        assert cli("--db", tmp_path / "back.db", "export", entity, "-f", "json").stdout == first, entity


# ---------------------------------------------------------------- property: any customers survive

_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list('abcXYZ 0123,;"\'\n\t-_=+@\r')),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF),
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    ),
    min_size=1,
    max_size=20,
).map(str.strip).filter(bool)
_tag = _text.map(lambda t: t.replace(";", "").replace("；", "").strip()).filter(bool)
_customer = st.fixed_dictionaries(
    {
        "name": _text,
        "company": st.none() | _text,
        "phone": st.none() | _text,
        "notes": st.none() | _text,
        "tier": st.sampled_from([None, "A", "B", "C"]),
        "credit_limit": st.none() | st.integers(0, parse.MAX_CENTS),
        "tags": st.lists(_tag, max_size=3),
        "fields": st.dictionaries(st.sampled_from(["vat", "微信", "birthday", "note, with comma"]), _text, max_size=2),
    }
)


def _unique_by_name(customers: list[dict]) -> list[dict]:
    seen, unique = set(), []
    for customer in customers:
        key = customer["name"].encode().lower()
        if key not in seen:
            seen.add(key)
            unique.append(customer)
    return unique


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_customer, min_size=1, max_size=6).map(_unique_by_name))
def test_customers_round_trip_property(cli, customers):
    with tempfile.TemporaryDirectory() as folder:
        first = Path(folder) / "first.db"
        conn = store.connect(first, create=True)
        with conn:
            for number, c in enumerate(customers, start=1):
                conn.execute(
                    "INSERT INTO customer (id, name, company, phone, notes, tier, credit_limit, fields, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [number * 3, c["name"], c["company"], c["phone"], c["notes"], c["tier"], c["credit_limit"],
                     json.dumps(c["fields"], ensure_ascii=False), f"2026-01-{number:02d} 10:00:00", "2026-02-01 00:00:00"],
                )
                seen_tags = set()
                for tag in c["tags"]:
                    if tag.casefold() not in seen_tags:
                        seen_tags.add(tag.casefold())
                        conn.execute("INSERT INTO customer_tag VALUES (?, ?)", [number * 3, tag])
        conn.close()
        # the bytes: the runner's .stdout turns a cell's \r\n into \n
        exported = cli("--db", first, "export", "customers").stdout_bytes
        csv_file = Path(folder) / "customers.csv"
        csv_file.write_bytes(exported)
        second = Path(folder) / "second.db"
        cli("--db", second, "import", "customers", csv_file)
        assert cli("--db", second, "export", "customers").stdout_bytes == exported
        assert cli.json("--db", second, "export", "customers") == cli.json("--db", first, "export", "customers")


def test_a_long_export_looks_at_every_cell_of_every_batch(cli, isolated):
    """Cells are converted a thousand rows at a time, and only where needed: what needs
    it far down the file (a formula, a CR, tags to sort, a custom field) is still found."""
    conn = store.connect(isolated, create=True)
    with conn:
        conn.executemany(
            "INSERT INTO customer (id, name, phone, notes, fields, updated_at) VALUES (?, ?, ?, ?, ?, '2026-01-01 10:00:00')",
            [(n, f"Customer {n}", None, None, "{}") for n in range(1, 2501)],
        )
        conn.execute("UPDATE customer SET name = '=HYPERLINK(1)', phone = '+1 555' WHERE id = 2345")
        conn.execute("UPDATE customer SET notes = 'one' || char(13) || 'two', fields = '{\"vat\": \"DE1\"}' WHERE id = 2346")
        conn.executemany("INSERT INTO customer_tag VALUES (2347, ?)", [("b",), ("Émile",), ("A",), ("a",)])
    conn.close()
    lines = cli("export", "customers").stdout.split("\n")
    assert lines[0].endswith(",created_at,updated_at,field:vat")
    assert lines[1] == "1,Customer 1,,,,,,,,,,,,,,,,2026-01-01 10:00:00,"
    assert lines[2345] == "2345,'=HYPERLINK(1),,,,'+1 555,,,,,,,,,,,,2026-01-01 10:00:00,"
    assert lines[2346] == '2346,Customer 2346,,,,,,,,,,,,,,"one\rtwo",,2026-01-01 10:00:00,DE1'
    assert lines[2347] == "2347,Customer 2347,,,,,,,,,,,A; a; b; Émile,,,,,2026-01-01 10:00:00,"
    assert len(lines) == 2502 and lines[-1] == ""
    rows = json.loads(cli("export", "customers", "-f", "json").stdout)
    assert [rows[2344]["name"], rows[2345]["fields"], rows[2346]["tags"]] == ["=HYPERLINK(1)", {"vat": "DE1"}, ["A", "a", "b", "Émile"]]
