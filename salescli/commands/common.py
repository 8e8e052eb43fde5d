"""What every command module shares: the guarded Typer class and the common options."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sqlite3
import sys
from pathlib import PurePath
from typing import Annotated, Any, Callable, Optional

import typer
from typer.core import TyperCommand

from salescli import output, parse, session, store
from salescli.errors import INTERRUPTED, Damaged, Invalid, SalesError
from salescli.grammar import plural


def debugging() -> bool:
    return os.environ.get("SALESCLI_DEBUG", "") not in ("", "0")


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """The error boundary: a domain error becomes one ``Error: …`` line and an exit status.

    ``SALESCLI_DEBUG=1`` lets the traceback through for bug reports.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            _check_utf8(kwargs.values())
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            raise typer.Exit(INTERRUPTED) from None
        except (SalesError, sqlite3.DatabaseError) as error:
            failure = error if isinstance(error, SalesError) else _database_failure(error)
            if failure is None or debugging():
                raise
            output.error(str(failure))
            raise typer.Exit(failure.exit_code) from None

    return wrapper


def unless_unchanged(done: str, record: str) -> str:
    """What a write command says it did (``done``), or, if it changed nothing, that
    ``record`` already was so — it is not in the log, and ``undo`` would take back the
    command before it."""
    return done if session.changed() else f"{record} already was as asked: nothing changed"


def _check_utf8(arguments: Any) -> None:
    """Every argument (text, path, or a list of them) must be UTF-8, or it can be neither
    stored nor printed."""
    for value in arguments:
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, (str, PurePath)):
                parse.check_utf8(str(item))


def _database_failure(error: sqlite3.DatabaseError) -> SalesError | None:
    """What SQLite's error means for the user; None for one that is a bug (a broken
    constraint, ...), left to ``cli.main()``."""
    path = session.db_path()
    if store.is_damage(error):
        return Damaged(path, str(error))
    if store.is_busy(error):
        return SalesError(f"{path} is locked by another program ({error}): try again when it is done")
    if isinstance(error, sqlite3.OperationalError):
        return SalesError(f"the database {path} could not be used: {error}")
    return None


def stdin_isatty() -> bool:
    """Whether someone can answer a question (tests override this one function)."""
    return sys.stdin.isatty()


def confirm(question: str, *, yes: bool) -> None:
    """Go on only if ``yes`` (``--yes``) or a person at the terminal agrees; else fail,
    writing nothing. Never waits for an answer that cannot come (cron, pipes)."""
    if yes:
        return
    if not stdin_isatty():
        raise Invalid(f"{question.rstrip('?')}: not at a terminal to confirm, so nothing was done (add --yes)")
    try:
        agreed = typer.confirm(output.safe_text(question), default=False, err=True)
    except typer.Abort as abort:  # Ctrl-C is an interruption (130); the end of input, a no
        if isinstance(abort.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        agreed = False
    if not agreed:
        raise SalesError("cancelled: nothing was done")


def still_as_shown(what: str, shown: object, now: object) -> None:
    """Inside the write that follows a ``confirm``: the record, and what the question said
    about it, must be as they were shown. While the question waited, another process may
    have changed or deleted it (or undone it and added another); then nothing is done."""
    if now != shown:
        raise Invalid(
            f"{what} was changed or deleted while you were asked: nothing was deleted "
            "(run the command again to see it as it is now)"
        )


class Command(TyperCommand):
    """A command whose usage line and help name arguments and option values in capitals,
    as a person reads them: ``salescli deal win [OPTIONS] DEAL_ID``, ``--close CLOSE``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.metavar is None and param.name and not getattr(param, "is_flag", False):
                param.metavar = param.name.upper()

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument" and param.metavar:
                name = param.metavar + ("..." if param.nargs != 1 else "")
                pieces.append(name if param.required else f"[{name}]")
        return pieces


class App(typer.Typer):
    """A Typer app whose commands all pass through ``guarded``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("pretty_exceptions_enable", False)
        kwargs.setdefault("add_completion", False)
        kwargs.setdefault("rich_markup_mode", None)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        kwargs.setdefault("cls", Command)
        register = super().command(*args, **kwargs)

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            register(guarded(func))
            return func

        return decorator


def happened_on(text: str | None) -> dt.date:
    """When something happened (``--on``), default today; a date without a year is the
    last such date on or before today (on 2026-01-10, ``Dec 20`` is 2025-12-20)."""
    return parse.parse_date(text, looking=parse.BACK) if text is not None else parse.today()


def ahead(text: str) -> dt.date:
    """A date looked ahead to (due, expected close, reschedule); a date without a year is
    the next such date on or after today (on 2026-12-10, ``Jan 5`` is 2027-01-05)."""
    return parse.parse_date(text, looking=parse.AHEAD)


def warn_if_past(day: dt.date | None, what: str) -> None:
    """A due date or expected close before today is kept as given, with a warning."""
    if day is not None and day < parse.today():
        days = (parse.today() - day).days
        output.warn(f"{what} {day} is in the past ({plural(days, 'day')} ago)")


FormatOption = Annotated[
    Optional[str],
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="table, plain, csv, tsv, json or markdown (default: table on a terminal, plain when piped).",
        show_default=False,
    ),
]
LimitOption = Annotated[
    Optional[int],
    typer.Option(
        "--limit",
        min=1,
        max=parse.MAX_COUNT,
        show_default=False,
        help="Show this many rows (default: a table shows 50 and says how many more; other formats show all).",
    ),
]
WideOption = Annotated[
    bool,
    typer.Option(
        "--wide",
        help="Show every column in full, even when the table is wider than the terminal (table format only).",
    ),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet-if-empty", help="Print nothing at all when there is nothing to show (for cron).")
]
PeriodOption = Annotated[
    Optional[str],
    typer.Option("--period", "-p", help="2026, 2026-Q4, 2026-11, 2026-W48, this-month, last-quarter, …", show_default=False),
]
FromOption = Annotated[Optional[str], typer.Option("--from", help="Start date (with --to), inclusive.", show_default=False)]
ToOption = Annotated[Optional[str], typer.Option("--to", help="End date (with --from), inclusive.", show_default=False)]
OwnerOption = Annotated[Optional[str], typer.Option("--owner", help="Only this rep's (handle).", show_default=False)]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
CreatedOption = Annotated[
    Optional[str],
    typer.Option(
        "--created",
        help="When it really began, to type in existing work: 2026-10-01, -30d, 'Oct 1' (default: today).",
        show_default=False,
    ),
]
