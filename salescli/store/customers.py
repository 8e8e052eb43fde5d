"""Customers: add, list and search, the card, edit, delete, merge, likely duplicates.

A customer's tags live in ``customer_tag``; its custom fields are a JSON object in
``customer.fields``; its owner is a rep. Adding a customer may plan its first-contact
follow-up (an open ``task`` activity, see the brief's data contract).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from salescli import parse, store
from salescli.errors import Invalid, UsageError
from salescli.grammar import plural
from salescli.store import dialect, reps

# The plain columns a user sets with an option of the same name.
DETAILS = (
    "company", "title", "contact", "phone", "email", "industry", "region", "size", "source",
    "tier", "credit_limit", "notes",
)
FIRST_CONTACT = "First contact"
CONTACT_TYPES = ("call", "email", "meeting", "visit")
_OPEN_FIRST_CONTACT = "done_at IS NULL AND type = 'task' AND summary = ? COLLATE NOCASE"

SELECT = """
SELECT c.id, c.name, c.company, c.title, c.contact, c.phone, c.email, c.industry, c.region,
       c.size, c.source, c.tier,
       (SELECT group_concat(t.tag, '') FROM customer_tag t WHERE t.customer_id = c.id) AS tags,
       r.handle AS owner, c.credit_limit, c.notes, c.fields, c.created_at, c.updated_at
