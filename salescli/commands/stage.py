"""`salescli stage list|add|edit|delete`."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Optional

import typer

from salescli import output, parse, session
from salescli.commands.common import App, FormatOption, WideOption, unless_unchanged
from salescli.errors import UsageError
from salescli.output import Column
from salescli.store import refs, stages

app = App(help="Pipeline stages: their order, win probability and kind (open, won or lost).")

COLUMNS = [
    Column("name"),
    Column("position", kind="int"),
    Column("probability", kind="ratio"),
    Column("kind"),
    Column("deals", kind="int"),
    Column("amount", kind="money"),
]

NameArgument = Annotated[str, typer.Argument(help="The stage's name (a unique prefix will do).")]
AfterOption = Annotated[
    Optional[str], typer.Option("--after", help="Place it right after this stage.", show_default=False)
]
BeforeOption = Annotated[
    Optional[str], typer.Option("--before", help="Place it right before this stage.", show_default=False)
]


def _probability(text: str | None) -> int | None:
    return parse.parse_probability(text) if text is not None else None


def _placement(conn: sqlite3.Connection, after: str | None, before: str | None) -> dict[str, sqlite3.Row | None]:
    if after and before:
        raise UsageError("give --after or --before, not both")
    return {
        "after": refs.stage(conn, after) if after else None,
        "before": refs.stage(conn, before) if before else None,
    }


@app.command("list")
def list_(fmt: FormatOption = None, wide: WideOption = False) -> None:
    """List the stages in order, with the deals now in each and their value."""
    output.render(stages.listing(session.connection()), COLUMNS, fmt=fmt, wide=wide)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The new stage's name.")],
    probability: Annotated[
        Optional[str],
        typer.Option(
            "--probability", "-p",
            help="Chance a deal here is won: 40 or 40% (default 100 for won, 0 for lost stages).",
            show_default=False,
        ),
    ] = None,
    after: AfterOption = None,
    before: BeforeOption = None,
    kind: Annotated[str, typer.Option("--kind", help="open, won or lost.")] = "open",
) -> None:
    """Add a stage. Without --after/--before an open stage goes after the last open one,
    a won stage after the last won one, a lost stage at the end."""
    kind = parse.parse_choice(kind, stages.KINDS, what="stage kind")
    chance = _probability(probability)
    if chance is None:
        if kind == "open":
            raise UsageError("an open stage needs --probability (e.g. 40 for 40%)")
        chance = 100 if kind == "won" else 0
    with session.write() as conn:
        stage_id = stages.add(conn, name, probability=chance, kind=kind, **_placement(conn, after, before))
    output.created("stage", stage_id, name.strip())


@app.command("edit")
def edit(
    name: NameArgument,
    new_name: Annotated[Optional[str], typer.Option("--name", help="Rename it.", show_default=False)] = None,
    probability: Annotated[
        Optional[str], typer.Option("--probability", "-p", help="New chance of winning: 40 or 40%.", show_default=False)
    ] = None,
    after: AfterOption = None,
    before: BeforeOption = None,
) -> None:
    """Rename a stage, change its probability, or move it. Its kind cannot change: deals
    in it were opened or closed by it."""
    chance = _probability(probability)
    with session.write() as conn:
        stage = refs.stage(conn, name)
        stages.edit(conn, stage, name=new_name, probability=chance, **_placement(conn, after, before))
    changed = any(value is not None for value in (new_name, probability, after, before))
    shown = new_name or stage["name"]
    output.done(unless_unchanged(f"Updated stage {shown}", f"Stage {shown}") if changed else "Nothing to change.")


@app.command("delete")
def delete(name: NameArgument) -> None:
    """Delete a stage that no deal is in or has ever passed through (never the last open,
    won or lost stage)."""
    with session.write() as conn:
        stage = refs.stage(conn, name)
        stages.delete(conn, stage)
    output.done(f"Deleted stage {stage['name']}")
