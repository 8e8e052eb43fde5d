"""An import, in one streaming pass over the file and one over what it found (SPEC §7).

1. **Check**: read every row, resolve its references and match it against the database a
   batch at a time, and report every problem as ``row N, column C: what is wrong``. Each
   valid row becomes its plan, the columns it writes (``Import._plan``), which goes to a
   temporary database attached to the connection (``store.Spool``); the keys that find
   duplicates inside the file are kept on disk too (``SeenKeys``), so memory stays flat.
   This pass takes no lock: other commands go on writing meanwhile.
2. **Write** (when nothing was wrong, or with ``--skip-invalid``): insert the new records
   from the spool with one ``INSERT … SELECT`` per batch (the file is not read or parsed
   again, and no row passes through Python again), then the updates, inside the caller's
   one transaction. If another command wrote to the database since
   the check began, the file is checked again first, under the write lock.

An import writes only what the file says: no first-contact follow-ups, no owner
assignment — unless asked: customers imported ``--leads`` are new leads (created now when
the file has no date, owners by the assignment rules, a first-contact task each), and
``--assign`` gives customers with an empty owner one by the assignment rules. A customer
imported without ``created_at`` (and not as a lead) is an existing customer: its
``created_at`` stays NULL, so it is new in no period and never uncontacted. A customer
whose owner changes hands its open work to the new owner, as ``customer edit`` does.
Matching is by ``id``, else by natural key (customer name, rep handle, product sku,
target metric + period + rep); deals, activities and payments by id only.
"""

from __future__ import annotations

import csv
import gc
import json
import sqlite3
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import count, islice
from pathlib import Path
from typing import Any, TypeVar

from salescli import files, parse
from salescli.errors import Invalid, UsageError
from salescli.grammar import plural
from salescli.output import csv_safe, csv_text
from salescli.store import backup as backups
from salescli.store import bulk, dialect
from salescli.store import customers, history, reps
from salescli.store import deals as deal_rules
from salescli.store import transfer as store
from salescli.transfer import records
from salescli.transfer.entities import CUSTOM_FIELD_PREFIX, JSON, Entity, read_text
from salescli.transfer.reading import Source, normalise
from salescli.transfer.records import Context, Row

BATCH = 2000  # rows checked at a time
WRITE_BATCH = 5000  # rows written at a time: fewer, bigger statements (``store.Spool.insert``)
REJECTS_COLUMN = "error"  # what FILE.rejects.csv adds: ignored when it is imported again, corrected
CONFLICT_MODES = ("error", "skip", "update")
_MAYBE_QUOTED = frozenset("'=")  # the first characters of the cells csv_text changes

Progress = Callable[[str, int], None]  # (what is happening, bytes done of twice the file's size)
T = TypeVar("T")


def parse_mapping(entity: Entity, pairs: Iterable[str]) -> dict[str, tuple[str, str]]:
    """``--map "Header=field"`` options → {normalised header: (header, field)}; an empty
    field ignores the column."""
    fields = {normalise(f.name): f.name for f in entity.fields}
    mapping: dict[str, tuple[str, str]] = {}
    for pair in pairs:
        header, sep, name = pair.rpartition("=")
        if not sep or not header.strip():
            raise UsageError(f"--map '{pair}' is not \"Header=field\"")
        name = name.strip()
        if entity.custom_fields and name.lower().startswith(CUSTOM_FIELD_PREFIX) and name[len(CUSTOM_FIELD_PREFIX):].strip():
            target = CUSTOM_FIELD_PREFIX + name[len(CUSTOM_FIELD_PREFIX):].strip()
        elif not name:
            target = ""
        elif normalise(name) in fields:
            target = fields[normalise(name)]
        else:
            extra = f", or {CUSTOM_FIELD_PREFIX}KEY for a custom field" if entity.custom_fields else ""
            raise UsageError(
                f"--map '{pair}': {entity.noun}s have no field '{name}'; the fields are "
                f"{', '.join(f.name for f in entity.fields)}{extra} (an empty field ignores the column)"
            )
        mapping[normalise(header)] = (header.strip(), target)
    return mapping


