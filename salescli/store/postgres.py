"""The PostgreSQL side of the store (issue 15; design: docs/postgresql.md).

Imported only for a ``postgresql://`` database, and psycopg only inside ``connect()``, so
the SQLite path neither loads this module nor the driver.

* ``Connection`` wraps a psycopg connection in the part of ``sqlite3.Connection``'s API the
  store uses: ``execute(sql, params)`` with SQLite's ``?`` placeholders, rows readable by
  position and by name (``Row``), ``in_transaction``, ``commit``/``rollback``/``close``.
* ``to_postgres()`` turns the text of the shipped SQLite migrations (which can never be
  edited) into PostgreSQL: column types, identity ids, ``COLLATE NOCASE``, ``INSERT OR
  REPLACE/IGNORE``, ``IS [NOT]``, and SQLite triggers into PL/pgSQL functions. It is applied
  to migrations only; the store's queries are written in SQL both engines accept, which
  ``spoken()`` adjusts (placeholders, ``LIKE``, ``COLLATE NOCASE`` as ``lower()``).
* ``COMPAT`` defines on the server the SQLite functions the schema uses (``julianday``,
  ``ifnull``), with SQLite's meaning, and the collation m001 needs (which m020 drops).
* ``describe()`` is how a URL is shown: never with its password.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from salescli.errors import SalesError, UsageError

LOCK_KEY = 0x5A1E5C11  # pg_advisory_xact_lock: one salescli write at a time per database
LOCK_TRY_SECONDS = 0.2
SCHEMA_TRIES = 3  # a new salescli migrating while others read: PostgreSQL may break a deadlock on it


def describe(url: str) -> str:
    """The URL as salescli shows it: without a password (in the user part or a parameter)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (parsed on access: a bad one raises here)
    except ValueError as error:
        raise UsageError(f"the database URL is not valid ({error}): postgresql://user@host:port/dbname") from None
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"])
    return f"{parts.scheme}://{netloc}{parts.path}{'?' if query else ''}{query}"


def _redacted(text: str, url: str) -> str:
    password = urlsplit(url).password
    if password is None:
        for key, value in parse_qsl(urlsplit(url).query):
            if key == "password":
                password = value
    return text.replace(url, describe(url)) if not password else text.replace(url, describe(url)).replace(password, "***")


# ---------------------------------------------------------------- the connection

NO_RIGHTS = "42501"  # SQLSTATE insufficient_privilege
README_TEAM = 'README: "A team on one server"'


@contextmanager
def rights_said(raw: Any, url: str) -> Iterator[None]:
    """A statement the login has no right to run (a table, a sequence or a function of the
    team's it is not let into) is an error salescli says, not a crash; the command's
    transaction is taken back as after any error."""
    try:
        yield
    except Exception as error:
        if getattr(error, "sqlstate", None) != NO_RIGHTS:
            raise
        reason = str(error).splitlines()[0] if str(error) else "permission denied"
        raise SalesError(
            f"the login {raw.info.user} may not do that in {describe(url)} ({reason}), so nothing was changed: "
            f"the database's owner can give it the rights of the role that owns salescli's tables ({README_TEAM})"
        ) from None



class Row(tuple):
    """A result row, like ``sqlite3.Row``: ``row[0]``, ``row["name"]``, ``row.keys()``, ``dict(row)``."""

    _names: dict[str, int]

    def __new__(cls, values: Sequence[Any], names: dict[str, int]) -> "Row":
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names = {column.name: index for index, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, names)


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_QUOTED = re.compile(r"""('[^']*'|"[^"]*")""")
_LIKE = re.compile(r"\bLIKE\b")
_UNARY_PLUS = re.compile(r"(?<=[\s(])\+(?=[A-Za-z_]\w*\.\w)")

# SQLite's NOCASE folds ASCII letters alone, then compares bytes: that is ``lower()`` of
# "C" text, which folds ASCII alone (of text in the database's collation, such as a
# parameter, it may fold every script). A comparison ``a = ? COLLATE NOCASE`` is
# ``lower(a COLLATE "C") = lower(? COLLATE "C")``, a list ``a COLLATE NOCASE IN (?, ?)``
# ``lower(a …) IN (lower(? …), lower(? …))``, an ordering term ``ORDER BY a COLLATE NOCASE``
# (or ``, a COLLATE NOCASE``) ``lower(a …)``. The unique keys NOCASE keeps are indexes on
# ``lower(column)`` of "C" columns (m020), which PostgreSQL reads for these.
_OPERAND = r"[\w.]+|\?|:\w+|'[^']*'"
_NOCASE_COMPARED = re.compile(rf"({_OPERAND}) (=|<>|!=|<=|>=|<|>) ({_OPERAND}) COLLATE NOCASE\b")
_NOCASE_IN = re.compile(r"([\w.]+) COLLATE NOCASE IN \(([^()]*)\)")
_NOCASE_ORDERED = re.compile(r"(?:(?<=ORDER BY )|(?<=, ))([\w.]+) COLLATE NOCASE\b")


def _lower(operand: str) -> str:
    return f'lower({operand.strip()} COLLATE "C")'


def _nocase(sql: str) -> str:
    """SQLite's ``COLLATE NOCASE`` comparisons, lists and orderings as ``lower()`` (above)."""
    if "NOCASE" not in sql:
        return sql
    sql = _NOCASE_COMPARED.sub(lambda m: f"{_lower(m[1])} {m[2]} {_lower(m[3])}", sql)
    sql = _NOCASE_IN.sub(lambda m: f"{_lower(m[1])} IN ({', '.join(map(_lower, m[2].split(',')))})", sql)
    return _NOCASE_ORDERED.sub(lambda m: _lower(m[1]), sql)


