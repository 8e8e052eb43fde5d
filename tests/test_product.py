import pytest
from seed import counts, customer


def test_add_list_show_json(cli):
    assert cli("product", "add", "CH-100", "Office chair", "--price", "120", "--cost", "80.50").stdout == "1\n"
    assert cli("product", "add", "DSK-1", "办公桌", "--price", "$1.2k").stdout == "2\n"
    assert cli.json("product", "list") == [
        {"sku": "CH-100", "name": "Office chair", "price": 120, "cost": 80.5, "active": True},
        {"sku": "DSK-1", "name": "办公桌", "price": 1200, "cost": None, "active": True},
    ]
    assert cli.json("product", "show", "ch-100") == {
        "sku": "CH-100", "name": "Office chair", "price": 120, "cost": 80.5, "active": True,
        "margin": 39.5, "margin_rate": 0.3292, "open_deals": 0, "won_deals": 0, "units_won": 0, "revenue": 0,
    }


def test_show_counts_what_it_sold(cli, isolated):
    cli("product", "add", "CH-100", "Office chair", "--price", "120", "--cost", "80")
    customer(cli, isolated, "Acme")
    cli("deal", "add", "A", "-c", "Acme", "--product", "CH-100", "-q", "10", "--stage", "won")
    cli("deal", "add", "B", "-c", "Acme", "--product", "CH-100", "-q", "5", "--amount", "500", "--stage", "won")
    cli("deal", "add", "C", "-c", "Acme", "--product", "CH-100", "-q", "7")
    card = cli.json("product", "show", "CH-100")
    assert (card["open_deals"], card["won_deals"], card["units_won"], card["revenue"]) == (1, 2, 15, 1700)


def test_list_plain_hides_inactive_unless_all(cli):
    cli("product", "add", "CH-100", "Office chair", "--price", "120", "--cost", "80")
    cli("product", "add", "OLD-1", "Old stool", "--price", "10")
    assert cli("product", "edit", "old-1", "--inactive").stdout == "Updated product old-1\n"
    assert cli("product", "list").stdout == (
        "sku     name            price    cost  active\n"
        "CH-100  Office chair  $120.00  $80.00  yes\n"
    )
    assert [p["sku"] for p in cli.json("product", "list", "--all")] == ["CH-100", "OLD-1"]
    cli("product", "edit", "OLD-1", "--active")
    assert [p["sku"] for p in cli.json("product", "list")] == ["CH-100", "OLD-1"]


def test_edit(cli):
    cli("product", "add", "CH-100", "Office chair", "--price", "120", "--cost", "80")
    cli("product", "edit", "CH-100", "--sku", "CH-200", "--name", "Chair", "--price", "150", "--cost", "")
    assert cli.json("product", "list") == [
        {"sku": "CH-200", "name": "Chair", "price": 150, "cost": None, "active": True}
    ]
    assert cli("product", "edit", "CH-200").stdout == "Nothing to change.\n"


def test_edit_leaves_existing_deals_alone(cli, isolated):
    cli("product", "add", "CH-100", "Office chair", "--price", "120", "--cost", "80")
    customer(cli, isolated, "Acme")
    cli("deal", "add", "A", "-c", "Acme", "--product", "CH-100", "-q", "2")
    cli("product", "edit", "CH-100", "--price", "200", "--cost", "150")
    (deal,) = cli.json("deal", "list")
    assert (deal["amount"], deal["cost"]) == (240, 160)


@pytest.mark.parametrize(
    "args, message, code",
    [
        (("add", "CH-100", "Again", "--price", "1"), "a product with sku 'CH-100' already exists", 1),
        (("add", "ch-100", "Again", "--price", "1"), "already exists", 1),
        (("add", "NEW", "New", "--price", "lots"), "price 'lots' is not an amount of money", 2),
        (("add", "NEW", "New", "--price", "-3"), "price '-3' is negative", 2),
        (("add", "NEW", "New", "--price", "3", "--cost", "x"), "cost 'x' is not an amount", 2),
        (("add", "NEW ONE", "New", "--price", "3"), "has a space in it", 2),
        (("add", "NEW", " ", "--price", "3"), "product name cannot be empty", 2),
        (("edit", "NOPE", "--price", "3"), "no product 'NOPE': known skus include CH-100, DSK-1", 1),
        (("edit", "CH-100", "--sku", "dsk-1"), "a product with sku 'DSK-1' already exists", 1),
        (("edit", "CH-100", "--price", "3", "--name", ""), "product name cannot be empty", 2),
        (("show", "NOPE"), "no product 'NOPE'", 1),
    ],
)
def test_errors_write_nothing(cli, isolated, args, message, code):
    cli("product", "add", "CH-100", "Office chair", "--price", "120")
    cli("product", "add", "DSK-1", "Desk", "--price", "1200")
    before = cli.json("product", "list")
    assert message in cli.fails("product", *args, code=code)
    assert cli.json("product", "list") == before
    assert counts(isolated, "product") == {"product": 2}
