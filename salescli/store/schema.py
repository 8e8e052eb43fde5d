"""The schema, built by forward migrations (``sqlite_utils.Migrations``).

Migrations are append-only: never edit one that has shipped, add a new function to
``MIGRATIONS`` instead. ``NAMES`` is read on every start-up to tell whether the file is
current, so this module must not import sqlite-utils at the top (start-up time).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

MIGRATION_SET = "salescli"

DEFAULT_STAGES = (
    # name, probability, kind
    ("lead", 10, "open"),
    ("contacted", 20, "open"),
    ("qualified", 40, "open"),
    ("proposal", 60, "open"),
    ("negotiation", 80, "open"),
    ("won", 100, "won"),
    ("lost", 0, "lost"),
)

DEFAULT_SETTINGS = {
    "currency": "$",
    "first_contact_hours": "24",
    "stale_deal_days": "14",
}

INITIAL = """
CREATE TABLE setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE rep (
    id INTEGER PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    name TEXT,
    email TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    commission_rate REAL NOT NULL DEFAULT 0,
    regions TEXT NOT NULL DEFAULT '[]',
    industries TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);
CREATE TABLE customer (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    company TEXT,
    title TEXT,
    contact TEXT,
    phone TEXT,
    email TEXT,
    industry TEXT,
    region TEXT,
    size TEXT,
    source TEXT,
    tier TEXT CHECK (tier IS NULL OR tier IN ('A', 'B', 'C')),
    owner_id INTEGER REFERENCES rep(id),
    credit_limit INTEGER,
    notes TEXT,
    fields TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX customer_name ON customer(name COLLATE NOCASE);
CREATE INDEX customer_owner ON customer(owner_id);
CREATE INDEX customer_created ON customer(created_at);
CREATE TABLE customer_tag (
    customer_id INTEGER NOT NULL REFERENCES customer(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
) WITHOUT ROWID;
CREATE INDEX customer_tag_tag ON customer_tag(tag);
CREATE TABLE product (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    price INTEGER NOT NULL,
    cost INTEGER,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE stage (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    position INTEGER NOT NULL,
    probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    kind TEXT NOT NULL CHECK (kind IN ('open', 'won', 'lost'))
);
CREATE TABLE deal (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customer(id),
    amount INTEGER NOT NULL,
    cost INTEGER,
    product_id INTEGER REFERENCES product(id),
    quantity INTEGER NOT NULL DEFAULT 1,
    stage_id INTEGER NOT NULL REFERENCES stage(id),
    expected_close TEXT,
    owner_id INTEGER REFERENCES rep(id),
    source TEXT,
    created_at TEXT NOT NULL,
    closed_at TEXT,
    lost_reason TEXT
);
CREATE INDEX deal_customer ON deal(customer_id);
CREATE INDEX deal_stage ON deal(stage_id, owner_id);
CREATE INDEX deal_owner ON deal(owner_id);
CREATE INDEX deal_created ON deal(created_at);
CREATE INDEX deal_closed ON deal(closed_at);
CREATE INDEX deal_expected_close ON deal(expected_close);
CREATE TABLE stage_history (
    id INTEGER PRIMARY KEY,
    deal_id INTEGER NOT NULL REFERENCES deal(id) ON DELETE CASCADE,
    stage_id INTEGER NOT NULL REFERENCES stage(id),
    entered_on TEXT NOT NULL
);
CREATE INDEX stage_history_deal ON stage_history(deal_id, entered_on);
CREATE TABLE activity (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer(id),
    deal_id INTEGER REFERENCES deal(id),
    type TEXT NOT NULL,
    summary TEXT,
    owner_id INTEGER REFERENCES rep(id),
    due TEXT,
    done_at TEXT,
    score INTEGER CHECK (score IS NULL OR score BETWEEN 1 AND 5),
    recurrence TEXT,
    notes TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX activity_open_due ON activity(due) WHERE done_at IS NULL;
CREATE INDEX activity_customer ON activity(customer_id);
CREATE INDEX activity_deal ON activity(deal_id);
CREATE INDEX activity_done ON activity(done_at);
CREATE TABLE target (
    id INTEGER PRIMARY KEY,
    metric TEXT NOT NULL,
    period TEXT NOT NULL,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    rep_id INTEGER REFERENCES rep(id),
    value INTEGER NOT NULL
);
CREATE UNIQUE INDEX target_key ON target(metric, period, IFNULL(rep_id, 0));
CREATE INDEX target_dates ON target(start, end);
CREATE TABLE payment (
    id INTEGER PRIMARY KEY,
    deal_id INTEGER NOT NULL REFERENCES deal(id),
    amount INTEGER NOT NULL,
    paid_on TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX payment_deal ON payment(deal_id);
"""


def statements(script: str) -> list[str]:
    """Split a script into whole statements (so each runs inside the migration's transaction;
    ``executescript`` would commit first)."""
    result, buffer = [], ""
    for line in script.strip().splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            result.append(buffer.strip())
            buffer = ""
    return result


def m001_initial(db: Database) -> None:
    for statement in statements(INITIAL):
        db.execute(statement)
    for position, (name, probability, kind) in enumerate(DEFAULT_STAGES, start=1):
        db.execute(
            "INSERT INTO stage (name, position, probability, kind) VALUES (?, ?, ?, ?)",
            [name, position * 10, probability, kind],
        )
    for key, value in DEFAULT_SETTINGS.items():
        db.execute("INSERT INTO setting (key, value) VALUES (?, ?)", [key, value])


def m002_activity_owner_done(db: Database) -> None:
    """Activities done per rep and period (report reps, targets): a covering index."""
    db.execute("CREATE INDEX activity_owner_done ON activity(owner_id, done_at)")



# The command log and the undo record (salescli/store/history.py; m002 is main's
# activity index, written on another branch at the same time). The capture triggers
# are not part of it: they follow the schema, and store.connect() rebuilds them after
# every migration (history.install_triggers).
HISTORY = """
CREATE TABLE history_command (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    line TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'command' CHECK (kind IN ('command', 'undo', 'redo')),
    target_id INTEGER,
    reverted_by INTEGER,
    changes TEXT NOT NULL DEFAULT '{}',
    first_change INTEGER NOT NULL,
    last_change INTEGER
);
CREATE TABLE history_change (
    id INTEGER PRIMARY KEY,
    command_id INTEGER NOT NULL,
    tbl TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'insert-range')),
    pk,
    last_pk INTEGER,
    old TEXT
);
CREATE TABLE history_state (
    command_id INTEGER
);
INSERT INTO history_state (command_id) VALUES (NULL);
"""


def m003_history(db: Database) -> None:
    for statement in statements(HISTORY):
        db.execute(statement)


MIGRATIONS: list[Callable[[Database], None]] = [m001_initial, m002_activity_owner_done, m003_history]
NAMES = [migration.__name__ for migration in MIGRATIONS]


def migrations() -> Migrations:
    from sqlite_utils import Migrations

    registry = Migrations(MIGRATION_SET)
    for migration in MIGRATIONS:
        registry(name=migration.__name__)(migration)
    return registry
