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


def test_deactivating_a_rep_with_open_work_needs_someone_to_take_it(cli, isolated):
    """Issue 11: without --reassign-to, customers, deals and follow-ups were stranded."""
    cli("rep", "add", "wang")
    cli("rep", "add", "bob")
    cli("customer", "add", "Acme", "--owner", "wang")  # with First contact #1
    cli("customer", "add", "Beta", "--owner", "wang", "--no-followup")
    cli("deal", "add", "Pumps", "--customer", "acme", "--amount", "1k")  # deal 1, wang's
    cli("deal", "add", "Old", "--customer", "beta", "--amount", "1k")
    cli("deal", "lose", "2", "--reason", "price")  # closed: not open work
    before = sqlite3.connect(isolated).execute("SELECT handle, active FROM rep ORDER BY id").fetchall()
    error = cli.fails("rep", "deactivate", "wang")
    assert error == (
        "Error: rep 'wang' still has 2 customers (Acme, Beta); 1 open deal (#1 Pumps); "
        "1 open follow-up (#1 First contact (Acme)): hand them over with --reassign-to REP\n"
    )
    assert sqlite3.connect(isolated).execute("SELECT handle, active FROM rep ORDER BY id").fetchall() == before
    out = cli("rep", "deactivate", "wang", "--reassign-to", "bob").stdout
    assert out == "Deactivated rep wang; 2 customers, 1 open deal and 1 open follow-up moved to bob\n"
    cli("rep", "add", "idle")
    assert cli("rep", "deactivate", "idle").stdout == "Deactivated rep idle\n"  # nothing open: no one needed
