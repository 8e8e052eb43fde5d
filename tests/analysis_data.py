"""A small SQL builder for the analysis-report tests, and the one scenario they share.

It writes rows the way the record commands do (SPEC §2 and the brief's data contracts:
timestamps 'YYYY-MM-DD HH:MM:SS', dates 'YYYY-MM-DD', money in cents, a stage_history row
per stage entered), straight into the test database, so these tests do not depend on the
`customer`/`deal`/`activity` commands.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from salescli import store

Q4 = {"start": "2026-10-01", "end": "2026-12-31"}  # the JSON period of 2026-Q4


def cents(dollars: float) -> int:
    return round(dollars * 100)


class Book:
    """``Book(path)`` opens (creating and migrating) the database at ``path`` (or URL)."""

    def __init__(self, path: Path | str) -> None:
        self.conn = store.connect(path, create=True)
        self.stages = {row["name"]: row["id"] for row in self.conn.execute("SELECT * FROM stage")}
        self.reps: dict[str, int] = {}
        self.customers: dict[str, int] = {}
        self.products: dict[str, int] = {}

    def close(self) -> None:
        if self.conn.in_transaction:
            self.conn.commit()
        self.conn.close()

    def _insert(self, table: str, values: dict) -> int:
        names = ", ".join(f'"{name}"' for name in values)
        marks = ", ".join("?" for _ in values)
        row = self.conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING id", list(values.values()))
        return int(row.fetchone()[0])

    def rep(self, handle: str, *, rate: float = 0.0, active: bool = True) -> int:
        self.reps[handle] = self._insert(
            "rep",
            {"handle": handle, "name": handle.title(), "active": int(active), "commission_rate": rate,
             "regions": "[]", "industries": "[]", "created_at": "2025-01-01 09:00:00"},
        )
        return self.reps[handle]

    def customer(
        self, name: str, *, owner: str | None, created: str, source: str | None = None,
        credit_limit: float | None = None, tier: str | None = None,
    ) -> int:
        stamp = f"{created} 10:00:00"
        self.customers[name] = self._insert(
            "customer",
            {"name": name, "owner_id": self.reps.get(owner), "source": source, "tier": tier,
             "credit_limit": None if credit_limit is None else cents(credit_limit), "fields": json.dumps({}),
             "created_at": stamp, "updated_at": stamp},
        )
        return self.customers[name]

    def product(self, sku: str, name: str, *, price: float, cost: float | None, active: bool = True) -> int:
        self.products[sku] = self._insert(
            "product",
            {"sku": sku, "name": name, "price": cents(price), "cost": None if cost is None else cents(cost),
             "active": int(active)},
        )
        return self.products[sku]

    def deal(
        self, title: str, *, customer: str, amount: float, created: str, owner: str | None,
        stage: str = "lead", closed: str | None = None, product: str | None = None, quantity: int = 1,
        cost: float | None = None, source: str | None = None, reason: str | None = None,
    ) -> int:
        """A deal created on ``created`` in its first stage; when ``stage`` is won or lost it
        is closed on ``closed`` (history: lead on created, then the final stage)."""
        deal_id = self._insert(
            "deal",
            {"title": title, "customer_id": self.customers[customer], "amount": cents(amount),
             "cost": None if cost is None else cents(cost), "product_id": self.products.get(product),
             "quantity": quantity, "stage_id": self.stages[stage], "owner_id": self.reps.get(owner),
             "source": source, "created_at": f"{created} 11:00:00", "closed_at": closed,
             "lost_reason": reason},
        )
        first = "lead" if closed else stage
        self._insert("stage_history", {"deal_id": deal_id, "stage_id": self.stages[first], "entered_on": created})
        if closed:
            self._insert("stage_history", {"deal_id": deal_id, "stage_id": self.stages[stage], "entered_on": closed})
        return deal_id

    def pay(self, deal_id: int, amount: float, on: str) -> None:
        self._insert("payment", {"deal_id": deal_id, "amount": cents(amount), "paid_on": on,
                                 "created_at": f"{on} 12:00:00"})

    def activity(self, customer: str, *, owner: str, done: str | None = None, due: str | None = None,
                 kind: str = "call") -> None:
        self._insert(
            "activity",
            {"customer_id": self.customers[customer], "type": kind, "summary": kind, "owner_id": self.reps[owner],
             "done_at": done, "due": due, "created_at": f"{done or '2026-11-01'} 09:00:00"},
        )


def scenario(path: Path | str) -> None:
    """The shared business; today is 2026-11-23 and most tests look at 2026-Q4.

    Reps: alice 5 %, bob 10 %, carol 0 %, dave 5 % (inactive).

    Customers (owner, source, added, credit limit):
      Acme   alice referral 2026-10-05 5,000    Birch  alice web      2025-06-01 —
      Cobalt bob   ads      2026-11-02 1,000    Dune   bob   web      2026-11-10 —
      Elm    carol event    2026-10-20 —        Fjord  bob   (none)   2026-09-15 1,000
      Grove  carol referral 2025-01-10 —        Heath  dave  partner  2025-02-01 —

    Products: WID Widget (cost 1,200), GAD Gadget (cost 600), SVC Service (cost unknown),
    KIT Kit (never sold), OLD Old (inactive, never sold).

    Deals (customer, owner, amount, product × qty, cost, source, created → closed, stage):
      D1  Acme   alice 4,000 WID×2 2,400 —      09-20 → won 10-10 (paid 4,000 in full)
      D2  Acme   alice 3,000 —     —     "Web"  10-06 → won 11-20 (paid 1,000: partial)
      D3  Birch  bob   1,000 GAD×1   600 —      08-01 → won 10-01 (first day of Q4)
      D4  Birch  alice 2,000 GAD×2 1,200 —      06-01 → won 09-30 (last day before Q4)
      D5  Cobalt bob   1,000 SVC×2   —   —      10-02 → won 10-15
      D6  Dune   bob     500 GAD×1   600 —      11-10 → won 11-12 (sold at a loss; paid in full)
      D7  Fjord  bob     300 —       100 —      11-01 → won 11-23 (today)
      D8  Fjord  bob     800 —       —   —      08-10 → won 09-01
      D9  Grove  carol   200 SVC×1   —   —      10-25 → won 11-05 (paid in full)
      D10 Heath  dave  2,500 —       —   —      2025-03-01 → won 2025-03-10 (paid in full)
      D11 Grove  carol 1,500 —       —   —      2025-06-01 → won 2025-06-15 (paid 500)
      D12 Elm    carol 1,200 —       —   —      10-21 → lost 11-03 "price"
      D13 Dune   bob     800 —       —   —      10-01 → lost 10-20 (no reason)
      D14 Cobalt bob     600 —       —   —      11-03 → lost 11-15 "Price"
      D15 Acme   alice   900 —       —   —      07-01 → lost 08-15 "timing"
      D16 Elm    carol 2,000 open in proposal (60 %), created 11-05
      D17 Acme   alice 5,000 open in negotiation (80 %), created 11-01
      D18 Cobalt bob   1,000 open in lead (10 %), created 2025-12-01
    (dates without a year are 2026)

    Activities done: alice 10-06, 11-20 (Acme), 09-29 (Birch); bob 11-03 (Cobalt),
    11-11 (Dune), 11-23 (Fjord), 2025-12-01 (Cobalt); carol 10-21 (Elm).
    Open (not done): alice Acme due 11-30.
    """
    b = Book(path)
    b.rep("alice", rate=0.05)
    b.rep("bob", rate=0.10)
    b.rep("carol")
    b.rep("dave", rate=0.05, active=False)

    b.customer("Acme", owner="alice", source="referral", created="2026-10-05", credit_limit=5000)
    b.customer("Birch", owner="alice", source="web", created="2025-06-01")
    b.customer("Cobalt", owner="bob", source="ads", created="2026-11-02", credit_limit=1000)
    b.customer("Dune", owner="bob", source="web", created="2026-11-10")
    b.customer("Elm", owner="carol", source="event", created="2026-10-20")
    b.customer("Fjord", owner="bob", source=None, created="2026-09-15", credit_limit=1000)
    b.customer("Grove", owner="carol", source="referral", created="2025-01-10")
    b.customer("Heath", owner="dave", source="partner", created="2025-02-01")

    b.product("WID", "Widget", price=2000, cost=1200)
    b.product("GAD", "Gadget", price=1000, cost=600)
    b.product("SVC", "Service", price=500, cost=None)
    b.product("KIT", "Kit", price=50, cost=20)
    b.product("OLD", "Old", price=10, cost=5, active=False)

    d1 = b.deal("Acme widgets", customer="Acme", owner="alice", amount=4000, product="WID", quantity=2,
                cost=2400, created="2026-09-20", stage="won", closed="2026-10-10")
    d2 = b.deal("Acme consulting", customer="Acme", owner="alice", amount=3000, source="Web",
                created="2026-10-06", stage="won", closed="2026-11-20")
    b.deal("Birch gadget", customer="Birch", owner="bob", amount=1000, product="GAD", cost=600,
           created="2026-08-01", stage="won", closed="2026-10-01")
    b.deal("Birch renewal", customer="Birch", owner="alice", amount=2000, product="GAD", quantity=2,
           cost=1200, created="2026-06-01", stage="won", closed="2026-09-30")
    b.deal("Cobalt service", customer="Cobalt", owner="bob", amount=1000, product="SVC", quantity=2,
           created="2026-10-02", stage="won", closed="2026-10-15")
    d6 = b.deal("Dune gadget", customer="Dune", owner="bob", amount=500, product="GAD", cost=600,
                created="2026-11-10", stage="won", closed="2026-11-12")
    b.deal("Fjord small", customer="Fjord", owner="bob", amount=300, cost=100,
           created="2026-11-01", stage="won", closed="2026-11-23")
    b.deal("Fjord old", customer="Fjord", owner="bob", amount=800, created="2026-08-10", stage="won",
           closed="2026-09-01")
    d9 = b.deal("Grove service", customer="Grove", owner="carol", amount=200, product="SVC",
                created="2026-10-25", stage="won", closed="2026-11-05")
    d10 = b.deal("Heath deal", customer="Heath", owner="dave", amount=2500, created="2025-03-01",
                 stage="won", closed="2025-03-10")
    d11 = b.deal("Grove old", customer="Grove", owner="carol", amount=1500, created="2025-06-01",
                 stage="won", closed="2025-06-15")
    b.deal("Elm fit-out", customer="Elm", owner="carol", amount=1200, created="2026-10-21", stage="lost",
           closed="2026-11-03", reason="price")
    b.deal("Dune extra", customer="Dune", owner="bob", amount=800, created="2026-10-01", stage="lost",
           closed="2026-10-20")
    b.deal("Cobalt upsell", customer="Cobalt", owner="bob", amount=600, created="2026-11-03", stage="lost",
           closed="2026-11-15", reason=" Price ")
    b.deal("Acme old", customer="Acme", owner="alice", amount=900, created="2026-07-01", stage="lost",
           closed="2026-08-15", reason="timing")
    b.deal("Elm phase 2", customer="Elm", owner="carol", amount=2000, stage="proposal", created="2026-11-05")
    b.deal("Acme expansion", customer="Acme", owner="alice", amount=5000, stage="negotiation",
           created="2026-11-01")
    b.deal("Cobalt new", customer="Cobalt", owner="bob", amount=1000, created="2025-12-01")

    b.pay(d1, 4000, "2026-10-20")
    b.pay(d2, 1000, "2026-11-21")
    b.pay(d6, 500, "2026-11-13")
    b.pay(d9, 200, "2026-11-06")
    b.pay(d10, 2500, "2025-04-01")
    b.pay(d11, 500, "2025-07-01")

    b.activity("Acme", owner="alice", done="2026-10-06")
    b.activity("Acme", owner="alice", done="2026-11-20", kind="meeting")
    b.activity("Birch", owner="alice", done="2026-09-29", kind="email")
    b.activity("Acme", owner="alice", due="2026-11-30", kind="task")
    b.activity("Cobalt", owner="bob", done="2026-11-03")
    b.activity("Dune", owner="bob", done="2026-11-11", kind="visit")
    b.activity("Fjord", owner="bob", done="2026-11-23")
    b.activity("Cobalt", owner="bob", done="2025-12-01", kind="note")
    b.activity("Elm", owner="carol", done="2026-10-21", kind="meeting")
    b.close()


def snapshot(path: Path | str) -> list[tuple]:
    """Every row of every table, to show that a failed command wrote nothing (a SQLite
    file, or a PostgreSQL database's URL)."""
    if isinstance(path, str):
        from dbcheck import server_tables

        return server_tables(path)
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return [(t, *row) for t in tables for row in conn.execute(f"SELECT * FROM [{t}] ORDER BY 1")]
    finally:
        conn.close()