@dataclass
class Layout:
    """Which column of the file is which field."""

    columns: list[tuple[int, str, Callable[[str], Any], bool]]  # index, field, reader, required
    headers: dict[str, str]  # field → the header as the file writes it
    ignored: list[str]
    width: int

    def header(self, name: str) -> str:
        return self.headers.get(name, name)


def layout(source: Source, entity: Entity, mapping: dict[str, tuple[str, str]]) -> Layout:
    columns: list[tuple[int, str, Callable[[str], Any], bool]] = []
    headers: dict[str, str] = {}
    ignored: list[str] = []
    unused = dict(mapping)
    for index, header in enumerate(source.header):
        key = normalise(header)
        if key in mapping:
            unused.pop(key, None)
            name: str | None = mapping[key][1]
        else:
            name = entity.field_for(header)
        if not name:
            if header and key not in mapping and key != REJECTS_COLUMN:
                ignored.append(header)
            continue
        if name in headers:
            raise Invalid(
                f"columns '{headers[name]}' and '{header}' both mean {name}: "
                f"say which with --map \"{header}=\" (an empty field ignores a column)"
            )
        headers[name] = header
        spec = entity.by_field.get(name)
        reader = spec.read if spec else read_text
        columns.append((index, name, reader, bool(spec and spec.required)))
    if unused:
        names = ", ".join(repr(header) for header, _ in unused.values())
        raise UsageError(f"--map names a column the file does not have: {names}")
    missing = [name for name in entity.required if name not in headers]
    if missing:
        shown = ", ".join(source.header)
        raise Invalid(
            f"{source.path} has no column for {', '.join(missing)} (its columns are: {shown}); "
            f"name one with --map \"Header={missing[0]}\""
        )
    return Layout(columns, headers, ignored, len(source.header))


