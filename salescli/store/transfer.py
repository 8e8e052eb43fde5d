"""The SQL of import and export: bulk look-ups, batched writes and streamed exports
(the backup an import takes first is ``store.backup``'s).

Look-ups take a batch of keys and answer with one query per few hundred keys; writes
are ``executemany`` over a batch of rows; exports are read from the cursor row by row,
so neither side holds a whole table in memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from salescli import store
from salescli.store import dialect

_CHUNK = 500  # keys per IN (...) query


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


# ---------------------------------------------------------------- references


def reps_by_handle(conn: sqlite3.Connection, handles: Iterable[str]) -> dict[str, int]:
    """Lower-case handle → rep id, for the handles that exist."""
    found: dict[str, int] = {}
    wanted = sorted({h.lower() for h in handles})
    for chunk in _chunks(wanted):
        sql = f"SELECT handle, id FROM rep WHERE handle IN ({_marks(len(chunk))})"
        found.update((handle, rep_id) for handle, rep_id in conn.execute(sql, chunk))
    return found


def ids_by_nocase(conn: sqlite3.Connection, table: str, column: str, texts: Iterable[str]) -> dict[str, int]:
    """Text as stored → id, for the rows whose ``column`` equals one of ``texts`` in any
    ASCII case (the NOCASE collation of the unique indexes on customer name and sku)."""
    found: dict[str, int] = {}
    wanted = sorted(set(texts))
    for chunk in _chunks(wanted):
        sql = f"SELECT {column}, id FROM {table} WHERE {column} COLLATE NOCASE IN ({_marks(len(chunk))})"
        found.update(conn.execute(sql, chunk).fetchall())
    return found


def existing_ids(conn: sqlite3.Connection, table: str, ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    wanted = sorted(set(ids))
    for chunk in _chunks(wanted):
        sql = f"SELECT id FROM {table} WHERE id IN ({_marks(len(chunk))})"
        found.update(row[0] for row in conn.execute(sql, chunk))
    return found


def deals_by_id(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Deal id → its customer, stage (``stage_id``, ``kind``, and the whole ``stage``) and
    dates (``created_at``, ``closed_at``)."""
    found: dict[int, dict[str, Any]] = {}
    wanted = sorted(set(ids))
    for chunk in _chunks(wanted):
        sql = (
            "SELECT d.id, d.customer_id, d.stage_id, s.kind, s.name, s.position, d.created_at, d.closed_at, d.amount "
            f"FROM deal d JOIN stage s ON s.id = d.stage_id WHERE d.id IN ({_marks(len(chunk))})"
        )
        for deal_id, customer_id, stage_id, kind, name, position, created_at, closed_at, amount in conn.execute(sql, chunk):
            stage = {"id": stage_id, "name": name, "kind": kind, "position": position}
            found[deal_id] = {
                "id": deal_id, "customer_id": customer_id, "stage_id": stage_id, "kind": kind, "stage": stage,
                "created_at": created_at, "closed_at": closed_at, "amount": amount,
            }
    return found


def paid_by_deal(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, int]:
    """Deal id → what has been paid against it (0 for none)."""
    wanted = sorted(set(ids))
    found = dict.fromkeys(wanted, 0)
    for chunk in _chunks(wanted):
        sql = f"SELECT deal_id, sum(amount) FROM payment WHERE deal_id IN ({_marks(len(chunk))}) GROUP BY deal_id"
        found.update(conn.execute(sql, chunk))
    return found


def payments_by_id(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Payment id → its deal's id and its amount."""
    found: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(sorted(set(ids))):
        sql = f"SELECT id, deal_id, amount FROM payment WHERE id IN ({_marks(len(chunk))})"
        found.update((payment_id, (deal_id, amount)) for payment_id, deal_id, amount in conn.execute(sql, chunk))
    return found


def stages(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute("SELECT id, name, kind, position FROM stage ORDER BY position")]


def target_ids(conn: sqlite3.Connection, keys: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str, int], int]:
    """(metric, period, rep id or 0) → target id, for the keys that exist."""
    found: dict[tuple[str, str, int], int] = {}
    wanted = sorted(set(keys))
    for chunk in _chunks(wanted, 300):
        values = ", ".join("(?, ?, ?)" for _ in chunk)
        sql = (
            "SELECT metric, period, IFNULL(rep_id, 0), id FROM target "
            f"WHERE (metric, period, IFNULL(rep_id, 0)) IN (VALUES {values})"
        )
        params = [part for key in chunk for part in key]
        found.update(((m, p, r), target_id) for m, p, r, target_id in conn.execute(sql, params))
    return found