FROM {customer} LEFT JOIN rep r ON r.id = c.owner_id
"""


def as_dict(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["tags"] = sorted(item["tags"].split("\x1f"), key=str.casefold) if item["tags"] else []
    item["fields"] = json.loads(item["fields"]) if item["fields"] != "{}" else {}
    return item


def get(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any]:
    return as_dict(conn.execute(SELECT.format(customer="customer c") + " WHERE c.id = ?", [customer_id]).fetchone())


# ---------------------------------------------------------------- rules


def check_name(conn: sqlite3.Connection, name: str, *, exclude: int | None = None) -> str:
    """A usable, unused customer name (unique case-insensitively)."""
    name = parse.require_text(name, what="customer name")
    if name.removeprefix("#").isdigit():
        what = "is only digits" if name.isdigit() else "is # and digits"
        raise UsageError(f"customer name '{name}' {what}: it would read as an id")
    clash = conn.execute(
        "SELECT id, name FROM customer WHERE name = ? COLLATE NOCASE AND id IS DISTINCT FROM ?", [name, exclude]
    ).fetchone()
    if clash:
        raise Invalid(f"a customer named '{clash['name']}' already exists (#{clash['id']})")
    return name


def owner_id(conn: sqlite3.Connection, rep: sqlite3.Row | None) -> int | None:
    """The id of ``rep`` as a customer's owner: only an active rep owns new work."""
    if rep is None:
        return None
    if not rep["active"]:
        raise Invalid(f"rep '{rep['handle']}' is inactive: choose an active rep")
    return int(rep["id"])


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags as typed, read as a CSV cell of tags is (``a; b`` is two), without repeats in any case."""
    tags = list(tags)
    if any(not parse.list_items([tag]) for tag in tags):
        raise UsageError("a tag cannot be empty")
    return parse.list_items(tags, parse.nocase)


def _add_tags(conn: sqlite3.Connection, customer_id: int, tags: Iterable[str]) -> int:
    """Add ``tags`` the customer does not have yet (any case); return how many were new."""
    have = {parse.nocase(row[0]) for row in conn.execute(
        "SELECT tag FROM customer_tag WHERE customer_id = ?", [customer_id]
    )}
    new = [tag for tag in tags if parse.nocase(tag) not in have]
    conn.executemany(
        "INSERT INTO customer_tag (customer_id, tag) VALUES (?, ?)", [(customer_id, t) for t in new]
    )
    return len(new)


def _merged_fields(current: dict[str, str], changes: dict[str, str]) -> dict[str, str]:
    """Custom fields after ``changes`` (an empty value removes the key)."""
    result = dict(current)
    for key, value in changes.items():
        if value:
            result[key] = value
        else:
            result.pop(key, None)
    return result


# ---------------------------------------------------------------- add


def add(
    conn: sqlite3.Connection,
    name: str,
    details: dict[str, Any],
    *,
    tags: Iterable[str] = (),
    fields: dict[str, str] | None = None,
    owner: int | None = None,
    assign: bool = True,
    followup: bool = True,
    created_on: dt.date | None = None,
) -> dict[str, Any]:
    """Add a customer; return ``{"id", "owner", "first_contact_due"}``.

    ``details`` maps the columns of ``DETAILS`` to values. Without an ``owner`` and with
    ``assign``, the owner is chosen by ``reps.choose_owner`` (SPEC §4). ``created_on``
    back-dates it (an existing customer typed in). With ``followup`` the first-contact task
    is planned ``first_contact_hours`` after it was created — by the same rule, so a
    customer created long ago with nothing logged is due for contact (log the last contact
    with ``activity log --on`` to record that it happened).
    """
    name = check_name(conn, name)
    tags = clean_tags(tags)
    if owner is None and assign:
        owner = reps.choose_owner(conn, details.get("region"), details.get("industry"))
    moment = store.created_moment(created_on, "a customer")
    created = parse.timestamp(moment)
    values = {column: details.get(column) for column in DETAILS}
    cursor = conn.execute(
        f"INSERT INTO customer (name, {', '.join(DETAILS)}, owner_id, fields, created_at, updated_at) "
        f"VALUES (?, {', '.join('?' for _ in DETAILS)}, ?, ?, ?, ?) RETURNING id",
        [name, *values.values(), owner, _json(_merged_fields({}, fields or {})), created, created],
    )
    customer_id = int(cursor.fetchone()[0])
    _add_tags(conn, customer_id, tags)
    due = None
    if followup:
        hours = store.number_setting(conn, "first_contact_hours")
        due = (moment + dt.timedelta(hours=hours)).date()
        conn.execute(
            "INSERT INTO activity (customer_id, type, summary, owner_id, due, created_at) "
            "VALUES (?, 'task', ?, ?, ?, ?)",
            [customer_id, FIRST_CONTACT, owner, due.isoformat(), created],
        )
    handle = conn.execute("SELECT handle FROM rep WHERE id = ?", [owner]).fetchone() if owner else None
    return {"id": customer_id, "owner": handle[0] if handle else None, "first_contact_due": due}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# ---------------------------------------------------------------- first contact


def close_first_contact(conn: sqlite3.Connection, customer_id: int) -> list[int]:
    """Remove the customer's open "First contact" tasks, once a contact is logged or a deal
    won: the reminder is answered, and the contact itself is the one activity that counts
    (a task ticked off beside it would count the same contact twice). Return their ids."""
    ids = [row[0] for row in conn.execute(
        f"SELECT id FROM activity WHERE customer_id = ? AND {_OPEN_FIRST_CONTACT} ORDER BY id", [customer_id, FIRST_CONTACT]
    )]
    conn.executemany("DELETE FROM activity WHERE id = ?", [(activity_id,) for activity_id in ids])
    return ids


def _contacted(conn: sqlite3.Connection, customer_id: int) -> bool:
    """Whether the customer has had its first contact: a contact logged (or its First
    contact task done), or a deal won."""
    types = {f"type{number}": kind for number, kind in enumerate(CONTACT_TYPES)}
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM activity WHERE customer_id = :customer AND done_at IS NOT NULL "
        f"  AND (type IN ({', '.join(':' + key for key in types)}) OR type = 'task' AND summary = :task COLLATE NOCASE)) "
        "OR EXISTS (SELECT 1 FROM deal d JOIN stage s ON s.id = d.stage_id "
        "  WHERE d.customer_id = :customer AND s.kind = 'won')",
        {"customer": customer_id, "task": FIRST_CONTACT, **types},
    ).fetchone()[0] == 1


# ---------------------------------------------------------------- list and search


def search_condition(text: str) -> tuple[str, list[str]]:
    """The one place a search is defined: a case-insensitive substring of the name,
    company, contact, phone, email or notes; digits also match a phone written with
    spaces, dashes or brackets. (An FTS5 index can replace this function alone.)"""
    needle = _like_inner(text.strip())
    columns = ("name", "company", "contact", "phone", "email", "notes")
    sql = " OR ".join(f"c.{column} LIKE ? ESCAPE '\\'" for column in columns)
    params = [needle] * len(columns)
    digits = re.sub(r"[\s()+\-.]", "", text)
    if digits.isdigit():
        bare = "ifnull(c.phone, '')"
        for char in " ()+-.":
            bare = f"replace({bare}, '{char}', '')"
        sql += f" OR {bare} LIKE ?"
        params.append(f"%{digits}%")
    return f"({sql})", params


def _like_inner(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class Filter:
    """Which customers a listing shows (every given condition must hold)."""

    tier: str | None = None
    tags: tuple[str, ...] = ()
    owner: int | None = None
    source: str | None = None
    industry: str | None = None
    region: str | None = None
    search: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The SQL ``WHERE`` clause (empty when nothing is filtered) and its parameters."""
        conditions: list[str] = []
        params: list[Any] = []
        if self.tier:
            conditions.append("c.tier = ?")
            params.append(self.tier)
        for tag in self.tags:
            conditions.append(
                "EXISTS (SELECT 1 FROM customer_tag t WHERE t.customer_id = c.id AND t.tag = ? COLLATE NOCASE)"
            )
            params.append(tag.strip())
        if self.owner is not None:
            conditions.append("c.owner_id = ?")
            params.append(self.owner)
        for column in ("source", "industry", "region"):
            value = getattr(self, column)
            if value:
                conditions.append(f"c.{column} = ? COLLATE NOCASE")
                params.append(value.strip())
        if self.search and self.search.strip():
            condition, values = search_condition(self.search)
            conditions.append(condition)
            params.extend(values)
        return (" WHERE " + " AND ".join(conditions) if conditions else ""), params