@dataclass
class Outcome:
    """What an import did, or (dry run) would do."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    invalid: int = 0  # rows with a problem (rejected, with --skip-invalid)
    rejects: Path | None = None
    backup: Path | None = None
    max_id: int = 0
    invalid_rows: list[int] = field(default_factory=list)  # their numbers

    @property
    def writes(self) -> int:
        return self.created + self.updated


class Import:
    """One import of one file into one entity."""

    def __init__(
        self,
        entity: Entity,
        path: Path,
        *,
        encoding: str | None = None,
        mapping: Iterable[str] = (),
        on_conflict: str = "error",
        leads: bool = False,
        assign: bool = False,
    ) -> None:
        if (leads or assign) and entity.name != "customers":
            raise UsageError(f"--leads and --assign are for importing customers, not {entity.name}")
        self.entity = entity
        self.leads = leads
        self.assign = assign or leads
        self.on_conflict = parse.parse_choice(on_conflict, CONFLICT_MODES, what="--on-conflict mode")
        self.mapping = parse_mapping(entity, mapping)
        self.source = Source.open(Path(path), encoding)
        self.layout = layout(self.source, entity, self.mapping)
        self.present = {name for _, name, _, _ in self.layout.columns}
        self.refs = [(f.name, f.ref) for f in entity.fields if f.ref and f.name in self.present]
        self.shape = records.Shape(entity, self.present)

    @property
    def rejects_path(self) -> Path:
        return self.source.path.with_name(self.source.path.name + ".rejects.csv")

    # ------------------------------------------------------------ the two passes

    def run(
        self,
        conn: sqlite3.Connection,
        *,
        problem: Callable[[str], None],
        dry_run: bool = False,
        skip_invalid: bool = False,
        before_write: Callable[[], Path] | None = None,
        writing: Callable[[], AbstractContextManager[sqlite3.Connection]] | None = None,
        progress: Progress | None = None,
    ) -> Outcome:
        """Check the whole file against ``conn``, taking no lock; then (unless a dry run,
        or rows are invalid without ``skip_invalid``) call ``before_write`` and write inside
        ``writing()``, the command's transaction. ``problem`` hears every problem.

        If another command wrote since the check began, the file is checked again once the
        write lock is held, against the database as it is then (``check_again``); the
        outcome counts what was written."""
        version = dialect.data_version(conn)  # before the check reads anything
        ctx = Context(now=parse.timestamp(), today=parse.today().isoformat(), stages=store.stages(conn), leads=self.leads)
        with ExitStack() as stack:  # the rejects file appears only if the whole import succeeds
            stack.enter_context(_without_cycle_collection())
            rejects = stack.enter_context(_Rejects(self, backups.database_file(conn))) if skip_invalid and not dry_run else None
            spool = None if dry_run or writing is None else _spool(stack, conn)
            outcome = self.check(conn, ctx, problem=problem, rejects=rejects, spool=spool, progress=progress)
            if spool is None or (outcome.invalid and not skip_invalid):
                return outcome
            if outcome.writes and before_write is not None:
                outcome.backup = before_write()
            with bulk.roomy_writes(conn), writing() as conn:
                if dialect.data_version(conn) != version:
                    spool.clear()
                    outcome = self.check_again(conn, replace(ctx, stages=store.stages(conn)), outcome, spool)
                self.write(conn, outcome, spool, progress=progress)
        return outcome

    def check(
        self,
        conn: sqlite3.Connection,
        ctx: Context,
        *,
        problem: Callable[[str], None],
        rejects: _Rejects | None = None,
        spool: store.Spool | None = None,
        progress: Progress | None = None,
        again: Container[int] | None = None,
    ) -> Outcome:
        """Check every row; the valid ones that create or update a record go to ``spool``,
        ready to write (``_plan``). ``again``: the rows that were invalid when the file was
        checked before (``check_again``): they are left out, and a row that is invalid
        only now stops the import."""
        outcome = Outcome()
        ctx = replace(ctx, paid={}, left_out=again or ())  # paid: what this check has let through so far
        fresh = count()  # numbers the new records without an id, which get ids in this order
        seen = store.SeenKeys()
        owners = reps.Assigner(conn) if self.assign and spool is not None else None
        try:
            for rows in self._batches(conn, ctx, progress):
                _check_duplicates(self.entity, rows, seen)
                planned: dict[str, list[tuple[Any, ...]]] = {"create": [], "update": []}
                names: dict[str, Iterable[str]] = {}
                for row in rows:
                    identifier = row.values.get("id")
                    if identifier is not None and identifier > outcome.max_id:
                        outcome.max_id = identifier
                    if again is not None and row.number in again:
                        continue
                    if row.errors and again is not None:  # another command wrote, e.g. a customer of the same name
                        raise Invalid(
                            f"{self._describe(row)[0]}: the database changed while the file was being checked, "
                            "so nothing was written; run the import again"
                        )
                    if row.errors:
                        outcome.invalid += 1
                        outcome.invalid_rows.append(row.number)
                        for line in self._describe(row):
                            problem(line)
                        if rejects is not None:
                            outcome.rejects = rejects.add(row, self._describe(row, with_row=False))
                        continue
                    if row.action == "create":
                        outcome.created += 1
                    elif row.action == "update":
                        outcome.updated += 1
                    else:
                        outcome.skipped += 1
                        continue
                    if spool is not None:
                        columns, extra, rebuilds = self._plan(row, ctx, owners)
                        key = row.match if row.action == "update" else next(fresh) if columns["id"] is None else None
                        planned[row.action].append((key, extra, rebuilds, *columns.values()))
                        names.setdefault(row.action, columns.keys())
                if spool is not None:
                    for action, plans in planned.items():
                        spool.add(action, list(names.get(action, ())), plans)
        finally:
            seen.close()
        return outcome

    def check_again(self, conn: sqlite3.Connection, ctx: Context, first: Outcome, spool: store.Spool) -> Outcome:
        """Another command wrote while the file was being checked: check it again, now
        that the write lock is held, into ``spool`` (emptied). The rows invalid the first time
        stay out (the rejects file has them); a row that has become invalid stops the import."""
        outcome = self.check(conn, ctx, problem=lambda line: None, spool=spool, again=set(first.invalid_rows))
        return replace(outcome, invalid=first.invalid, invalid_rows=first.invalid_rows, rejects=first.rejects, backup=first.backup)

    def write(self, conn: sqlite3.Connection, outcome: Outcome, spool: store.Spool, *, progress: Progress | None = None) -> None:
        """Write the rows ``check`` planned into ``spool``, ``WRITE_BATCH`` at a time: the
        new records, straight from the spool, which get ids above any used before, in the
        file's order (unless the file gives them one); then the updates; then the new
        records' tags or stage history (after the updates' own, whose ids are lower, so
        that those new ones stay in one range for ``undo``)."""
        entity = self.entity
        next_id = max(history.range_floor(conn, entity.table), outcome.max_id) + 1  # never an id used before
        created, total = spool.counts["create"], sum(spool.counts.values())
        report = (lambda done: progress("Importing", int(self.source.size * (1 + done / total)))) if progress else None
        with _NewRows(conn) as new_rows:
            chunks = [(first, min(first + WRITE_BATCH - 1, created)) for first in range(1, created + 1, WRITE_BATCH)]
            try:
                for first, last in chunks:
                    self._create(conn, spool, new_rows, next_id, first, last)
                    if report:
                        report(last)
                for first in range(1, spool.counts["update"] + 1, WRITE_BATCH):
                    plans = spool.rows("update", first, first + WRITE_BATCH - 1)
                    self._update(conn, spool.columns["update"], plans, new_rows)
                    if report:
                        report(created + first - 1 + len(plans))
                for first, last in chunks:
                    self._create_extras(spool, new_rows, next_id, first, last)
            except sqlite3.IntegrityError as error:
                raise Invalid(f"the file clashes with records already in the database ({error}): nothing was written") from None

    def _create(self, conn: sqlite3.Connection, spool: store.Spool, new_rows: _NewRows, next_id: int, first: int, last: int) -> None:
        """The new records planned ``first`` to ``last`` and (``--leads``) their first-contact tasks."""
        table = self.entity.table
        for ids in new_rows.ranges(table, *spool.new_ids(next_id, first, last)):
            spool.insert(table, next_id, first, last, ids)
        if self.leads:
            new_rows.open("activity")  # new ids, given by SQLite: always above the largest
            names = spool.columns["create"]
            store.plan_first_contacts(conn, spool.first_contacts(next_id, first, last, names.index("owner_id"), names.index("created_at")))

    def _create_extras(self, spool: store.Spool, new_rows: _NewRows, next_id: int, first: int, last: int) -> None:
        """The tags or stage history of the new records planned ``first`` to ``last``."""
        if self.entity.name == "customers" and "tags" in self.present:
            for ids in new_rows.ranges("customer_tag", *spool.new_ids(next_id, first, last, extra=True)):  # ranges of customer ids
                spool.insert_extras("customer_tag", next_id, first, last, ids)
        elif self.entity.name == "deals" and spool.new_ids(next_id, first, last, extra=True)[0] is not None:
            new_rows.open("stage_history")  # new ids, given by SQLite: always above the largest
            spool.insert_extras("stage_history", next_id, first, last, (0, parse.MAX_ID))

    def _update(self, conn: sqlite3.Connection, names: Sequence[str], plans: list[tuple[Any, ...]], new_rows: _NewRows) -> None:
        """Updates as planned: ``(id, extra, rebuilds, *values of names)``."""
        entity = self.entity
        if entity.name == "customers" and "owner" in self.present:
            owner = 3 + names.index("owner_id")
            customers.hand_over(conn, [(plan[0], plan[owner]) for plan in plans])
        store.update_rows(conn, entity.table, names, [(*plan[3:], plan[0]) for plan in plans], keep_if_empty=records.KEEP_IF_EMPTY[entity.name])
        if entity.name == "customers" and "tags" in self.present:
            store.clear_tags(conn, [plan[0] for plan in plans])  # the file's tags replace theirs
            pairs = [(plan[0], tag) for plan in plans if plan[1] for tag in json.loads(plan[1])]
            for group in new_rows.groups("customer_tag", pairs, key=lambda pair: pair[0]):  # ranges of customer ids
                store.add_tags(conn, group)
        if entity.name == "deals":
            store.clear_stage_history(conn, [plan[0] for plan in plans if plan[2]])
            entries = [(plan[0], *entry) for plan in plans if plan[1] for entry in json.loads(plan[1])]
            if entries:
                new_rows.open("stage_history")  # new ids, given by SQLite: always above the largest
                store.add_stage_history(conn, entries)

    def _plan(self, row: Row, ctx: Context, owners: reps.Assigner | None) -> tuple[dict[str, Any], str | None, bool]:
        """What writing a checked row takes: its columns (a new record's id None unless the
        file gives it), its extra as JSON (a customer's tags, when the file has a tags
        column: they replace its own; a deal's stage history, ``[stage id, day entered]``
        pairs), and whether an updated deal's old history goes (``records.rebuilds_history``)."""
        creating = row.action == "create"
        columns = self._columns(row, ctx, owners, creating=creating)
        if self.entity.name == "customers" and "tags" in self.present:
            tags = row.values.get("tags")
            return columns, JSON.encode(tags) if tags else None, False
        if self.entity.name == "deals":
            entries = records.stage_history(row, ctx, creating=creating)
            return columns, JSON.encode(entries) if entries else None, not creating and records.rebuilds_history(row)
        return columns, None, False

    def _columns(self, row: Row, ctx: Context, owners: reps.Assigner | None, *, creating: bool) -> dict[str, Any]:
        """The row's database columns; with ``--assign`` (or ``--leads``), a customer left
        without an owner gets one by the assignment rules."""
        columns = self.shape.columns(row, ctx, creating=creating)
        if owners is not None and columns.get("owner_id", 0) is None:
            columns["owner_id"] = owners.choose(row.values.get("region"), row.values.get("industry"))
        elif owners is not None and creating:
            owners.took(columns["owner_id"])
        return columns

    # ------------------------------------------------------------ one batch at a time

    def _batches(self, conn: sqlite3.Connection, ctx: Context, progress: Progress | None) -> Iterator[list[Row]]:
        """The file's rows, read, resolved and matched, ``BATCH`` at a time."""
        report = (lambda done: progress("Checking", done)) if progress else None
        lines = self.source.rows(report)
        while batch := list(islice(lines, BATCH)):
            rows = [self._read(number, cells) for number, cells in batch]
            self._checked(conn, ctx, rows)
            yield rows

    def _checked(self, conn: sqlite3.Connection, ctx: Context, rows: list[Row]) -> None:
        """Resolve, check and match rows as read."""
        self._resolve(conn, ctx, rows)
        for row in rows:
            records.check(self.entity.name, row, ctx)
        self._match(conn, rows)
        if self.entity.name == "payments":
            _within_balances(conn, ctx, rows)
        elif self.entity.name == "deals":
            _keeping_payments(conn, rows)

    def _read(self, number: int, cells: list[str]) -> Row:
        row = Row(number, cells)
        values = row.values
        width = len(cells)
        if width > self.layout.width and any(c.strip() for c in cells[self.layout.width:]):
            row.fail("", f"has {plural(width, 'cell')} but the header has {plural(self.layout.width, 'column')}")
        for index, name, reader, required in self.layout.columns:
            text = cells[index].strip() if index < width else ""
            if text[:1] in _MAYBE_QUOTED:  # written by csv_safe: a ' or an Excel ="…" to take off
                text = csv_text(text)
            if not text:
                values[name] = None
                if required:
                    row.fail(name, "a value is required")
                continue
            if reader is read_text:
                values[name] = text
                continue
            try:
                values[name] = reader(text)
            except UsageError as error:
                values[name] = None
                row.fail(name, str(error).strip())
        return row

    def _resolve(self, conn: sqlite3.Connection, ctx: Context, rows: list[Row]) -> None:
        for name, kind in self.refs:
            texts = {row.values[name] for row in rows if row.values.get(name) is not None}
            if not texts:
                continue
            found, unknown = _lookup(conn, ctx, kind, texts)
            for row in rows:
                text = row.values.get(name)
                if text is None:
                    continue
                ref = found.get(text)
                if ref is None:
                    row.fail(name, unknown(text))
                else:
                    row.refs[name] = ref

    def _match(self, conn: sqlite3.Connection, rows: list[Row]) -> None:
        entity = self.entity
        candidates = [row for row in rows if not row.errors]
        ids = [row.values["id"] for row in candidates if row.values.get("id") is not None]
        deals = store.deals_by_id(conn, ids) if entity.name == "deals" else {}
        existing = set(deals) if entity.name == "deals" else store.existing_ids(conn, entity.table, ids)
        for row in rows:
            row.key = records.natural_key(entity.name, row)
        owners = _key_owners(conn, entity.name, [row.key for row in candidates if row.key is not None])
        for row in candidates:
            identifier, key = row.values.get("id"), row.key
            owner = owners.get(key) if key is not None else None
            by = "id"
            if identifier is not None and identifier in existing:
                row.match = identifier
                row.existing = deals.get(identifier, {})
                if owner not in (None, identifier) and self.on_conflict == "update":
                    row.fail(entity.key or "id", f"{entity.noun} #{owner} already has this {entity.key}")
                    continue
            elif owner is not None:
                if identifier is not None:
                    row.fail(entity.key or "id", f"this {entity.key} belongs to {entity.noun} #{owner}, not #{identifier}")
                    continue
                row.match, by = owner, entity.key or "id"
            if row.match is None:
                row.action = "create"
                if identifier is not None and identifier > parse.MAX_GIVEN_ID:
                    row.fail("id", f"a new {entity.noun}'s id must be at most {parse.MAX_GIVEN_ID:,}, not {identifier:,}")
            elif self.on_conflict == "error":
                row.fail(by, f"{entity.noun} #{row.match} already exists (use --on-conflict skip or update)")
            else:
                row.action = self.on_conflict

    # ------------------------------------------------------------ problems

    def _describe(self, row: Row, *, with_row: bool = True) -> list[str]:
        lines = []
        for name, message in row.errors:
            where = f"column {self.layout.header(name)}" if name else ""
            prefix = f"row {row.number}" if with_row else ""
            lines.append(", ".join(p for p in (prefix, where) if p) + f": {message}")
        return lines


