"""Start-up (SPEC §9): a command imports and builds only itself, not the ~80 others;
`salescli -h` lists every command without building any of them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Runs salescli, then reports which command modules it imported and how many commands it built.
PROBE = r"""
import atexit, json, sys
from salescli.commands import common
built = []
init = common.Command.__init__
def counting(self, *args, **kwargs):
    init(self, *args, **kwargs)
    built.append(self.name)
common.Command.__init__ = counting
def report():
    modules = sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("salescli.commands."))
    print(json.dumps({"modules": modules, "built": sorted(built)}), file=sys.stderr)
atexit.register(report)
from salescli.cli import main
main()
"""


def probe(*args: str, db) -> dict:
    run = subprocess.run([sys.executable, "-c", PROBE, "--db", str(db), *args], capture_output=True, text=True)
    return json.loads(run.stderr.splitlines()[-1])


SHARED = ["common", "examples", "lazy"]


@pytest.mark.parametrize(
    ("args", "modules", "built"),
    [
        (["report", "due"], [*SHARED, "report", "report_daily"], ["due", "forecast", "funnel", "stale", "targets"]),
        (["deal", "list"], [*SHARED, "deal"], None),
        (["undo", "-h"], [*SHARED, "safety"], ["backup", "log", "restore", "undo"]),
        (["customer", "show", "1"], [*SHARED, "customer", "report_analysis"], None),
    ],
)
def test_a_command_imports_and_builds_only_its_module(isolated, args, modules, built):
    seen = probe(*args, db=isolated)
    assert seen["modules"] == sorted(modules)
    if built is not None:
        assert seen["built"] == built


def test_help_lists_every_command_without_building_one(isolated, cli):
    seen = probe("-h", db=isolated)
    assert seen["built"] == []
    listed = cli("-h").stdout
    assert "\n  report     Reports: funnel, targets, due follow-ups," in listed
    assert "\n  undo       Revert the last write command;" in listed


def test_the_sqlite_path_imports_nothing_of_postgresql(isolated, cli):
    """psycopg and the PostgreSQL store are imported only for a postgresql:// database (issue 15)."""
    cli("customer", "add", "Acme")
    check = "import sys, runpy; sys.argv = ['salescli', 'customer', 'list']; " \
        "import atexit; atexit.register(lambda: print(sorted(m for m in sys.modules if 'psycopg' in m or m.endswith('store.postgres')), file=sys.stderr)); " \
        "from salescli.cli import main; main()"
    run = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert "Acme" in run.stdout
    assert run.stderr.splitlines()[-1] == "[]"
