"""The bench's own loader of a reference file into a PostgreSQL database (until
`salescli db copy` can do it): salescli makes the schema (`init`), then every table's rows
go over with COPY, triggers off (``session_replication_role = replica``: the rows, the
undo record and the derived ``_`` tables arrive as the file holds them), and each identity
moves up to the ids the file handed out."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path


def load(reference: Path, url: str, salescli: list[str], env: dict[str, str]) -> None:
    import psycopg

    subprocess.run([*salescli, "--db", url, "init"], env=env, check=True, capture_output=True)
    source = sqlite3.connect(f"file:{reference}?mode=ro", uri=True)
    tables = [row[0] for row in source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> '_sqlite_migrations'")]
    given = dict(source.execute("SELECT name, seq FROM sqlite_sequence"))
    with psycopg.connect(url) as target:
        target.execute("SET session_replication_role = replica")
        for table in tables:
            mine = {row[0] for row in target.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table])}
            columns = [row[1] for row in source.execute(f'PRAGMA table_info("{table}")') if row[1] in mine]
            listed = ", ".join(f'"{name}"' for name in columns)
            target.execute(f'DELETE FROM "{table}"')
            with target.cursor().copy(f'COPY "{table}" ({listed}) FROM STDIN') as copy:
                for row in source.execute(f'SELECT {listed} FROM "{table}"'):
                    copy.write_row(row)
            if given.get(table):
                target.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, given[table]])
    source.close()