@functools.lru_cache(maxsize=1024)
def spoken(sql: str, with_parameters: bool = True) -> str:
    """A query of the store as PostgreSQL takes it, outside quoted text (strings,
    identifiers): SQLite's ``?`` and ``:name`` as psycopg's ``%s`` and ``%(name)s`` (and a
    literal ``%`` doubled) when there are parameters; ``LIKE``, case-insensitive on SQLite,
    as ``ILIKE``; ``+column``, which keeps SQLite's planner off an index, as the column;
    ``COLLATE NOCASE`` as ``lower()`` (``_nocase``)."""
    out = []
    for part in _QUOTED.split(sql):
        if part[:1] in ("'", '"'):
            out.append(part.replace("%", "%%") if with_parameters else part)
            continue
        part = _nocase(_UNARY_PLUS.sub("", _LIKE.sub("ILIKE", part)))
        if with_parameters:
            part = _NAMED.sub(r"%(\1)s", part.replace("%", "%%").replace("?", "%s"))
        out.append(part)
    return "".join(out)


class Connection:
    """A psycopg connection speaking the store's ``sqlite3`` dialect of the API."""

    def __init__(self, raw: Any, url: str) -> None:
        self.raw = raw
        self.url = url

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor = self.raw.cursor(row_factory=_row_factory)
        with rights_said(self.raw, self.url):
            if not params:  # psycopg reads % signs only when there are parameters
                return cursor.execute(spoken(sql, False), prepare=False)
            return cursor.execute(spoken(sql), params if isinstance(params, dict) else list(params), prepare=False)

    def executemany(self, sql: str, rows: Iterator[Sequence[Any]]) -> Any:
        cursor = self.raw.cursor(row_factory=_row_factory)
        with rights_said(self.raw, self.url):
            cursor.executemany(spoken(sql), rows)
        return cursor

    def cursor(self) -> "Cursor":
        return Cursor(self.raw, self.url)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        from psycopg.pq import TransactionStatus

        status = self.raw.info.transaction_status
        if status == TransactionStatus.ACTIVE:  # Ctrl-C in the middle of a query (a COPY):
            self.raw.close()  # the server takes back the whole transaction when the connection goes
        elif status != TransactionStatus.IDLE and not self.raw.closed:
            self.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> "Connection":  # ``with conn:`` as on SQLite (each statement commits here)
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class Cursor:
    """``conn.cursor()``: rows as ``Row``, or as plain tuples once ``row_factory = None``.
    What it reads streams (``store.tuples``: the big listings, exports and reports): inside
    a transaction (a command's read snapshot, ``dialect.read_snapshot``) through a cursor on
    the server, ``STREAM_BATCH`` rows at a time, so that memory stays flat however many
    rows there are, as SQLite's cursor keeps it; outside one, fetched whole."""

    STREAM_BATCH = 2000
    _opened = itertools.count(1)

    def __init__(self, raw: Any, url: str) -> None:
        self.raw, self.url, self.row_factory, self._cursor = raw, url, _row_factory, None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> "Cursor":
        from psycopg.pq import TransactionStatus
        from psycopg.rows import tuple_row

        factory = self.row_factory or tuple_row
        arguments = params if isinstance(params, dict) else list(params)
        with rights_said(self.raw, self.url):
            if self.raw.info.transaction_status == TransactionStatus.INTRANS:
                self._cursor = self.raw.cursor(name=f"salescli_{next(self._opened)}", row_factory=factory)
                self._cursor.itersize = self.STREAM_BATCH
                self._cursor.execute(spoken(sql, bool(arguments)), arguments or None)
            else:
                self._cursor = self.raw.cursor(row_factory=factory)
                self._cursor.execute(spoken(sql, bool(arguments)), arguments or None, prepare=False)
        return self

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchmany(self, size: int) -> list[Any]:
        return self._cursor.fetchmany(size)

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)


def _numeric_loader() -> Any:
    """``numeric`` as SQLite gives the same value: ``sum()`` of integers an int, ``avg()`` a float
    (PostgreSQL answers both with ``numeric``, which psycopg would make a ``Decimal``)."""
    from psycopg.adapt import Loader

    class NumericLoader(Loader):
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode()
            return int(text) if text.lstrip("-").isdigit() else float(text)

    return NumericLoader


def connect(url: str, *, create: bool = False, waiting: Any = None) -> Connection:
    """Open the salescli database at ``url``, creating or migrating its schema as needed.

    The database itself must exist (salescli does not create databases on a server);
    one that holds another application's tables is refused, as a foreign SQLite file is."""
    describe(url)  # a malformed URL is a usage error, said without the URL
    try:
        import psycopg
    except ImportError:
        raise SalesError(
            "a PostgreSQL database needs the psycopg driver: pip install 'salescli[pg]'"
        ) from None
    try:
        raw = psycopg.connect(url, autocommit=True, application_name="salescli")
    except psycopg.Error as error:
        reason = _redacted(" ".join(line.strip() for line in str(error).splitlines()) or type(error).__name__, url)
        raise SalesError(f"cannot connect to {describe(url)}: {reason}") from None
    raw.adapters.register_loader("numeric", _numeric_loader())
    conn = Connection(raw, url)
    try:
        for attempt in range(SCHEMA_TRIES):
            try:
                _ensure_schema(conn, waiting)
                break
            except psycopg.errors.DeadlockDetected:  # a migration's DDL met a client reading: again
                conn.rollback()
                if attempt == SCHEMA_TRIES - 1:
                    raise
    except BaseException as error:
        conn.rollback()
        conn.close()
        if isinstance(error, psycopg.Error):
            raise SalesError(f"cannot open {describe(url)} as a salescli database: {_redacted(str(error), url)}") from None
        raise
    return conn


