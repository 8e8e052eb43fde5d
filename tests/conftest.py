"""Every test drives the real CLI against its own database file, with today fixed."""

from __future__ import annotations

import functools
import gc
import json
import os
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from typer.testing import CliRunner

from salescli import output, parse, session, store
from salescli.store import schema
from salescli.cli import app

import pgserver

TODAY = "2026-11-23"  # a Monday

# Build the Click command tree once per test process, not once per invocation: every
# CliRunner().invoke() in the suite (and in test modules that make their own runner)
# shares it. The tree holds no per-run state: the session module is reset by --db's callback.
typer.testing._get_command = functools.cache(typer.testing._get_command)


# ---------------------------------------------------------------- PostgreSQL (issue 15)
# One throwaway server for the whole run, started in the process that runs pytest (xdist's
# controller) and handed to the workers as a URL; each test that asks gets its own database,
# copied from one of two templates the controller makes: an empty database (``pg_url``), and
# one salescli has migrated (``any_store``), as a new SQLite file starts as a copy of
# ``migrated_file``: migrating on PostgreSQL took about 0.5 s a test.
PG_URL = "SALESCLI_TEST_PG_URL"  # the server's URL (no database), as the workers see it
PG_ERROR = "SALESCLI_TEST_PG_ERROR"  # why there is none
MIGRATED_TEMPLATE = "salescli_migrated"  # every migration applied: the start of any_store's databases


def pytest_configure(config):
    _register_markers(config)
    if hasattr(config, "workerinput"):  # an xdist worker: the controller's server
        os.environ.update(config.workerinput["postgresql"])
        return
    try:
        server = pgserver.Server().start()
    except pgserver.Unavailable as error:
        os.environ[PG_ERROR] = str(error)
    else:
        config._salescli_pg = server
        os.environ[PG_URL] = server.url
        server.sql(f"CREATE DATABASE {MIGRATED_TEMPLATE}")
        store.connect(server.database_url(MIGRATED_TEMPLATE), create=True).close()
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_HandPostgresToWorkers())


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config):
    """``-n auto``: one worker more than there are CPUs. A worker often waits — on a test
    sleeping past a timeout (test_concurrency.py), on salescli run in a subprocess, on the
    PostgreSQL server — and the one more keeps the CPUs busy meanwhile (on 2 CPUs, 3 workers
    finished in 109 s where 2 took 117, at the same load). PYTEST_XDIST_AUTO_NUM_WORKERS
    still decides when set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1


class _HandPostgresToWorkers:
    def pytest_configure_node(self, node):
        node.workerinput["postgresql"] = {key: os.environ[key] for key in (PG_URL, PG_ERROR) if key in os.environ}


def pytest_unconfigure(config):
    server = getattr(config, "_salescli_pg", None)
    if server is not None:
        server.stop()


def _new_pg_database(template: str) -> Any:
    """A new PostgreSQL database of the test's own, copied from ``template``: its URL."""
    name = _pg_database(template)
    yield f"{os.environ[PG_URL]}/{name}"
    _drop_pg_database(name)


def _drop_pg_database(name: str) -> None:
    """Drop a test's database, closing first the connection its last command left open: the
    server waits in steps of 0.1 s for a connection it was told to end (WITH (FORCE)) to go."""
    session.configure(None)
    _pg_server_sql(f"DROP DATABASE {name} WITH (FORCE)")


def _pg_database(template: str) -> str:
    """A new database copied from ``template``: its name."""
    if PG_URL not in os.environ:
        pytest.fail(os.environ.get(PG_ERROR, pgserver.INSTALL_HINT), pytrace=False)
    name = _pg_name()
    _pg_server_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    return name


def _pg_name() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


_SERVER: list[Any] = []  # this process's connection to the server's "postgres" database


def _pg_server_sql(*statements: str) -> None:
    """Run statements (CREATE and DROP DATABASE) on the server, through one connection of this process's."""
    if not _SERVER or _SERVER[0].closed:
        import psycopg

        _SERVER[:] = [psycopg.connect(f"{os.environ[PG_URL]}/postgres", autocommit=True)]
    for statement in statements:
        _SERVER[0].execute(statement)


