"""`salescli customer add|list|show|edit|delete|merge|duplicates`."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from salescli import output, parse, session
from salescli.commands import report_analysis
from salescli.commands.common import (
    App,
    CreatedOption,
    FormatOption,
    LimitOption,
    OwnerOption,
    WideOption,
    YesOption,
    confirm,
    happened_on,
    still_as_shown,
    unless_unchanged,
)
from salescli.grammar import plural
from salescli.output import Column
from salescli.store import customers, refs

app = App(help="Customers: who you sell to, their owner, tags, deals and follow-ups.")

COLUMNS = [
    Column("id", kind="id", priority=1),
    Column("name", priority=1),
    Column("company"),
    Column("title"),
    Column("contact", priority=3),
    Column("phone"),
    Column("email"),
    Column("industry"),
    Column("region"),
    Column("size"),
    Column("source", priority=3),
    Column("tier", priority=3),
    Column("tags", kind="list", priority=3),
    Column("owner"),
    Column("credit_limit", "credit limit", kind="money"),
    Column("notes", priority=3),
    Column("fields", kind="object", priority=3),
    Column("created_at", "created", priority=3),
    Column("updated_at", "updated", priority=3),
]
# What a human-readable listing shows; csv, tsv and json carry every column.
TABLE_COLUMNS = [
    c for c in COLUMNS if c.key in ("id", "name", "company", "contact", "phone", "tier", "tags", "owner", "source")
]
DEAL_COLUMNS = [
    Column("id", kind="id"),
    Column("title"),
    Column("stage", tone=output.tones("kind", won="good", lost="bad")),
    Column("amount", kind="money"),
    Column("expected_close", "expected close"),
    Column("owner"),
]
ACTIVITY_COLUMNS = [
    Column("id", kind="id"),
    Column("done_at", "date"),
    Column("type"),
    Column("summary"),
    Column("owner"),
    Column("score", kind="int"),
]
FOLLOW_UP_COLUMNS = [
    Column("id", kind="id"),
    Column("due"),
    Column("type"),
    Column("summary"),
    Column("owner"),
    Column("days_overdue", "days overdue", kind="int", tone=lambda row: "bad" if row["days_overdue"] else None),
]
SUMMARY_COLUMNS = [
    Column("open_pipeline", "open pipeline", kind="money"),
    Column("won_revenue", "won revenue", kind="money"),
    Column("last_contact", "last contact"),
]
DUPLICATE_COLUMNS = [
    Column("group", kind="int"),
    Column("reason"),
    Column("id", kind="id"),
    Column("name"),
    Column("phone"),
    Column("email"),
    Column("owner"),
]


def _option(flag: str, help: str) -> Any:
    return typer.Option(flag, help=help, show_default=False)


def _text(flag: str, help: str) -> Any:
    return Annotated[Optional[str], _option(flag, help)]


CompanyOption = _text("--company", "Company name.")
TitleOption = _text("--title", "The contact's job title.")
ContactOption = _text("--contact", "The person to talk to.")
PhoneOption = _text("--phone", "Phone number.")
EmailOption = _text("--email", "E-mail address.")
IndustryOption = _text("--industry", "Industry (also used to assign an owner).")
RegionOption = _text("--region", "Region (also used to assign an owner).")
SizeOption = _text("--size", "Company size, e.g. 1-10, 50-200.")
SourceOption = _text("--source", "Where the customer came from: referral, web, ads, event, cold-call, partner, …")
TierOption = _text("--tier", "Value tier: A, B or C.")
OwnerRefOption = _text("--owner", "The owning rep (handle); '' for none.")
CreditOption = _text("--credit-limit", "Credit limit, e.g. 50k.")
NoteOption = _text("--note", "Notes.")
TagOption = Annotated[Optional[list[str]], _option("--tag", "A tag (repeatable).")]
FieldOption = Annotated[
    Optional[list[str]],
    typer.Option("--field", help="A custom field KEY=VALUE (repeatable; KEY= removes it).", show_default=False),
]
RefArgument = Annotated[str, typer.Argument(help="The customer: id, name, or the start of a name.")]


# The options of `add` and `edit` that set a column of the same name (--note sets notes).
DETAIL_OPTIONS = (
    "company", "title", "contact", "phone", "email", "industry", "region", "size", "source",
    "tier", "credit_limit", "note",
)


def _details(options: dict[str, Any]) -> dict[str, Any]:
    """The detail options among a command's parameters that were given, parsed:
    column → value ('' gives None, which clears the column in `edit`)."""
    details: dict[str, Any] = {}
    for option in DETAIL_OPTIONS:
        value = options[option]
        if value is None:
            continue
        column = "notes" if option == "note" else option
        if column == "tier":
            details[column] = parse.parse_tier(value)
        elif column == "credit_limit":
            details[column] = parse.parse_money(value, what="credit limit") if value.strip() else None
        else:
            details[column] = value.strip() or None
    return details


def _fields(pairs: list[str] | None) -> dict[str, str]:
    return dict(parse.parse_field(pair) for pair in pairs or [])


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The customer's name (unique, any case).")],
    company: CompanyOption = None,
    title: TitleOption = None,
    contact: ContactOption = None,
    phone: PhoneOption = None,
    email: EmailOption = None,
    industry: IndustryOption = None,
    region: RegionOption = None,
    size: SizeOption = None,
    source: SourceOption = None,
    tier: TierOption = None,
    tag: TagOption = None,
    owner: OwnerRefOption = None,
    credit_limit: CreditOption = None,
    note: NoteOption = None,
    field: FieldOption = None,
    no_followup: Annotated[
        bool, typer.Option("--no-followup", help="Do not plan the first-contact follow-up.")
    ] = False,
    created: CreatedOption = None,
) -> None:
    """Add a customer; without --owner a rep is chosen by region, industry, then load.

    A first-contact task is planned for `first_contact_hours` (default 24) after it was
    created: now, or the --created date (an existing customer typed in: log its last
    contact with 'activity log --on DATE' and the task is done).
    """
    details = _details(locals())
    fields = _fields(field)
    created_on = happened_on(created) if created is not None else None
    with session.write() as conn:
        rep = refs.rep(conn, owner) if owner else None
        added = customers.add(
            conn, name, details, tags=tag or [], fields=fields, owner=customers.owner_id(conn, rep),
            assign=owner is None, followup=not no_followup, created_on=created_on,
        )
    detail = f"owner {added['owner'] or 'none'}"
    if added["first_contact_due"]:
        detail += f", first contact due {added['first_contact_due']}"
    output.created("customer", added["id"], detail)
    if added["first_contact_due"] and added["first_contact_due"] < parse.today():
        output.warn(
            f"first contact was due {added['first_contact_due']}: if it happened, log it "
            f"(salescli activity log {added['id']} --type call --on DATE)"
        )


@app.command("list")
def list_(
    tier: TierOption = None,
    tag: Annotated[Optional[list[str]], _option("--tag", "Only those with this tag (repeatable: all of them).")] = None,
    owner: OwnerOption = None,
    source: Annotated[Optional[str], _option("--source", "Only from this source.")] = None,
    industry: Annotated[Optional[str], _option("--industry", "Only in this industry.")] = None,
    region: Annotated[Optional[str], _option("--region", "Only in this region.")] = None,
    search: Annotated[
        Optional[str], _option("--search", "Text in the name, company, contact, phone, e-mail or notes.")
    ] = None,
    limit: LimitOption = None,
    fmt: FormatOption = None,
    wide: WideOption = False,
) -> None:
    """List customers, sorted by name."""
    fmt = output.choose_format(fmt)
    conn = session.connection()
    where = customers.Filter(
        tier=parse.parse_tier(tier) if tier else None,
        tags=tuple(parse.list_items(tag or (), parse.nocase)),
        owner=refs.rep(conn, owner)["id"] if owner else None,
        source=source,
        industry=industry,
        region=region,
        search=search,
    )
    columns = TABLE_COLUMNS if fmt in ("table", "plain", "markdown") else COLUMNS
    empty = "No customers match." if where != customers.Filter() else (
        "No customers yet: add one with 'salescli customer add NAME'."
    )
    if fmt == "table":  # the first rows, and how many there are in all
        limit = limit or output.TABLE_ROWS
        rows = customers.listing(conn, where, limit=limit)
        output.render(rows, columns, fmt=fmt, wide=wide, limit=limit, total=customers.count(conn, where), empty=empty)
    else:
        output.render(customers.listing(conn, where, limit=limit), columns, fmt=fmt, wide=wide, empty=empty)


@app.command("show")
def show(ref: RefArgument, fmt: FormatOption = None, wide: WideOption = False) -> None:
    """A customer's card: details, deals, activity timeline, open follow-ups, summary."""
    conn = session.connection()
    card = customers.card(conn, refs.customer(conn, ref)["id"])
    record = card["customer"]
    output.render_card(
        record,
        COLUMNS,
        fmt=fmt,
        wide=wide,
        title=f"{record['name']} (#{record['id']})",
        sections=[
            ("deals", "Deals", card["deals"], DEAL_COLUMNS),
            ("activities", "Activity", card["activities"], ACTIVITY_COLUMNS),
            ("follow_ups", "Open follow-ups", card["follow_ups"], FOLLOW_UP_COLUMNS),
        ],
        summary=card["summary"],
        summary_columns=SUMMARY_COLUMNS,
    )