def lock(conn: Connection, waiting: Any = None) -> None:
    """Inside a transaction: wait for salescli's write lock on this database (calling
    ``waiting`` once after a moment). Polled, so Ctrl-C is heard while waiting; it is
    released with the transaction, also when the client dies."""
    import time

    from salescli import store

    notice_at = time.monotonic() + store.WAIT_NOTICE_SECONDS
    while not conn.execute("SELECT pg_try_advisory_xact_lock(?)", [LOCK_KEY]).fetchone()[0]:
        if waiting is not None and time.monotonic() >= notice_at:
            waiting()
            waiting = None
        time.sleep(LOCK_TRY_SECONDS)


@contextmanager
def transaction(conn: Connection, *, waiting: Any = None, committing: Any = None) -> Iterator[Connection]:
    """One command's writes, as ``store.transaction`` on SQLite: salescli's write lock
    first (one write at a time, as the undo record needs), all or nothing. A read snapshot
    still open (``dialect.read_snapshot``) ends first: the write reads what is committed."""
    conn.rollback()
    conn.execute("BEGIN")
    counters: list[tuple[str, int | None]] = []
    try:
        lock(conn, waiting)
        counters = _id_counters(conn)
        yield conn
        _ids_caught_up(conn)
        if committing is not None:
            committing()
        conn.commit()
    except BaseException:
        conn.rollback()
        _ids_given_back(conn, counters)
        raise


def _identities(conn: Connection) -> list[str]:
    """The tables whose ``id`` is an identity column (read once per connection)."""
    if not hasattr(conn, "identities"):
        conn.identities = [row[0] for row in conn.execute(  # type: ignore[attr-defined]
            "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            f"WHERE c.relnamespace = {_SCHEMA} AND a.attname = 'id' AND a.attidentity <> '' AND NOT a.attisdropped "
            "ORDER BY 1").fetchall()]
    return conn.identities  # type: ignore[attr-defined]


def _id_counters(conn: Connection) -> list[tuple[str, int | None]]:
    """Each identity's sequence and the last value it gave, as a write begins."""
    if not _identities(conn):
        return []
    return [tuple(row) for row in conn.execute(
        "SELECT seq, pg_sequence_last_value(seq) FROM (SELECT pg_get_serial_sequence(t, 'id') AS seq "
        "FROM unnest(?::text[]) AS t) AS s", [_identities(conn)]).fetchall()]


def _ids_given_back(conn: Connection, counters: list[tuple[str, int | None]]) -> None:
    """After a failed write: the ids it used up are given back, as SQLite's AUTOINCREMENT
    counter rolls back with the transaction (a sequence does not), so the next record and
    the log's next command get the same numbers on both stores. Under the write lock again,
    moved up to any id another client wrote meanwhile. Best effort: if the connection is
    gone (Ctrl-C in the middle of a query closes it), the ids stay used."""
    if not counters or conn.raw.closed:
        return
    try:
        conn.execute("BEGIN")
        lock(conn)
        for seq, last in counters:
            conn.execute("SELECT setval(?, ?, ?)", [seq, last or 1, last is not None])
        _ids_caught_up(conn)
        conn.commit()
    except Exception:  # the original error is the one to tell
        conn.rollback()


def _ids_caught_up(conn: Connection) -> None:
    """Rows inserted with ids of their own (an import, an undo putting a row back) do not
    move an identity's sequence, as SQLite's AUTOINCREMENT moves: it is moved up to them."""
    if _identities(conn):
        highest = " UNION ALL ".join(
            f"SELECT pg_get_serial_sequence('{table}', 'id') AS seq, (SELECT max(id) FROM \"{table}\") AS top"
            for table in _identities(conn)
        )
        conn.execute(
            f"SELECT setval(seq, top) FROM ({highest}) AS ids WHERE top > coalesce(pg_sequence_last_value(seq), 0)"
        )


def copy_in(conn: Connection, into: str, rows: Iterator[Sequence[Any]], *, batch: int) -> Iterator[int]:
    """``COPY into FROM STDIN`` (``into``: a table and its columns) of ``rows``; yields the
    count so far every ``batch`` rows, and at the end."""
    done = 0
    with conn.raw.cursor().copy(f"COPY {into} FROM STDIN") as copy:
        for done, row in enumerate(rows, start=1):
            copy.write_row(row)
            if done % batch == 0:
                yield done
    yield done


@contextmanager
def indexes_deferred(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    """Inside a transaction, around a bulk load of ``tables``: their indexes (but those of
    their keys) and foreign keys go, and are made again after, each in one pass over the
    rows rather than row by row. A rollback brings them back too."""
    names = list(tables)
    keys = conn.execute(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(?)", [names]).fetchall()
    indexes = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() AND i.tablename = ANY(?) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(quote_ident(i.indexname)))",
        [names]).fetchall()
    for table, name, _ in keys:
        conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    yield
    # indexes built, and the derived tables filled after, in memory rather than in sorted runs on disk
    conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
    conn.execute("SET LOCAL work_mem = '64MB'")
    for _, definition in indexes:
        conn.execute(definition)
    for table, name, definition in keys:
        conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


