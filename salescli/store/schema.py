"""The schema, built by forward migrations (``sqlite_utils.Migrations``).

Migrations are append-only: never edit one that has shipped, add a new function to
``MIGRATIONS`` instead. ``NAMES`` is read on every start-up to tell whether the file is
current, so this module must not import sqlite-utils at the top (start-up time).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from collections.abc import Iterable
from typing import TYPE_CHECKING, Callable

from salescli import parse

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
    "owner_email": "",
    "smtp_host": "",
    "smtp_port": "",
    "smtp_security": "starttls",
    "smtp_user": "",
    "smtp_from": "",
    "smtp_password_file": "",
}
# the numeric settings' ranges (README "Ranges")
SETTING_RANGES = {"first_contact_hours": (0, 24 * 365), "stale_deal_days": (1, parse.MAX_DAYS)}

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
    if buffer.strip():  # the last statement may go without its semicolon
        result.append(buffer.strip())
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


# m004: what the reports need at reference scale (SPEC §9; BENCHMARKS.md).
#
# * ``_stage_stay``: one row per stay in a stage that has ended — the history entry that
#   began it, its stage and deal, and how many days it lasted (until the deal's next
#   entry, in the order ``entered_on, id``). It is derived from ``stage_history`` and kept
#   up to date by the triggers below, whatever writes the history (commands, import, undo,
#   another tool); ``STAGE_STAY_FILL`` rebuilds it. The funnel's "average days in stage"
#   reads it instead of pairing every entry with the next one (a window function over all
#   history: 0.6 s at 870,000 entries, more than half the funnel's budget). The leading
#   ``_`` keeps it out of the undo record: undo replays ``stage_history`` and the triggers
#   follow.
# * Wider indexes, each replacing the narrower one of the same name (writes keep the same
#   number of indexes): ``activity_open_due`` holds what ``report due`` shows of an open
#   follow-up (100,000 rows read from the index alone, not fetched one by one from a
#   table of a million; the index holds open follow-ups only, so it stays small);
#   ``stage_history_deal`` the stage (how far each deal got, for the funnel); and
#   ``activity_owner_done`` the score (activities and satisfaction per rep and day, for
#   the targets).
STAGE_STAY_TABLE = """
CREATE TABLE _stage_stay (
    stage_id INTEGER NOT NULL,
    deal_id INTEGER NOT NULL,
    history_id INTEGER NOT NULL,
    days REAL,
    PRIMARY KEY (stage_id, deal_id, history_id)
) WITHOUT ROWID
"""

STAGE_STAY_FILL = """
INSERT INTO _stage_stay (stage_id, deal_id, history_id, days)
SELECT stage_id, deal_id, id, julianday(left_on) - julianday(entered_on)
FROM (
    SELECT id, deal_id, stage_id, entered_on,
           lead(entered_on) OVER (PARTITION BY deal_id ORDER BY entered_on, id) AS left_on
    FROM stage_history
)
WHERE left_on IS NOT NULL
"""

# The entry just before / just after a position (deal, entered_on, id) in its deal.
_BEFORE = """
    SELECT p.stage_id, p.deal_id, p.id, p.entered_on FROM stage_history p
    WHERE p.deal_id = {row}.deal_id AND (p.entered_on, p.id) < ({row}.entered_on, {row}.id){but_p}
    ORDER BY p.entered_on DESC, p.id DESC LIMIT 1"""
_AFTER = """
    SELECT n.entered_on FROM stage_history n
    WHERE n.deal_id = {row}.deal_id AND (n.entered_on, n.id) > ({row}.entered_on, {row}.id){but_n}
    ORDER BY n.entered_on, n.id LIMIT 1"""


def _stay_gone(row: str, moved: str = "") -> str:
    """Statements for a history entry that is no longer at ``row``'s position: its own
    stay goes, and the entry before it now stays until the entry after it (or still is).
    ``moved``: the entry's new self (an update), which is not its own neighbour."""
    but_p, but_n = (f" AND {alias}.id IS NOT {moved}.id" if moved else "" for alias in "pn")
    before = _BEFORE.format(row=row, but_p=but_p)
    after = _AFTER.format(row=row, but_n=but_n)
    return f"""
    DELETE FROM _stage_stay WHERE stage_id = {row}.stage_id AND deal_id = {row}.deal_id AND history_id = {row}.id;
    DELETE FROM _stage_stay WHERE (stage_id, deal_id, history_id) IN (SELECT stage_id, deal_id, id FROM ({before}));
    INSERT OR REPLACE INTO _stage_stay (stage_id, deal_id, history_id, days)
        SELECT p.stage_id, p.deal_id, p.id, julianday(n.entered_on) - julianday(p.entered_on)
        FROM ({before}) p, ({after}) n;"""


def _stay_new(row: str) -> str:
    """Statements for a history entry now at ``row``'s position: the entry before it stays
    until it, and it stays until the entry after it (if any)."""
    before = _BEFORE.format(row=row, but_p="")
    after = _AFTER.format(row=row, but_n="")
    return f"""
    DELETE FROM _stage_stay WHERE (stage_id, deal_id, history_id) IN (SELECT stage_id, deal_id, id FROM ({before}));
    INSERT OR REPLACE INTO _stage_stay (stage_id, deal_id, history_id, days)
        SELECT p.stage_id, p.deal_id, p.id, julianday({row}.entered_on) - julianday(p.entered_on) FROM ({before}) p;
    INSERT OR REPLACE INTO _stage_stay (stage_id, deal_id, history_id, days)
        SELECT {row}.stage_id, {row}.deal_id, {row}.id, julianday(n.entered_on) - julianday({row}.entered_on)
        FROM ({after}) n;"""


STAGE_STAY_TRIGGERS = [
    f"CREATE TRIGGER stage_stay_insert AFTER INSERT ON stage_history BEGIN {_stay_new('NEW')}\nEND",
    f"CREATE TRIGGER stage_stay_delete AFTER DELETE ON stage_history BEGIN {_stay_gone('OLD')}\nEND",
    "CREATE TRIGGER stage_stay_update AFTER UPDATE OF id, deal_id, stage_id, entered_on ON stage_history "
    "WHEN OLD.id IS NOT NEW.id OR OLD.deal_id IS NOT NEW.deal_id OR OLD.stage_id IS NOT NEW.stage_id "
    "OR OLD.entered_on IS NOT NEW.entered_on BEGIN "
    f"{_stay_gone('OLD', moved='NEW')}{_stay_new('NEW')}\nEND",
]

REPORT_INDEXES = """
DROP INDEX activity_open_due;
CREATE INDEX activity_open_due ON activity(due, id, customer_id, owner_id, deal_id, type, summary, done_at)
    WHERE done_at IS NULL;
DROP INDEX stage_history_deal;
CREATE INDEX stage_history_deal ON stage_history(deal_id, entered_on, stage_id);
DROP INDEX activity_owner_done;
CREATE INDEX activity_owner_done ON activity(owner_id, done_at, score);
"""


def m004_report_speed(db: Database) -> None:
    for statement in statements(REPORT_INDEXES):
        db.execute(statement)
    db.execute(STAGE_STAY_TABLE)
    db.execute(STAGE_STAY_FILL)
    for trigger in STAGE_STAY_TRIGGERS:
        db.execute(trigger)


MIGRATIONS.append(m004_report_speed)  # (this file grows at the end: see the top)
NAMES.append(m004_report_speed.__name__)


# m005: a customer's ``created_at`` may be NULL — an existing customer brought in by an
# import without a creation date: it was never a new lead in salescli, so it counts as
# new in no period and is never "uncontacted" (issue 11). Dropping a NOT NULL constraint
# changes nothing on disk, so it is done the way SQLite documents for exactly that
# (https://sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes"):
# edit the table's definition in place and bump the schema version, inside the
# migration's transaction. Rebuilding the table instead would, with foreign keys on,
# delete every customer's tags (ON DELETE CASCADE) on the way.
NOT_NULL_CREATED = "created_at TEXT NOT NULL,\n    updated_at"


def m005_customer_created_at_may_be_unknown(db: Database) -> None:
    _edit_definition(db.conn, "customer", NOT_NULL_CREATED, NOT_NULL_CREATED.replace(" NOT NULL", ""))


