"""`salescli import` and `salescli export`: records in and out as CSV (SPEC §7)."""

from __future__ import annotations

from contextlib import redirect_stdout
from pathlib import Path
from typing import Annotated, Optional

import typer

from salescli import output, parse, session
from salescli.commands.common import App
from salescli.errors import Invalid, SalesError, UsageError
from salescli.grammar import inflect, plural

ENTITY_HELP = "customers, deals, activities, targets, reps, products or payments."
PROGRESS_FROM_BYTES = 1 << 20  # files smaller than this finish before a bar is worth drawing
PROBLEMS_IN_DRY_RUN = 20
IMPORT_BACKUPS_KEPT = 3  # an import backs the database up first; older import backups are deleted
CALENDAR_DAYS = 90  # how far ahead `export calendar` looks by default
CALENDAR_DONE_DAYS = 30  # follow-ups done this recently are exported as cancelled


def register(app: App) -> None:
    """Attach `import` and `export` to the root app."""
    app.command("import")(import_)
    app.command("export")(export)


def import_(
    entity: Annotated[str, typer.Argument(help=ENTITY_HELP, show_default=False)],
    file: Annotated[Path, typer.Argument(help="The CSV file: UTF-8 (with or without BOM) or GB18030; `,` `;` or tab separated.", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file and say what would happen; write nothing.")] = False,
    on_conflict: Annotated[
        str, typer.Option("--on-conflict", help="When a row matches a record (by id or natural key): error, skip or update.")
    ] = "error",
    encoding: Annotated[
        Optional[str], typer.Option("--encoding", help="Read the file in this encoding (default: detected).", show_default=False)
    ] = None,
    mapping: Annotated[
        Optional[list[str]],
        typer.Option("--map", help='"Header=field": read a column the headers do not name (repeatable; "Header=" ignores it).', show_default=False),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid rows; write the others, with an error column, to FILE.rejects.csv.")
    ] = False,
    leads: Annotated[
        bool,
        typer.Option(
            "--leads",
            help="Customers: the rows are new leads (created now unless the file says when, an owner by the "
            "assignment rules, a first-contact task each). Without it, a customer with no created_at is an existing one.",
        ),
    ] = False,
    assign: Annotated[
        bool, typer.Option("--assign", help="Customers: give rows with an empty owner one by the assignment rules.")
    ] = False,
) -> None:
    """Import records from a CSV file: every row is checked first, and one bad row writes nothing.

    Before it writes, a database file is backed up next to itself (sales-import-YYYYMMDD-HHMMSS.db;
    the last 3 are kept), and `salescli undo` takes the whole import back.
    """
    from salescli.store import backup as backups
    from salescli.transfer import entities, importer

    spec = entities.entity(entity)
    job = importer.Import(
        spec, file, encoding=encoding, mapping=mapping or [], on_conflict=on_conflict, leads=leads, assign=assign
    )
    if job.layout.ignored:
        output.warn(
            f"ignoring {inflect(len(job.layout.ignored), 'column')} "
            f"{', '.join(repr(h) for h in job.layout.ignored)}: use --map \"Header=field\" to import one"
        )
    problems = _Problems(PROBLEMS_IN_DRY_RUN if dry_run else None)

    def backup() -> Path:
        try:
            copy = backups.copy(session.connection(), label="import", keep=IMPORT_BACKUPS_KEPT, check=False)
        except SalesError as error:
            raise SalesError(f"{error}; nothing was imported") from None
        output.message(f"Backed up the database to {copy}")
        return copy

    with output.progress(2 * job.source.size, enabled=job.source.size >= PROGRESS_FROM_BYTES) as progress:
        # the file is checked and the database backed up before the write lock is taken
        outcome = job.run(
            session.connection(create=not dry_run),
            problem=problems,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            before_write=None if session.on_server() else backup,
            writing=session.write,
            progress=progress,
        )
    problems.finish()
    invalid = plural(outcome.invalid, "row")
    if dry_run:
        verdict = f"; {invalid} {inflect(outcome.invalid, 'is')} invalid" if outcome.invalid else ""
        output.done(
            f"Dry run of {spec.name} from {file}: would create {outcome.created}, update {outcome.updated}, "
            f"skip {outcome.skipped}{verdict}. Nothing was written."
        )
        if outcome.invalid and not skip_invalid:
            raise Invalid(f"{invalid} would stop the import")
        return
    if outcome.invalid and not skip_invalid:
        valid = outcome.created + outcome.updated + outcome.skipped
        hint = f", or use --skip-invalid to import the {plural(valid, 'row')} that {inflect(valid, 'is')} valid" if valid else ""
        raise Invalid(
            f"{invalid} {inflect(outcome.invalid, 'is')} invalid, so nothing was written: correct "
            f"{inflect(outcome.invalid, 'it')}{hint}"
        )
    rejected = f"; {outcome.invalid} rejected, see {outcome.rejects}" if outcome.invalid else ""
    output.done(
        f"Imported {spec.name} from {file}: {outcome.created} created, {outcome.updated} updated, "
        f"{outcome.skipped} skipped{rejected}."
    )


class _Problems:
    """Says each problem on stderr as it is found; in a dry run only the first few."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.count = 0

    def __call__(self, line: str) -> None:
        self.count += 1
        if self.limit is None or self.count <= self.limit:
            output.message(line)

    def finish(self) -> None:
        if self.limit is not None and self.count > self.limit:
            output.message(f"… and {plural(self.count - self.limit, 'more problem')}")


def export(
    entity: Annotated[str, typer.Argument(help=ENTITY_HELP, show_default=False)],
    output_file: Annotated[
        Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.", show_default=False)
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="csv or json.")] = "csv",
    excel: Annotated[
        bool,
        typer.Option("--excel", help='CSV as Excel opens it: UTF-8 with a BOM, CRLF, "0123" and +86 phone numbers kept as text.'),
    ] = False,
    encoding: Annotated[
        Optional[str],
        typer.Option("--encoding", help="Write CSV in this encoding: utf-8 (default), utf-8-sig (with a BOM), gb18030, …", show_default=False),
    ] = None,
    owner: Annotated[
        Optional[str], typer.Option("--owner", "--rep", help="calendar: only this rep's follow-ups.", show_default=False)
    ] = None,
    days: Annotated[
        str, typer.Option("--days", metavar="N", help="calendar: follow-ups due up to N days ahead (and every overdue one).")
    ] = str(CALENDAR_DAYS),
) -> None:
    """Export every record of one kind, in the columns `import` reads back; or (`export calendar`) the open follow-ups as an iCalendar file.

    With --output the file is private (mode 0600) and appears only once complete; never the database.
    A text cell starting with = + - @ (a formula to a spreadsheet) is written with a ' before it; import takes it off.
    A calendar has one all-day event per open follow-up with a reminder at 09:00; importing a newer file updates the events (follow-ups done since are cancelled).
    """
    from salescli import files
    from salescli.store import backup as backups
    from salescli.transfer import entities, exporter

    if entity.strip().lower() in ("calendar", "ics"):
        _export_calendar(output_file, owner, days)
        return
    spec = entities.entity(entity)
    fmt = parse.parse_choice(fmt, ("csv", "json"), what="export format")
    if fmt == "json" and (excel or encoding):
        raise UsageError(f"{'--excel' if excel else '--encoding'} is for CSV: JSON is always UTF-8")
    if encoding is not None:
        encoding = parse.parse_encoding(encoding)
    columns, rows = exporter.export(session.connection(), spec, fmt)
    if output_file is None:
        output.render(rows, columns, fmt=fmt, excel=excel, encoding=encoding)
        return
    database = backups.database_file(session.connection())
    with files.writing(output_file, database=database, what="the export") as out, redirect_stdout(out):
        count = output.render(rows, columns, fmt=fmt, excel=excel, encoding=encoding)
    output.message(f"Exported {plural(count, spec.noun)} to {output_file}")


def _export_calendar(output_file: Path | None, owner: str | None, days: str) -> None:
    import datetime as dt
    import sys

    from salescli import ical
    from salescli.store import refs, reporting

    ahead = parse.parse_count(days, what="--days", minimum=0, maximum=parse.MAX_DAYS)
    today = parse.today()
    conn = session.connection()
    owner_id = refs.optional_rep_id(conn, owner)
    rows = reporting.calendar_activities(
        conn, today + dt.timedelta(days=ahead), today - dt.timedelta(days=CALENDAR_DONE_DAYS), owner_id
    )
    name = "salescli follow-ups" + (f" ({owner.strip().lower()})" if owner else "")
    data, count = ical.calendar(rows, name=name, now=parse.now())
    if output_file is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from salescli import files
    from salescli.store import backup as backups

    with files.writing(output_file, database=backups.database_file(conn), what="the calendar") as out:
        out.write(data.decode("utf-8"))
    output.message(f"Exported {plural(count, 'open follow-up')} to {output_file}")
