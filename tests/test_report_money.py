"""`report products`, `report lost`, `report sources` and `report receivables` (SPEC §6).

The business is ``analysis_data.scenario`` (its docstring lists every deal); today is
2026-11-23. Deals won in 2026-Q4: D1 4,000, D2 3,000, D3 1,000, D5 1,000, D6 500, D7 300,
D9 200 = 10,000. Lost in 2026-Q4: D12 1,200 "price", D13 800 (no reason), D14 600 " Price ".
"""

from __future__ import annotations

import datetime as dt

import pytest
from analysis_data import Q4, scenario, snapshot
from builders import Builder


def _book(cli, db):
    scenario(db)


@pytest.fixture
def book(any_store, copy_of):
    """The scenario's business, written once per test process and store and copied for each test."""
    return copy_of(_book)


# ---------------------------------------------------------------- products


def test_products_q4(cli, book):
    report = cli.json("report", "products", "--period", "2026-Q4")
    assert (report["report"], report["period"]) == ("products", Q4)
    assert report["rows"] == [
        # D1: 2 widgets, 4,000 − 2,400 = 1,600; rate 1,600 ÷ 4,000; share 4,000 ÷ 10,000
        {"sku": "WID", "name": "Widget", "units": 2, "revenue": 4000, "share": 0.4, "margin": 1600,
         "margin_rate": 0.4},
        # D2 3,000 (cost unknown) + D7 300 (cost 100): margin 200 over 300 only = 0.6667; share 3,300 ÷ 10,000
        {"sku": None, "name": None, "units": 2, "revenue": 3300, "share": 0.33, "margin": 200,
         "margin_rate": 0.6667},
        # D3 1,000 − 600 = 400 and D6 500 − 600 = −100: 300 ÷ 1,500 = 0.2
        {"sku": "GAD", "name": "Gadget", "units": 2, "revenue": 1500, "share": 0.15, "margin": 300,
         "margin_rate": 0.2},
        # D5 (×2) 1,000 + D9 (×1) 200, no known cost: margin unknown
        {"sku": "SVC", "name": "Service", "units": 3, "revenue": 1200, "share": 0.12, "margin": None,
         "margin_rate": None},
        # active, never sold: listed with zeros (OLD is inactive and unsold: left out)
        {"sku": "KIT", "name": "Kit", "units": 0, "revenue": 0, "share": 0.0, "margin": None, "margin_rate": None},
    ]
    # units 2 + 2 + 2 + 3; margin 1,600 + 200 + 300 = 2,100 over 4,000 + 300 + 1,500 = 5,800 → 0.36206…
    assert report["summary"] == {"units": 9, "revenue": 10000, "margin": 2100, "margin_rate": 0.3621}


def test_products_period_and_owner(cli, book):
    september = cli.json("report", "products", "--period", "2026-09")
    # D4 2 gadgets 2,000 (cost 1,200) and D8 800 without product or cost; total 2,800
    assert september["rows"] == [
        {"sku": "GAD", "name": "Gadget", "units": 2, "revenue": 2000, "share": 0.7143, "margin": 800,
         "margin_rate": 0.4},
        {"sku": None, "name": None, "units": 1, "revenue": 800, "share": 0.2857, "margin": None,
         "margin_rate": None},
        {"sku": "KIT", "name": "Kit", "units": 0, "revenue": 0, "share": 0.0, "margin": None, "margin_rate": None},
        {"sku": "SVC", "name": "Service", "units": 0, "revenue": 0, "share": 0.0, "margin": None, "margin_rate": None},
        {"sku": "WID", "name": "Widget", "units": 0, "revenue": 0, "share": 0.0, "margin": None, "margin_rate": None},
    ]
    alice = cli.json("report", "products", "--period", "2026-Q4", "--owner", "alice")
    # alice in Q4: D1 (WID) 4,000 and D2 (no product, cost unknown) 3,000; total 7,000
    assert [(r["name"], r["units"], r["revenue"], r["share"], r["margin"]) for r in alice["rows"][:2]] == [
        ("Widget", 2, 4000, 0.5714, 1600),
        (None, 1, 3000, 0.4286, None),
    ]
    assert alice["summary"] == {"units": 3, "revenue": 7000, "margin": 1600, "margin_rate": 0.4}


