"""The analysis reports: reps, customers, sources, products, lost, receivables; and
`customer classify`, which shows or stores the customers' ABC tiers."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Optional

import typer

from salescli import output, parse, session
from salescli.commands.common import (
    App,
    FormatOption,
    FromOption,
    LimitOption,
    OwnerOption,
    PeriodOption,
    QuietOption,
    ToOption,
    WideOption,
)
from salescli.grammar import plural
from salescli.output import Column
from salescli.parse import Period
from salescli.reports import analysis as reports
from salescli.store import analysis as queries
from salescli.store import refs

RepOption = Annotated[Optional[str], typer.Option("--rep", help="Only this rep (handle).", show_default=False)]

REPS = [
    Column("rep", missing="(unassigned)", priority=1),
    Column("won_deals", "won", kind="int", priority=1),
    Column("revenue", kind="money", priority=1),
    Column("margin", kind="money"),
    Column("margin_rate", "margin %", kind="ratio", priority=3),
    Column("new_customers", "new cust.", kind="int", priority=3),
    Column("activities", kind="int", priority=3),
    Column("win_rate", "win rate", kind="ratio"),
    Column("avg_deal", "avg deal", kind="money", priority=3),
    Column("avg_cycle_days", "cycle days", kind="number", priority=3),
    Column("open_weighted", "open weighted", kind="money"),
    Column("commission", kind="money"),
]
REPS_SUMMARY = [Column("reps", kind="int"), *REPS[1:], Column("revenue_per_rep", "revenue per rep", kind="money")]

CUSTOMERS = [
    Column("id", kind="id"),
    Column("customer", priority=1),
    Column("owner"),
    Column("tier", priority=1),
    Column("recency_days", "recency (days)", kind="int"),
    Column("frequency", kind="int"),
    Column("monetary", kind="money", priority=1),
    Column("share", kind="ratio", priority=3),
    Column("cumulative_share", "cumulative", kind="ratio", bar=True),
]
TIER_SUMMARY = [
    Column("customers", kind="int"),
    Column("revenue", kind="money"),
    Column("tier_a", "tier A", kind="int"),
    Column("tier_b", "tier B", kind="int"),
    Column("tier_c", "tier C", kind="int"),
    Column("changes", "would change", kind="int"),
]

CLASSIFY = [
    Column("id", kind="id"),
    Column("customer", priority=1),
    Column("revenue", kind="money", priority=1),
    Column("share", kind="ratio", priority=3),
    Column("cumulative_share", "cumulative", kind="ratio", priority=3),
    Column("tier", priority=1),
    Column("current_tier", "current", priority=1),
]
CLASSIFY_APPLIED = [Column("tier", missing="(none)"), Column("before", kind="int"), Column("after", kind="int")]

SOURCES = [
    Column("source", missing="(no source)", priority=1),
    Column("customers", kind="int"),
    Column("deals", kind="int"),
    Column("won", kind="int"),
    Column("win_rate", "win rate", kind="ratio"),
    Column("revenue", kind="money"),
    Column("avg_deal", "avg deal", kind="money"),
]

PRODUCTS = [
    Column("sku"),
    Column("name", missing="(no product)", priority=1),
    Column("units", kind="int"),
    Column("revenue", kind="money", priority=1),
    Column("share", kind="ratio", bar=True),
    Column("margin", kind="money"),
    Column("margin_rate", "margin %", kind="ratio", priority=3),
]

LOST = [
    Column("reason", missing="(no reason)", priority=1),
    Column("deals", kind="int"),
    Column("value", kind="money", priority=1),
    Column("share", "share of value", kind="ratio", bar=True),
]

RECEIVABLES = [
    Column("customer", priority=1),
    Column("billed", kind="money", priority=3),
    Column("paid", kind="money", priority=3),
    Column("outstanding", kind="money", priority=1),
    Column("0_30", "0–30 days", kind="money"),
    Column("31_60", "31–60", kind="money"),
    Column("61_90", "61–90", kind="money"),
    Column("over_90", "over 90", kind="money"),
    Column("credit_limit", "credit limit", kind="money", priority=3),
    Column("over_limit", "over limit", kind="bool", priority=1),
]
RECEIVABLES_SUMMARY = [
    Column("customers", kind="int"),
    *RECEIVABLES[1:-1],
    Column("over_limit", "over limit", kind="int"),
]


def _period(period: str | None, start: str | None, end: str | None) -> Period | None:
    """The report period from --period or --from/--to; all time when none is given."""
    return parse.period_option(period, start, end)


def _title(name: str, period: Period | None) -> str:
    return f"{name} — {period.label if period else 'all time'}"


@dataclass(frozen=True)
class _Tiers:
    """The customers' revenue levels in a period, and the tier of each level."""

    period: Period | None
    levels: list[dict[str, Any]]
    tiers: dict[int, str]
    total: int

    def rows(self, conn: sqlite3.Connection, owner_id: int | None = None, limit: int | None = None) -> output.Columns:
        """Every customer's (or ``owner_id``'s customers') ABC tier and RFM figures, best
        first, streamed; recency counts to today, or to the end of a period that is over."""
        as_of = min(parse.today(), self.period.end) if self.period else parse.today()
        ranked = queries.ranked_customers(conn, self.period, owner_id, limit)
        return output.Columns(reports.tiered_customers(ranked, tiers=self.tiers, total=self.total, as_of=as_of))