class SeenKeys:
    """The keys of the rows an import has read so far, to find duplicates inside the file.

    They live in a private temporary database on disk (SQLite deletes it on close), so
    memory stays flat however long the file is. A batch of keys goes in as one transaction
    (one by one, each key's pages were written out again).
    """

    def __init__(self) -> None:
        self.db = sqlite3.connect("", isolation_level=None)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID")

    def first_rows(self, entries: Sequence[tuple[str, int]]) -> dict[str, int]:
        """Add ``(key, row number)`` pairs in order; answer the first row of every key that
        was there before (from an earlier batch or an earlier pair), and nothing if none was."""
        self.db.execute("BEGIN")
        added = self.db.executemany("INSERT OR IGNORE INTO seen (key, row) VALUES (?, ?)", entries).rowcount
        self.db.execute("COMMIT")
        if added == len(entries):
            return {}
        keys = [key for key, _ in entries]
        found: dict[str, int] = {}
        for chunk in _chunks(keys):
            found.update(self.db.execute(f"SELECT key, row FROM seen WHERE key IN ({_marks(len(chunk))})", chunk))
        return found

    def close(self) -> None:
        self.db.close()


# ---------------------------------------------------------------- writes


class Spool:
    """The rows an import has checked, ready to write, in a private temporary database
    attached to the connection as ``spool`` (on disk: memory stays flat; SQLite deletes it
    when it is detached). The write inserts new records straight from it, ``INSERT …
    SELECT`` over a range of it at a time: one statement per range rather than one per
    row, and no second pass over the rows in Python.

    Each action's plans (``create``, ``update``) are a table of its own (``plans_ACTION``): ``key`` (for a
    new record without an id, its number among those, from 0: it gets ``next_id + key``;
    for an update, the id it matched), ``extra`` (a customer's tags, or a deal's stage
    history as ``[stage id, day]`` pairs, in JSON), ``rebuilds`` (whether an updated deal's
    old history goes), then the record's columns ``c0``, ``c1``, … (a new record's id first).

    On a PostgreSQL server the spool is a private SQLite database of its own: the same
    queries read it, and its rows go to the server in pipelined inserts (``_insert``).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.target = conn
        self.conn = sqlite3.connect("", isolation_level=None) if dialect.on_server(conn) else conn
        self.columns: dict[str, Sequence[str]] = {}  # action → the record's columns, in order
        self.counts = {"create": 0, "update": 0}
        self.conn.execute("ATTACH DATABASE '' AS spool")  # outside any transaction: ATTACH refuses to run inside one
        self.conn.execute("PRAGMA spool.journal_mode = OFF")  # thrown away if anything fails

    def close(self) -> None:
        self.conn.execute("DETACH DATABASE spool")
        if self.conn is not self.target:
            self.conn.close()

    def clear(self) -> None:
        """Empty, to be filled again (a file checked again)."""
        for action in self.columns:
            self.conn.execute(f"DELETE FROM spool.plans_{action}")
        self.counts = dict.fromkeys(self.counts, 0)

    def add(self, action: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Plans of ``action``: ``(key, extra, rebuilds, *values of columns)``. Outside a
        transaction, each batch is committed at once (it holds no lock on the database)."""
        if not rows:
            return
        if action not in self.columns:
            self.columns[action] = list(columns)
            values = ", ".join(f"c{index}" for index in range(len(columns)))  # no declared type: values kept as bound
            self.conn.execute(f"CREATE TABLE spool.plans_{action} (key, extra, rebuilds, {values})")
        outside = not self.conn.in_transaction
        self.conn.executemany(f"INSERT INTO spool.plans_{action} VALUES ({_marks(3 + len(columns))})", rows)
        if outside:
            self.conn.commit()
        self.counts[action] += len(rows)

    def rows(self, action: str, first: int, last: int) -> list[tuple[Any, ...]]:
        """The plans ``first`` to ``last`` (counted from 1) of ``action``, as added."""
        return self.conn.execute(f"SELECT * FROM spool.plans_{action} WHERE rowid BETWEEN ? AND ? ORDER BY rowid", [first, last]).fetchall()

    def new_ids(self, next_id: int, first: int, last: int, *, extra: bool = False) -> tuple[int | None, int | None]:
        """The lowest and highest id that the new records ``first`` to ``last`` get (those
        with an extra only, if ``extra``)."""
        where = " AND extra IS NOT NULL" if extra else ""
        found = self.conn.execute(
            f"SELECT min(IFNULL(c0, ? + key)), max(IFNULL(c0, ? + key)) FROM spool.plans_create WHERE rowid BETWEEN ? AND ?{where}",
            [next_id, next_id, first, last],
        ).fetchone()
        return found[0], found[1]

    def insert(self, table: str, next_id: int, first: int, last: int, ids: tuple[int, int]) -> None:
        """Insert the new records ``first`` to ``last`` whose ids are within ``ids``, in order."""
        columns = self.columns["create"]
        values = ", ".join(["IFNULL(c0, :next + key)", *(f"c{index}" for index in range(1, len(columns)))])
        self._insert(
            f"{table} ({', '.join(map(_name, columns))})",
            f"SELECT {values} FROM spool.plans_create "
            "WHERE rowid BETWEEN :first AND :last AND IFNULL(c0, :next + key) BETWEEN :low AND :high ORDER BY rowid",
            {"next": next_id, "first": first, "last": last, "low": ids[0], "high": ids[1]},
        )

    def insert_extras(self, into: str, next_id: int, first: int, last: int, ids: tuple[int, int]) -> None:
        """The extras of the new records ``first`` to ``last`` whose ids are within
        ``ids``: their tags (``into`` customer_tag) or their stage history (stage_history)."""
        values = "j.value" if into == "customer_tag" else "j.value ->> 0, j.value ->> 1"
        columns = "customer_id, tag" if into == "customer_tag" else "deal_id, stage_id, entered_on"
        self._insert(
            f"{into} ({columns})",
            f"SELECT IFNULL(s.c0, :next + s.key), {values} "
            "FROM spool.plans_create s, json_each(s.extra) j WHERE s.extra IS NOT NULL AND s.rowid BETWEEN :first AND :last "
            "AND IFNULL(s.c0, :next + s.key) BETWEEN :low AND :high ORDER BY s.rowid, j.key",
            {"next": next_id, "first": first, "last": last, "low": ids[0], "high": ids[1]},
            ignore=into == "customer_tag",  # as add_tags: a tag given twice is one
        )

    def _insert(self, into: str, select: str, params: dict[str, Any], *, ignore: bool = False) -> None:
        """Insert the rows of ``select`` (a query of the spool) in order into ``into`` (a
        table and its columns), those already there left out if ``ignore``: one ``INSERT …
        SELECT`` on SQLite; on a server, the rows streamed from the spool (pipelined)."""
        if self.conn is self.target:
            self.conn.execute(f"INSERT {'OR IGNORE ' if ignore else ''}INTO {into} {select}", params)
            return
        cursor = self.conn.execute(select, params)
        insert = f"INSERT INTO {into} VALUES ({_marks(len(cursor.description))}){' ON CONFLICT DO NOTHING' if ignore else ''}"
        self.target.executemany(insert, cursor)

    def first_contacts(self, next_id: int, first: int, last: int, owner: int, created: int) -> list[tuple[int, int | None, str]]:
        """``(id, owner id, created_at)`` of the new records ``first`` to ``last`` (columns
        ``owner`` and ``created`` of theirs)."""
        return self.conn.execute(
            f"SELECT IFNULL(c0, ? + key), c{owner}, c{created} FROM spool.plans_create WHERE rowid BETWEEN ? AND ? ORDER BY rowid",
            [next_id, first, last],
        ).fetchall()