def _within_balances(conn: sqlite3.Connection, ctx: Context, rows: list[Row]) -> None:
    """Payments as ``deal pay`` takes them (``deals.payment_refused``): more than zero, not
    before the deal was won, never more than it has outstanding — after the rows before
    them in the file, and without what a payment this row updates had."""
    writing = [row for row in rows if not row.errors and row.action in ("create", "update") and row.number not in ctx.left_out]
    replaced = store.payments_by_id(conn, [row.match for row in writing if row.action == "update"])
    deals = {row.refs["deal"]["id"] for row in writing} | {deal for deal, _ in replaced.values()}
    ctx.paid.update(store.paid_by_deal(conn, deals - ctx.paid.keys()))
    money = partial(deal_rules.money, conn)
    for row in writing:
        deal, amount = row.refs["deal"], row.values["amount"]
        before = replaced.get(row.match) if row.action == "update" else None
        if before is not None:
            ctx.paid[before[0]] -= before[1]
        refused = deal_rules.payment_refused(deal, amount, row.values["paid_on"], deal["amount"] - ctx.paid[deal["id"]], money)
        if refused:
            row.fail(*refused)
            if before is not None:
                ctx.paid[before[0]] += before[1]
        else:
            ctx.paid[deal["id"]] += amount


def _keeping_payments(conn: sqlite3.Connection, rows: list[Row]) -> None:
    """A deal with payments stays won, at no less than has been paid against it (as
    ``deal move`` and ``deal edit`` keep it)."""
    updating = [row for row in rows if not row.errors and row.action == "update"]
    received = store.paid_by_deal(conn, [row.match for row in updating])
    money = partial(deal_rules.money, conn)
    for row in updating:
        if not (paid := received[row.match]):
            continue
        stage, amount = row.refs.get("stage"), row.values.get("amount")
        if stage is not None and stage["kind"] != "won":
            row.fail("stage", deal_rules.stays_won(row.match, money(paid)))
        if amount is not None and amount < paid:
            row.fail("amount", deal_rules.amount_below_paid(row.match, money(paid)))