def _edit_definition(conn: sqlite3.Connection, table: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in ``table``'s definition, in place: only for a change
    that leaves every row on disk valid as it is (a constraint relaxed)."""
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    if old not in sql:
        raise sqlite3.DatabaseError(f"the {table} table is not as salescli made it: cannot upgrade it")
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", [sql.replace(old, new), table])
    conn.execute(f"PRAGMA schema_version = {version + 1}")
    conn.execute("PRAGMA writable_schema = OFF")


MIGRATIONS.append(m005_customer_created_at_may_be_unknown)
NAMES.append(m005_customer_created_at_may_be_unknown.__name__)


# m006: one contact is one activity (issue 11). Until now a contact that answered a
# customer's "First contact" task also marked the task done ("completed by activity #N"),
# so every first contact counted twice; and a task stayed open for customers already
# contacted or with a deal won. Such tasks go, as they now do when the contact is logged
# (``customers.close_first_contact``). A First contact task done by hand stays: it is the
# one record of that contact.
FIRST_CONTACT_ANSWERED = """
DELETE FROM activity
WHERE type = 'task' AND summary = 'First contact' COLLATE NOCASE AND (
    done_at IS NOT NULL AND notes LIKE 'completed by activity #%'
    OR done_at IS NULL AND (
        EXISTS (SELECT 1 FROM activity c WHERE c.customer_id = activity.customer_id AND c.done_at IS NOT NULL
                AND c.type IN ('call', 'email', 'meeting', 'visit'))
        OR EXISTS (SELECT 1 FROM deal d JOIN stage s ON s.id = d.stage_id
                   WHERE d.customer_id = activity.customer_id AND s.kind = 'won')))
"""


def m006_first_contact_answered_once(db: Database) -> None:
    db.execute(FIRST_CONTACT_ANSWERED)


MIGRATIONS.append(m006_first_contact_answered_once)
NAMES.append(m006_first_contact_answered_once.__name__)


# m007: reminders sent by `salescli remind` (who, which day, what), so that a rep gets at
# most one a day and `salescli log` can show them. The leading ``_`` keeps the table out
# of the undo record: undoing a command never "unsends" an e-mail.
REMINDERS = """
CREATE TABLE _reminder (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    day TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    rep_id INTEGER,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL
);
CREATE INDEX _reminder_day ON _reminder(day, recipient);
"""


def m007_reminders(db: Database) -> None:
    for statement in statements(REMINDERS):
        db.execute(statement)


MIGRATIONS.append(m007_reminders)
NAMES.append(m007_reminders.__name__)


# m008: ids are never handed out twice. Without AUTOINCREMENT, SQLite gives a new row the
# largest id + 1, so after ``undo`` or ``delete`` of the newest deal the next one got its
# id, and a script holding the old id (``salescli deal win $id``) hit someone else's deal.
# With it, SQLite remembers the largest id ever given (``sqlite_sequence``) and goes above.
#
# SQLite cannot add AUTOINCREMENT to a table, so each record table with an integer id is
# rebuilt the way SQLite documents (https://sqlite.org/lang_altertable.html#otheralter):
# a copy created with the same definition plus AUTOINCREMENT, every row copied with its id,
# the old table dropped, the copy renamed, its indexes and triggers created again. Foreign
# keys are off while migrations run (``store._ensure_schema``), so dropping a table
# deletes nothing else; views and other tables' triggers that name it stay as they are.
# The sequence starts above every id the file still knows of: those in the table and
# those in the undo record (a row undone or deleted lately). The history's own tables are
# left alone: their ids are never shown before they are final.
AUTOINCREMENT_KEY = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b(?!\s+AUTOINCREMENT)", re.IGNORECASE)
TABLE_NAME = re.compile(r"^CREATE\s+TABLE\s+(\"[^\"]+\"|\[[^\]]+\]|`[^`]+`|[^\s(]+)", re.IGNORECASE)


def m008_ids_never_reused(db: Database) -> None:
    from salescli.store import history

    conn = db.conn
    # Renaming the copy must not check or rewrite the views and triggers that name the
    # table: while it is away they name nothing, and once renamed they name it again.
    conn.execute("PRAGMA legacy_alter_table = ON")
    try:
        for table in history.business_tables(conn):
            if history.shape(conn, table).range_column == "rowid":
                _rebuild_with_autoincrement(conn, table)
    finally:
        conn.execute("PRAGMA legacy_alter_table = OFF")


def _rebuild_with_autoincrement(conn: sqlite3.Connection, table: str) -> None:
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    if "AUTOINCREMENT" in sql.upper():
        return
    copy = f"_{table}_autoincrement"
    sql, keys = AUTOINCREMENT_KEY.subn("INTEGER PRIMARY KEY AUTOINCREMENT", sql, count=1)
    if not keys:
        raise RuntimeError(f"m008: {table} has an integer id, but not declared as 'id INTEGER PRIMARY KEY'")
    dependents = conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
        [table],
    ).fetchall()
    columns = ", ".join(f'"{row[1]}"' for row in conn.execute(f'PRAGMA table_info("{table}")'))
    conn.execute(TABLE_NAME.sub(f'CREATE TABLE "{copy}"', sql, count=1))
    conn.execute(f'INSERT INTO "{copy}" ({columns}) SELECT {columns} FROM "{table}"')
    conn.execute(f'DROP TABLE "{table}"')
    conn.execute(f'ALTER TABLE "{copy}" RENAME TO "{table}"')
    for (statement,) in dependents:
        conn.execute(statement)
    known = conn.execute(
        "SELECT max(ifnull(max(CAST(pk AS INTEGER)), 0), ifnull(max(last_pk), 0)) FROM history_change WHERE tbl = ?",
        [table],
    ).fetchone()[0]
    conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", [table])
    conn.execute(
        f'INSERT INTO sqlite_sequence (name, seq) SELECT ?, max(ifnull(max(rowid), 0), ?) FROM "{table}"', [table, known]
    )


MIGRATIONS.append(m008_ids_never_reused)
NAMES.append(m008_ids_never_reused.__name__)


# m009: the daily reports at ten times the reference scale (issue 13).
#
# * ``_uncontacted``: the customers with no activity at all, kept by the triggers below
#   whatever writes ``customer`` or ``activity`` (commands, import, merge, undo, another
#   tool); ``UNCONTACTED_FILL`` rebuilds it. ``report due`` lists the uncontacted
#   customers from it — a handful of rows — instead of looking every customer up in the
#   activities (a pass over the customers: 0.3 s at 100,000, ten times that at 1,000,000).
# * Wider activity indexes, each replacing the narrower one of the same name:
#   ``activity_deal`` (deal, done) and ``activity_customer`` (customer, deal, done) give the
#   last activity done on a deal, and on a customer without a deal, in one index seek
#   each — what ``report stale`` needs per open deal instead of a pass over every activity.
UNCONTACTED_TABLE = "CREATE TABLE _uncontacted (customer_id INTEGER PRIMARY KEY)"

UNCONTACTED_FILL = """
INSERT INTO _uncontacted (customer_id)
SELECT c.id FROM customer c WHERE NOT EXISTS (SELECT 1 FROM activity a WHERE a.customer_id = c.id)
"""


def _uncontacted_again(customer: str) -> str:
    """The statement for a customer who may have lost their last activity."""
    return (
        f"INSERT OR IGNORE INTO _uncontacted (customer_id) SELECT id FROM customer WHERE id = {customer} "
        f"AND NOT EXISTS (SELECT 1 FROM activity WHERE customer_id = {customer});"
    )


UNCONTACTED_TRIGGERS = [
    "CREATE TRIGGER uncontacted_customer_insert AFTER INSERT ON customer BEGIN "
    f"{_uncontacted_again('NEW.id')} END",
    "CREATE TRIGGER uncontacted_customer_delete AFTER DELETE ON customer BEGIN "
    "DELETE FROM _uncontacted WHERE customer_id = OLD.id; END",
    "CREATE TRIGGER uncontacted_customer_update AFTER UPDATE OF id ON customer WHEN OLD.id IS NOT NEW.id BEGIN "
    f"DELETE FROM _uncontacted WHERE customer_id = OLD.id; {_uncontacted_again('NEW.id')} END",
    "CREATE TRIGGER uncontacted_activity_insert AFTER INSERT ON activity BEGIN "
    "DELETE FROM _uncontacted WHERE customer_id = NEW.customer_id; END",
    "CREATE TRIGGER uncontacted_activity_delete AFTER DELETE ON activity BEGIN "
    f"{_uncontacted_again('OLD.customer_id')} END",
    "CREATE TRIGGER uncontacted_activity_update AFTER UPDATE OF customer_id ON activity "
    "WHEN OLD.customer_id IS NOT NEW.customer_id BEGIN "
    f"DELETE FROM _uncontacted WHERE customer_id = NEW.customer_id; {_uncontacted_again('OLD.customer_id')} END",
]

DAILY_INDEXES = """
DROP INDEX activity_deal;
CREATE INDEX activity_deal ON activity(deal_id, done_at);
DROP INDEX activity_customer;
CREATE INDEX activity_customer ON activity(customer_id, deal_id, done_at);
"""

# What bulk loads (``bulk.derived_deferred``) build again in one pass: table → its fill.
DERIVED_TABLES = {"_stage_stay": STAGE_STAY_FILL, "_uncontacted": UNCONTACTED_FILL}


def m009_daily_reports_speed(db: Database) -> None:
    for statement in statements(DAILY_INDEXES):
        db.execute(statement)
    db.execute(UNCONTACTED_TABLE)
    db.execute(UNCONTACTED_FILL)
    for trigger in UNCONTACTED_TRIGGERS:
        db.execute(trigger)


MIGRATIONS.append(m009_daily_reports_speed)
NAMES.append(m009_daily_reports_speed.__name__)


# m010: the funnel and the forecast at ten times the reference scale (issue 13).
#
# Derived tables, kept exact by the triggers below whatever writes ``deal``,
# ``stage_history`` or ``_stage_stay`` (commands, import, merge, undo, another tool), and
# rebuilt in one pass by bulk loads (``DERIVED_TABLES``):
#
# * ``_deal_reach``: per deal, the stages its history ever entered (``visited``: their ids,
#   ascending, comma-separated; '' for none). A set of stage ids, not "the furthest stage":
#   how far a deal got depends on the stages' order and kinds, which ``salescli stage`` may
#   change at any time, so the report works it out from the set with today's ladder.
# * ``_funnel``: deals counted (and their amounts, and the days from creation to close
#   summed) per day created, owner, current stage and ``visited`` set.
# * ``_funnel_stay``: ended stays in a stage (``_stage_stay``) per creation day and owner
#   of their deal, and stage: how many, and the days they lasted in all.
# * ``_forecast``: deals counted (and their amounts) per owner, stage and expected close.
# * ``_source_customers``, ``_source_deals``, ``_source_closed`` (report sources): per
#   channel (lowercased source; '' for none) and owner, the customers added and the deals
#   created per day, and the deals (and their amounts) per stage and day closed ('' for
#   none). A deal's channel is its own source, else its customer's: a customer's new
#   source moves the deals that have none of their own.
#
# Each aggregate holds every deal twice: under its owner (0: none) and under ``EVERYONE``,
# so that a report for the whole team reads a few hundred rows rather than one per rep.
# Stages are keys by id, never by position or kind: a ladder edit changes no row here.
EVERYONE = -1

REPORT_AGGREGATES = """
CREATE TABLE _deal_reach (
    deal_id INTEGER PRIMARY KEY,
    visited TEXT NOT NULL
);
CREATE TABLE _funnel (
    created TEXT NOT NULL,
    owner INTEGER NOT NULL,
    stage_id INTEGER NOT NULL,
    visited TEXT NOT NULL,
    deals INTEGER NOT NULL,
    value INTEGER NOT NULL,
    cycle_days REAL NOT NULL,
    cycle_deals INTEGER NOT NULL,
    PRIMARY KEY (owner, created, stage_id, visited)
) WITHOUT ROWID;
CREATE INDEX _funnel_emptied ON _funnel(deals) WHERE deals = 0;
CREATE TABLE _funnel_stay (
    created TEXT NOT NULL,
    owner INTEGER NOT NULL,
    stage_id INTEGER NOT NULL,
    stays INTEGER NOT NULL,
    days REAL NOT NULL,
    PRIMARY KEY (owner, created, stage_id)
) WITHOUT ROWID;
CREATE INDEX _funnel_stay_emptied ON _funnel_stay(stays) WHERE stays = 0;
CREATE TABLE _forecast (
    owner INTEGER NOT NULL,
    stage_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    deals INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (owner, stage_id, day)
) WITHOUT ROWID;
CREATE INDEX _forecast_emptied ON _forecast(deals) WHERE deals = 0;
CREATE TABLE _source_customers (
    owner INTEGER NOT NULL,
    channel TEXT NOT NULL,
    created TEXT NOT NULL,
    customers INTEGER NOT NULL,
    PRIMARY KEY (owner, created, channel)
) WITHOUT ROWID;
CREATE INDEX _source_customers_emptied ON _source_customers(customers) WHERE customers = 0;
CREATE TABLE _source_deals (
    owner INTEGER NOT NULL,
    channel TEXT NOT NULL,
    created TEXT NOT NULL,
    deals INTEGER NOT NULL,
    PRIMARY KEY (owner, created, channel)
) WITHOUT ROWID;
CREATE INDEX _source_deals_emptied ON _source_deals(deals) WHERE deals = 0;
CREATE TABLE _source_closed (
    owner INTEGER NOT NULL,
    channel TEXT NOT NULL,
    stage_id INTEGER NOT NULL,
    closed TEXT NOT NULL,
    deals INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (owner, stage_id, closed, channel)
) WITHOUT ROWID;
CREATE INDEX _source_closed_emptied ON _source_closed(deals) WHERE deals = 0;
"""

# The stages a deal's history entered, as ``_deal_reach.visited`` holds them.
VISITED = (
    "ifnull((SELECT group_concat(stage_id) FROM (SELECT DISTINCT stage_id FROM stage_history "
    "WHERE deal_id = {deal} ORDER BY stage_id)), '')"
)
CREATED_DAY = "substr({deal}.created_at, 1, 10)"
CYCLE_DAYS = "julianday({deal}.closed_at) - julianday(date({deal}.created_at))"

# What each aggregate sums, per row of a source (``_tally``): column → expression.
FUNNEL_VALUES = {"deals": "1", "value": "amount", "cycle_days": "ifnull(cycle, 0)", "cycle_deals": "cycle IS NOT NULL"}
FORECAST_VALUES = {"deals": "1", "amount": "amount"}
STAY_VALUES = {"stays": "stays", "days": "days"}


def _funnel_source(deal: str | None) -> str:
    """A deal as ``_funnel`` counts it: ``deal`` is NEW or OLD in a trigger on ``deal``,
    else an expression for a deal id (the deal is read from its table: no row if gone);
    None: every deal."""
    if deal in ("NEW", "OLD"):
        row, tables, where = deal, "_deal_reach r", f"WHERE r.deal_id = {deal}.id"
    else:
        row, tables = "d", "deal d JOIN _deal_reach r ON r.deal_id = d.id"
        where = "" if deal is None else f"WHERE d.id = {deal}"
    return (
        f"SELECT {CREATED_DAY.format(deal=row)} AS created, {row}.owner_id AS owner_id, {row}.stage_id AS stage_id, "
        f"r.visited AS visited, {row}.amount AS amount, {CYCLE_DAYS.format(deal=row)} AS cycle "
        f"FROM {tables} {where}"
    )


def _forecast_source(deal: str) -> str:
    return (
        f"SELECT {deal}.owner_id AS owner_id, {deal}.stage_id AS stage_id, ifnull({deal}.expected_close, '') AS day, "
        f"{deal}.amount AS amount"
    )


def _stays_source(deal: str) -> str:
    """The ended stays of ``deal`` (NEW or OLD in a trigger on ``deal``) per stage, under
    its creation day and owner. ``stage_id IN`` lets the stays' key be searched by deal."""
    return (
        f"SELECT {CREATED_DAY.format(deal=deal)} AS created, {deal}.owner_id AS owner_id, s.stage_id AS stage_id, "
        f"count(*) AS stays, total(s.days) AS days FROM _stage_stay s "
        f"WHERE s.stage_id IN (SELECT id FROM stage) AND s.deal_id = {deal}.id GROUP BY s.stage_id"
    )


def _stay_source(stay: str) -> str:
    """One ended stay (NEW or OLD in a trigger on ``_stage_stay``), if its deal is there."""
    return (
        f"SELECT {CREATED_DAY.format(deal='d')} AS created, d.owner_id AS owner_id, {stay}.stage_id AS stage_id, "
        f"1 AS stays, ifnull({stay}.days, 0) AS days FROM deal d WHERE d.id = {stay}.deal_id"
    )


def _added_up(table: str, columns: list[str], select: str, values: Iterable[str]) -> str:
    """Insert the rows of ``select`` into ``table``; a row whose key is already there adds
    its ``values`` to that row's instead."""
    added = ", ".join(f"{value} = {value} + excluded.{value}" for value in values)
    return f"INSERT INTO {table} ({', '.join(columns)}) {select} ON CONFLICT DO UPDATE SET {added};"


def _tally(table: str, keys: list[str], values: dict[str, str], source: str, sign: int) -> str:
    """Statements adding (``sign`` 1) or taking away (-1) the rows of ``source`` — which
    has the ``keys`` but ``owner`` (it has ``owner_id`` instead), and what ``values`` sums
    — to ``table``, under their owner and under ``EVERYONE``. A row that comes to no deal
    (or stay) goes: found through a partial index that holds only such rows, never by
    looking for the rows just changed (SQLite would walk all of ``EVERYONE``'s)."""
    count = next(iter(values))
    owner = f"CASE WHEN o.everyone THEN {EVERYONE} ELSE ifnull(src.owner_id, 0) END"
    sums = [value if sign > 0 else f"-({value})" for value in values.values()]
    selected = ", ".join([owner, *(f"src.{key}" for key in keys), *sums])
    rows = f"FROM ({source}) src, (SELECT 0 AS everyone UNION ALL SELECT 1) o"
    # ``WHERE true``: without it SQLite would read ON CONFLICT as a join's ON.
    statements = _added_up(table, ["owner", *keys, *values], f"SELECT {selected} {rows} WHERE true", values)
    if sign < 0:  # the emptied rows are all of the partial index ``{table}_emptied``
        statements += f"\n    DELETE FROM {table} WHERE {count} = 0;"
    return statements


def _funnel(deal: str, sign: int) -> str:
    return _tally("_funnel", ["created", "stage_id", "visited"], FUNNEL_VALUES, _funnel_source(deal), sign)


def _forecast(deal: str, sign: int) -> str:
    return _tally("_forecast", ["stage_id", "day"], FORECAST_VALUES, _forecast_source(deal), sign)


CHANNEL = "ifnull(lower(nullif(trim({source}), '')), '')"
DEAL_CHANNEL = CHANNEL.format(
    source="coalesce(nullif(trim({deal}.source), ''), (SELECT c.source FROM customer c WHERE c.id = {deal}.customer_id))"
)
CUSTOMER_VALUES = {"customers": "1"}
CREATED_VALUES = {"deals": "1"}
CLOSED_VALUES = {"deals": "1", "amount": "amount"}


def _customer_source(customer: str) -> str:
    """A customer as ``_source_customers`` counts it: never without a creation date."""
    return (
        f"SELECT {customer}.owner_id AS owner_id, {CHANNEL.format(source=customer + '.source')} AS channel, "
        f"{CREATED_DAY.format(deal=customer)} AS created WHERE {customer}.created_at IS NOT NULL"
    )


def _deal_channel_source(deal: str, channel: str | None = None, where: str = "") -> str:
    """``deal`` (NEW or OLD, or ``d`` with ``where``) as ``_source_deals`` and
    ``_source_closed`` count it; ``channel``: its channel if not its own."""
    return (
        f"SELECT {deal}.owner_id AS owner_id, {channel or DEAL_CHANNEL.format(deal=deal)} AS channel, "
        f"{CREATED_DAY.format(deal=deal)} AS created, {deal}.stage_id AS stage_id, "
        f"ifnull({deal}.closed_at, '') AS closed, {deal}.amount AS amount {where}"
    )


def _sources(deal: str, sign: int, channel: str | None = None, where: str = "") -> str:
    source = _deal_channel_source(deal, channel, where)
    return (
        _tally("_source_deals", ["channel", "created"], CREATED_VALUES, source, sign) + "\n    "
        + _tally("_source_closed", ["channel", "stage_id", "closed"], CLOSED_VALUES, source, sign)
    )


def _customers(customer: str, sign: int) -> str:
    return _tally("_source_customers", ["channel", "created"], CUSTOMER_VALUES, _customer_source(customer), sign)


def _deals_moved(old: str | None, new: str | None) -> str:
    """Statements for the deals with no source of their own whose customer's channel
    changes: from ``old``'s (a customer's pseudo-row; None: no customer, channel '') to
    ``new``'s — a deal of a missing customer counts under '' (``DEAL_CHANNEL``)."""
    customer = new or old
    deals = f"FROM deal d WHERE d.customer_id = {customer}.id AND nullif(trim(d.source), '') IS NULL"
    return "\n    ".join(
        _sources("d", sign, CHANNEL.format(source=f"{row}.source") if row else "''", deals)
        for row, sign in ((old, -1), (new, 1))
    )


def _stays(source: str, sign: int) -> str:
    return _tally("_funnel_stay", ["created", "stage_id"], STAY_VALUES, source, sign)


def _reach_again(deal: str) -> str:
    """Statements for a deal whose history changed: count it under its new ``visited``
    set. Not while the deal is being deleted (its history goes first, by cascade): its
    own trigger takes it away under the set it was counted with."""
    return f"""
    {_funnel(deal, -1)}
    UPDATE _deal_reach SET visited = {VISITED.format(deal=deal)}
        WHERE deal_id = {deal} AND EXISTS (SELECT 1 FROM deal WHERE id = {deal});
    {_funnel(deal, 1)}"""


# A history entry changes a deal's ``visited`` set only when no other entry of the deal is
# in the same stage.
_ONLY_ONE = (
    "WHEN NOT EXISTS (SELECT 1 FROM stage_history WHERE deal_id = {row}.deal_id AND stage_id = {row}.stage_id "
    "AND id IS NOT {row}.id)"
)
_DEAL_FIGURES = ("id", "created_at", "owner_id", "stage_id", "amount", "closed_at", "expected_close")
_DEAL_COHORT = ("id", "created_at", "owner_id")


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in columns)