def update_rows(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    keep_if_empty: Iterable[str] = (),
) -> None:
    """``UPDATE table SET columns… WHERE id = ?``: each row is the column values, then the id.

    A column in ``keep_if_empty`` keeps its value where the row has None (columns that
    may not be NULL); ``fields`` (a customer's custom fields) is merged as a JSON patch,
    in which a null removes a key.
    """
    if not rows or not columns:
        return
    keep = set(keep_if_empty)

    def assignment(column: str) -> str:
        if column == "fields":
            return "fields = json_patch(fields, ?)"
        if column in keep:
            return f"{_name(column)} = IFNULL(?, {_name(column)})"
        return f"{_name(column)} = ?"

    sql = f"UPDATE {table} SET {', '.join(map(assignment, columns))} WHERE id = ?"
    conn.executemany(sql, rows)


def clear_tags(conn: sqlite3.Connection, customers: Sequence[int]) -> None:
    conn.executemany("DELETE FROM customer_tag WHERE customer_id = ?", [(i,) for i in customers])


def add_tags(conn: sqlite3.Connection, tags: Sequence[tuple[int, str]]) -> None:
    """``(customer id, tag)`` pairs."""
    conn.executemany("INSERT INTO customer_tag (customer_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING", tags)


def plan_first_contacts(conn: sqlite3.Connection, rows: Sequence[tuple[int, int | None, str]]) -> None:
    """A first-contact task for each ``(customer id, owner id, created_at)`` of customers
    imported as new leads, due ``first_contact_hours`` after they were created (as
    ``customer add`` plans it)."""
    from salescli.store.customers import FIRST_CONTACT

    later = f"+{int(store.setting(conn, 'first_contact_hours'))} hours"
    conn.executemany(
        "INSERT INTO activity (customer_id, type, summary, owner_id, due, created_at) "
        "VALUES (?, 'task', ?, ?, date(?, ?), ?)",
        [(customer_id, FIRST_CONTACT, owner_id, created, later, created) for customer_id, owner_id, created in rows],
    )