# ---------------------------------------------------------------- the catalogue

# The catalogue is read from pg_catalog, not information_schema, whose views a command's new
# connection pays for on every use (issue 13).
_SCHEMA = "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"  # the schema salescli uses


def references(conn: Connection, table: str) -> dict[str, str]:
    """``table``'s foreign keys: column → the table it refers to."""
    rows = conn.execute(
        "SELECT a.attname, f.relname FROM pg_constraint c JOIN pg_class f ON f.oid = c.confrelid "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "WHERE c.contype = 'f' AND c.conrelid = to_regclass(?)", [table]).fetchall()
    return {column: target for column, target in rows}


def business_tables(conn: Connection) -> list[str]:
    """Every table of salescli's records (not its own ``_`` tables nor the history's)."""
    return [name for name in tables(conn) if not name.startswith(("_", "history_"))]


def table_info(conn: Connection, table: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """A table's columns, its primary key columns (in key order), and whether its first
    key column is an integer."""
    columns = tuple(row[0] for row in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ? ORDER BY ordinal_position", [table]).fetchall())
    keys = conn.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i "
        "JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
        "WHERE i.indrelid = to_regclass(?) AND i.indisprimary ORDER BY k.n", [table]).fetchall()
    return columns, tuple(row[0] for row in keys), bool(keys) and keys[0][1] in ("bigint", "integer")


def drop_triggers(conn: Connection, prefix: str) -> None:
    for table, name in conn.execute(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND starts_with(t.tgname, ?)", [prefix]).fetchall():
        conn.execute(f'DROP TRIGGER "{name}" ON "{table}"')
        conn.execute(f'DROP FUNCTION IF EXISTS "{name}"()')


# ---------------------------------------------------------------- the schema


def applied_migrations(conn: Connection) -> list[str]:
    from salescli.store import schema

    # read from the catalogue's table, not to_regclass(): a name looked up before in this
    # transaction can stay unknown to it after another client has just created the table
    if "_sqlite_migrations" not in tables(conn, "_sqlite_migrations"):
        return []
    rows = conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id", [schema.MIGRATION_SET]
    ).fetchall()
    return [row[0] for row in rows]


def tables(conn: Connection, name: str | None = None) -> list[str]:
    """The tables of the database (or the one called ``name``, if it is there): those
    ``information_schema.tables`` lists, read from ``pg_class``, as that view costs a new
    connection (every command opens one) some 20 ms of the server's planning and catalogue."""
    rows = conn.execute(
        f"SELECT relname FROM pg_class WHERE relnamespace = {_SCHEMA} AND relkind IN ('r', 'p', 'v', 'f') "
        "AND relname = coalesce(?, relname) AND (pg_has_role(relowner, 'USAGE') "
        "OR has_table_privilege(oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') "
        "OR has_any_column_privilege(oid, 'SELECT, INSERT, UPDATE, REFERENCES')) "
        "ORDER BY relname", [name]
    ).fetchall()
    return [row[0] for row in rows]


def _ensure_schema(conn: Connection, waiting: Any) -> None:
    from salescli import store
    from salescli.store import schema

    applied = applied_migrations(conn)
    if not applied:
        _refuse_hidden(conn)
    store.refuse_newer(applied)
    if len(applied) == len(schema.NAMES):
        return
    conn.execute("BEGIN")
    lock(conn, waiting)  # one client migrates; the others wait, then see it done
    applied = applied_migrations(conn)
    if len(applied) == len(schema.NAMES):  # another client built it while this one waited:
        conn.commit()  # no DDL here, which would wait on those already using the tables
        return
    if not applied:  # looked at under the lock: another client may have just built it
        held = tables(conn)
        if held:
            store.refuse_foreign(describe(conn.url), held)
        _refuse_unbuildable(conn)
        for statement in COMPAT:
            conn.execute(statement)
        conn.execute(MIGRATIONS_TABLE)
    store.refuse_newer(applied)
    migrator = Migrator(conn)
    for migration in schema.MIGRATIONS[len(applied):]:
        POSTGRES_BODIES.get(migration.__name__, migration)(migrator)  # type: ignore[operator]
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, now())",
            [schema.MIGRATION_SET, migration.__name__],
        )
    from salescli.store import history

    history.install_triggers(conn)  # type: ignore[arg-type]  # the undo capture follows the schema
    conn.commit()


def _refuse_hidden(conn: Connection) -> None:
    """A database whose salescli tables this login may not use looks empty to it: say so,
    rather than try to build the tables again there."""
    owner = conn.execute(
        f"SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = {_SCHEMA} "
        "AND relname = '_sqlite_migrations' AND NOT pg_has_role(relowner, 'USAGE') "
        "AND NOT has_table_privilege(oid, 'SELECT')"
    ).fetchone()
    if owner is not None:
        login = conn.raw.info.user
        raise SalesError(
            f"the login {login} has no rights on the salescli tables of {describe(conn.url)} (they belong to "
            f"{owner[0]}), so nothing was read or changed: the database's owner can let it in with "
            f"`GRANT {owner[0]} TO {login}` ({README_TEAM})"
        )


def _refuse_unbuildable(conn: Connection) -> None:
    """An empty database this login may not make tables in: the owner must set it up first."""
    if not conn.execute("SELECT has_schema_privilege(current_schema(), 'CREATE')").fetchone()[0]:
        raise SalesError(
            f"the login {conn.raw.info.user} may not make tables in {describe(conn.url)}, which holds no "
            "salescli tables yet, so nothing was changed: run `salescli init` there first as the database's "
            f"owner ({README_TEAM})"
        )