_HAS_DEALS = "EXISTS (SELECT 1 FROM deal WHERE customer_id = {row}.id)"
_DEAL_CHANNEL = ("id", "customer_id", "source", "owner_id", "created_at", "stage_id", "closed_at", "amount")
_CUSTOMER_COUNTED = ("source", "owner_id", "created_at")

REPORT_AGGREGATE_TRIGGERS = [
    f"CREATE TRIGGER report_deal_channel_insert AFTER INSERT ON deal BEGIN {_sources('NEW', 1)}\nEND",
    f"CREATE TRIGGER report_deal_channel_delete AFTER DELETE ON deal BEGIN {_sources('OLD', -1)}\nEND",
    f"CREATE TRIGGER report_deal_channel_update AFTER UPDATE OF {', '.join(_DEAL_CHANNEL)} ON deal "
    f"WHEN {_changed(_DEAL_CHANNEL)} BEGIN {_sources('OLD', -1)} {_sources('NEW', 1)}\nEND",
    f"CREATE TRIGGER report_customer_channel_insert AFTER INSERT ON customer BEGIN {_customers('NEW', 1)}\nEND",
    f"CREATE TRIGGER report_customer_channel_delete AFTER DELETE ON customer BEGIN {_customers('OLD', -1)}\nEND",
    # A customer's deals come after it and go before it, unless another tool orders otherwise.
    f"CREATE TRIGGER report_customer_deals_insert AFTER INSERT ON customer WHEN {_HAS_DEALS.format(row='NEW')} BEGIN "
    f"{_deals_moved(None, 'NEW')}\nEND",
    f"CREATE TRIGGER report_customer_deals_delete AFTER DELETE ON customer WHEN {_HAS_DEALS.format(row='OLD')} BEGIN "
    f"{_deals_moved('OLD', None)}\nEND",
    f"CREATE TRIGGER report_customer_channel_update AFTER UPDATE OF {', '.join(_CUSTOMER_COUNTED)} ON customer "
    f"WHEN {_changed(_CUSTOMER_COUNTED)} BEGIN {_customers('OLD', -1)} {_customers('NEW', 1)}\nEND",
    "CREATE TRIGGER report_customer_deals_update AFTER UPDATE OF source ON customer "
    f"WHEN {_changed(('source',))} BEGIN {_deals_moved('OLD', 'NEW')}\nEND",
    "CREATE TRIGGER report_deal_insert AFTER INSERT ON deal BEGIN "
    f"INSERT OR REPLACE INTO _deal_reach (deal_id, visited) VALUES (NEW.id, {VISITED.format(deal='NEW.id')});"
    f"{_funnel('NEW', 1)} {_forecast('NEW', 1)}\nEND",
    # A deal's history comes after it, unless another tool (or an undo) orders otherwise.
    "CREATE TRIGGER report_deal_stays_insert AFTER INSERT ON deal "
    f"WHEN EXISTS (SELECT 1 FROM stage_history WHERE deal_id = NEW.id) BEGIN {_stays(_stays_source('NEW'), 1)}\nEND",
    # The stays go before the deal (they are read by deal); its history follows by cascade.
    f"CREATE TRIGGER report_deal_deleting BEFORE DELETE ON deal BEGIN {_stays(_stays_source('OLD'), -1)}\nEND",
    "CREATE TRIGGER report_deal_delete AFTER DELETE ON deal BEGIN "
    f"{_funnel('OLD', -1)} {_forecast('OLD', -1)} DELETE FROM _deal_reach WHERE deal_id = OLD.id;\nEND",
    f"CREATE TRIGGER report_deal_update AFTER UPDATE OF {', '.join(_DEAL_FIGURES)} ON deal "
    f"WHEN {_changed(_DEAL_FIGURES)} BEGIN {_funnel('OLD', -1)} {_forecast('OLD', -1)} "
    "UPDATE _deal_reach SET deal_id = NEW.id WHERE deal_id = OLD.id AND OLD.id IS NOT NEW.id; "
    f"{_funnel('NEW', 1)} {_forecast('NEW', 1)}\nEND",
    f"CREATE TRIGGER report_deal_cohort AFTER UPDATE OF {', '.join(_DEAL_COHORT)} ON deal "
    f"WHEN {_changed(_DEAL_COHORT)} BEGIN {_stays(_stays_source('OLD'), -1)} {_stays(_stays_source('NEW'), 1)}\nEND",
    f"CREATE TRIGGER report_history_insert AFTER INSERT ON stage_history {_ONLY_ONE.format(row='NEW')} BEGIN "
    f"{_reach_again('NEW.deal_id')}\nEND",
    f"CREATE TRIGGER report_history_delete AFTER DELETE ON stage_history {_ONLY_ONE.format(row='OLD')} BEGIN "
    f"{_reach_again('OLD.deal_id')}\nEND",
    "CREATE TRIGGER report_history_update AFTER UPDATE OF deal_id, stage_id ON stage_history "
    f"WHEN {_changed(('deal_id', 'stage_id'))} BEGIN {_reach_again('OLD.deal_id')} {_reach_again('NEW.deal_id')}\nEND",
    f"CREATE TRIGGER report_stay_insert AFTER INSERT ON _stage_stay BEGIN {_stays(_stay_source('NEW'), 1)}\nEND",
    f"CREATE TRIGGER report_stay_delete AFTER DELETE ON _stage_stay BEGIN {_stays(_stay_source('OLD'), -1)}\nEND",
    "CREATE TRIGGER report_stay_update AFTER UPDATE ON _stage_stay BEGIN "
    f"{_stays(_stay_source('OLD'), -1)} {_stays(_stay_source('NEW'), 1)}\nEND",
]