def test_products_formats(cli, book):
    assert cli("report", "products", "-p", "2026-Q4", "-f", "csv").stdout == (
        "sku,name,units,revenue,share,margin,margin_rate\n"
        "WID,Widget,2,4000.00,0.4,1600.00,0.4\n"
        ",,2,3300.00,0.33,200.00,0.6667\n"
        "GAD,Gadget,2,1500.00,0.15,300.00,0.2\n"
        "SVC,Service,3,1200.00,0.12,,\n"
        "KIT,Kit,0,0.00,0.0,,\n"
    )
    plain = cli("report", "products", "-p", "2026-Q4").stdout.splitlines()
    assert plain[0] == "Products — 2026-Q4"
    assert plain[3].split() == ["(no", "product)", "2", "$3,300.00", "33.0%", "$200.00", "66.7%"]
    assert "| GAD   | Gadget       |       2 | $1,500.00 |" in cli("report", "products", "-p", "2026-Q4",
                                                                  "-f", "markdown").stdout


# ---------------------------------------------------------------- lost


def test_lost_q4(cli, book):
    report = cli.json("report", "lost", "--period", "2026-Q4")
    assert (report["report"], report["period"]) == ("lost", Q4)
    assert report["rows"] == [
        # "price" (D12 1,200) and " Price " (D14 600) are one reason: 1,800 ÷ 2,600 = 0.69230…
        {"reason": "Price", "deals": 2, "value": 1800, "share": 0.6923},
        # D13 800 lost without a reason: 800 ÷ 2,600 = 0.30769…
        {"reason": None, "deals": 1, "value": 800, "share": 0.3077},
    ]
    assert report["summary"] == {"deals": 3, "value": 2600}


def test_lost_owner_and_all_time(cli, book):
    bob = cli.json("report", "lost", "--period", "2026-Q4", "--owner", "bob")
    # bob: D13 800 (no reason), D14 600 Price; 800 ÷ 1,400 = 0.5714, 600 ÷ 1,400 = 0.4286
    assert bob["rows"] == [
        {"reason": None, "deals": 1, "value": 800, "share": 0.5714},
        {"reason": "Price", "deals": 1, "value": 600, "share": 0.4286},
    ]
    assert bob["summary"] == {"deals": 2, "value": 1400}
    every = cli.json("report", "lost")
    # + D15 900 "timing" (08-15): total 3,500 → 1,800 ÷ 3,500, 900 ÷ 3,500, 800 ÷ 3,500
    assert [(r["reason"], r["value"], r["share"]) for r in every["rows"]] == [
        ("Price", 1800, 0.5143),
        ("timing", 900, 0.2571),
        (None, 800, 0.2286),
    ]


def test_lost_formats(cli, book):
    assert cli("report", "lost", "-p", "2026-Q4", "-f", "tsv").stdout == (
        "reason\tdeals\tvalue\tshare\nPrice\t2\t1800.00\t0.6923\n\t1\t800.00\t0.3077\n"
    )
    plain = cli("report", "lost", "-p", "2026-Q4").stdout
    assert plain.splitlines()[2].split() == ["Price", "2", "$1,800.00", "69.2%"]
    assert "value  $2,600.00" in plain
    assert "| (no reason) |       1 |   $800.00 |" in cli("report", "lost", "-p", "2026-Q4", "-f", "markdown").stdout


# ---------------------------------------------------------------- sources