MIGRATIONS_TABLE = """
CREATE TABLE _sqlite_migrations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    migration_set TEXT NOT NULL,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL,
    UNIQUE (migration_set, name)
)
"""

# SQLite's functions and collation that the schema uses, with SQLite's meaning.
COMPAT = [
    # ``nocase``: what m001's NOCASE columns and index were made with here (ICU's level-2
    # strength: every script's case folded). m020 puts them on lower() of "C" text, which
    # folds ASCII alone as SQLite's NOCASE, and drops the collation; queries say lower().
    "CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
    "CREATE OR REPLACE FUNCTION ifnull(anycompatible, anycompatible) RETURNS anycompatible "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT coalesce($1, $2)'",
    # a value as SQLite's quote() writes it (the undo record): NULL, a number, or 'text'
    "CREATE OR REPLACE FUNCTION quote(anyelement) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    "SELECT CASE WHEN $1 IS NULL THEN 'NULL' "
    "WHEN pg_typeof($1) IN ('bigint'::regtype, 'integer'::regtype, 'double precision'::regtype) THEN $1::text "
    "ELSE quote_literal($1::text) END $$",
    # group_concat(value, separator): the values joined, NULLs left out (SQLite's aggregate)
    "CREATE OR REPLACE FUNCTION _group_concat_step(text, text, text) RETURNS text LANGUAGE sql IMMUTABLE AS "
    "'SELECT CASE WHEN $2 IS NULL THEN $1 WHEN $1 IS NULL THEN $2 ELSE $1 || $3 || $2 END'",
    "CREATE OR REPLACE AGGREGATE group_concat(text, text) (SFUNC = _group_concat_step, STYPE = text)",
    # group_concat(value): joined by commas
    "CREATE OR REPLACE FUNCTION _group_concat_comma(text, anyelement) RETURNS text LANGUAGE sql IMMUTABLE AS "
    "'SELECT CASE WHEN $2 IS NULL THEN $1 WHEN $1 IS NULL THEN $2::text ELSE $1 || '','' || $2::text END'",
    "CREATE OR REPLACE AGGREGATE group_concat(anyelement) (SFUNC = _group_concat_comma, STYPE = text)",
    # total(x): the sum as a float, 0.0 for no rows
    "CREATE OR REPLACE AGGREGATE total(double precision) (SFUNC = float8pl, STYPE = float8, INITCOND = '0')",
    # JSON as SQLite writes it: compact, keys in their order. json_each(object): key, value as text
    "CREATE OR REPLACE FUNCTION json_each(text) RETURNS TABLE (key text, value text) LANGUAGE sql IMMUTABLE AS "
    "'SELECT * FROM json_each_text($1::json)'",
    # json_patch(object, patch): RFC 7396 on a flat object (a customer's fields): a null removes a key
    """CREATE OR REPLACE FUNCTION json_patch(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce('{' || string_agg(to_json(k)::text || ':' || v, ',' ORDER BY o) || '}', '{}') FROM (
        SELECT t.key AS k, coalesce(p.value::text, t.value::text) AS v, t.o
        FROM json_each($1::json) WITH ORDINALITY AS t(key, value, o) LEFT JOIN json_each($2::json) AS p ON p.key = t.key
        WHERE p.value IS NULL OR json_typeof(p.value) <> 'null'
        UNION ALL
        SELECT p.key, p.value::text, 1000000 + p.o FROM json_each($2::json) WITH ORDINALITY AS p(key, value, o)
        WHERE json_typeof(p.value) <> 'null' AND NOT EXISTS (SELECT 1 FROM json_each($1::json) AS t WHERE t.key = p.key)
    ) AS patched $$""",
    # json_group_array(value): the values as a compact JSON array ([] for none)
    "CREATE OR REPLACE FUNCTION _json_group_array_step(text, anyelement) RETURNS text LANGUAGE sql IMMUTABLE AS "
    "$$ SELECT CASE WHEN $1 IS NULL THEN to_json($2)::text ELSE $1 || ',' || to_json($2)::text END $$",
    "CREATE OR REPLACE FUNCTION _json_group_array_end(text) RETURNS text LANGUAGE sql IMMUTABLE AS "
    "$$ SELECT '[' || coalesce($1, '') || ']' $$",
    "CREATE OR REPLACE AGGREGATE json_group_array(anyelement) "
    "(SFUNC = _json_group_array_step, STYPE = text, FINALFUNC = _json_group_array_end)",
    # json_array(a, b): a composite key as the undo record holds it (customer_tag's is the one)
    "CREATE OR REPLACE FUNCTION json_array(bigint, text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
    "'SELECT json_build_array($1, $2)::text'",
    # json_extract(json, '$[N]'): the N-th value of an array (the only path the store asks for)
    "CREATE OR REPLACE FUNCTION json_extract(text, text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
    "$$ SELECT $1::json ->> substring($2 FROM '^\\$\\[(\\d+)\\]$')::int $$",
    # Python's str.casefold on SQLite (dialect.casefold); here ASCII's alone until m019
    "CREATE OR REPLACE FUNCTION casefold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT lower($1)'",
    "CREATE OR REPLACE FUNCTION iif(boolean, anycompatible, anycompatible) RETURNS anycompatible "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT CASE WHEN $1 THEN $2 ELSE $3 END'",
    # the Julian day number of an ISO date or timestamp (local time, as SQLite reads it)
    "CREATE OR REPLACE FUNCTION julianday(text) RETURNS double precision "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
    "'SELECT extract(epoch FROM $1::timestamp)::double precision / 86400.0 + 2440587.5'",
    # date(x [, modifier]): the ISO day of a date or timestamp, moved by an interval ('-14 days')
    "CREATE OR REPLACE FUNCTION date(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
    "'SELECT to_char($1::timestamp, ''YYYY-MM-DD'')'",
    "CREATE OR REPLACE FUNCTION date(text, text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
    "'SELECT to_char($1::timestamp + $2::interval, ''YYYY-MM-DD'')'",
]