def listing(conn: sqlite3.Connection, where: Filter = Filter(), *, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Customers sorted by name, filtered; streamed from the cursor."""
    clause, params = where.where()
    # Filtered: scan the table and sort what matches (cheaper than walking the name
    # index with a table lookup per customer). Unfiltered: walk the name index.
    table = f"customer c {dialect.hint(conn, 'NOT INDEXED')}" if clause else "customer c"
    sql = SELECT.format(customer=table) + clause + " ORDER BY c.name COLLATE NOCASE"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return (as_dict(row) for row in conn.execute(sql, params))


def count(conn: sqlite3.Connection, where: Filter = Filter()) -> int:
    clause, params = where.where()
    return int(conn.execute("SELECT count(*) FROM customer c" + clause, params).fetchone()[0])


# ---------------------------------------------------------------- the card


def card(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any]:
    """Everything ``customer show`` prints: the customer, its deals, its activity timeline
    (done, newest first), its open follow-ups (soonest first) and a summary."""
    deals = [dict(row) for row in conn.execute(
        "SELECT d.id, d.title, s.name AS stage, s.kind, d.amount, d.expected_close, r.handle AS owner "
        "FROM deal d JOIN stage s ON s.id = d.stage_id LEFT JOIN rep r ON r.id = d.owner_id "
        "WHERE d.customer_id = ? ORDER BY d.created_at DESC, d.id DESC",
        [customer_id],
    )]
    activities = [dict(row) for row in conn.execute(
        "SELECT a.id, a.done_at, a.type, a.summary, r.handle AS owner, a.score "
        "FROM activity a LEFT JOIN rep r ON r.id = a.owner_id "
        "WHERE a.customer_id = ? AND a.done_at IS NOT NULL ORDER BY a.done_at DESC, a.id DESC",
        [customer_id],
    )]
    today = parse.today()
    follow_ups = []
    for row in conn.execute(
        "SELECT a.id, a.due, a.type, a.summary, r.handle AS owner "
        "FROM activity a LEFT JOIN rep r ON r.id = a.owner_id "
        "WHERE a.customer_id = ? AND a.done_at IS NULL ORDER BY a.due IS NULL, a.due, a.id",
        [customer_id],
    ):
        late = (today - dt.date.fromisoformat(row["due"])).days if row["due"] else 0
        follow_ups.append({**dict(row), "days_overdue": late if late > 0 else None})
    totals = conn.execute(
        "SELECT sum(CASE WHEN s.kind = 'open' THEN d.amount END) AS open_pipeline, "
        "       sum(CASE WHEN s.kind = 'won' THEN d.amount END) AS won_revenue "
        "FROM deal d JOIN stage s ON s.id = d.stage_id WHERE d.customer_id = ?",
        [customer_id],
    ).fetchone()
    summary = {
        "open_pipeline": totals["open_pipeline"] or 0,
        "won_revenue": totals["won_revenue"] or 0,
        "last_contact": activities[0]["done_at"] if activities else None,
    }
    return {
        "customer": get(conn, customer_id),
        "deals": deals,
        "activities": activities,
        "follow_ups": follow_ups,
        "summary": summary,
    }


# ---------------------------------------------------------------- edit


def edit(
    conn: sqlite3.Connection,
    customer_id: int,
    changes: dict[str, Any],
    *,
    tags: list[str] | None = None,
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
    fields: dict[str, str] | None = None,
) -> dict[str, int] | None:
    """Apply ``changes`` (column → value, incl. ``name`` and ``owner_id``), replace the
    tags with ``tags`` if given, add / remove tags, set or (empty value) remove custom
    fields; ``updated_at`` is refreshed. A new owner takes over the customer's open work
    (``hand_over``). Return what was handed over (``{"deals", "follow_ups"}``), or None
    when nothing was asked for."""
    changes = dict(changes)
    if "name" in changes:
        changes["name"] = check_name(conn, changes["name"], exclude=customer_id)
    add_tags, remove_tags = clean_tags(add_tags), clean_tags(remove_tags)
    if fields:
        current = json.loads(
            conn.execute("SELECT fields FROM customer WHERE id = ?", [customer_id]).fetchone()[0]
        )
        changes["fields"] = _json(_merged_fields(current, fields))
    if tags is not None:
        conn.execute("DELETE FROM customer_tag WHERE customer_id = ?", [customer_id])
        _add_tags(conn, customer_id, clean_tags(tags))
    _add_tags(conn, customer_id, add_tags)
    for tag in remove_tags:
        conn.execute(
            "DELETE FROM customer_tag WHERE customer_id = ? AND tag = ? COLLATE NOCASE", [customer_id, tag]
        )
    if not (changes or tags is not None or add_tags or remove_tags):
        return None
    moved = hand_over(conn, [(customer_id, changes["owner_id"])]) if "owner_id" in changes else {"deals": 0, "follow_ups": 0}
    changes["updated_at"] = parse.timestamp()
    assignments = ", ".join(f"{column} = ?" for column in changes)
    conn.execute(f"UPDATE customer SET {assignments} WHERE id = ?", [*changes.values(), customer_id])
    return moved


def hand_over(conn: sqlite3.Connection, moves: list[tuple[int, int | None]]) -> dict[str, int]:
    """Before customers change owner — ``moves``: (customer id, new owner id) — hand each
    one's open deals and open follow-ups that its current owner holds to the new owner:
    work follows its owner. (Work a customer's owner does not hold stays where it is.)
    Return how many deals and follow-ups moved."""
    current = "(SELECT owner_id FROM customer WHERE id = :customer)"
    params = [{"customer": customer_id, "owner": owner_id} for customer_id, owner_id in moves]
    deals = conn.executemany(
        f"UPDATE deal SET owner_id = :owner WHERE customer_id = :customer AND owner_id IS NOT DISTINCT FROM {current} "
        "AND owner_id IS DISTINCT FROM :owner AND stage_id IN (SELECT id FROM stage WHERE kind = 'open')",
        params,
    ).rowcount
    follow_ups = conn.executemany(
        f"UPDATE activity SET owner_id = :owner WHERE customer_id = :customer AND owner_id IS NOT DISTINCT FROM {current} "
        "AND owner_id IS DISTINCT FROM :owner AND done_at IS NULL",
        params,
    ).rowcount
    return {"deals": max(deals, 0), "follow_ups": max(follow_ups, 0)}


# ---------------------------------------------------------------- delete


def dependents(conn: sqlite3.Connection, customer_id: int) -> dict[str, int]:
    """What hangs off a customer: deals, payments on them, done activities (history) and
    open follow-ups."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM deal WHERE customer_id = :c) AS deals, "
        "(SELECT count(*) FROM payment WHERE deal_id IN (SELECT id FROM deal WHERE customer_id = :c)) AS payments, "
        "(SELECT count(*) FROM activity WHERE customer_id = :c AND done_at IS NOT NULL) AS activities, "
        "(SELECT count(*) FROM activity WHERE customer_id = :c AND done_at IS NULL) AS follow_ups",
        {"c": customer_id},
    ).fetchone()
    return dict(row)


def check_delete(conn: sqlite3.Connection, customer_id: int, *, cascade: bool = False) -> dict[str, int]:
    """What deleting the customer would delete (see ``delete``); refuses a customer with
    deals or logged activities unless ``cascade``."""
    counts = dependents(conn, customer_id)
    if (counts["deals"] or counts["activities"]) and not cascade:
        name = conn.execute("SELECT name FROM customer WHERE id = ?", [customer_id]).fetchone()[0]
        nouns = {"deals": "deal", "activities": "logged activity"}
        has = " and ".join(plural(counts[key], noun) for key, noun in nouns.items() if counts[key])
        raise Invalid(
            f"customer {name} (#{customer_id}) has {has}: add --cascade to delete them too, or fold it into another "
            "customer with 'customer merge'"
        )
    return counts


def delete(conn: sqlite3.Connection, customer_id: int, *, cascade: bool = False) -> dict[str, int]:
    """Delete a customer with its tags and open follow-ups. Its deals (with their stage
    history and payments) and its activity history go too only with ``cascade``; without
    it a customer that has them is refused. Return the counts of what was deleted."""
    counts = check_delete(conn, customer_id, cascade=cascade)
    deals = "SELECT id FROM deal WHERE customer_id = ?"
    conn.execute(f"DELETE FROM payment WHERE deal_id IN ({deals})", [customer_id])
    conn.execute(f"DELETE FROM stage_history WHERE deal_id IN ({deals})", [customer_id])
    conn.execute(f"DELETE FROM activity WHERE customer_id = ? OR deal_id IN ({deals})", [customer_id, customer_id])
    conn.execute("DELETE FROM deal WHERE customer_id = ?", [customer_id])
    conn.execute("DELETE FROM customer_tag WHERE customer_id = ?", [customer_id])
    conn.execute("DELETE FROM customer WHERE id = ?", [customer_id])
    return counts


# ---------------------------------------------------------------- merge

_FILLABLE = (*DETAILS, "owner_id")


def merge(conn: sqlite3.Connection, duplicate_id: int, into_id: int) -> dict[str, Any]:
    """Fold the customer ``duplicate_id`` into ``into_id`` and delete it.

    Deals (with their payments and stage history), activities and tags move over
    unchanged; empty fields of ``into`` are filled from the duplicate (notes are joined),
    custom fields are merged (``into`` wins a clash), the earlier ``created_at`` is kept
    (none at all, an existing customer's, is the earliest).
    Afterwards at most one open first-contact task is left (the one due first), and none
    when the merged customer has been contacted (``close_first_contact``).
    """
    if duplicate_id == into_id:
        raise Invalid("a customer cannot be merged into itself")
    duplicate = dict(conn.execute("SELECT * FROM customer WHERE id = ?", [duplicate_id]).fetchone())
    into = dict(conn.execute("SELECT * FROM customer WHERE id = ?", [into_id]).fetchone())
    changes: dict[str, Any] = {}
    for column in _FILLABLE:
        if into[column] in (None, "") and duplicate[column] not in (None, ""):
            changes[column] = duplicate[column]
    if into["notes"] and duplicate["notes"] and duplicate["notes"] not in into["notes"]:
        changes["notes"] = f"{into['notes']}\n{duplicate['notes']}"
    fields = {**json.loads(duplicate["fields"]), **json.loads(into["fields"])}
    if fields != json.loads(into["fields"]):
        changes["fields"] = _json(fields)
    if into["created_at"] is not None and (duplicate["created_at"] or "") < into["created_at"]:
        changes["created_at"] = duplicate["created_at"]  # NULL, an existing customer's, is the earliest
    moved = {
        "deals": conn.execute(
            "UPDATE deal SET customer_id = ? WHERE customer_id = ?", [into_id, duplicate_id]
        ).rowcount,
        "activities": conn.execute(
            "UPDATE activity SET customer_id = ? WHERE customer_id = ?", [into_id, duplicate_id]
        ).rowcount,
    }
    contacted = _contacted(conn, into_id)
    dropped = close_first_contact(conn, into_id) if contacted else _one_first_contact(conn, into_id)
    tags = [row[0] for row in conn.execute("SELECT tag FROM customer_tag WHERE customer_id = ?", [duplicate_id])]
    moved["tags"] = _add_tags(conn, into_id, tags)
    conn.execute("DELETE FROM customer_tag WHERE customer_id = ?", [duplicate_id])
    conn.execute("DELETE FROM customer WHERE id = ?", [duplicate_id])
    changes["updated_at"] = parse.timestamp()
    assignments = ", ".join(f"{column} = ?" for column in changes)
    conn.execute(f"UPDATE customer SET {assignments} WHERE id = ?", [*changes.values(), into_id])
    filled = [c.removesuffix("_id") for c in changes if c not in ("updated_at", "created_at")]
    return {**moved, "filled": filled, "first_contact_removed": dropped, "contacted": contacted}


def _one_first_contact(conn: sqlite3.Connection, customer_id: int) -> list[int]:
    """Keep only the customer's open first-contact task due first; return the ids removed."""
    ids = [row[0] for row in conn.execute(
        f"SELECT id FROM activity WHERE customer_id = ? AND {_OPEN_FIRST_CONTACT} ORDER BY due, id",
        [customer_id, FIRST_CONTACT],
    )][1:]
    conn.executemany("DELETE FROM activity WHERE id = ?", [(activity_id,) for activity_id in ids])
    return ids


# ---------------------------------------------------------------- likely duplicates

COMPANY_SUFFIXES = {
    "ltd", "limited", "inc", "incorporated", "llc", "llp", "gmbh", "co", "corp", "corporation",
    "company", "plc", "ag", "sa", "sarl", "bv", "pty", "srl", "kk",
}
CHINESE_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "公司")
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_NOT_DIGITS = re.compile(r"\D")


