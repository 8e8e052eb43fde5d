"""The root of the command line: global options, the noun groups, and ``main()``."""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Optional

import typer

from salescli import __version__, output, session
from salescli.commands import examples
from salescli.commands.common import App
from salescli.commands.lazy import LazyGroup
from salescli.errors import INTERRUPTED

# Every command under the root, in the order `salescli -h` lists them, and the module in
# salescli/commands/ that makes it (see LazyGroup).
GROUPS = ("customer", "deal", "activity", "report", "target", "rep", "product", "stage", "config", "db")
COMMANDS = {
    "init": "config",
    "dashboard": "dashboard",
    "demo": "demo",
    "import": "io",
    "export": "io",
    "remind": "remind",
    "log": "safety",
    "undo": "safety",
    "backup": "safety",
    "restore": "safety",
    **{group: group for group in GROUPS},
}


# The usage error of typer's bundled Click (unknown option, missing argument, …), reached
# through typer's public BadParameter, one of its kinds.
_ClickUsageError = typer.BadParameter.__mro__[1]


class RootGroup(LazyGroup):
    """The root group: builds only the command that runs, remembers the command line
    after the global options (the same under the console script and under
    ``typer.testing.CliRunner``) for the command log, and says a usage error in two lines."""

    modules = COMMANDS
    groups = GROUPS

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        session.remember_command(args)
        return super().resolve_command(ctx, args)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _short_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _short_usage_errors():
            return super().invoke(ctx)


@contextmanager
def _short_usage_errors() -> Iterator[None]:
    """Click shows a usage error as the usage line, a hint, a blank line and the error:
    show it as ``Error: …`` and what to try instead (help asked for by a bare group is left alone)."""
    try:
        yield
    except _ClickUsageError as error:
        if type(error).show is _ClickUsageError.show:
            error.show = functools.partial(_show_usage_error, error)
        raise


def _show_usage_error(error: Any, file: Any = None) -> None:
    output.error(error.format_message())
    if error.ctx is not None:
        output.message(f"Try '{error.ctx.command_path} -h' for help and examples.")


app = App(
    name="salescli",
    cls=RootGroup,
    help="A sales tracker for small businesses: customers, deals, follow-ups and targets in one SQLite file.",
    epilog=examples.with_examples(
        "Exit status: 0 success, 1 a failed operation, 2 a usage error, 3 `report due --check` found work, "
        "130 interrupted (nothing was written).",
        (),
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=True,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"salescli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Annotated[
        Optional[str],
        typer.Option("--db", envvar="SALESCLI_DB", metavar="FILE", help="The database file (default: sales.db in the app directory), or a postgresql:// URL.", show_default=False),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    session.configure(db)


def main() -> None:
    """Run the app; a broken pipe ends quietly, Ctrl-C with status 130 unless the write is in."""
    signal.signal(signal.SIGINT, _interrupt)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(INTERRUPTED)
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
    finally:  # the command is over: Ctrl-C must not kill Python's shutdown, and change its status
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _interrupt(signum: int, frame: object) -> None:
    """Ctrl-C stops the command, and its write is rolled back; once that write has reached
    its commit, the command finishes instead and reports success, which is then the truth."""
    if not session.committed():
        raise KeyboardInterrupt


if __name__ == "__main__":
    main()