def _fill(table: str, keys: list[str], values: dict[str, str], source: str) -> str:
    """Build ``table`` from ``source`` (every deal, stay …), as ``_tally`` adds rows up."""
    return f"INSERT INTO {table} ({', '.join(['owner', *keys, *values])}) {_summed(keys, values, source)}"


def _summed(keys: list[str], values: dict[str, str], source: str) -> str:
    """The rows of ``source`` added up per key, under their owner and under ``EVERYONE``:
    ``source`` read and grouped once, everyone's sums added up from the owners' (not in a
    trigger: SQLite allows no WITH there). Whole numbers add up the same in any order; a
    fraction another tool wrote may differ in its last digit from a row-by-row sum."""
    sums = ", ".join(f"sum({value}) AS {name}" for name, value in values.items())
    group = ", ".join(keys)
    return (
        f"WITH summed AS MATERIALIZED (SELECT ifnull(src.owner_id, 0) AS owner, "
        f"{', '.join(f'src.{key} AS {key}' for key in keys)}, {sums} FROM ({source}) src GROUP BY 1, {group}) "
        f"SELECT owner, {group}, {', '.join(values)} FROM summed "
        f"UNION ALL SELECT {EVERYONE}, {group}, {', '.join(f'sum({name})' for name in values)} FROM summed GROUP BY {group}"
    )


DEAL_REACH_FILL = f"INSERT INTO _deal_reach (deal_id, visited) SELECT d.id, {VISITED.format(deal='d.id')} FROM deal d"
FUNNEL_FILL = _fill(
    "_funnel", ["created", "stage_id", "visited"], FUNNEL_VALUES,
    _funnel_source(None),
)
FUNNEL_STAY_FILL = _fill(
    "_funnel_stay", ["created", "stage_id"], STAY_VALUES,
    f"SELECT {CREATED_DAY.format(deal='d')} AS created, d.owner_id AS owner_id, s.stage_id AS stage_id, "
    "1 AS stays, ifnull(s.days, 0) AS days FROM _stage_stay s JOIN deal d ON d.id = s.deal_id",
)
FORECAST_FILL = _fill("_forecast", ["stage_id", "day"], FORECAST_VALUES, _forecast_source("d") + " FROM deal d")

SOURCE_CUSTOMERS_FILL = _fill(
    "_source_customers", ["channel", "created"], CUSTOMER_VALUES,
    _customer_source("c").replace(" WHERE", " FROM customer c WHERE"),
)
SOURCE_DEALS_FILL = _fill("_source_deals", ["channel", "created"], CREATED_VALUES, _deal_channel_source("d", where="FROM deal d"))
SOURCE_CLOSED_FILL = _fill(
    "_source_closed", ["channel", "stage_id", "closed"], CLOSED_VALUES, _deal_channel_source("d", where="FROM deal d")
)

DERIVED_TABLES.update(
    {"_deal_reach": DEAL_REACH_FILL, "_funnel": FUNNEL_FILL, "_funnel_stay": FUNNEL_STAY_FILL, "_forecast": FORECAST_FILL,
     "_source_customers": SOURCE_CUSTOMERS_FILL, "_source_deals": SOURCE_DEALS_FILL, "_source_closed": SOURCE_CLOSED_FILL}
)


def m010_funnel_forecast_aggregates(db: Database) -> None:
    for statement in statements(REPORT_AGGREGATES):
        db.execute(statement)
    for table in ("_deal_reach", "_funnel", "_funnel_stay", "_forecast", "_source_customers", "_source_deals",
                  "_source_closed"):
        db.execute(DERIVED_TABLES[table])
    for trigger in REPORT_AGGREGATE_TRIGGERS:
        db.execute(trigger)


MIGRATIONS.append(m010_funnel_forecast_aggregates)
NAMES.append(m010_funnel_forecast_aggregates.__name__)


