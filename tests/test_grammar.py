"""Messages read right for one and for many: `1 open deal`, `an amount`, `the 1 row that is valid`."""

from __future__ import annotations

from salescli.grammar import article, inflect, plural


def test_the_helpers():
    assert [plural(n, "open deal") for n in (0, 1, 2)] == ["0 open deals", "1 open deal", "2 open deals"]
    assert plural(1200, "activity") == "1,200 activities" and plural(2, "stage history entry") == "2 stage history entries"
    assert plural(3, "open follow-up") == "3 open follow-ups" and plural(2, "day") == "2 days"
    assert [inflect(n, w) for n, w in ((1, "is"), (2, "is"), (1, "it"), (3, "it"))] == ["is", "are", "it", "them"]
    assert [article(w) for w in ("amount", "deal", "activities", "units", "open stage", "hour")] == [
        "an amount", "a deal", "an activities", "a units", "an open stage", "an hour",
    ]


def _team(cli, deals: int) -> None:
    cli("rep", "add", "alice")
    cli("rep", "add", "bob")
    cli("customer", "add", "Acme", "--owner", "bob")
    for number in range(deals):
        cli("deal", "add", f"Pumps {number}", "-c", "Acme", "--amount", "5")


def test_one_of_each_moved_is_singular(cli):
    _team(cli, deals=1)
    assert cli("rep", "deactivate", "bob", "--reassign-to", "alice").stdout == (
        "Deactivated rep bob; 1 customer, 1 open deal and 1 open follow-up moved to alice\n"
    )


def test_several_moved_are_plural(cli):
    _team(cli, deals=2)
    cli("customer", "add", "Zenith", "--owner", "bob")
    assert cli("rep", "deactivate", "bob", "--reassign-to", "alice").stdout == (
        "Deactivated rep bob; 2 customers, 2 open deals and 2 open follow-ups moved to alice\n"
    )


def test_an_amount_and_an_activities_target(cli):
    cli("customer", "add", "Acme")
    assert "amount '-5' is negative: an amount cannot be below zero" in cli.fails("deal", "add", "x", "-c", "Acme", "--amount", "-5", code=2)
    assert "an activities target must be above zero" in cli.fails("target", "set", "activities", "0", "-p", "2026", code=2)
    assert cli.json("deal", "list") == [] and cli.json("target", "list") == []


def test_import_counts_its_rows(cli, tmp_path):
    one_bad = tmp_path / "one.csv"
    one_bad.write_text("name,tier,Colour\nGood,A,red\nBad,Z,blue\n", encoding="utf-8")
    error = cli.fails("import", "customers", one_bad)
    assert error.startswith("Warning: ignoring column 'Colour': use")
    assert error.endswith(
        "Error: 1 row is invalid, so nothing was written: correct it, or use --skip-invalid to import the 1 row that is valid\n"
    )
    assert "; 1 row is invalid. Nothing was written." in cli("import", "customers", one_bad, "--dry-run", code=1).stdout
    two_bad = tmp_path / "two.csv"
    two_bad.write_text("name,tier,Colour,Mood\nGood,A,red,x\nOk,B,,\nBad,Z,blue,y\nWorse,Q,,\n", encoding="utf-8")
    error = cli.fails("import", "customers", two_bad)
    assert error.startswith("Warning: ignoring columns 'Colour', 'Mood': use")
    assert "2 rows are invalid, so nothing was written: correct them, or use --skip-invalid to import the 2 rows that are valid" in error
    assert cli.json("customer", "list") == []


def test_a_stage_with_one_deal(cli):
    cli("customer", "add", "Acme")
    cli("deal", "add", "Pumps", "-c", "Acme", "--amount", "5")
    assert "stage 'lead' has 1 deal in it: move it to another stage first" in cli.fails("stage", "delete", "lead")


def test_stale_report_for_one_day(cli):
    cli("init")
    assert cli("report", "stale", "--days", "1").stdout == "Open deals idle for 1 day or more\nNo open deal has been idle for 1 day or more.\n"


def test_export_counts_what_it_wrote(cli, tmp_path):
    cli("customer", "add", "Acme")
    cli("deal", "add", "Pumps", "-c", "Acme", "--amount", "5")
    assert cli("export", "deals", "-o", tmp_path / "d.csv").stderr == f"Exported 1 deal to {tmp_path / 'd.csv'}\n"
    cli("customer", "add", "Zenith", "--no-followup")
    cli("activity", "log", "Zenith", "-t", "call")
    cli("activity", "log", "Zenith", "-t", "visit")
    assert "Exported 3 activities to" in cli("export", "activities", "-o", tmp_path / "a.csv").stderr


def test_an_activities_target_too_small_to_split(cli):
    error = cli.fails("target", "set", "activities", "2", "--period", "2027-Q1", "--split", "months")
    assert error.startswith("Error: an activities target of 2 is too small to split into 3 months")
    assert cli.json("target", "list") == []