def _tiers(conn: sqlite3.Connection, period: Period | None, owner_id: int | None = None) -> _Tiers:
    levels = queries.revenue_levels(conn, period, owner_id)
    return _Tiers(period, levels, *reports.abc_tiers(levels))


def _shown(fmt: str, limit: int | None) -> int | None:
    """How many rows a report fetches: a table's first rows (its summary counts the rest)."""
    return (limit or output.TABLE_ROWS) if fmt == "table" else limit


def reps(
    period: PeriodOption = None,
    start: FromOption = None,
    end: ToOption = None,
    rep: RepOption = None,
    fmt: FormatOption = None,
    quiet_if_empty: QuietOption = False,
    wide: WideOption = False,
    limit: LimitOption = None,
) -> None:
    """Leaderboard: each rep's won deals, revenue, margin, win rate, cycle, pipeline and commission.

    Deals count by the date they were won or lost; the period defaults to all time."""
    when = _period(period, start, end)
    conn = session.connection()
    rows, summary = reports.reps(queries.rep_figures(conn, when, refs.optional_rep_id(conn, rep)), every_rep=rep is not None)
    output.render(
        rows,
        REPS,
        fmt=fmt,
        quiet_if_empty=quiet_if_empty,
        wide=wide,
        limit=limit,
        title=_title("Reps", when),
        report="reps",
        period=when,
        summary=summary,
        summary_columns=REPS_SUMMARY,
        empty="No active reps and nothing sold in this period.",
    )


def customers(
    period: PeriodOption = None,
    start: FromOption = None,
    end: ToOption = None,
    owner: OwnerOption = None,
    fmt: FormatOption = None,
    quiet_if_empty: QuietOption = False,
    wide: WideOption = False,
    limit: LimitOption = None,
) -> None:
    """Customer value: ABC tiers by revenue won in the period, and recency, frequency, monetary.

    Tiers are computed over every customer; --owner only narrows the rows shown.
    The period defaults to all time."""
    when = _period(period, start, end)
    fmt = output.choose_format(fmt)
    conn = session.connection()
    owner_id = refs.rep(conn, owner)["id"] if owner else None
    tiers = _tiers(conn, when, owner_id)
    summary = reports.tier_summary(tiers.levels, tiers.tiers)
    output.render(
        tiers.rows(conn, owner_id, _shown(fmt, limit)),
        CUSTOMERS,
        fmt=fmt,
        quiet_if_empty=quiet_if_empty,
        wide=wide,
        limit=limit,
        title=_title("Customers", when),
        report="customers",
        period=when,
        summary=summary,
        summary_columns=TIER_SUMMARY,
        total=summary["customers"],
        empty="No customers to show.",
    )


def classify(
    period: PeriodOption = None,
    start: FromOption = None,
    end: ToOption = None,
    apply: Annotated[bool, typer.Option("--apply", help="Store the computed tiers on the customers.")] = False,
    fmt: FormatOption = None,
    wide: WideOption = False,
    limit: LimitOption = None,
) -> None:
    """Tier the customers A/B/C by revenue won in the period (ABC: 80 % / 95 %); --apply stores them.

    The period defaults to all time."""
    when = _period(period, start, end)
    fmt = output.choose_format(fmt)  # a bad --format must fail before anything is written
    title = _title("Customer tiers", when)
    if not apply:
        conn = session.connection()
        tiers = _tiers(conn, when)
        summary = {**reports.tier_summary(tiers.levels, tiers.tiers), "changes": reports.changes_count(tiers.levels, tiers.tiers)}
        output.render(
            tiers.rows(conn, limit=_shown(fmt, limit)),
            CLASSIFY,
            fmt=fmt,
            wide=wide,
            limit=limit,
            title=title,
            report="classify",
            period=when,
            summary=summary,
            summary_columns=TIER_SUMMARY,
            total=summary["customers"],
            empty="No customers to show.",
        )
        return
    with session.write() as conn:
        tiers = _tiers(conn, when)
        changed = queries.set_tiers(conn, reports.tier_changes(tiers.rows(conn).batches), parse.timestamp())
    output.render(
        reports.tier_counts(tiers.levels, tiers.tiers),
        CLASSIFY_APPLIED,
        fmt=fmt,
        wide=wide,
        title=title,
        report="classify",
        period=when,
        summary={"changed": changed},
        summary_columns=[Column("changed", kind="int")],
    )
    total = sum(level["customers"] for level in tiers.levels)
    output.message(f"Classified {plural(total, 'customer')}: {changed} changed tier.")


