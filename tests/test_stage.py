import pytest
from seed import counts, customer

DEFAULT = [
    {"name": "lead", "position": 10, "probability": 0.1, "kind": "open", "deals": 0, "amount": 0},
    {"name": "contacted", "position": 20, "probability": 0.2, "kind": "open", "deals": 0, "amount": 0},
    {"name": "qualified", "position": 30, "probability": 0.4, "kind": "open", "deals": 0, "amount": 0},
    {"name": "proposal", "position": 40, "probability": 0.6, "kind": "open", "deals": 0, "amount": 0},
    {"name": "negotiation", "position": 50, "probability": 0.8, "kind": "open", "deals": 0, "amount": 0},
    {"name": "won", "position": 60, "probability": 1.0, "kind": "won", "deals": 0, "amount": 0},
    {"name": "lost", "position": 70, "probability": 0.0, "kind": "lost", "deals": 0, "amount": 0},
]


@pytest.fixture(autouse=True)
def database(cli):
    cli("init")  # commands that only read refuse a missing file


def order(cli):
    return [(s["name"], s["position"], s["kind"]) for s in cli.json("stage", "list")]


def test_default_stages(cli):
    assert cli.json("stage", "list") == DEFAULT


def test_list_counts_deals_and_value(cli, isolated):
    customer(cli, isolated, "Acme")
    cli("deal", "add", "A", "-c", "Acme", "--amount", "1k")
    cli("deal", "add", "B", "-c", "Acme", "--amount", "2.5k")
    cli("deal", "add", "C", "-c", "Acme", "--amount", "4k", "--stage", "won")
    listed = {s["name"]: (s["deals"], s["amount"]) for s in cli.json("stage", "list")}
    assert listed["lead"] == (2, 3500) and listed["won"] == (1, 4000) and listed["proposal"] == (0, 0)
    lines = cli("stage", "list").stdout.splitlines()
    assert lines[0].split() == ["name", "position", "probability", "kind", "deals", "amount"]
    assert lines[1].split() == ["lead", "10", "10.0%", "open", "2", "$3,500.00"]


def test_add_places_and_renumbers(cli):
    assert cli("stage", "add", "demo", "--probability", "50%", "--after", "qualified").stdout == "8\n"
    cli("stage", "add", "nurture", "-p", "5")  # open: after the last open stage
    cli("stage", "add", "disqualified", "--kind", "lost")  # lost: at the end, probability 0
    cli("stage", "add", "won-trial", "--kind", "won")  # won: after the last won stage
    cli("stage", "add", "cold", "-p", "5", "--before", "lead")
    assert order(cli) == [
        ("cold", 10, "open"), ("lead", 20, "open"), ("contacted", 30, "open"), ("qualified", 40, "open"),
        ("demo", 50, "open"), ("proposal", 60, "open"), ("negotiation", 70, "open"), ("nurture", 80, "open"),
        ("won", 90, "won"), ("won-trial", 100, "won"), ("lost", 110, "lost"), ("disqualified", 120, "lost"),
    ]
    probabilities = {s["name"]: s["probability"] for s in cli.json("stage", "list")}
    assert (probabilities["demo"], probabilities["nurture"], probabilities["won-trial"], probabilities["disqualified"]) == (
        0.5, 0.05, 1.0, 0.0
    )


def test_edit_renames_reprices_and_moves(cli):
    assert cli("stage", "edit", "neg", "--name", "closing", "-p", "90", "--after", "qualified").stdout == (
        "Updated stage closing\n"
    )
    assert order(cli)[:5] == [
        ("lead", 10, "open"), ("contacted", 20, "open"), ("qualified", 30, "open"),
        ("closing", 40, "open"), ("proposal", 50, "open"),
    ]
    assert cli.json("stage", "list")[3]["probability"] == 0.9
    assert cli("stage", "edit", "lead").stdout == "Nothing to change.\n"