def test_sources_q4(cli, book):
    report = cli.json("report", "sources", "--period", "2026-Q4")
    assert (report["report"], report["period"]) == ("sources", Q4)
    assert report["rows"] == [
        # customers added in Q4: Dune. Deals created: D2 ("Web"), D6, D13 (Dune's source) = 3.
        # Won: D2 3,000 + D3 (Birch's source) 1,000 + D6 500 = 4,500 from 3; lost D13: 3 ÷ 4.
        {"source": "web", "customers": 1, "deals": 3, "won": 3, "win_rate": 0.75, "revenue": 4500,
         "avg_deal": 1500},
        # Acme added; deals created D9, D17; won D1 (no deal source → Acme's) 4,000 + D9 200 = 4,200 ÷ 2
        {"source": "referral", "customers": 1, "deals": 2, "won": 2, "win_rate": 1.0, "revenue": 4200,
         "avg_deal": 2100},
        # Cobalt added; D5, D14 created; D5 won 1,000, D14 lost: 1 ÷ 2
        {"source": "ads", "customers": 1, "deals": 2, "won": 1, "win_rate": 0.5, "revenue": 1000,
         "avg_deal": 1000},
        # Fjord has no source (and was added 09-15): D7 created, won 300
        {"source": None, "customers": 0, "deals": 1, "won": 1, "win_rate": 1.0, "revenue": 300,
         "avg_deal": 300},
        # Elm added; D12 (lost) and D16 (open) created: 0 ÷ 1
        {"source": "event", "customers": 1, "deals": 2, "won": 0, "win_rate": 0.0, "revenue": 0,
         "avg_deal": None},
    ]
    # won 7, lost 3 → 0.7; 10,000 ÷ 7 = 1,428.571…
    assert report["summary"] == {"customers": 4, "deals": 10, "won": 7, "win_rate": 0.7, "revenue": 10000,
                                 "avg_deal": 1428.57}


def test_sources_period_and_owner(cli, book):
    september = cli.json("report", "sources", "--from", "2026-09-01", "--to", "2026-09-30")
    # added: Fjord (no source); created: D1 (referral); won: D4 Birch (web) 2,000, D8 Fjord 800
    assert september["rows"] == [
        {"source": "web", "customers": 0, "deals": 0, "won": 1, "win_rate": 1.0, "revenue": 2000, "avg_deal": 2000},
        {"source": None, "customers": 1, "deals": 0, "won": 1, "win_rate": 1.0, "revenue": 800,
         "avg_deal": 800},
        {"source": "referral", "customers": 0, "deals": 1, "won": 0, "win_rate": None, "revenue": 0, "avg_deal": None},
    ]
    alice = cli.json("report", "sources", "--period", "2026-Q4", "--owner", "alice")
    # alice: Acme added (referral); D17 created (referral), D1 won (referral) 4,000; D2 created and won (web) 3,000
    assert alice["rows"] == [
        {"source": "referral", "customers": 1, "deals": 1, "won": 1, "win_rate": 1.0, "revenue": 4000,
         "avg_deal": 4000},
        {"source": "web", "customers": 0, "deals": 1, "won": 1, "win_rate": 1.0, "revenue": 3000, "avg_deal": 3000},
    ]
    assert alice["summary"] == {"customers": 1, "deals": 2, "won": 2, "win_rate": 1.0, "revenue": 7000,
                                "avg_deal": 3500}


def test_sources_formats(cli, book):
    csv = cli("report", "sources", "-p", "2026-Q4", "-f", "csv").stdout.splitlines()
    assert csv[0] == "source,customers,deals,won,win_rate,revenue,avg_deal"
    assert csv[5] == "event,1,2,0,0.0,0.00,"
    plain = cli("report", "sources", "-p", "2026-Q4").stdout.splitlines()
    assert plain[2].split() == ["web", "1", "3", "3", "75.0%", "$4,500.00", "$1,500.00"]
    assert "| (no source) |" in cli("report", "sources", "-p", "2026-Q4", "-f", "markdown").stdout


# ---------------------------------------------------------------- receivables