@app.command("edit")
def edit(
    ref: RefArgument,
    new_name: Annotated[Optional[str], _option("--name", "Rename the customer.")] = None,
    company: CompanyOption = None,
    title: TitleOption = None,
    contact: ContactOption = None,
    phone: PhoneOption = None,
    email: EmailOption = None,
    industry: IndustryOption = None,
    region: RegionOption = None,
    size: SizeOption = None,
    source: SourceOption = None,
    tier: TierOption = None,
    tag: Annotated[Optional[list[str]], _option("--tag", "Replace all tags (repeatable; --tag '' removes all).")] = None,
    add_tag: Annotated[Optional[list[str]], _option("--add-tag", "Add a tag (repeatable).")] = None,
    remove_tag: Annotated[Optional[list[str]], _option("--remove-tag", "Remove a tag (repeatable).")] = None,
    owner: OwnerRefOption = None,
    credit_limit: CreditOption = None,
    note: NoteOption = None,
    field: FieldOption = None,
) -> None:
    """Change a customer: only the options given change; an empty value ('') clears one."""
    changes = _details(locals())
    if new_name is not None:
        changes["name"] = new_name
    fields = _fields(field)
    with session.write() as conn:
        customer = refs.customer(conn, ref)
        new_owner = refs.rep(conn, owner) if owner and owner.strip() else None
        if owner is not None:
            changes["owner_id"] = customers.owner_id(conn, new_owner)
        moved = customers.edit(
            conn,
            customer["id"],
            changes,
            tags=None if tag is None else [t for t in tag if t.strip()],
            add_tags=add_tag or [],
            remove_tags=remove_tag or [],
            fields=fields,
        )
    if moved is None:
        output.done("Nothing to change.")
        return
    name = changes.get("name", customer["name"]).strip()  # as stored
    work = _counted(moved)
    whom = f"went along to {new_owner['handle']}" if new_owner else "has no owner now either"
    handed = f"; its open work {whom}: {work}" if work else ""
    output.done(unless_unchanged(f"Updated customer {name} (#{customer['id']}){handed}", f"Customer {name} (#{customer['id']})"))


