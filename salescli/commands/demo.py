"""`salescli demo`: fill the file with a sample business, then show the headline reports."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from salescli import output, parse, session
from salescli.commands.common import App
from salescli.grammar import plural


def register(app: App) -> None:
    """Attach `demo` to the root app."""
    app.command("demo")(demo)


def demo(
    force: Annotated[
        bool, typer.Option("--force", help="Replace the records already in the file (stages and settings stay).")
    ] = False,
    customers: Annotated[
        Optional[int],
        typer.Option(
            "--customers",
            min=10,
            max=1_000_000,
            help="Build a larger business of N customers (2.5 N deals, 10 N activities), e.g. for benchmarks.",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Another seed gives another business.")] = 1,
) -> None:
    """Fill the file with a realistic sample business (dated relative to today), then show the headline reports."""
    from salescli import demo as sample
    from salescli.store import bulk

    shape = sample.SAMPLE if customers is None else sample.scaled(customers)
    conn = session.connection(create=True)
    with bulk.fast_writes(conn), session.write():
        created = sample.fill(conn, shape, seed=seed, today=parse.today(), replace=force)
    output.message(
        f"Demo business in {session.describe()}: {plural(created['rep'], 'rep')}, {plural(created['product'], 'product')}, "
        f"{plural(created['customer'], 'customer')}, {plural(created['deal'], 'deal')} "
        f"({plural(created['stage_history'], 'stage change')}), {plural(created['activity'], 'activity')} "
        f"({plural(created['open_followups'], 'open follow-up')}), {plural(created['payment'], 'payment')}, "
        f"{plural(created['target'], 'target')}."
    )
    show_headline_reports()


def show_headline_reports() -> None:
    """The three daily answers on the demo data: the funnel, the targets, the follow-ups due."""
    from salescli.commands import report_daily

    for show in (report_daily.funnel, report_daily.targets, report_daily.due):
        output.done("")
        show()
    output.message("\nExplore it: salescli customer list, salescli deal list --open, salescli report reps, … (salescli --help)")