# m011: the targets, reps and trend reports at ten times the reference scale (issue 13).
#
# Three tables of daily figures per owner, derived from ``deal``, ``customer`` and
# ``activity`` and kept exact by the triggers below whatever writes those (commands,
# import, merge, undo/redo, rep reassign, another tool); their ``FILL`` rebuilds them
# (``DERIVED_TABLES``, for bulk loads). The reports sum a few rows per day and owner
# instead of reading every deal and activity. ``owner`` is the owner's rep id, 0 for none
# (the key cannot hold NULL); ``day`` the date the figure counts on.
#
# * ``_deal_day``: deals per day closed ('' when not closed), owner and stage — count,
#   amount, those with a cost and their amount, margin (amount − cost of those), units,
#   days from creation to close. Keyed by stage rather than by its kind, so that editing
#   a stage's kind or probability needs no rebuild: the reports join ``stage``. Open
#   deals are the rows of open stages (the pipeline per owner).
# * ``_customer_day``: customers added per day of ``created_at`` (none when unknown), owner.
# * ``_activity_day``: activities done per day done, owner — all, scored, scored 4 or 5
#   (``SATISFIED_SCORE``: changing it needs a migration that fills the table again).
class Aggregate:
    """A table of sums over the rows of ``source`` grouped by ``keys``, counted where
    ``counted`` holds; the first value counts rows (a group at 0 is deleted). Expressions
    are written for a row ``{r}``; ``watched``: the source's columns they read."""

    def __init__(
        self, name: str, source: str, keys: dict[str, str], values: dict[str, str], counted: str, watched: tuple[str, ...]
    ) -> None:
        self.name, self.source, self.keys, self.values = name, source, keys, values
        self.counted, self.watched = counted, watched

    def table(self) -> str:
        columns = [f"{key} NOT NULL" for key in self.keys] + [f"{value} NOT NULL" for value in self.values]
        return f"CREATE TABLE {self.name} ({', '.join(columns)}, PRIMARY KEY ({', '.join(self.keys)})) WITHOUT ROWID"

    def _on(self, row: str, exprs: dict[str, str]) -> list[str]:
        return [expr.format(r=row) for expr in exprs.values()]

    def fill(self) -> str:
        keys = self._on(self.source, self.keys)
        sums = [f"sum({expr})" for expr in self._on(self.source, self.values)]
        return (
            f"INSERT INTO {self.name} ({', '.join([*self.keys, *self.values])}) "
            f"SELECT {', '.join([*keys, *sums])} FROM {self.source} WHERE {self.counted.format(r=self.source)} "
            f"GROUP BY {', '.join(keys)}"
        )

    def summed(self, where: str, sign: int) -> tuple[str, ...]:
        """Statements adding (``sign`` 1) or taking away (-1) the source's rows matching
        ``where`` (written for a row ``{r}``), added up per key first."""
        keys = self._on(self.source, self.keys)
        sums = [f"{sign} * sum({expr})" for expr in self._on(self.source, self.values)]
        counted = f"{self.counted.format(r=self.source)} AND {where.format(r=self.source)}"
        select = f"SELECT {', '.join([*keys, *sums])} FROM {self.source} WHERE {counted} GROUP BY {', '.join(keys)}"
        added = _added_up(self.name, [*self.keys, *self.values], select, self.values).rstrip(";")
        if sign > 0:
            return (added,)
        return added, f"DELETE FROM {self.name} WHERE {next(iter(self.values))} = 0"

    def _add(self, row: str) -> str:
        select = (
            f"SELECT {', '.join([*self._on(row, self.keys), *self._on(row, self.values)])} "
            f"WHERE {self.counted.format(r=row)}"
        )
        return _added_up(self.name, [*self.keys, *self.values], select, self.values)

    def _remove(self, row: str) -> str:
        group = " AND ".join(f"{key} = {expr}" for key, expr in zip(self.keys, self._on(row, self.keys)))
        values = zip(self.values, self._on(row, self.values))
        taken = ", ".join(f"{value} = {value} - ({expr})" for value, expr in values)
        first = next(iter(self.values))
        return (
            f"UPDATE {self.name} SET {taken} WHERE {group} AND {self.counted.format(r=row)}; "
            f"DELETE FROM {self.name} WHERE {group} AND {first} = 0;"
        )

    def triggers(self) -> list[str]:
        """Insert adds the row, delete takes it away, an update of ``watched`` does both."""
        changed = _changed(self.watched)
        prefix = f"CREATE TRIGGER {self.name[1:]}"
        return [
            f"{prefix}_insert AFTER INSERT ON {self.source} BEGIN {self._add('NEW')} END",
            f"{prefix}_delete AFTER DELETE ON {self.source} BEGIN {self._remove('OLD')} END",
            f"{prefix}_update AFTER UPDATE OF {', '.join(self.watched)} ON {self.source} WHEN {changed} "
            f"BEGIN {self._remove('OLD')} {self._add('NEW')} END",
        ]


SATISFIED_SCORE = 4  # an activity scored this or more counts towards satisfaction
OWNER = "ifnull({r}.owner_id, 0)"
DEAL_DAY = Aggregate(
    "_deal_day",
    "deal",
    {"day": "ifnull({r}.closed_at, '')", "owner": OWNER, "stage_id": "{r}.stage_id"},
    {
        "deals": "1",
        "amount": "{r}.amount",
        "costed_deals": "{r}.cost IS NOT NULL",
        "costed_amount": "iif({r}.cost IS NULL, 0, {r}.amount)",
        "margin": "ifnull({r}.amount - {r}.cost, 0)",
        "units": "{r}.quantity",
        "cycle_days": "ifnull(julianday({r}.closed_at) - julianday(substr({r}.created_at, 1, 10)), 0)",
    },
    "1",
    ("closed_at", "owner_id", "stage_id", "amount", "cost", "quantity", "created_at"),
)
CUSTOMER_DAY = Aggregate(
    "_customer_day",
    "customer",
    {"day": "substr({r}.created_at, 1, 10)", "owner": OWNER},
    {"customers": "1"},
    "{r}.created_at IS NOT NULL",
    ("created_at", "owner_id"),
)
ACTIVITY_DAY = Aggregate(
    "_activity_day",
    "activity",
    {"day": "{r}.done_at", "owner": OWNER},
    {
        "activities": "1",
        "scored": "{r}.score IS NOT NULL",
        "satisfied": f"ifnull({{r}}.score >= {SATISFIED_SCORE}, 0)",
    },
    "{r}.done_at IS NOT NULL",
    ("done_at", "owner_id", "score"),
)
DAILY_FIGURES = (DEAL_DAY, CUSTOMER_DAY, ACTIVITY_DAY)
DERIVED_TABLES.update({aggregate.name: aggregate.fill() for aggregate in DAILY_FIGURES})


def m011_daily_figures_per_owner(db: Database) -> None:
    for aggregate in DAILY_FIGURES:
        db.execute(aggregate.table())
        db.execute(aggregate.fill())
        for trigger in aggregate.triggers():
            db.execute(trigger)


MIGRATIONS.append(m011_daily_figures_per_owner)
NAMES.append(m011_daily_figures_per_owner.__name__)


# m012: the customer reports at ten times the reference scale (issue 13). Three tables
# derived from the records, each kept exact by the triggers below whatever writes them
# (commands, import, merge, delete, undo and redo, another tool); bulk loads build them
# again from their fill (``DERIVED_TABLES``). Each trigger works its rows out again from
# scratch — a few index seeks — rather than adjusting them, so no write can leave them
# off by one.
#
# * ``_deal_idle``: per open deal, its latest sign of life (``since``: the latest of its
#   own last activity done, its customer's last one tied to no deal, its last stage entry
#   and its creation date) and its last activity done. ``report stale`` reads the most
#   idle first from ``_deal_idle_since`` and stops at the first deal not idle long enough,
#   instead of four lookups for every open deal.
# * ``_customer_won``: per customer with a deal won, its revenue, won-deal count and latest
#   won date. ``report customers`` / ``customer classify`` of all time look each customer
#   up in it instead of adding up every won deal; ``_customer_won_revenue`` ranks those
#   who brought revenue.
# * ``_deal_owed``: per won deal, its customer, amount billed, payments and won date.
#   ``report receivables`` reads the deals of the customers with a deal not paid in full
#   (``_deal_owed_unpaid``), instead of adding up every payment and every won deal.
# * ``customer_tier``: the customers per stored tier (and owner), counted from the index
#   alone (the revenue levels: everyone not in ``_customer_won`` brought nothing).
CUSTOMER_REPORTS = """
CREATE TABLE _deal_idle (deal_id INTEGER PRIMARY KEY, since TEXT, last_activity TEXT);
CREATE INDEX _deal_idle_since ON _deal_idle(since);
CREATE TABLE _customer_won (customer_id INTEGER PRIMARY KEY, revenue INTEGER, frequency INTEGER, last_won TEXT);
CREATE INDEX _customer_won_revenue ON _customer_won(revenue);
CREATE TABLE _deal_owed (deal_id INTEGER PRIMARY KEY, customer_id INTEGER, billed INTEGER, paid INTEGER, won_on TEXT);
CREATE INDEX _deal_owed_customer ON _deal_owed(customer_id, billed, paid, won_on);
CREATE INDEX _deal_owed_unpaid ON _deal_owed(customer_id) WHERE billed > paid;
CREATE INDEX customer_tier ON customer(tier, owner_id);
"""


@dataclass(frozen=True)
class Derived:
    """A table derived from the deals, one row per deal or per customer (``key``): the
    SELECT of its rows for the deals ``d`` matching ``{deals}`` among those in a stage of
    ``kind``, and the deal columns those rows depend on."""

    table: str
    key: str
    select: str
    kind: str
    deal_columns: tuple[str, ...]

    @property
    def deal_key(self) -> str:
        """The deal's column that names its row."""
        return "customer_id" if self.key == "customer_id" else "id"

    def rows(self, deals: str, *, by_stage: bool = False) -> str:
        """Insert the rows of the deals matching ``deals``: found by stage for a fill,
        otherwise by id or customer, each deal's stage checked (``+``)."""
        stage = f"{'' if by_stage else '+'}d.stage_id IN (SELECT id FROM stage WHERE kind = '{self.kind}')"
        return f"INSERT INTO {self.table} {self.select.format(deals=f'{deals} AND {stage}')}"

    @property
    def fill(self) -> str:
        return self.rows("1", by_stage=True)

    def of_deal(self, row: str) -> str:
        """Statements that work out again the row of the deal ``row`` (``OLD``, ``NEW``)."""
        key = f"{row}.{self.deal_key}"
        return f"\n    DELETE FROM {self.table} WHERE {self.key} = {key};\n    {self.rows(f'd.{self.deal_key} = {key}')};"

    def of_deals(self, where: str) -> str:
        """Statements that work out again the rows of the deals matching ``where``."""
        keys = f"SELECT {self.deal_key} FROM deal WHERE {where}"
        return f"\n    DELETE FROM {self.table} WHERE {self.key} IN ({keys});\n    {self.rows(f'd.{self.deal_key} IN ({keys})')};"

    def triggers(self) -> list[str]:
        """Its triggers on ``deal`` and ``stage`` (a stage that changes kind or goes)."""
        columns = ", ".join(self.deal_columns)
        changed = _changed(self.deal_columns)
        name = self.table.lstrip("_")
        return [
            f"CREATE TRIGGER {name}_deal_insert AFTER INSERT ON deal BEGIN {self.of_deal('NEW')}\nEND",
            f"CREATE TRIGGER {name}_deal_delete AFTER DELETE ON deal BEGIN {self.of_deal('OLD')}\nEND",
            f"CREATE TRIGGER {name}_deal_update AFTER UPDATE OF {columns} ON deal WHEN {changed} BEGIN "
            f"{self.of_deal('OLD')}{self.of_deal('NEW')}\nEND",
            f"CREATE TRIGGER {name}_stage_update AFTER UPDATE OF id, kind ON stage "
            f"WHEN OLD.id IS NOT NEW.id OR OLD.kind IS NOT NEW.kind BEGIN {self.of_deals('stage_id IN (OLD.id, NEW.id)')}\nEND",
            f"CREATE TRIGGER {name}_stage_delete AFTER DELETE ON stage BEGIN {self.of_deals('stage_id = OLD.id')}\nEND",
        ]


