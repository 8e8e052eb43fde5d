"""The PostgreSQL store (issue 15): the test server itself, and what runs on it so far."""

from __future__ import annotations

import psycopg


def test_each_test_gets_a_new_database_on_a_real_server(pg_url):
    with psycopg.connect(pg_url) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone()[0]
        conn.execute("CREATE TABLE mine (id integer)")
    assert int(version) >= 150000
    assert tables == 0
