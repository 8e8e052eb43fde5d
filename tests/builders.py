"""A small test-data builder that writes records straight into the database with SQL.

Report tests use it instead of the record commands, so that they pin the exact data a
report reads — stage histories, dates, scores — and follow the data contracts of the
helper brief: a deal's stage history starts with its first stage on its creation date,
``deal.stage_id`` is the last history row's stage, won/lost deals have ``closed_at``
(the date they entered that stage); an activity is either done (``done_at``) or open
(``due``); a target stores its canonical period label and dates; money is in cents.

    b = Builder(db_path)
    b.rep("alice")
    b.customer("Acme", owner="alice", created="2026-09-01 09:00:00")
    deal = b.deal("Website", customer="Acme", amount=100_000,
                  history=[("lead", "2026-10-01"), ("proposal", "2026-10-10"), ("won", "2026-10-20")])
    b.activity("Acme", deal=deal, done="2026-10-05", score=5)
    b.target("revenue", "2026-11", 1_200_000, rep="alice")
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from salescli import parse, store

_OWNER = object()  # "the customer's owner", the default owner of deals and activities


class Builder:
    def __init__(self, path: Path | str) -> None:
        """A builder over ``path``: a new database, or one another builder wrote (tests get
        copies of a business built once): its reps and customers are known by name."""
        self.conn = store.connect(path, create=True)
        self.conn.isolation_level = None  # autocommit: the CLI under test sees every row
        self.reps: dict[str, int] = {row[0]: row[1] for row in self.conn.execute("SELECT handle, id FROM rep")}
        self.customers: dict[str, int] = {row[0]: row[1] for row in self.conn.execute("SELECT name, id FROM customer")}
        self.stages = {row["name"]: row for row in self.conn.execute("SELECT * FROM stage")}

    def _insert(self, table: str, **values: Any) -> int:
        columns = ", ".join(f'"{column}"' for column in values)
        marks = ", ".join("?" for _ in values)
        row = self.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", list(values.values()))
        return int(row.fetchone()[0])

    def _rep_id(self, handle: str | None) -> int | None:
        return self.reps[handle] if handle else None

    def setting(self, key: str, value: str) -> None:
        store.set_setting(self.conn, key, value)

    def rep(self, handle: str, *, commission_rate: float = 0.0, active: bool = True) -> int:
        self.reps[handle] = self._insert(
            "rep",
            handle=handle,
            name=handle.title(),
            commission_rate=commission_rate,
            active=int(active),
            regions="[]",
            industries="[]",
            created_at="2026-01-01 09:00:00",
        )
        return self.reps[handle]

    def customer(self, name: str, *, owner: str | None = None, created: str = "2026-01-01 09:00:00", **fields: Any) -> int:
        self.customers[name] = self._insert(
            "customer",
            name=name,
            owner_id=self._rep_id(owner),
            fields=json.dumps({}),
            created_at=created,
            updated_at=created,
            **fields,
        )
        return self.customers[name]

    def _customer_owner(self, customer: str) -> int | None:
        row = self.conn.execute("SELECT owner_id FROM customer WHERE id = ?", [self.customers[customer]]).fetchone()
        return row[0]

    def deal(
        self,
        title: str,
        *,
        customer: str,
        amount: int,
        history: list[tuple[str, str]],
        owner: Any = _OWNER,
        created: str | None = None,
        expected_close: str | None = None,
        cost: int | None = None,
        quantity: int = 1,
        lost_reason: str | None = None,
        record_history: bool = True,
    ) -> int:
        """A deal that went through ``history`` — (stage name, date entered) pairs, the
        first on its creation date. ``record_history=False`` leaves out the history rows
        (a deal from a file written before histories were kept)."""
        last_stage, last_date = history[-1]
        closed = last_date if self.stages[last_stage]["kind"] != "open" else None
        deal_id = self._insert(
            "deal",
            title=title,
            customer_id=self.customers[customer],
            amount=amount,
            cost=cost,
            quantity=quantity,
            stage_id=self.stages[last_stage]["id"],
            expected_close=expected_close,
            owner_id=self._customer_owner(customer) if owner is _OWNER else self._rep_id(owner),
            created_at=created or f"{history[0][1]} 10:00:00",
            closed_at=closed,
            lost_reason=lost_reason,
        )
        if record_history:
            for stage, entered in history:
                self._insert("stage_history", deal_id=deal_id, stage_id=self.stages[stage]["id"], entered_on=entered)
        return deal_id

    def activity(
        self,
        customer: str,
        *,
        type: str = "call",
        summary: str | None = None,
        deal: int | None = None,
        owner: Any = _OWNER,
        due: str | None = None,
        done: str | None = None,
        score: int | None = None,
        recurrence: str | None = None,
        created: str = "2026-01-01 09:00:00",
    ) -> int:
        """A logged activity (``done``) or a planned follow-up (``due``, not done)."""
        return self._insert(
            "activity",
            customer_id=self.customers[customer],
            deal_id=deal,
            type=type,
            summary=summary,
            owner_id=self._customer_owner(customer) if owner is _OWNER else self._rep_id(owner),
            due=due,
            done_at=done,
            score=score,
            recurrence=recurrence,
            created_at=created,
        )

    def target(self, metric: str, period: str, value: int, *, rep: str | None = None) -> int:
        """``value`` in the metric's unit: cents, a count, or basis points (satisfaction)."""
        span = parse.parse_period(period)
        return self._insert(
            "target",
            metric=metric,
            period=span.label,
            start=span.start.isoformat(),
            end=span.end.isoformat(),
            rep_id=self._rep_id(rep),
            value=value,
        )

    def payment(self, deal: int, amount: int, paid_on: str) -> int:
        return self._insert("payment", deal_id=deal, amount=amount, paid_on=paid_on, created_at=f"{paid_on} 12:00:00")

    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