DEAL_IDLE = Derived(
    "_deal_idle",
    "deal_id",
    """(deal_id, since, last_activity)
    SELECT id, max(coalesce(last_activity, ''), coalesce(last_stage, ''), created), last_activity
    FROM (
        SELECT d.id, date(d.created_at) AS created,
               (SELECT max(h.entered_on) FROM stage_history h WHERE h.deal_id = d.id) AS last_stage,
               nullif(max(coalesce((SELECT max(a.done_at) FROM activity a WHERE a.deal_id = d.id), ''),
                          coalesce((SELECT max(a.done_at) FROM activity a
                                    WHERE a.customer_id = d.customer_id AND a.deal_id IS NULL), '')), '')
                   AS last_activity
        FROM deal d WHERE {deals}
    )""",
    "open",
    ("id", "customer_id", "stage_id", "created_at"),
)
CUSTOMER_WON = Derived(
    "_customer_won",
    "customer_id",
    """(customer_id, revenue, frequency, last_won)
    SELECT d.customer_id, sum(d.amount), count(*), max(d.closed_at) FROM deal d WHERE {deals} GROUP BY d.customer_id""",
    "won",
    ("id", "customer_id", "stage_id", "amount", "closed_at"),
)
DEAL_OWED = Derived(
    "_deal_owed",
    "deal_id",
    """(deal_id, customer_id, billed, paid, won_on)
    SELECT d.id, d.customer_id, d.amount, (SELECT coalesce(sum(p.amount), 0) FROM payment p WHERE p.deal_id = d.id),
           coalesce(d.closed_at, date(d.created_at))
    FROM deal d WHERE {deals}""",
    "won",
    ("id", "customer_id", "stage_id", "amount", "closed_at", "created_at"),
)


def _of_activity(row: str, idle: Derived) -> str:
    """The open deals an activity done (``row``) is a sign of life of: its deal's, or its
    customer's every deal when it is tied to none."""
    return idle.of_deals(f"id = {row}.deal_id") + idle.of_deals(f"{row}.deal_id IS NULL AND customer_id = {row}.customer_id")


def _of_history(row: str, idle: Derived) -> str:
    return idle.of_deals(f"id = {row}.deal_id")


def _of_payment(row: str) -> str:
    return DEAL_OWED.of_deals(f"id = {row}.deal_id")


def _signs_of_life(idle: Derived) -> list[str]:
    """The triggers that work out again the rows of ``idle`` (per open deal, its latest sign
    of life) when an activity done or a stage entry comes, goes or changes."""
    name = idle.table.lstrip("_")
    return [
        f"CREATE TRIGGER {name}_activity_insert AFTER INSERT ON activity WHEN NEW.done_at IS NOT NULL BEGIN "
        f"{_of_activity('NEW', idle)}\nEND",
        f"CREATE TRIGGER {name}_activity_delete AFTER DELETE ON activity WHEN OLD.done_at IS NOT NULL BEGIN "
        f"{_of_activity('OLD', idle)}\nEND",
        f"CREATE TRIGGER {name}_activity_update AFTER UPDATE OF customer_id, deal_id, done_at ON activity "
        "WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.deal_id IS NOT NEW.deal_id OR OLD.done_at IS NOT NEW.done_at "
        f"BEGIN {_of_activity('OLD', idle)}{_of_activity('NEW', idle)}\nEND",
        f"CREATE TRIGGER {name}_history_insert AFTER INSERT ON stage_history BEGIN {_of_history('NEW', idle)}\nEND",
        f"CREATE TRIGGER {name}_history_delete AFTER DELETE ON stage_history BEGIN {_of_history('OLD', idle)}\nEND",
        f"CREATE TRIGGER {name}_history_update AFTER UPDATE OF deal_id, entered_on ON stage_history "
        "WHEN OLD.deal_id IS NOT NEW.deal_id OR OLD.entered_on IS NOT NEW.entered_on BEGIN "
        f"{_of_history('OLD', idle)}{_of_history('NEW', idle)}\nEND",
    ]


CUSTOMER_REPORT_TRIGGERS = [
    *DEAL_IDLE.triggers(),
    *CUSTOMER_WON.triggers(),
    *DEAL_OWED.triggers(),
    *_signs_of_life(DEAL_IDLE),
    f"CREATE TRIGGER deal_owed_payment_insert AFTER INSERT ON payment BEGIN {_of_payment('NEW')}\nEND",
    f"CREATE TRIGGER deal_owed_payment_delete AFTER DELETE ON payment BEGIN {_of_payment('OLD')}\nEND",
    "CREATE TRIGGER deal_owed_payment_update AFTER UPDATE OF deal_id, amount ON payment "
    "WHEN OLD.deal_id IS NOT NEW.deal_id OR OLD.amount IS NOT NEW.amount BEGIN "
    f"{_of_payment('OLD')}{_of_payment('NEW')}\nEND",
]

CUSTOMER_REPORT_TABLES = (DEAL_IDLE, CUSTOMER_WON, DEAL_OWED)
DERIVED_TABLES.update({derived.table: derived.fill for derived in CUSTOMER_REPORT_TABLES})


def m012_customer_reports_speed(db: Database) -> None:
    for statement in statements(CUSTOMER_REPORTS):
        db.execute(statement)
    for derived in CUSTOMER_REPORT_TABLES:
        db.execute(derived.fill)
    for trigger in CUSTOMER_REPORT_TRIGGERS:
        db.execute(trigger)


MIGRATIONS.append(m012_customer_reports_speed)
NAMES.append(m012_customer_reports_speed.__name__)


# m013: undo and redo of a bulk import as set operations (issue 13). Undoing an inserted
# range of ids (``insert-range``) moves its rows whole into a table of their own
# (``history_saved_<change id>``) and deletes them in one statement, recorded as one
# ``delete-range`` change; a redo puts them back with one ``INSERT … SELECT``. The only
# schema change is the new kind of change, allowed by ``history_change``'s CHECK: edited
# in place as m005 does (the rows on disk are unchanged).
OPS_CHECK_END = "'insert-range'))"


def m013_undo_range_deletes(db: Database) -> None:
    _edit_definition(db.conn, "history_change", OPS_CHECK_END, "'insert-range', 'delete-range'))")


MIGRATIONS.append(m013_undo_range_deletes)
NAMES.append(m013_undo_range_deletes.__name__)


# m014: ``report customers`` and ``customer classify`` of all time at ten times the
# reference scale (issue 13). ``_customer_rank`` holds one row per customer in the
# ranking's order: its primary key is (revenue won of all time DESC, name case-insensitive,
# id), so the ranking is read in order, without a sort or a lookup per customer; the
# revenue levels are counted from the small index ``_customer_rank_level`` in one pass. Each row is worked out again from
# ``customer`` and ``_customer_won`` (m012) by the triggers below whenever either changes
# (commands, import, merge, delete, rename, undo and redo, another tool); bulk loads build
# it again from its fill (``DERIVED_TABLES``).
#
# The names sort as Python's ``str.casefold`` sorts them. SQLite's NOCASE folds ASCII only,
# which sorts the same for a name whose other characters have no case (Chinese, digits,
# é …); ``exact`` is 0 for the others — any character of a script with case beyond ASCII,
# such as É, Ä, ß or Σ (``CASED_BEYOND_ASCII``, whole blocks: it holds every character
# ``str.casefold`` changes, tests/test_customer_reports_derived.py checks it), or a NUL,
# where NOCASE stops comparing — and the store puts those few in their place itself
# (``salescli.store.analysis``).
CASED_BEYOND_ASCII = (
    "µÀ-ßĀ-ɏͅͰ-֏Ⴀ-ჿᎠ-᏿ᲀ-ᲿḀ-῿℀-↏Ⓐ-ⓩⰀ-⴯Ꙁ-ꚟ꜠-ꟿꬰ-ꮿﬀ-ﬗＡ-Ｚ\U00010400-\U0001e9ff"
)
CUSTOMER_RANK_TABLE = """
CREATE TABLE _customer_rank (
    revenue INTEGER NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    customer_id INTEGER NOT NULL,
    owner_id INTEGER,
    tier TEXT,
    frequency INTEGER NOT NULL,
    last_won TEXT,
    exact INTEGER NOT NULL,
    PRIMARY KEY (revenue DESC, name, customer_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX _customer_rank_customer ON _customer_rank(customer_id);
CREATE INDEX _customer_rank_inexact ON _customer_rank(customer_id) WHERE NOT exact;
CREATE INDEX _customer_rank_level ON _customer_rank(revenue, tier, owner_id);
"""


_CUSTOMER_RANK_COLUMNS = "_customer_rank (revenue, name, customer_id, owner_id, tier, frequency, last_won, exact)"


def _exact(name: str) -> str:
    """Whether NOCASE sorts the name ``name`` as ``str.casefold`` does (see above)."""
    return f"NOT (instr({name}, char(0)) OR {name} GLOB '*[^ -~]*' AND {name} GLOB '*[{CASED_BEYOND_ASCII}]*')"


def _customer_rank_rows(customers: str, exact: Callable[[str], str] = _exact) -> str:
    """Insert the rows of the customers ``c`` matching ``customers``."""
    return (
        f"INSERT INTO {_CUSTOMER_RANK_COLUMNS} "
        f"SELECT coalesce(w.revenue, 0), c.name, c.id, c.owner_id, c.tier, coalesce(w.frequency, 0), w.last_won, "
        f"{exact('c.name')} "
        f"FROM customer c LEFT JOIN _customer_won w ON w.customer_id = c.id WHERE {customers}"
    )


def _customer_ranked_again(customer_id: str) -> str:
    """Statements that work out again the row of the customer ``customer_id``."""
    return (
        f"\n    DELETE FROM _customer_rank WHERE customer_id = {customer_id};"
        f"\n    {_customer_rank_rows(f'c.id = {customer_id}')};"
    )