RECEIVABLES = [
    # D3 1,000 (won 10-01, 53 days) + D4 2,000 (won 09-30, 54 days), nothing paid; no limit
    {"customer": "Birch", "billed": 3000, "paid": 0, "outstanding": 3000, "0_30": 0, "31_60": 3000, "61_90": 0,
     "over_90": 0, "credit_limit": None, "over_limit": False},
    # D1 4,000 paid in full; D2 3,000 with 1,000 paid (partial) → 2,000, won 11-20: 3 days old
    {"customer": "Acme", "billed": 7000, "paid": 5000, "outstanding": 2000, "0_30": 2000, "31_60": 0, "61_90": 0,
     "over_90": 0, "credit_limit": 5000, "over_limit": False},
    # D7 300 won today (0 days) + D8 800 won 09-01 (83 days): 1,100 > limit 1,000
    {"customer": "Fjord", "billed": 1100, "paid": 0, "outstanding": 1100, "0_30": 300, "31_60": 0, "61_90": 800,
     "over_90": 0, "credit_limit": 1000, "over_limit": True},
    # D5 1,000 won 10-15 (39 days): at the limit of 1,000, not over it
    {"customer": "Cobalt", "billed": 1000, "paid": 0, "outstanding": 1000, "0_30": 0, "31_60": 1000, "61_90": 0,
     "over_90": 0, "credit_limit": 1000, "over_limit": False},
    # D9 200 paid; D11 1,500 with 500 paid, won 2025-06-15 (526 days)
    {"customer": "Grove", "billed": 1700, "paid": 700, "outstanding": 1000, "0_30": 0, "31_60": 0, "61_90": 0,
     "over_90": 1000, "credit_limit": None, "over_limit": False},
    # Dune (D6) and Heath (D10) paid in full, Elm never won: no balance, not listed
]


def test_receivables(cli, book):
    report = cli.json("report", "receivables")
    assert (report["report"], report["period"]) == ("receivables", None)
    assert report["rows"] == RECEIVABLES  # largest balance first; Cobalt and Grove tie at 1,000: by name
    assert report["summary"] == {
        "customers": 5,
        "billed": 13800,  # 3,000 + 7,000 + 1,100 + 1,000 + 1,700
        "paid": 5700,  # 5,000 + 700
        "outstanding": 8100,  # 3,000 + 2,000 + 1,100 + 1,000 + 1,000
        "0_30": 2300,  # 2,000 + 300
        "31_60": 4000,  # 3,000 + 1,000
        "61_90": 800,
        "over_90": 1000,
        "over_limit": 1,
    }


def test_receivables_summary_adds_up_the_rows_written(cli, book):
    """With --limit the programs' formats and plain text sum the balances they wrote (the
    summary fills in as the rows go past); a table counts every balance."""
    first_two = cli.json("report", "receivables", "--limit", "2")
    assert first_two["rows"] == RECEIVABLES[:2]
    assert first_two["summary"] == {
        "customers": 2, "billed": 10000, "paid": 5000, "outstanding": 5000, "0_30": 2000, "31_60": 3000, "61_90": 0,
        "over_90": 0, "over_limit": 0,
    }
    plain = cli("report", "receivables", "--limit", "3").stdout.splitlines()
    assert plain[-9:] == [
        "customers    3", "billed       $11,100.00", "paid         $5,000.00", "outstanding  $6,100.00",
        "0–30 days    $2,300.00", "31–60        $3,000.00", "61–90        $800.00", "over 90      $0.00", "over limit   1",
    ]


def test_receivables_owner_and_a_later_today(cli, book, monkeypatch):
    alice = cli.json("report", "receivables", "--owner", "alice")  # her customers: Birch (D3 is bob's deal), Acme
    assert alice["rows"] == RECEIVABLES[:2]
    assert alice["summary"]["outstanding"] == 5000
    monkeypatch.setenv("SALESCLI_TODAY", "2026-12-24")
    later = {r["customer"]: r for r in cli.json("report", "receivables")["rows"]}
    # a month on: Acme's D2 (11-20) is 34 days old; Birch's D3/D4 84 and 85; Fjord's D8 114
    assert (later["Acme"]["0_30"], later["Acme"]["31_60"]) == (0, 2000)
    assert later["Birch"]["61_90"] == 3000
    assert (later["Fjord"]["31_60"], later["Fjord"]["over_90"]) == (300, 800)


def test_receivables_formats_and_no_period(cli, book):
    csv = cli("report", "receivables", "-f", "csv").stdout.splitlines()
    assert csv[0] == "customer,billed,paid,outstanding,0_30,31_60,61_90,over_90,credit_limit,over_limit"
    assert csv[3] == "Fjord,1100.00,0.00,1100.00,300.00,0.00,800.00,0.00,1000.00,true"
    assert csv[1] == "Birch,3000.00,0.00,3000.00,0.00,3000.00,0.00,0.00,,false"
    plain = cli("report", "receivables").stdout.splitlines()
    assert plain[0] == "Receivables — 2026-11-23"
    assert plain[4].split()[-1] == "yes"  # Fjord
    assert "| Grove      |" in cli("report", "receivables", "-f", "markdown").stdout
    cli.fails("report", "receivables", "--period", "2026", code=2)  # a snapshot at today: no period