@dataclass(frozen=True)
class _Report:
    """A report of the period's deals by one key, optionally for one owner's deals."""

    name: str
    title: str
    help: str
    query: Callable[..., list[dict[str, Any]]]
    compute: Callable[[list[dict[str, Any]]], tuple[list[dict[str, Any]], dict[str, Any]]]
    columns: list[Column]
    summary_columns: list[Column]
    empty: str


SOURCE_REPORT = _Report(
    name="sources",
    title="Sources",
    help=(
        "Channels: new customers, deals created, won, win rate, revenue and average deal per source.\n\n"
        "A deal without a source counts for its customer's. The period defaults to all time."
    ),
    query=queries.source_figures,
    compute=reports.sources,
    columns=SOURCES,
    summary_columns=SOURCES[1:],
    empty="No customers or deals in this period.",
)
PRODUCT_REPORT = _Report(
    name="products",
    title="Products",
    help=(
        "Products: units, revenue, share and margin of the deals won in the period.\n\n"
        "Margin leaves out deals whose cost is unknown. The period defaults to all time."
    ),
    query=queries.product_figures,
    compute=reports.products,
    columns=PRODUCTS,
    summary_columns=PRODUCTS[2:],
    empty="No products and no won deals in this period.",
)
LOST_REPORT = _Report(
    name="lost",
    title="Lost deals",
    help=(
        "Why deals were lost: deals and value per reason, with each reason's share of the lost value.\n\n"
        "The period defaults to all time."
    ),
    query=queries.lost_figures,
    compute=reports.lost,
    columns=LOST,
    summary_columns=LOST[1:3],
    empty="No deals lost in this period.",
)


def _period_and_owner_command(spec: _Report) -> Callable[..., None]:
    """The command for ``spec``: --period/--from/--to, --owner, --format, --limit."""

    def command(
        period: PeriodOption = None,
        start: FromOption = None,
        end: ToOption = None,
        owner: OwnerOption = None,
        fmt: FormatOption = None,
        wide: WideOption = False,
        quiet_if_empty: QuietOption = False,
        limit: LimitOption = None,
    ) -> None:
        when = _period(period, start, end)
        conn = session.connection()
        rows, summary = spec.compute(spec.query(conn, when, refs.optional_rep_id(conn, owner)))
        output.render(
            rows,
            spec.columns,
            fmt=fmt,
            wide=wide,
            quiet_if_empty=quiet_if_empty,
            limit=limit,
            title=_title(spec.title, when),
            report=spec.name,
            period=when,
            summary=summary,
            summary_columns=spec.summary_columns,
            empty=spec.empty,
        )

    command.__name__ = spec.name
    command.__doc__ = spec.help
    return command


def receivables(
    owner: Annotated[
        Optional[str], typer.Option("--owner", help="Only customers this rep owns (handle).", show_default=False)
    ] = None,
    fmt: FormatOption = None,
    quiet_if_empty: QuietOption = False,
    wide: WideOption = False,
    limit: LimitOption = None,
) -> None:
    """Money owed on won deals today: per customer, aged by the won date, with credit-limit breaches."""
    conn = session.connection()
    balances = queries.receivable_balances(conn, reports.age_limits(parse.today()), refs.optional_rep_id(conn, owner))
    rows, summary = reports.receivables(balances)
    output.render(
        rows,
        RECEIVABLES,
        fmt=fmt,
        quiet_if_empty=quiet_if_empty,
        wide=wide,
        limit=limit,
        title=f"Receivables — {parse.today().isoformat()}",
        report="receivables",
        period=None,
        summary=summary,
        summary_columns=RECEIVABLES_SUMMARY,
        empty="Nothing outstanding.",
    )


def register(app: App) -> None:
    """Attach these reports to the `report` group."""
    app.command("reps")(reps)
    app.command("customers")(customers)
    for spec in (SOURCE_REPORT, PRODUCT_REPORT, LOST_REPORT):
        app.command(spec.name)(_period_and_owner_command(spec))
    app.command("receivables")(receivables)


def register_customer(app: App) -> None:
    """Attach `customer classify` to the `customer` group."""
    app.command("classify")(classify)