def clear_stage_history(conn: sqlite3.Connection, deal_ids: Sequence[int]) -> None:
    conn.executemany("DELETE FROM stage_history WHERE deal_id = ?", [(deal_id,) for deal_id in deal_ids])


def add_stage_history(conn: sqlite3.Connection, rows: Sequence[tuple[int, int, str]]) -> None:
    """``(deal id, stage id, entered on)`` rows."""
    conn.executemany("INSERT INTO stage_history (deal_id, stage_id, entered_on) VALUES (?, ?, ?)", rows)


# ---------------------------------------------------------------- export

EXPORT_SQL = {
    "customers": """
        SELECT c.id, c.name, c.company, c.title, c.contact, c.phone, c.email, c.industry, c.region,
               c.size, c.source, c.tier, {tags} AS tags,
               r.handle AS owner, c.credit_limit, c.notes{fields}, c.created_at, c.updated_at{spread}
        FROM customer c LEFT JOIN rep r ON r.id = c.owner_id ORDER BY c.id""",
    "deals": """
        SELECT d.id, d.title, c.name AS customer, d.amount, d.cost, p.sku AS product, d.quantity,
               s.name AS stage, d.expected_close, r.handle AS owner, d.source, d.created_at,
               d.closed_at, d.lost_reason
        FROM deal d JOIN customer c ON c.id = d.customer_id JOIN stage s ON s.id = d.stage_id
        LEFT JOIN product p ON p.id = d.product_id LEFT JOIN rep r ON r.id = d.owner_id
        ORDER BY d.id""",
    "activities": """
        SELECT a.id, c.name AS customer, a.deal_id AS deal, a.type, a.summary, r.handle AS owner,
               a.due, a.done_at, a.score, a.recurrence, a.notes, a.created_at
        FROM activity a JOIN customer c ON c.id = a.customer_id LEFT JOIN rep r ON r.id = a.owner_id
        ORDER BY a.id""",
    "targets": """
        SELECT t.id, t.metric, t.period, r.handle AS rep, t.value
        FROM target t LEFT JOIN rep r ON r.id = t.rep_id ORDER BY t.id""",
    "reps": """
        SELECT id, handle, name, email, active, commission_rate, regions, industries, created_at
        FROM rep ORDER BY id""",
    "products": "SELECT id, sku, name, price, cost, active FROM product ORDER BY id",
    "payments": "SELECT id, deal_id AS deal, amount, paid_on, created_at FROM payment ORDER BY id",
}
JSON_COLUMNS = {"tags", "fields", "regions", "industries"}  # JSON text, unless spread (``export_rows``)
_TAGS_JSON = "(SELECT json_group_array(t.tag) FROM customer_tag t WHERE t.customer_id = c.id)"
# sorted as ``customer show`` sorts them (casefold, then as stored), one text as CSV writes a list
_TAGS_TEXT = (
    "(SELECT group_concat(tag, '; ') FROM "
    "(SELECT t.tag FROM customer_tag t WHERE t.customer_id = c.id ORDER BY casefold(t.tag), t.tag) AS sorted)"
)


def export_rows(
    conn: sqlite3.Connection, entity: str, *, spread: Mapping[str, str] | None = None
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """The names and the streamed rows (tuples) of every record of ``entity``.

    Lists (tags, regions, industries) and a customer's ``fields`` are JSON text
    (``JSON_COLUMNS``) — unless ``spread`` ({column name: custom field key}) is given:
    then a customer's tags are one text (``a; b``) and its custom fields are those
    columns, one per key, at the end instead of ``fields``.
    """
    sql, parameters = EXPORT_SQL[entity], list((spread or {}).values())
    if entity == "customers" and spread is None:
        sql = sql.format(tags=_TAGS_JSON, fields=", c.fields", spread="")
    elif entity == "customers":
        dialect.casefold(conn)
        columns = [f"(SELECT value FROM json_each(c.fields) WHERE key = ?) AS {_name(name)}" for name in spread]
        sql = sql.format(tags=_TAGS_TEXT, fields="", spread="".join(", " + column for column in columns))
    return store.tuples(conn, sql, parameters)


def _name(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def custom_field_keys(conn: sqlite3.Connection) -> list[str]:
    """Every custom-field key some customer has, sorted."""
    sql = "SELECT DISTINCT j.key FROM customer, json_each(customer.fields) AS j ORDER BY j.key"
    return [row[0] for row in conn.execute(sql)]