def test_ageing_buckets_at_their_edges(cli, isolated):
    # today 2026-11-23: a balance won d days ago, for d = -1, 0, 30, 31, 60, 61, 90, 91, 400
    b = Builder(isolated)
    today = dt.date(2026, 11, 23)
    for days in (-1, 0, 30, 31, 60, 61, 90, 91, 400):
        won = (today - dt.timedelta(days=days)).isoformat()
        b.customer(f"Aged {days}")
        b.deal(f"D{days}", customer=f"Aged {days}", amount=100 + days, history=[("lead", "2025-01-01"), ("won", won)])
    rows = {row["customer"]: row for row in cli.json("report", "receivables")["rows"]}
    buckets = {days: [key for key in ("0_30", "31_60", "61_90", "over_90") if rows[f"Aged {days}"][key]]
               for days in (-1, 0, 30, 31, 60, 61, 90, 91, 400)}
    assert buckets == {-1: ["0_30"], 0: ["0_30"], 30: ["0_30"], 31: ["31_60"], 60: ["31_60"], 61: ["61_90"],
                       90: ["61_90"], 91: ["over_90"], 400: ["over_90"]}
    assert rows["Aged 91"]["over_90"] == 1.91  # 191 cents


def test_an_overpaid_deal_does_not_hide_another_balance(cli, isolated):
    b = Builder(isolated)
    b.customer("X", credit_limit=50_000)
    b.customer("Y")
    overpaid = b.deal("X1", customer="X", amount=100_000, history=[("lead", "2026-10-01"), ("won", "2026-11-01")])
    b.deal("X2", customer="X", amount=50_000, history=[("lead", "2026-07-01"), ("won", "2026-08-01")])
    paid = b.deal("Y1", customer="Y", amount=100, history=[("lead", "2026-10-01"), ("won", "2026-11-01")])
    b.payment(overpaid, 120_000, "2026-11-02")  # 1,000 − 1,200: its unpaid rest is 0, not −200
    b.payment(paid, 100, "2026-11-02")
    report = cli.json("report", "receivables")
    # 2026-08-01 → 2026-11-23 = 114 days; 500.00 is at the limit, not over; Y owes nothing
    assert report["rows"] == [{"customer": "X", "billed": 1500, "paid": 1200, "outstanding": 500, "0_30": 0,
                               "31_60": 0, "61_90": 0, "over_90": 500, "credit_limit": 500, "over_limit": False}]
    assert report["summary"]["customers"] == 1


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", ["products", "lost", "sources"])
def test_bad_input_is_a_clean_error_and_writes_nothing(cli, book, name):
    before = snapshot(book)
    assert "not a period" in cli.fails("report", name, "--period", "last-fortnight", code=2)
    assert "no rep 'zed'" in cli.fails("report", name, "--owner", "zed")
    assert "ends (2026-01-01) before it starts" in cli.fails(
        "report", name, "--from", "2026-02-01", "--to", "2026-01-01", code=2
    )
    assert snapshot(book) == before


def test_receivables_unknown_owner(cli, book):
    before = snapshot(book)
    assert "no rep 'zed'" in cli.fails("report", "receivables", "--owner", "zed")
    assert snapshot(book) == before


def test_empty_book(cli):
    cli("init")
    assert cli("report", "lost").stdout == "Lost deals — all time\nNo deals lost in this period.\n"
    assert cli.json("report", "receivables") == {
        "report": "receivables", "period": None, "rows": [],
        "summary": {"customers": 0, "billed": 0, "paid": 0, "outstanding": 0, "0_30": 0, "31_60": 0, "61_90": 0,
                    "over_90": 0, "over_limit": 0},
    }
    assert cli.json("report", "sources")["summary"] == {
        "customers": 0, "deals": 0, "won": 0, "win_rate": None, "revenue": 0, "avg_deal": None,
    }