def _ids(ids: list[int]) -> str:
    return ", ".join(f"#{i}" for i in ids)


def _counted(counts: dict[str, int]) -> str:
    """``2 deals, 1 payment, 3 logged activities`` (what is not there is left out)."""
    nouns = {"deals": "deal", "payments": "payment", "activities": "logged activity", "follow_ups": "open follow-up"}
    return ", ".join(plural(counts[key], noun) for key, noun in nouns.items() if counts.get(key))


@app.command("delete")
def delete(
    ref: RefArgument,
    yes: YesOption = False,
    cascade: Annotated[
        bool, typer.Option("--cascade", help="Also delete its deals (with payments and stage history) and activities.")
    ] = False,
) -> None:
    """Delete a customer (asks first). One with deals or logged activities needs --cascade."""
    conn = session.connection()
    customer = refs.customer(conn, ref)
    label = f"{customer['name']} (#{customer['id']})"
    counts = customers.check_delete(conn, customer["id"], cascade=cascade)
    along = _counted(counts)
    confirm(f"Delete customer {label}" + (f" with {along}" if along else "") + "?", yes=yes)
    with session.write() as conn:
        now = refs.as_now(conn, "customer", customer["id"]), customers.dependents(conn, customer["id"])
        still_as_shown(f"customer {label}", (dict(customer), counts), now)
        counts = customers.delete(conn, customer["id"], cascade=cascade)
    along = _counted(counts)
    output.done(f"Deleted customer {label}" + (f" with {along}" if along else ""))


@app.command("merge")
def merge(
    ref: Annotated[str, typer.Argument(help="The duplicate, deleted after the merge.")],
    into: Annotated[str, typer.Argument(help="The customer that stays.")],
) -> None:
    """Fold a duplicate into another customer, then delete the duplicate.

    Its deals (with payments and stage history), activities and tags move over unchanged;
    its details fill the empty ones; custom fields are merged (INTO wins a clash).
    """
    with session.write() as conn:
        duplicate = refs.customer(conn, ref)
        target = refs.customer(conn, into)
        merged = customers.merge(conn, duplicate["id"], target["id"])
    moved = ", ".join([
        plural(merged["deals"], "deal"),
        plural(merged["activities"], "activity"),
        plural(merged["tags"], "tag"),
    ])
    filled = f"; filled in {', '.join(merged['filled'])}" if merged["filled"] else ""
    removed = merged["first_contact_removed"]
    why = "the customer has been contacted" if merged["contacted"] else "one is enough"
    dropped = f"; removed open 'First contact' task {_ids(removed)} ({why})" if removed else ""
    output.done(
        f"Merged {duplicate['name']} (#{duplicate['id']}) into {target['name']} (#{target['id']}): "
        f"moved {moved}{filled}{dropped}"
    )


@app.command("duplicates")
def duplicates(fmt: FormatOption = None, wide: WideOption = False, limit: LimitOption = None) -> None:
    """Likely duplicates: the same name, phone or e-mail.

    Names are compared ignoring case, spaces, punctuation and company suffixes (Ltd, Inc,
    LLC, GmbH, 有限公司, …), phones by their last 8 digits, e-mails ignoring case.
    Fold a duplicate into the customer that stays with 'customer merge REF INTO'.
    """
    rows = customers.duplicates(session.connection())
    output.render(rows, DUPLICATE_COLUMNS, fmt=fmt, wide=wide, limit=limit, empty="No likely duplicates.")


# `customer classify` shares its figures with the analysis reports, so it lives with them.
report_analysis.register_customer(app)