_IN_RANK_ORDER = " ORDER BY 1 DESC, 2 COLLATE NOCASE, 3"  # the primary key's: each page written once
CUSTOMER_RANK_FILL = _customer_rank_rows("1") + _IN_RANK_ORDER
_CUSTOMER_RANKED = ("id", "name", "owner_id", "tier")
CUSTOMER_RANK_TRIGGERS = [
    f"CREATE TRIGGER customer_rank_insert AFTER INSERT ON customer BEGIN {_customer_ranked_again('NEW.id')}\nEND",
    f"CREATE TRIGGER customer_rank_delete AFTER DELETE ON customer BEGIN {_customer_ranked_again('OLD.id')}\nEND",
    f"CREATE TRIGGER customer_rank_update AFTER UPDATE OF {', '.join(_CUSTOMER_RANKED)} ON customer "
    f"WHEN {_changed(_CUSTOMER_RANKED)} BEGIN {_customer_ranked_again('OLD.id')}{_customer_ranked_again('NEW.id')}\nEND",
    "CREATE TRIGGER customer_rank_won_insert AFTER INSERT ON _customer_won BEGIN "
    f"{_customer_ranked_again('NEW.customer_id')}\nEND",
    "CREATE TRIGGER customer_rank_won_delete AFTER DELETE ON _customer_won BEGIN "
    f"{_customer_ranked_again('OLD.customer_id')}\nEND",
    "CREATE TRIGGER customer_rank_won_update AFTER UPDATE ON _customer_won BEGIN "
    f"{_customer_ranked_again('OLD.customer_id')}{_customer_ranked_again('NEW.customer_id')}\nEND",
]
DERIVED_TABLES["_customer_rank"] = CUSTOMER_RANK_FILL


def made(db: Database, tables: str, fill: str, triggers: list[str]) -> None:
    """A derived table made: ``tables`` (its table and indexes), filled by ``fill``, then
    kept by ``triggers`` (m014–m016; PostgreSQL's bodies of m014 and m016 too)."""
    for statement in statements(tables):
        db.execute(statement)
    db.execute(fill)
    for trigger in triggers:
        db.execute(trigger)


def m014_customer_ranking_order(db: Database) -> None:
    made(db, CUSTOMER_RANK_TABLE, CUSTOMER_RANK_FILL, CUSTOMER_RANK_TRIGGERS)


MIGRATIONS.append(m014_customer_ranking_order)
NAMES.append(m014_customer_ranking_order.__name__)


# m015: ``report due`` at 1,000,000 customers (issue 13). ``_open_follow_up`` holds every
# open follow-up with a due date, in the report's order (``due, id``), with what the
# report shows of it — the customer's name too, so that the report reads one table in
# order instead of looking up a customer per row (~2 µs each at 1,000,000: memory
# latency, which no index removes). Kept by triggers on ``activity`` (any change of what
# a row shows, done or reopened) and ``customer`` (renamed, or gone: a follow-up whose
# customer is missing is not shown); the owner's handle is still looked up (a few
# hundred reps).
OPEN_FOLLOW_UP = """
CREATE TABLE _open_follow_up (
    due TEXT NOT NULL,
    id INTEGER NOT NULL,
    customer TEXT NOT NULL,
    deal_id INTEGER,
    type TEXT NOT NULL,
    summary TEXT,
    owner_id INTEGER,
    PRIMARY KEY (due, id)
) WITHOUT ROWID
"""
_FOLLOW_UP_SHOWN = ("id", "customer_id", "deal_id", "type", "summary", "owner_id", "due", "done_at")


def _follow_ups(activities: str) -> str:
    """Insert the rows of the open follow-ups among the activities ``a`` matching ``activities``."""
    return (
        "INSERT INTO _open_follow_up (due, id, customer, deal_id, type, summary, owner_id) "
        "SELECT a.due, a.id, c.name, a.deal_id, a.type, a.summary, a.owner_id "
        f"FROM activity a JOIN customer c ON c.id = a.customer_id WHERE a.done_at IS NULL AND a.due IS NOT NULL AND {activities};"
    )


def _customer_follow_ups_again(row: str) -> str:
    """Statements that work out again the rows of the follow-ups of the customer ``row``."""
    return (
        "DELETE FROM _open_follow_up WHERE (due, id) IN "
        f"(SELECT due, id FROM activity WHERE customer_id = {row}.id AND done_at IS NULL AND due IS NOT NULL); "
        f"{_follow_ups(f'a.customer_id = {row}.id')}"
    )


_FOLLOW_UP_GONE = "DELETE FROM _open_follow_up WHERE due = OLD.due AND id = OLD.id;"
OPEN_FOLLOW_UP_FILL = _follow_ups("1").rstrip(";")
OPEN_FOLLOW_UP_TRIGGERS = [
    f"CREATE TRIGGER open_follow_up_insert AFTER INSERT ON activity BEGIN {_follow_ups('a.id = NEW.id')} END",
    f"CREATE TRIGGER open_follow_up_delete AFTER DELETE ON activity BEGIN {_FOLLOW_UP_GONE} END",
    f"CREATE TRIGGER open_follow_up_update AFTER UPDATE OF {', '.join(_FOLLOW_UP_SHOWN)} ON activity "
    f"WHEN {_changed(_FOLLOW_UP_SHOWN)} BEGIN {_FOLLOW_UP_GONE} {_follow_ups('a.id = NEW.id')} END",
    f"CREATE TRIGGER open_follow_up_customer_insert AFTER INSERT ON customer BEGIN {_customer_follow_ups_again('NEW')} END",
    f"CREATE TRIGGER open_follow_up_customer_delete AFTER DELETE ON customer BEGIN {_customer_follow_ups_again('OLD')} END",
    "CREATE TRIGGER open_follow_up_customer_update AFTER UPDATE OF id, name ON customer "
    "WHEN OLD.id IS NOT NEW.id OR OLD.name IS NOT NEW.name BEGIN "
    f"{_customer_follow_ups_again('OLD')} {_customer_follow_ups_again('NEW')} END",
]
DERIVED_TABLES["_open_follow_up"] = OPEN_FOLLOW_UP_FILL


def m015_open_follow_ups_with_names(db: Database) -> None:
    made(db, OPEN_FOLLOW_UP, OPEN_FOLLOW_UP_FILL, OPEN_FOLLOW_UP_TRIGGERS)


MIGRATIONS.append(m015_open_follow_ups_with_names)
NAMES.append(m015_open_follow_ups_with_names.__name__)


# m016: ``report stale`` in one pass at ten times the reference scale (issue 13).
#
# ``_deal_idle`` (m012) found the most idle open deals at once, but the report still
# fetched each one's deal and customer, stage and owner: four seeks for each of 554,000
# rows at 1M customers (8.9 s). ``_stale_deal`` replaces it: per open deal of a customer
# on file, what the report shows of it — its latest sign of life (``since``, as m012
# works it out), its last activity done, title, amount, stage and owner, and its
# customer's name — stored in the order the report reads it (``since``, then the deal's
# id: WITHOUT ROWID), so that the report is one range of one table, joined only to the
# few stages and reps (renaming one of those changes no row here). A deal whose creation
# date SQLite cannot read has no ``since`` and no row: it is never stale (as before).
# Its triggers are m012's, with the deal's title, amount and owner watched too, and the
# customer's: a rename, and a customer coming or going while deals name it (only another
# program does that: salescli adds a customer before its deals and deletes it after them,
# so those two cost one look at the deals' index per customer).
STALE_DEAL_TABLE = """
CREATE TABLE _stale_deal (
    since TEXT NOT NULL, deal_id INTEGER NOT NULL, last_activity TEXT, title TEXT, customer TEXT, amount INTEGER,
    stage_id INTEGER, owner_id INTEGER,
    PRIMARY KEY (since, deal_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX _stale_deal_id ON _stale_deal(deal_id);
"""
STALE_DEAL = Derived(
    "_stale_deal",
    "deal_id",
    """(since, deal_id, last_activity, title, customer, amount, stage_id, owner_id)
    SELECT max(coalesce(last_activity, ''), coalesce(last_stage, ''), created), id, last_activity, title, customer,
           amount, stage_id, owner_id
    FROM (
        SELECT d.id, d.title, c.name AS customer, d.amount, d.stage_id, d.owner_id, date(d.created_at) AS created,
               (SELECT max(h.entered_on) FROM stage_history h WHERE h.deal_id = d.id) AS last_stage,
               nullif(max(coalesce((SELECT max(a.done_at) FROM activity a WHERE a.deal_id = d.id), ''),
                          coalesce((SELECT max(a.done_at) FROM activity a
                                    WHERE a.customer_id = d.customer_id AND a.deal_id IS NULL), '')), '')
                   AS last_activity
        FROM deal d JOIN customer c ON c.id = d.customer_id WHERE {deals}
    )
    WHERE created IS NOT NULL""",
    "open",
    ("id", "customer_id", "stage_id", "created_at", "title", "amount", "owner_id"),
)
STALE_DEAL_TRIGGERS = [
    *STALE_DEAL.triggers(),
    *_signs_of_life(STALE_DEAL),
    "CREATE TRIGGER stale_deal_customer_insert AFTER INSERT ON customer WHEN EXISTS (SELECT 1 FROM deal WHERE customer_id = NEW.id) "
    f"BEGIN {STALE_DEAL.of_deals('customer_id = NEW.id')}\nEND",
    "CREATE TRIGGER stale_deal_customer_delete AFTER DELETE ON customer WHEN EXISTS (SELECT 1 FROM deal WHERE customer_id = OLD.id) "
    f"BEGIN {STALE_DEAL.of_deals('customer_id = OLD.id')}\nEND",
    "CREATE TRIGGER stale_deal_customer_update AFTER UPDATE OF id, name ON customer "
    f"WHEN OLD.id IS NOT NEW.id OR OLD.name IS NOT NEW.name BEGIN {STALE_DEAL.of_deals('customer_id IN (OLD.id, NEW.id)')}\nEND",
]
del DERIVED_TABLES[DEAL_IDLE.table]
DERIVED_TABLES[STALE_DEAL.table] = STALE_DEAL.fill


def m016_stale_deals_in_one_pass(db: Database) -> None:
    for trigger in [*DEAL_IDLE.triggers(), *_signs_of_life(DEAL_IDLE)]:
        db.execute(f"DROP TRIGGER {trigger.split()[2]}")  # CREATE TRIGGER <name> …
    db.execute(f"DROP TABLE {DEAL_IDLE.table}")
    made(db, STALE_DEAL_TABLE, STALE_DEAL.fill, STALE_DEAL_TRIGGERS)


MIGRATIONS.append(m016_stale_deals_in_one_pass)
NAMES.append(m016_stale_deals_in_one_pass.__name__)


# m017: who ran each command (issue 15), for ``log`` and for ``undo`` on a shared server
# (your own latest by default): ``SALESCLI_USER``, else the database user on a server,
# else the login name (``session.user``). NULL for the commands logged before.
def m017_history_command_ran_by(db: Database) -> None:
    db.execute("ALTER TABLE history_command ADD COLUMN ran_by TEXT")