class Migrator:
    """What a migration function is given on PostgreSQL in place of sqlite-utils'
    ``Database``: ``execute()`` of SQLite migration text, turned into PostgreSQL."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        result = None
        for statement in to_postgres(sql):
            result = self.conn.execute(statement, params)
        return result


def _m005_customer_created_at_may_be_unknown(db: Migrator) -> None:
    db.execute("ALTER TABLE customer ALTER COLUMN created_at DROP NOT NULL")


def _m008_ids_never_reused(db: Migrator) -> None:
    """Nothing to do: PostgreSQL's identity columns never hand out an id twice (to_postgres)."""


def _m013_undo_range_deletes(db: Migrator) -> None:
    db.execute(
        "ALTER TABLE history_change DROP CONSTRAINT history_change_op_check, ADD CONSTRAINT history_change_op_check "
        "CHECK (op IN ('insert', 'update', 'delete', 'insert-range', 'delete-range'))"
    )


# m014's table: a primary key cannot sort a column DESC here, and NOCASE is lower() (ICU's
# folded every script's case until m020), so the ranking's order is an index on (revenue
# DESC, lower(name) — ASCII folded, as NOCASE on SQLite — id). ``exact`` is a truth value, as SQLite reads it.
CUSTOMER_RANK_TABLE = """
CREATE TABLE _customer_rank (
    revenue INTEGER NOT NULL,
    name TEXT NOT NULL,
    customer_id INTEGER NOT NULL,
    owner_id INTEGER,
    tier TEXT,
    frequency INTEGER NOT NULL,
    last_won TEXT,
    exact BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX _customer_rank_customer ON _customer_rank(customer_id);
CREATE INDEX _customer_rank_order ON _customer_rank(revenue DESC, lower(name), customer_id);
CREATE INDEX _customer_rank_inexact ON _customer_rank(customer_id) WHERE NOT exact;
CREATE INDEX _customer_rank_level ON _customer_rank(revenue, tier, owner_id);
"""


def _m014_customer_ranking_order(db: Migrator) -> None:
    from salescli.store import schema

    schema.made(db, CUSTOMER_RANK_TABLE, schema.CUSTOMER_RANK_FILL, schema.CUSTOMER_RANK_TRIGGERS)  # type: ignore[arg-type]


def _m016_stale_deals_in_one_pass(db: Migrator) -> None:
    from salescli.store import schema

    drop_triggers(db.conn, "deal_idle_")  # m012's, which keep _deal_idle
    db.execute("DROP TABLE _deal_idle")
    schema.made(db, schema.STALE_DEAL_TABLE, schema.STALE_DEAL.fill, schema.STALE_DEAL_TRIGGERS)  # type: ignore[arg-type]


def _m018_cheap_customer_inserts_and_deletes(db: Migrator) -> None:
    from salescli.store import schema

    for name, trigger in schema.CHEAP_CUSTOMER_WRITES_TRIGGERS.items():
        drop_triggers(db.conn, name)  # (by prefix: the new customer_rank_insert_won is not there yet)
        db.execute(trigger)


_FOLD_BLOCK = 256  # characters casefold_function looks at at once


@functools.cache
def casefold_function() -> str:
    """``casefold(text)`` as Python's ``str.casefold``, character by character: ASCII by
    ``lower()`` (which folds ASCII alone on "C" text), every other character ``casefold``
    changes by ``translate()`` (one for one) or ``replace()`` (``ß`` → ``ss``), written out
    from this Python's Unicode tables. Text with none of them (most names, Chinese ones
    too) costs one regular-expression test more than ``lower()``.

    The characters are looked at a block at a time: a block that ``casefold`` leaves as
    it is (each character folds to one or more, so the same text means each to itself)
    is passed over whole. Worked out once per process."""
    import sys

    ones: dict[str, str] = {}
    more: dict[str, str] = {}
    for start in range(0x80, sys.maxunicode + 1, _FOLD_BLOCK):
        block = "".join(map(chr, range(start, min(start + _FOLD_BLOCK, sys.maxunicode + 1))))
        if block.casefold() == block:  # (surrogates, never in text, fold to themselves)
            continue
        for character in block:
            folded = character.casefold()
            if folded != character:
                (ones if len(folded) == 1 else more)[character] = folded

    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    folded = f"translate($1, {literal(''.join(ones))}, {literal(''.join(ones.values()))})"
    for character, replacement in more.items():
        folded = f"replace({folded}, {literal(character)}, {literal(replacement)})"
    return (
        "CREATE OR REPLACE FUNCTION casefold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fold$ "
        f"SELECT lower(CASE WHEN $1 ~ {literal('[' + ''.join(ones) + ''.join(more) + ']')} "
        f'THEN {folded} ELSE $1 END COLLATE "C") $fold$'
    )


