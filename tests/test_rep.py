import sqlite3


def test_add_list_json(cli):
    assert cli("rep", "add", "alice", "--name", "Alice Wong", "--commission-rate", "5%", "--region", "north").stdout == "1\n"
    assert cli("rep", "add", "Bob", "--industry", "retail").stdout == "2\n"
    assert cli.json("rep", "list") == [
        {"handle": "alice", "name": "Alice Wong", "email": None, "active": True, "commission_rate": 0.05,
         "regions": ["north"], "industries": [], "customers": 0, "open_deals": 0},
        {"handle": "bob", "name": "Bob", "email": None, "active": True, "commission_rate": 0.0,
         "regions": [], "industries": ["retail"], "customers": 0, "open_deals": 0},
    ]


def test_bad_handle_and_duplicate_write_nothing(cli, isolated):
    assert "not valid" in cli.fails("rep", "add", "Bad!", code=2)
    cli("rep", "add", "alice")
    assert "already exists" in cli.fails("rep", "add", "alice")
    assert sqlite3.connect(isolated).execute("SELECT count(*) FROM rep").fetchone()[0] == 1


def test_deactivate_needs_active_target(cli):
    cli("rep", "add", "alice")
    cli("rep", "add", "bob")
    cli("rep", "deactivate", "bob")
    assert "inactive" in cli.fails("rep", "deactivate", "alice", "--reassign-to", "bob")
    assert [r["active"] for r in cli.json("rep", "list")] == [True, False]
    assert "known reps are alice, bob" in cli.fails("rep", "edit", "zed", "--name", "Z")