def _lookup(
    conn: sqlite3.Connection, ctx: Context, kind: str, texts: set[str]
) -> tuple[dict[str, dict[str, Any]], Callable[[str], str]]:
    """References named in a batch → their records, and how to say one is unknown."""
    if kind == "rep":
        handles = store.reps_by_handle(conn, texts)
        found = {t: {"id": handles[t.lower()]} for t in texts if t.lower() in handles}
        return found, lambda t: f"no rep '{t}' (add it with 'salescli rep add', or import reps first)"
    if kind == "product":
        skus = {parse.nocase(k): v for k, v in store.ids_by_nocase(conn, "product", "sku", texts).items()}
        return {t: {"id": skus[parse.nocase(t)]} for t in texts if parse.nocase(t) in skus}, lambda t: f"no product with sku '{t}'"
    if kind == "stage":
        stages = {parse.nocase(s["name"]): s for s in ctx.stages}
        names = ", ".join(s["name"] for s in ctx.stages)
        return {t: stages[parse.nocase(t)] for t in texts if parse.nocase(t) in stages}, lambda t: f"no stage '{t}': the stages are {names}"
    if kind == "customer":
        names = {parse.nocase(k): v for k, v in store.ids_by_nocase(conn, "customer", "name", texts).items()}
        found = {t: {"id": names[parse.nocase(t)]} for t in texts if parse.nocase(t) in names}
        numbers = _id_numbers(t for t in texts if t not in found)
        known = store.existing_ids(conn, "customer", numbers.values())
        found.update({t: {"id": n} for t, n in numbers.items() if n in known})
        return found, lambda t: f"no customer '{t}' (import customers first, or correct the name)"
    numbers = _id_numbers(texts)
    deals = store.deals_by_id(conn, numbers.values())
    found = {t: deals[n] for t, n in numbers.items() if n in deals}
    return found, lambda t: f"no deal with id {t}" if t.lstrip("#").isdigit() else f"'{t}' is not a deal id"