def _m019_casefold_on_the_server(db: Migrator) -> None:
    db.conn.execute(casefold_function())  # PostgreSQL text already: not through to_postgres


# m020: m001 made the keys NOCASE keeps unique with the ICU collation ``nocase`` (COMPAT),
# in which "Émile" is "émile": the sku and stage name columns, the customer name index.
# They become "C" text unique by ``lower()``: SQLite's NOCASE (ASCII case folded, bytes
# compared), as ``_nocase`` compares them. Index, table, column; whether the column was ICU's.
NOCASE_KEYS = [
    ("customer_name", "customer", "name", False),
    ("product_sku_key", "product", "sku", True),
    ("stage_name_key", "stage", "name", True),
]


def _m020_nocase_on_the_server_as_on_sqlite(db: Migrator) -> None:
    from salescli.store import history

    drop_triggers(db.conn, history.PREFIX)  # they name the columns; made again after the migrations
    for index, table, column, declared in NOCASE_KEYS:
        if declared:
            db.conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {index}")  # its UNIQUE
            db.conn.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT COLLATE "C"')
        else:
            db.conn.execute(f"DROP INDEX {index}")
        db.conn.execute(f"CREATE UNIQUE INDEX {index} ON {table} (lower({column}))")
    db.conn.execute("DROP COLLATION nocase")  # (refused if anything still used it)


# The migrations whose SQLite body is about SQLite itself: their PostgreSQL body.
POSTGRES_BODIES = {
    "m005_customer_created_at_may_be_unknown": _m005_customer_created_at_may_be_unknown,
    "m008_ids_never_reused": _m008_ids_never_reused,
    "m013_undo_range_deletes": _m013_undo_range_deletes,
    "m014_customer_ranking_order": _m014_customer_ranking_order,
    "m016_stale_deals_in_one_pass": _m016_stale_deals_in_one_pass,
    "m018_cheap_customer_inserts_and_deletes": _m018_cheap_customer_inserts_and_deletes,
    "m019_casefold_on_the_server": _m019_casefold_on_the_server,
    "m020_nocase_on_the_server_as_on_sqlite": _m020_nocase_on_the_server_as_on_sqlite,
}


# ---------------------------------------------------------------- SQLite migration text -> PostgreSQL

_TYPES = [
    (re.compile(r"\bINTEGER PRIMARY KEY(?: AUTOINCREMENT)?"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),  # money in cents outgrows 32 bits
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),  # PostgreSQL's REAL is 4 bytes
    (re.compile(r"\)\s*WITHOUT ROWID"), ")"),
    (re.compile(r"^(\s+\w+ TEXT)((?: NOT NULL| UNIQUE)+) COLLATE NOCASE", re.MULTILINE), r"\1 COLLATE NOCASE\2"),
    (re.compile(r"^(\s+pk),$", re.MULTILINE), r"\1 TEXT,"),  # history_change.pk: a key, typeless in SQLite
    (re.compile(r"(?<=[\s(,])end(?=[\s,)])"), '"end"'),  # target.end: a reserved word in PostgreSQL
    # m011's tables declare no column types (SQLite keeps any value): a day, a float, else an integer
    (re.compile(r"(?:(?<=\()|(?<=, ))(\w+) NOT NULL(?=[,)])"),
     lambda m: f"{m[1]} {_UNTYPED.get(m[1], 'BIGINT')} NOT NULL"),
    # text compares and sorts by its bytes, as SQLite's BINARY does, whatever the database's locale
    (re.compile(r"\bTEXT\b(?! COLLATE)"), 'TEXT COLLATE "C"'),
]
_UNTYPED = {"day": "TEXT", "cycle_days": "DOUBLE PRECISION"}
# SQLite's truth values are integers: a condition summed or stored is a 0/1 on PostgreSQL,
# an integer used as a condition a comparison.
_TRUTH = [
    (re.compile(r"(sum\(|-\(|- \(|, )([\w.]+ IS NOT NULL)"), r"\1(\2)::int"),
    (re.compile(r"\bifnull\(([\w.]+ (?:>=|<=|<|>|=) \w+), 0\)"), r"ifnull((\1)::int, 0)"),
    (re.compile(r"\bCASE WHEN ([\w.]+) THEN"), r"CASE WHEN \1 <> 0 THEN"),
    (re.compile(r"\b(WHERE|AND) 1(?=\s*(?:$|;|ON\b|GROUP\b|AND\b))"), r"\1 true"),
]
# What SQLite's text says that PostgreSQL's text cannot hold or says otherwise: a NUL (none
# here), a GLOB for "holds a character of the class" and REGEXP (a regular expression), the order an
# INSERT's rows are written in (a heap has none; ``2 COLLATE NOCASE`` is no expression here).
_SQLITE_ONLY = [
    (re.compile(r"\binstr\([\w.]+, char\(0\)\)"), "false"),
    (re.compile(r"\bGLOB '\*(\[[^\]]+\])\*'"), r"~ '\1'"),
    (re.compile(r"\bREGEXP\b"), "~"),
    (re.compile(r"^(\s*INSERT INTO .*) ORDER BY (?:(?!LIMIT\b)[^()])*$", re.DOTALL), r"\1"),
]
_EXTREME = re.compile(r"\b(max|min)\(", re.IGNORECASE)
# An upsert that adds its values to a row already there (schema._added_up)
_ADDED_UP = re.compile(
    r"INSERT INTO (\w+) \(([^)]*)\) ((?:WITH|SELECT) .*) ON CONFLICT DO UPDATE SET ((?:\w+ = \w+ \+ excluded\.\w+(?:, )?)+)$",
    re.DOTALL,
)
_INSERT_OR = re.compile(r"INSERT OR (REPLACE|IGNORE) INTO (\w+) \(([^)]*)\)(.*?);", re.DOTALL)
_IS_NOT = re.compile(r"\bIS NOT (?!NULL\b|DISTINCT\b)")
_IS = re.compile(r"\bIS (?!NOT\b|NULL\b|DISTINCT\b)")
_NAME = r'(\w+|"[^"]+")'
_TRIGGER = re.compile(
    rf"CREATE TRIGGER {_NAME} (AFTER|BEFORE) (INSERT|UPDATE|DELETE)( OF [\w, ]+?)? ON {_NAME}(?: WHEN (.*?))? BEGIN (.*)END\s*$",
    re.DOTALL,
)
_JSON = [(re.compile(r"\bjson_object\("), "json_build_object("), (re.compile(r"\bjson_array\("), "json_build_array(")]


