"""Resolving what a user types into a record: customers by id or name, reps by handle,
products by sku, stages by name, deals and activities by id (SPEC §3).

Each function returns the record's row (``sqlite3.Row``) or raises ``NotFound`` /
``Ambiguous`` with the candidates a user would want to see.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from salescli import parse
from salescli.errors import Ambiguous, NotFound, UsageError


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _like_inner(text: str) -> str:
    return "%" + _like_prefix(text)


def customer(conn: sqlite3.Connection, ref: str | int) -> sqlite3.Row:
    """A customer by id (``12`` or ``#12``: that customer or none, never the start of a
    name), exact name (any case), or unique prefix of a name. Digits no id is written as
    (``0123``) may be a name another program gave: no customer 123, then a name."""
    text = str(ref).strip()
    if not text:
        raise UsageError("a customer is required: give its id or name")
    digits = text.removeprefix("#")
    if digits.isascii() and digits.isdigit():
        as_id = text != digits or digits == str(int(digits))  # as salescli writes an id: only an id
        if as_id or parse.id_number(digits) is not None:
            row = conn.execute("SELECT * FROM customer WHERE id = ?", [_id(digits, "customer")]).fetchone()
            if row:
                return row
        if as_id:
            raise NotFound(f"no customer with id {int(digits)}")
    row = conn.execute(
        "SELECT * FROM customer WHERE name = ? COLLATE NOCASE", [text]
    ).fetchone()
    if row:
        return row
    matches = conn.execute(
        "SELECT * FROM customer WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT 11",
        [_like_prefix(text)],
    ).fetchall()
    folded = text.casefold()
    exact = [m for m in matches if m["name"].casefold() == folded]
    if len(exact) == 1:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise Ambiguous("customer", text, [f"{m['name']} (#{m['id']})" for m in matches])
    similar = _similar_names(conn, text)
    hint = f"; did you mean {', '.join(similar)}?" if similar else ""
    raise NotFound(f"no customer '{text}'{hint} ('salescli customer list' shows them)")


NEAR_MISS_CANDIDATES = 500  # names on each side of a mistyped one compared with it (difflib: ~10 µs each)


def _similar_names(conn: sqlite3.Connection, text: str) -> list[str]:
    """Up to five names a mistyped one may have meant: those containing it, then the
    closest (difflib) of its neighbours in name order and of the names sharing its first
    letters, all read from the name index, so that the work stays bounded however many
    customers there are ("Acme Tols" → Acme Tools Ltd)."""
    import difflib

    containing = [r[0] for r in conn.execute(
        "SELECT name FROM customer WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT 5", [_like_inner(text)]
    )]
    start = text[: 2 if len(text) >= 4 else 1]
    candidates = {r[0].casefold(): r[0] for r in conn.execute(
        "SELECT * FROM (SELECT name FROM customer WHERE name < ? COLLATE NOCASE ORDER BY name COLLATE NOCASE DESC LIMIT ?) AS below"
        " UNION SELECT * FROM (SELECT name FROM customer WHERE name >= ? COLLATE NOCASE ORDER BY name COLLATE NOCASE LIMIT ?) AS above"
        " UNION SELECT * FROM (SELECT name FROM customer WHERE name LIKE ? ESCAPE '\\' LIMIT ?) AS starting ORDER BY 1",
        [text, NEAR_MISS_CANDIDATES, text, NEAR_MISS_CANDIDATES, _like_prefix(start), NEAR_MISS_CANDIDATES],
    )}
    close = [candidates[name] for name in difflib.get_close_matches(text.casefold(), candidates, n=5, cutoff=0.6)]
    return list(dict.fromkeys(containing + close))[:5]


def rep(conn: sqlite3.Connection, handle: str) -> sqlite3.Row:
    """A rep by handle (case-insensitive)."""
    text = handle.strip().lower()
    row = conn.execute("SELECT * FROM rep WHERE handle = ?", [text]).fetchone()
    if row:
        return row
    known = [r[0] for r in conn.execute("SELECT handle FROM rep ORDER BY handle")]
    hint = f": known reps are {', '.join(known)}" if known else ": there are no reps yet"
    raise NotFound(f"no rep '{handle}'{hint}")


def optional_rep(conn: sqlite3.Connection, handle: str | None) -> sqlite3.Row | None:
    return rep(conn, handle) if handle else None


def optional_rep_id(conn: sqlite3.Connection, handle: str | None) -> int | None:
    """The id of the rep named by an ``--owner``/``--rep`` filter (None: everyone)."""
    return rep(conn, handle)["id"] if handle else None


def product(conn: sqlite3.Connection, sku: str) -> sqlite3.Row:
    """A product by sku (case-insensitive)."""
    row = conn.execute("SELECT * FROM product WHERE sku = ? COLLATE NOCASE", [sku.strip()]).fetchone()
    if row:
        return row
    known = [r[0] for r in conn.execute("SELECT sku FROM product ORDER BY sku COLLATE NOCASE LIMIT 10")]
    hint = f": known skus include {', '.join(known)}" if known else ": there are no products yet"
    raise NotFound(f"no product '{sku}'{hint}")


def stage(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    """A stage by name or prefix: the first of these that finds any stage decides (more
    than one is ambiguous) — the name as the stages' unique key compares it (A–Z in any
    case, so "Étude" and "étude" can be two stages, each found by its own name), the name
    in any case of any letter, a prefix of the name in those two ways."""
    text = name.strip()
    rows = conn.execute("SELECT * FROM stage ORDER BY position").fetchall()
    for fits in (str.__eq__, str.startswith) if text else (str.__eq__,):
        for fold in (parse.nocase, str.casefold):
            matches = [row for row in rows if fits(fold(row["name"]), fold(text))]
            if len(matches) == 1:
                return matches[0]
            if matches:
                raise Ambiguous("stage", text, [row["name"] for row in matches])
    names = ", ".join(row["name"] for row in rows)
    raise NotFound(f"no stage '{name}': the stages are {names}")


def _id(digits: str, table: str) -> int:
    return parse.check_count(int(digits), what=f"{table} id", maximum=parse.MAX_ID)


def _by_id(conn: sqlite3.Connection, table: str, ref: str | int) -> sqlite3.Row:
    text = str(ref).strip().lstrip("#")
    if not (text.isascii() and text.isdigit()):
        raise UsageError(f"{table} id '{ref}' is not a number")
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", [_id(text, table)]).fetchone()
    if row is None:
        raise NotFound(f"no {table} with id {text}")
    return row


def as_now(conn: sqlite3.Connection, table: str, row_id: int) -> dict[str, Any] | None:
    """The record of ``table`` with this id as it is now (None: gone), to check that it is
    still the one a question showed (``commands.common.still_as_shown``)."""
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", [row_id]).fetchone()
    return dict(row) if row else None


def deal(conn: sqlite3.Connection, ref: str | int) -> sqlite3.Row:
    return _by_id(conn, "deal", ref)


def activity(conn: sqlite3.Connection, ref: str | int) -> sqlite3.Row:
    return _by_id(conn, "activity", ref)