def _id_numbers(texts: Iterable[str]) -> dict[str, int]:
    """The references that are ids (``12``, ``#12``) → the id each names."""
    numbers = {text: parse.id_number(text.lstrip("#")) for text in texts}
    return {text: number for text, number in numbers.items() if number is not None}


def _key_owners(conn: sqlite3.Connection, entity: str, keys: list[Any]) -> dict[Any, int]:
    """Natural key → id of the record that has it already."""
    if not keys:
        return {}
    if entity == "customers":
        return {parse.nocase(k): v for k, v in store.ids_by_nocase(conn, "customer", "name", keys).items()}
    if entity == "products":
        return {parse.nocase(k): v for k, v in store.ids_by_nocase(conn, "product", "sku", keys).items()}
    if entity == "reps":
        return store.reps_by_handle(conn, keys)
    if entity == "targets":
        return store.target_ids(conn, keys)
    return {}


def _check_duplicates(entity: Entity, rows: list[Row], seen: store.SeenKeys) -> None:
    """Report a row whose id, natural key or matched record an earlier row has too."""
    keys: dict[int, list[tuple[str, str, str]]] = {}  # row number → (column, key, what a repeat means)
    for row in rows:
        mine = keys[row.number] = []
        identifier = row.values.get("id")
        if identifier is not None:
            mine.append(("id", f"id:{identifier}", "duplicates row {}"))
        if row.key is not None:
            key = "\x1f".join(map(str, row.key)) if isinstance(row.key, tuple) else row.key
            mine.append((entity.key or "id", f"key:{key}", "duplicates row {}"))
        if row.match is not None:
            column = "id" if identifier is not None else entity.key or "id"
            mine.append((column, f"match:{row.match}", f"is the same {entity.noun} (#{row.match}) as row {{}}"))
    firsts = seen.first_rows([(key, number) for number, mine in keys.items() for _, key, _ in mine])
    if not firsts:
        return
    for row in rows:
        for column, key, message in keys[row.number]:
            first = firsts.get(key, row.number)
            if first != row.number:
                row.fail(column, message.format(first))
                break


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused: an import makes millions of small dicts,
    lists and tuples (rows, values, plans), which set it off over and over to find no
    cycles, for they hold only plain values: 7 % of the CPU time of a 100,000-row import.
    Reference counting still frees each batch as soon as it is done with."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _spool(stack: ExitStack, conn: sqlite3.Connection) -> store.Spool:
    """A spool on ``conn``, detached when ``stack`` closes."""
    spool = store.Spool(conn)
    stack.callback(spool.close)
    return spool