MIGRATIONS.append(m017_history_command_ran_by)
NAMES.append(m017_history_command_ran_by.__name__)


# m018: writes of customers as cheap as before m014–m016 (issue 13). Their triggers on
# ``customer`` looked up the customer's won revenue, follow-ups or deals for every row
# inserted or deleted, though a new customer has none (salescli adds a customer before
# its deals and activities, and deletes it after them): importing 100,000 customers, and
# undoing and redoing that import, cost twice the time. Now:
# - a customer inserted without a ``_customer_won`` row gets its ``_customer_rank`` row
#   straight from ``NEW`` (revenue 0, never won); with one (another program that added
#   the deals first), it is worked out from both as before;
# - a customer deleted only loses its ``_customer_rank`` row (no customer, no row);
# - ``_open_follow_up``'s customer insert and delete triggers run only when activities
#   name the customer (as ``_stale_deal``'s do for deals).
_HAS_FOLLOW_UPS = "EXISTS (SELECT 1 FROM activity WHERE customer_id = {row}.id)"
_HAS_WON = "EXISTS (SELECT 1 FROM _customer_won WHERE customer_id = NEW.id)"
CHEAP_CUSTOMER_WRITES_TRIGGERS = {
    "customer_rank_insert": "CREATE TRIGGER customer_rank_insert AFTER INSERT ON customer "
    f"WHEN NOT {_HAS_WON} BEGIN "
    "\n    DELETE FROM _customer_rank WHERE customer_id = NEW.id;"
    f"\n    INSERT INTO {_CUSTOMER_RANK_COLUMNS} "
    f"VALUES (0, NEW.name, NEW.id, NEW.owner_id, NEW.tier, 0, NULL, {_exact('NEW.name')});\nEND",
    "customer_rank_insert_won": "CREATE TRIGGER customer_rank_insert_won AFTER INSERT ON customer "
    f"WHEN {_HAS_WON} BEGIN {_customer_ranked_again('NEW.id')}\nEND",
    "customer_rank_delete": "CREATE TRIGGER customer_rank_delete AFTER DELETE ON customer BEGIN "
    "DELETE FROM _customer_rank WHERE customer_id = OLD.id; END",
    "open_follow_up_customer_insert": "CREATE TRIGGER open_follow_up_customer_insert AFTER INSERT ON customer "
    f"WHEN {_HAS_FOLLOW_UPS.format(row='NEW')} BEGIN {_customer_follow_ups_again('NEW')} END",
    "open_follow_up_customer_delete": "CREATE TRIGGER open_follow_up_customer_delete AFTER DELETE ON customer "
    f"WHEN {_HAS_FOLLOW_UPS.format(row='OLD')} BEGIN {_customer_follow_ups_again('OLD')} END",
}


def m018_cheap_customer_inserts_and_deletes(db: Database) -> None:
    for name, trigger in CHEAP_CUSTOMER_WRITES_TRIGGERS.items():
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
        db.execute(trigger)


MIGRATIONS.append(m018_cheap_customer_inserts_and_deletes)
NAMES.append(m018_cheap_customer_inserts_and_deletes.__name__)


# m019: ``casefold()`` in SQL is Python's ``str.casefold`` on both stores (issue 15). On
# SQLite it is Python's own, registered on each connection (``dialect.casefold``): nothing
# to do here. On PostgreSQL it was ``lower()``, which folds ASCII alone on salescli's
# "C" text, so the rankings of a period and receivables put "Éz" before "éa" there.
def m019_casefold_on_the_server(db: Database) -> None:
    pass


MIGRATIONS.append(m019_casefold_on_the_server)
NAMES.append(m019_casefold_on_the_server.__name__)


# Bulk writes of a range of customers — an import, and the undo and redo of one (issue 13).
# A row trigger costs as much again as the row it follows: ``_customer_rank`` is kept in the
# ranking's order, so 100,000 new customers, each put in by its own trigger, land at 100,000
# random places of it; the tallies add each customer to their sums one at a time. So
# ``history`` switches the customer's row triggers off around a range's inserts (or
# deletes) and counts the whole range in (or out) with one statement per derived table
# (on SQLite a large ranking's rows go one by one in its order, ``keys_in_order``):
# the ranking's rows worked out again in one pass in its order, the tallies added up per
# key first. No schema change: the triggers stay as m009–m018 left them for every other write.
@dataclass(frozen=True)
class KeptByRange:
    """A derived table kept for a range of ids of a record table at once: its row triggers
    off while rows of the range come (``inserted``) or go (``deleted``); ``added``: the
    statements that count the range's rows (ids ``:first`` to ``:last``) in once they came,
    ``taken``: those that count them out before they go. In such a block the range's rows
    only come, or only go (``history.bulk_inserts`` checks that none changes)."""

    inserted: tuple[str, ...]
    deleted: tuple[str, ...]
    added: tuple[str, ...] = ()
    taken: tuple[str, ...] = ()
    # SQL, true when the triggers have nothing to do for the range (they act only for the
    # records other rows refer to): they are switched off only then, and stay on otherwise
    idle: str = ""
    # indexes built again when a range deletes many rows, and SQL: how many rows of the
    # table the range deletes, and about how many it holds (at most: its largest id, which
    # an index gives at once where a count would read it all)
    rebuilt: tuple[str, ...] = ()
    share: str = ""
    # SQLite, when the range's rows lie at random places of the table's order (the
    # ranking's: revenue, then name): SQL giving each row's customer in the table's order, and SQL
    # deleting one customer's row. They go one by one in that order before ``taken``
    # (which then finds none), so each page of the table and its indexes is changed once;
    # deleted by id they were changed at random, and at a million customers their pages
    # outgrew the page cache (undoing an import of 100,000 read 1.6 GB and wrote 1.4 GB;
    # now 1.1 and 0.9, the ranking's share of it a tenth of what it was).
    keys_in_order: str = ""
    delete_by_key: str = ""


_RANGE = "BETWEEN :first AND :last"


def _exact_at_once(name: str) -> str:
    """``_exact`` for a range of names: a GLOB tries the whole class of characters at each
    character of a name (5 µs a name), a regular expression once (SQLite's REGEXP is
    Python's ``re``, ``dialect.regexp``; PostgreSQL's ``~``). Only in statements salescli
    runs: the sqlite3 shell's triggers cannot call it."""
    return f"NOT (instr({name}, char(0)) OR {name} REGEXP '[{CASED_BEYOND_ASCII}]')"


def _customers_summed(sign: int) -> list[str]:
    """``_source_customers``: the range's customers added (``sign`` 1) or taken away (-1),
    summed up per key first."""
    source = _customer_source("c").replace(" WHERE", f" FROM customer c WHERE c.id {_RANGE} AND")
    values = {value: f"{sign} * {expr}" for value, expr in CUSTOMER_VALUES.items()}
    select = _summed(["channel", "created"], values, source)
    statements = [_added_up("_source_customers", ["owner", "channel", "created", *values], select, values).rstrip(";")]
    if sign < 0:  # the emptied rows are all of the partial index ``_source_customers_emptied``
        statements.append("DELETE FROM _source_customers WHERE customers = 0")
    return statements


KEPT_BY_RANGE = {
    "customer": (
        KeptByRange(
            inserted=("customer_rank_insert", "customer_rank_insert_won"),
            deleted=("customer_rank_delete",),
            added=(
                f"DELETE FROM _customer_rank WHERE customer_id {_RANGE}",
                _customer_rank_rows(f"c.id {_RANGE}", _exact_at_once) + _IN_RANK_ORDER,
            ),
            taken=(f"DELETE FROM _customer_rank WHERE customer_id {_RANGE}",),
            rebuilt=("_customer_rank_level",),
            keys_in_order=f"SELECT customer_id FROM _customer_rank WHERE customer_id {_RANGE} "
            "ORDER BY revenue DESC, name COLLATE NOCASE, customer_id",
            delete_by_key="DELETE FROM _customer_rank WHERE customer_id = ?",
            share=f"SELECT (SELECT count(*) FROM _customer_rank WHERE customer_id {_RANGE}), "
            "(SELECT ifnull(max(customer_id), 0) FROM _customer_rank)",
        ),
        KeptByRange(
            inserted=("report_customer_channel_insert",),
            deleted=("report_customer_channel_delete",),
            added=tuple(_customers_summed(1)),
            taken=tuple(_customers_summed(-1)),
        ),
        KeptByRange(
            inserted=("customer_day_insert",),
            deleted=("customer_day_delete",),
            added=CUSTOMER_DAY.summed(f"{{r}}.id {_RANGE}", 1),
            taken=CUSTOMER_DAY.summed(f"{{r}}.id {_RANGE}", -1),
        ),
        KeptByRange(
            inserted=("uncontacted_customer_insert",),
            deleted=("uncontacted_customer_delete",),
            added=(
                f"INSERT OR IGNORE INTO _uncontacted (customer_id) SELECT c.id FROM customer c WHERE c.id {_RANGE} "
                "AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.customer_id = c.id)",
            ),
            taken=(f"DELETE FROM _uncontacted WHERE customer_id {_RANGE}",),
        ),
        KeptByRange(  # a customer's deals come after it and go before it, unless another tool orders otherwise
            inserted=("report_customer_deals_insert", "stale_deal_customer_insert"),
            deleted=("report_customer_deals_delete", "stale_deal_customer_delete"),
            idle=f"SELECT NOT EXISTS (SELECT 1 FROM deal WHERE customer_id {_RANGE})",
        ),
        KeptByRange(  # and so do its activities
            inserted=("open_follow_up_customer_insert",),
            deleted=("open_follow_up_customer_delete",),
            idle=f"SELECT NOT EXISTS (SELECT 1 FROM activity WHERE customer_id {_RANGE})",
        ),
    ),
}


# m020: NOCASE on a PostgreSQL server exactly as on SQLite (issue 15): ASCII letters folded,
# then bytes compared, so "Émile" and "émile" are two customers on both stores and the
# customer list is in the same order. Nothing to do on SQLite. On PostgreSQL the unique
# keys on customer name, sku and stage name were made with an ICU collation that folds
# every script's case; they become unique indexes on lower() of "C" text
# (``postgres.NOCASE_KEYS``), which the store's ``COLLATE NOCASE`` queries read there.
def m020_nocase_on_the_server_as_on_sqlite(db: Database) -> None:
    pass


MIGRATIONS.append(m020_nocase_on_the_server_as_on_sqlite)
NAMES.append(m020_nocase_on_the_server_as_on_sqlite.__name__)