@pytest.fixture
def pg_url() -> Any:
    """A new, empty PostgreSQL database of this test's own: its ``postgresql://`` URL.
    salescli migrates it for real, as a new database of a user's."""
    yield from _new_pg_database(pgserver.TEMPLATE)


@pytest.fixture
def other_pg_url() -> Any:
    """A second new, empty one, for a test that moves data between two (``db copy``)."""
    yield from _new_pg_database(pgserver.TEMPLATE)


@pytest.fixture
def pg_migrated_url() -> Any:
    """A new PostgreSQL database of this test's own with every migration applied."""
    yield from _new_pg_database(MIGRATED_TEMPLATE)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, isolated, monkeypatch) -> Any:
    """The test runs once on a new SQLite file and once on a new PostgreSQL database
    (``SALESCLI_DB`` points at it): the database's path or URL. For a test whose business
    is a copy (``copy_of``), that database is made by the copy."""
    if request.param == "sqlite":
        return isolated
    if "copy_of" in request.fixturenames and PG_URL in os.environ:
        url = f"{os.environ[PG_URL]}/{_pg_name()}"  # made by copy_of, as a copy of the business
    else:
        url = request.getfixturevalue("pg_migrated_url")
    monkeypatch.setenv("SALESCLI_DB", url)
    return url


# ---------------------------------------------------------------- businesses built once
# A module's set-up of many commands (test_deal.py's shop: reps, customers, products) is run
# once per test process and store, and each test that asks gets a copy of what it made: on
# SQLite the file's bytes, on PostgreSQL a database copied from it (CREATE DATABASE ...
# TEMPLATE), as new files and databases start from a migrated one. The commands, their
# dates (SALESCLI_TODAY) and the ids they give are those of the test's own run.


@pytest.fixture(scope="session")
def _built_businesses() -> Any:
    """What each set-up made, by (its function, the store): a file's bytes or a database's name."""
    built: dict[tuple[str, str, str], Any] = {}
    yield built
    names = [source for source in built.values() if isinstance(source, str)]
    if names:
        _pg_server_sql(*(f"DROP DATABASE {name} WITH (FORCE)" for name in names))


@pytest.fixture
def copy_of(request, tmp_path_factory, _built_businesses):
    """``copy_of(build)``: the test's database (``any_store`` if the test runs on both
    stores, else its file) holding what ``build(cli, db)`` makes, built once per test
    process and store; its path or URL. On a server, the test's database is made here
    (any_store leaves it to copy_of), and dropped after the test."""
    any_store = request.getfixturevalue("any_store" if "any_store" in request.fixturenames else "isolated")
    made: list[str] = []

    def copy(build: Callable[[Cli, Any], None]) -> Any:
        on_server = parse.is_database_url(any_store)
        key = (build.__module__, build.__qualname__, "postgresql" if on_server else "sqlite")
        if key not in _built_businesses:
            with pytest.MonkeyPatch.context() as patch:
                built = _build_on_server(build, patch) if on_server else _build_in_file(build, patch, tmp_path_factory)
            _built_businesses[key] = built
        source = _built_businesses[key]
        if on_server:
            name = any_store.rsplit("/", 1)[1]
            if made:  # a second business for the same test: it replaces the first
                _drop_pg_database(name)
            _pg_server_sql(f"CREATE DATABASE {name} TEMPLATE {source}")
            made[:] = [name]
        else:
            store._create_private_file(any_store)
            any_store.write_bytes(source)
        return any_store

    yield copy
    if made:
        _drop_pg_database(made[0])