def normalised_name(name: str) -> str:
    """A name reduced for comparison: case, width, punctuation, spaces and company
    suffixes (Ltd, Inc, LLC, GmbH, Co., 有限公司, ...) removed."""
    text = name if name.isascii() else unicodedata.normalize("NFKC", name)
    words = _PUNCTUATION.sub(" ", text.casefold()).split()
    while len(words) > 1 and words[-1] in COMPANY_SUFFIXES:
        words.pop()
    text = "".join(words)
    while text.endswith(CHINESE_SUFFIXES):
        suffix = next(s for s in CHINESE_SUFFIXES if text.endswith(s))
        if len(text) == len(suffix):
            break
        text = text[: -len(suffix)]
    return text


def phone_key(phone: str | None) -> str | None:
    """The last 8 digits of a phone number with at least 8 (country and area prefixes
    written or not); shorter numbers are not compared."""
    if not phone:
        return None
    if not phone.isascii():
        phone = unicodedata.normalize("NFKC", phone)
    digits = _NOT_DIGITS.sub("", phone)
    return digits[-8:] if len(digits) >= 8 else None


def duplicates(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Groups of likely duplicate customers, found in one pass over the customers.

    Customers sharing a normalised name, phone key or e-mail (any case) form a group;
    when the same customers share several of these, they are one group with every
    reason. Rows: ``group``, ``reason``, ``id``, ``name``, ``phone``, ``email``, ``owner``.
    """
    first: dict[tuple[str, str], int] = {}  # (reason, key) -> the first customer with it
    shared: dict[tuple[str, str], list[int]] = {}  # (reason, key) -> every customer with it, if several
    members_of_groups: set[int] = set()
    rows = conn.execute("SELECT id, name, phone, email FROM customer ORDER BY name COLLATE NOCASE, id")
    for customer_id, name, phone, email in rows:
        for key in (
            ("name", normalised_name(name)),
            ("phone", phone_key(phone)),
            ("email", email.strip().casefold() if email else None),
        ):
            if not key[1]:
                continue
            seen = first.setdefault(key, customer_id)  # type: ignore[arg-type]
            if seen != customer_id:
                shared.setdefault(key, [seen]).append(customer_id)  # type: ignore[arg-type]
                members_of_groups.update((seen, customer_id))
    del first
    groups: dict[tuple[int, ...], list[str]] = {}
    for (reason, _), members in shared.items():
        groups.setdefault(tuple(members), []).append(reason)
    details = {
        row["id"]: dict(row)
        for row in conn.execute(
            "SELECT c.id, c.name, c.phone, c.email, r.handle AS owner FROM customer c "
            "LEFT JOIN rep r ON r.id = c.owner_id WHERE c.id IN (" + dialect.json_values(conn, "?") + ") "
            "ORDER BY c.name COLLATE NOCASE, c.id",
            [json.dumps(sorted(members_of_groups))],
        )
    }
    position = {customer_id: place for place, customer_id in enumerate(details)}  # name order
    result = []
    ordered = sorted(groups.items(), key=lambda group: [position[member] for member in group[0]])
    for number, (members, reasons) in enumerate(ordered, start=1):
        for member in members:
            result.append({"group": number, "reason": ", ".join(reasons), **details[member]})
    return result