def test_a_stage_is_found_by_its_own_name_when_another_differs_only_in_an_accented_capital(cli, isolated):
    """Stage names are unique in any case of A–Z (as customer names, skus and tags), so
    "Étude" and "étude" are two stages: each command hits the one it names (`stage edit
    étude` used to edit "Étude", the first in the pipeline that matched in any case)."""
    cli("stage", "add", "Étude", "--after", "lead", "-p", "15")
    cli("stage", "add", "étude", "--after", "Étude", "-p", "12")
    cli("stage", "edit", "étude", "-p", "13")
    cli("stage", "edit", "ÉTUDE", "-p", "16")  # ÉTUDE is Étude as the unique key compares names
    probabilities = {s["name"]: s["probability"] for s in cli.json("stage", "list")}
    assert (probabilities["Étude"], probabilities["étude"]) == (0.16, 0.13)
    customer(cli, isolated, "Acme")
    cli("deal", "add", "A", "-c", "Acme", "--amount", "100", "--stage", "étude")
    assert [(d["title"], d["stage"]) for d in cli.json("deal", "list")] == [("A", "étude")]
    cli("stage", "edit", "ÉT", "-p", "18")  # a prefix, compared in the same way first
    assert {s["name"]: s["probability"] for s in cli.json("stage", "list")}["Étude"] == 0.18
    cli("deal", "delete", "1", "--yes")
    cli("stage", "delete", "Étude")
    cli("stage", "edit", "ÉTUDE", "-p", "17")  # the only one left that matches in any case
    assert {s["name"]: s["probability"] for s in cli.json("stage", "list")}["étude"] == 0.17


def test_renaming_keeps_deals_and_history(cli, isolated):
    customer(cli, isolated, "Acme")
    cli("deal", "add", "A", "-c", "Acme", "--amount", "1k")
    cli("stage", "edit", "lead", "--name", "new")
    assert cli.json("deal", "list")[0]["stage"] == "new"
    assert cli.json("deal", "show", "1")["history"][0]["stage"] == "new"


def test_delete_renumbers(cli):
    assert cli("stage", "delete", "contacted").stdout == "Deleted stage contacted\n"
    assert [position for _, position, _ in order(cli)] == [10, 20, 30, 40, 50, 60]


def test_delete_refused_while_a_deal_is_in_it_or_passed_through_it(cli, isolated):
    customer(cli, isolated, "Acme")
    cli("deal", "add", "A", "-c", "Acme", "--amount", "1k", "--stage", "contacted")
    assert "stage 'contacted' has 1 deal in it" in cli.fails("stage", "delete", "contacted")
    cli("deal", "move", "1", "proposal")
    assert "in the stage history of 1 deal" in cli.fails("stage", "delete", "contacted")
    assert [s["name"] for s in cli.json("stage", "list")] == [s["name"] for s in DEFAULT]


def test_the_last_open_won_and_lost_stages_stay(cli):
    assert "the only won stage" in cli.fails("stage", "delete", "won")
    assert "the only lost stage" in cli.fails("stage", "delete", "lost")
    cli("stage", "add", "dead", "--kind", "lost")
    cli("stage", "delete", "lost")
    assert "the only lost stage" in cli.fails("stage", "delete", "dead")
    for name in ("lead", "contacted", "qualified", "proposal"):
        cli("stage", "delete", name)
    assert "the only open stage" in cli.fails("stage", "delete", "negotiation")
    assert order(cli) == [("negotiation", 10, "open"), ("won", 20, "won"), ("dead", 30, "lost")]


@pytest.mark.parametrize(
    "args, message, code",
    [
        (("add", "demo"), "an open stage needs --probability", 2),
        (("add", "demo", "-p", "150"), "must be a whole percentage from 0 to 100", 2),
        (("add", "demo", "-p", "lots"), "is not a percentage", 2),
        (("add", "demo", "-p", "40.5"), "whole percentage", 2),
        (("add", "demo", "-p", "40", "--kind", "maybe"), "unknown stage kind 'maybe'", 2),
        (("add", "Lead", "-p", "40"), "a stage 'lead' already exists", 1),
        (("add", "demo", "-p", "40", "--after", "won"), "open stages come before the won and lost ones", 1),
        (("add", "demo", "-p", "40", "--after", "nowhere"), "no stage 'nowhere'", 1),
        (("add", "demo", "-p", "40", "--after", "lead", "--before", "won"), "not both", 2),
        (("add", "gone", "--kind", "lost", "--before", "negotiation"), "place it after 'negotiation'", 1),
        (("edit", "won", "--before", "lead"), "won and lost stages come after the open ones", 1),
        (("edit", "lead", "--after", "lead"), "next to itself", 1),
        (("edit", "lead", "--name", "won"), "a stage 'won' already exists", 1),
        (("edit", "lead", "--name", " "), "stage name cannot be empty", 2),
        (("edit", "nowhere", "-p", "5"), "no stage 'nowhere': the stages are lead, contacted", 1),
        (("edit", "l", "-p", "5"), "stage 'l' is ambiguous: it matches lead, lost", 1),
        (("delete", "nowhere"), "no stage 'nowhere'", 1),
    ],
)
def test_errors_write_nothing(cli, isolated, args, message, code):
    cli("stage", "list")
    assert message in cli.fails("stage", *args, code=code)
    assert cli.json("stage", "list") == DEFAULT
    assert counts(isolated, "stage") == {"stage": 7}