def _build_in_file(build, patch, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("built") / "sales.db"
    patch.setenv("SALESCLI_DB", str(path))
    _build(build, path)
    with sqlite3.connect(path) as conn:  # the last connection: every committed page in the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "a connection of the set-up is still open"
    return path.read_bytes()


def _build_on_server(build, patch) -> str:
    name = _pg_database(MIGRATED_TEMPLATE)  # dropped at the end of the session
    url = f"{os.environ[PG_URL]}/{name}"
    patch.setenv("SALESCLI_DB", url)
    _build(build, url)
    return name


def _build(build, db) -> None:
    build(Cli(), db)
    session.configure(None)  # closes the last command's connection
    gc.collect()  # and any a set-up left to the garbage collector


def _register_markers(config):
    config.addinivalue_line(
        "markers",
        "usage_errors_once: the cases whose `code` is 2 run on SQLite only, and check that "
        "the command never opened the store",
    )
    config.addinivalue_line(
        "markers", "opens_store_first: a usage_errors_once case whose usage error is found after the store is opened",
    )


def pytest_collection_modifyitems(config, items):
    """A usage error (exit 2) is found before salescli opens the store, so a PostgreSQL run
    of it would repeat the SQLite run's Python path: the code-2 cases of a test marked
    ``usage_errors_once`` run on SQLite only, where ``cli.fails`` checks that the store was
    never opened (``Cli.usage_errors_touch_no_store``); a case marked ``opens_store_first``
    runs on both."""
    once = [item for item in items if _usage_error_on_postgresql(item)]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if item not in once]


def _usage_error_on_postgresql(item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return _usage_errors_once(item) and params.get("any_store") == "postgresql" and params.get("code") == 2


def _usage_errors_once(item) -> bool:
    return bool(item.get_closest_marker("usage_errors_once")) and not item.get_closest_marker("opens_store_first")


@pytest.fixture(scope="session")
def migrated_file(tmp_path_factory) -> tuple[list[str], bytes]:
    """An empty database with every migration applied, made once per test process: the
    migrations it has, and its bytes."""
    path = tmp_path_factory.mktemp("migrated") / "empty.db"
    store.connect(path, create=True).close()
    return list(schema.NAMES), path.read_bytes()


@pytest.fixture(autouse=True)
def new_files_start_migrated(monkeypatch, migrated_file):
    """A database file salescli creates starts as a copy of ``migrated_file`` (when the
    migrations are those it has), instead of running them all again: about 0.2 s a test.
    Creating and migrating a file for real is tested by test_migrate.py, test_ids.py and
    every test that runs salescli in a subprocess."""
    names, content = migrated_file
    create = store._create_private_file

    def creating(path):
        create(path)
        if schema.NAMES == names:
            path.write_bytes(content)

    monkeypatch.setattr(store, "_create_private_file", creating)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESCLI_DB", str(tmp_path / "sales.db"))
    monkeypatch.setenv("SALESCLI_TODAY", TODAY)
    monkeypatch.delenv("SALESCLI_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(output, "stdout_isatty", lambda: False)
    yield tmp_path / "sales.db"


class Cli:
    """``cli("deal", "add", ...)`` runs salescli and checks the exit status (``code=``)."""

    def __init__(self, usage_errors_touch_no_store: bool = False) -> None:
        self.runner = CliRunner()
        self.usage_errors_touch_no_store = usage_errors_touch_no_store

    def __call__(self, *args: str, code: int = 0, input: str | None = None):
        result = self.runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
        assert result.exit_code == code, (
            f"salescli {' '.join(map(str, args))} exited {result.exit_code}, expected {code}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--format", "json").stdout)

    def fails(self, *args: str, code: int = 1) -> str:
        """Run a command that must fail; return its stderr (and check no traceback)."""
        if code == 2 and self.usage_errors_touch_no_store:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(store, "connect", _store_opened)
                result = self(*args, code=code)
        else:
            result = self(*args, code=code)
        assert "Traceback" not in result.stderr
        return result.stderr


def _store_opened(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a usage error of a test marked usage_errors_once opened the store")


@pytest.fixture
def cli(request) -> Cli:
    return Cli(usage_errors_touch_no_store=_usage_errors_once(request.node))
