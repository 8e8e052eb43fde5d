"""The root of the command line: global options, the noun groups, and ``main()``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from salescli import __version__, output, session
from salescli.commands import (
    activity,
    config,
    customer,
    dashboard,
    deal,
    demo,
    io,
    product,
    remind,
    rep,
    report,
    report_analysis,
    safety,
    stage,
    target,
)
from salescli.commands.common import App


class RootGroup(TyperGroup):
    """The root group: remembers the command line after the global options (the same
    under the console script and under ``typer.testing.CliRunner``) for the command log."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        session.remember_command(args)
        return super().resolve_command(ctx, args)


app = App(
    name="salescli",
    cls=RootGroup,
    help="A sales tracker for small businesses: customers, deals, follow-ups and targets in one SQLite file.",
    epilog="Exit status: 0 success, 1 a failed operation (or `report due --check` found work), 2 a usage error, 130 interrupted.",
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"salescli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Annotated[
        Optional[Path],
        typer.Option("--db", envvar="SALESCLI_DB", help="The database file (default: sales.db in the app directory).", show_default=False),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    session.configure(db)


for module, name in (
    (customer, "customer"),
    (deal, "deal"),
    (activity, "activity"),
    (report, "report"),
    (target, "target"),
    (rep, "rep"),
    (product, "product"),
    (stage, "stage"),
    (config, "config"),
):
    app.add_typer(module.app, name=name)

for module in (config, dashboard, demo, io, remind, safety):
    module.register(app)
report_analysis.register_customer(customer.app)


def main() -> None:
    """The console script: run the app; a broken pipe or Ctrl-C ends quietly."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # `salescli … | head`: the reader went away; say nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except Exception as error:  # a bug: one line, unless debugging
        if os.environ.get("SALESCLI_DEBUG", "") not in ("", "0"):
            raise
        output.error(f"unexpected {type(error).__name__}: {error} (run with SALESCLI_DEBUG=1 to see the traceback)")
        sys.exit(1)


if __name__ == "__main__":
    main()