class _NewRows:
    """The rows an import creates, recorded for ``undo`` as ranges of ids (``history.bulk_inserts``)
    instead of one captured change per row, which would cost as much again as the inserts.

    A table's range stays open from its first insert to the end of the import (one record
    for the whole file), except around rows at or below the largest id the range started
    above (a file's own ids, tags of an existing customer): history needs those captured
    one by one, so the range is closed for them and a new one opened after.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.open_ranges: dict[str, tuple[ExitStack, int]] = {}  # table → (its open block, the id it started above)

    def __enter__(self) -> _NewRows:
        return self

    def __exit__(self, *error: Any) -> None:
        while self.open_ranges:
            self.open_ranges.popitem()[1][0].__exit__(*error)

    def ranges(self, table: str, lowest: int | None, highest: int | None) -> Iterator[tuple[int, int]]:
        """For rows with ids ``lowest`` to ``highest`` (None: no rows), the bounds of the
        ids to insert one after the other: those at or below the floor with the range
        closed, then the others with it open."""
        if lowest is None or highest is None:
            return
        floor = self.open_ranges[table][1] if table in self.open_ranges else history.range_floor(self.conn, table)
        if lowest <= floor:
            self._close(table)
            floor = history.range_floor(self.conn, table)  # where the next range starts
            yield lowest, floor
        if highest > floor:
            self.open(table)
            yield floor + 1, highest

    def groups(self, table: str, items: list[T], key: Callable[[T], int]) -> Iterator[list[T]]:
        """``items`` (rows to insert, ``key`` giving each one's id) in the groups to insert
        one after the other (``ranges``)."""
        ids = list(map(key, items))
        for low, high in self.ranges(table, min(ids, default=None), max(ids, default=None)):
            yield [item for item, identifier in zip(items, ids) if low <= identifier <= high]

    def open(self, table: str) -> None:
        """Record the table's next inserts (ids above its largest) as a range."""
        if table not in self.open_ranges:
            block = ExitStack()
            self.open_ranges[table] = (block, block.enter_context(history.bulk_inserts(self.conn, table)))

    def _close(self, table: str) -> None:
        if table in self.open_ranges:
            self.open_ranges.pop(table)[0].close()


class _Rejects(ExitStack):
    """``FILE.rejects.csv``: the rejected rows as they were, plus an ``error`` column;
    written in the file's own encoding and delimiter, created only if a row is rejected,
    and put in place when the block ends without an error."""

    def __init__(self, job: Import, database: Path) -> None:
        super().__init__()
        self.job = job
        self.database = database
        self.writer: Any = None

    def add(self, row: Row, problems: list[str]) -> Path:
        """Write ``row`` with its problems; returns the file's path."""
        source = self.job.source
        if self.writer is None:
            out = self.enter_context(
                files.writing(
                    self.job.rejects_path, database=self.database, what="the rejected rows", encoding=source.encoding, errors="replace"
                )
            )
            self.writer = csv.writer(out, delimiter=source.delimiter, lineterminator="\r\n")
            self.writer.writerow([*source.header, REJECTS_COLUMN])
        cells = (row.cells + [""] * len(source.header))[: max(len(source.header), len(row.cells))]
        # A cell as it was, unless a spreadsheet would run it as a formula (import reads both the same).
        cells = [cell if csv_text(cell) != cell else csv_safe(cell) for cell in cells]
        self.writer.writerow([*cells, csv_safe("; ".join(problems))])
        return self.job.rejects_path