def _insert_or(match: re.Match[str]) -> str:
    how, table, columns, rest = match.groups()
    names = [c.strip() for c in columns.split(",")]
    if how == "IGNORE":
        conflict = "ON CONFLICT DO NOTHING"
    else:
        conflict = f"ON CONFLICT ON CONSTRAINT {table}_pkey DO UPDATE SET ({', '.join(names)}) = ROW({', '.join('excluded.' + n for n in names)})"
    return f"INSERT INTO {table} ({columns}){rest} {conflict};"


_FROM_SUBQUERY = re.compile(r"\bFROM\s*\(", re.IGNORECASE)
_NOT_AN_ALIAS = re.compile(r"\s*(?:$|[),;]|(?:WHERE|ORDER|GROUP|LIMIT|UNION|JOIN|ON)\b)", re.IGNORECASE)


def _subqueries_named(sql: str) -> str:
    """A subquery in FROM gets a name (``AS _s1``): PostgreSQL before 16 requires one."""
    count = 0
    for match in reversed(list(_FROM_SUBQUERY.finditer(sql))):
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            if depth == 0:
                break
        if _NOT_AN_ALIAS.match(sql, end + 1):
            count += 1
            sql = f"{sql[:end + 1]} AS _s{count}{sql[end + 1:]}"
    return sql


def _extremes(sql: str) -> str:
    """SQLite's scalar ``max(a, b, …)``/``min(…)`` as ``greatest``/``least`` (the aggregate
    ``max(x)`` stays): the arguments are never NULL where the schema uses them."""
    for match in reversed(list(_EXTREME.finditer(sql))):
        depth, commas = 0, False
        for end in range(match.end() - 1, len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            commas |= depth == 1 and sql[end] == ","
            if depth == 0:
                break
        if commas:
            sql = f"{sql[:match.start()]}{'greatest' if match[1].lower() == 'max' else 'least'}{sql[match.end() - 1:]}"
    return sql


def _added_up(sql: str) -> str:
    """An upsert adding to the rows already there: PostgreSQL names the key it conflicts on,
    and cannot update one row twice in a statement, so the new rows are added up first."""
    match = _ADDED_UP.match(sql.strip())
    if match is None:
        return sql
    table, columns, select, sets = match.groups()
    names = [name.strip() for name in columns.split(",")]
    values = [part.split(" = ")[0] for part in sets.split(", ")]
    keys = [name for name in names if name not in values]
    summed = ", ".join([*keys, *(f"sum({value})" for value in values)])
    added = ", ".join(f"{value} = {table}.{value} + excluded.{value}" for value in values)
    return (
        f"INSERT INTO {table} ({columns}) SELECT {summed} FROM ({select}) AS _added ({columns}) "
        f"GROUP BY {', '.join(keys)} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {added}"
    )


def _statement(sql: str) -> str:
    for pattern, replacement in _SQLITE_ONLY:
        sql = pattern.sub(replacement, sql)
    sql = _nocase(sql)
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    sql = _subqueries_named(_extremes(sql))
    sql = _INSERT_OR.sub(_insert_or, sql if sql.rstrip().endswith(";") else sql.rstrip() + ";").rstrip().rstrip(";")
    for pattern, replacement in [*_JSON, *_TRUTH]:
        sql = pattern.sub(replacement, sql)
    return _added_up(_IS.sub("IS NOT DISTINCT FROM ", _IS_NOT.sub("IS DISTINCT FROM ", sql)))


def to_postgres(sql: str) -> list[str]:
    """The PostgreSQL statements for one statement of a shipped SQLite migration."""
    trigger = _TRIGGER.match(sql.strip())
    if trigger is None:
        return [_statement(sql)]
    name, when, event, columns, table, condition, body = trigger.groups()
    done = f"RETURN {'NULL' if when == 'AFTER' else 'OLD' if event == 'DELETE' else 'NEW'};"
    body = ";\n".join(_statement(part) for part in body.split(";") if part.strip())
    if condition and "SELECT" in condition:  # a trigger's WHEN cannot hold a subquery there
        body = f"IF NOT ({_statement(condition)}) THEN {done} END IF;\n{body}"
        condition = None
    return [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN\n{body};\n{done}\nEND $body$",
        f"CREATE TRIGGER {name} {when} {event}{columns or ''} ON {table} FOR EACH ROW"
        + (f" WHEN ({_statement(condition)})" if condition else "")
        + f" EXECUTE FUNCTION {name}()",
    ]
