"""The analysis reports' arithmetic (SPEC §6): reps, customers (ABC and RFM), sources,
products, lost, receivables.

Pure functions: the rows arrive already aggregated by ``salescli.store.analysis`` (money in
integer cents, dates as ISO text) and leave as the report's rows, keyed by SPEC's names,
plus a summary where the report has one. Money stays in cents (averages and commissions
are rounded half up to the cent); ratios are fractions, ``None`` when the divisor is 0.

Definitions where SPEC is terse:

* A deal counts for a period by ``closed_at`` when won or lost, by ``created_at`` for
  pipeline counts (deals created). Open-pipeline figures are "now", not per period.
* Margin is ``amount − cost`` over the won deals whose cost is known; a deal with unknown
  cost (NULL) is left out of both margin and the revenue margin_rate divides by, so it
  neither inflates nor dilutes the rate. No deal with a known cost: margin is ``None``.
* Work without an owner, a source, a product or a loss reason is one row whose ``rep`` /
  ``source`` / ``sku`` and ``name`` / ``reason`` is ``None`` (null in JSON; the command's
  columns label it "(unassigned)", "(no source)", … for people). It sorts after the named
  rows it ties with.
* ABC tiers: ties share a rank. "The customers ranked above" a customer are those with
  strictly more revenue, so equal revenue always means the same tier, however the names sort.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from functools import lru_cache
from itertools import islice, repeat
from operator import truediv
from typing import Any

from salescli.reports.common import mean_cents, mean_days, ratio, round_cents

TIERS = ("A", "B", "C")
A_BELOW_PERCENT = 80  # A while the share of the customers ranked above is below 80 %
B_BELOW_PERCENT = 95  # B below 95 %, otherwise C

AGEING = (("0_30", 30), ("31_60", 60), ("61_90", 90), ("over_90", None))

Row = dict[str, Any]


# ---------------------------------------------------------------- arithmetic


def commission(revenue: int, rate: float) -> int:
    """``revenue × rate`` to the cent (the rate is stored as a fraction, 0.05 for 5 %)."""
    return round_cents(Decimal(revenue) * Decimal(str(rate)))


def margin(costed_deals: int, margin_cents: int) -> int | None:
    """The margin of a group of won deals: None when none of them has a known cost."""
    return margin_cents if costed_deals else None


def margin_rate(costed_deals: int, margin_cents: int, costed_revenue: int) -> float | None:
    return ratio(margin_cents, costed_revenue) if costed_deals else None


def _totals(rows: Iterable[Mapping[str, Any]], keys: Iterable[str]) -> dict[str, Any]:
    rows = list(rows)
    return {key: sum(row[key] or 0 for row in rows) for key in keys}


# ---------------------------------------------------------------- reps

# What the store gives per rep (and one row for deals and customers without an owner).
REP_FIGURES = (
    "won_deals",
    "revenue",
    "costed_deals",
    "costed_revenue",
    "margin_cents",
    "lost_deals",
    "cycle_days",
    "open_weighted_raw",
    "new_customers",
    "activities",
)


def _rep_rates(f: Mapping[str, Any]) -> Row:
    """The derived figures of a rep (or of the team, from its totals)."""
    won = f["won_deals"]
    return {
        "won_deals": won,
        "revenue": f["revenue"],
        "margin": margin(f["costed_deals"], f["margin_cents"]),
        "margin_rate": margin_rate(f["costed_deals"], f["margin_cents"], f["costed_revenue"]),
        "new_customers": f["new_customers"],
        "activities": f["activities"],
        "win_rate": ratio(won, won + f["lost_deals"]),
        "avg_deal": mean_cents(f["revenue"], won),
        "avg_cycle_days": mean_days(f["cycle_days"], won),
        # Σ open amount × probability (a percentage), so ÷ 100 for cents
        "open_weighted": round_cents(Decimal(f["open_weighted_raw"]) / 100),
    }


def reps(figures: Iterable[Mapping[str, Any]], *, every_rep: bool = False) -> tuple[list[Row], Row]:
    """The leaderboard: one row per rep, best revenue first, and the team summary.

    Every active rep is listed (zeros included); an inactive rep, and the unassigned
    row (``rep`` None) of work without an owner, only when they have a figure in the period (or always,
    with ``every_rep``: a rep asked for by name). Team totals include the unassigned work;
    ``revenue_per_rep`` divides team revenue by the reps listed.
    """
    listed = [
        f
        for f in figures
        if (f["handle"] is not None and (f["active"] or every_rep)) or any(f[key] for key in REP_FIGURES)
    ]
    rows = []
    for f in listed:
        row = {"rep": f["handle"], **_rep_rates(f)}
        row["commission"] = commission(f["revenue"], f["commission_rate"] or 0)
        rows.append(row)
    rows.sort(key=lambda r: (-r["revenue"], -r["won_deals"], r["rep"] is None, r["rep"] or ""))
    head_count = sum(1 for f in listed if f["handle"] is not None)
    totals = _totals(listed, REP_FIGURES)
    summary = {
        "reps": head_count,
        **_rep_rates(totals),
        "commission": sum(row["commission"] for row in rows),
        "revenue_per_rep": mean_cents(totals["revenue"], head_count),
    }
    return rows, summary


# ---------------------------------------------------------------- customers: ABC and RFM


def abc_tier(revenue: int, above: int, total: int) -> str:
    """A while the revenue of the customers ranked above is below 80 % of the total, B
    below 95 %, otherwise C; no revenue is C. Integer arithmetic: exact at the boundaries."""
    if revenue <= 0 or total <= 0:
        return "C"
    if above * 100 < A_BELOW_PERCENT * total:
        return "A"
    if above * 100 < B_BELOW_PERCENT * total:
        return "B"
    return "C"


def abc_tiers(levels: Iterable[Mapping[str, Any]]) -> tuple[dict[int, str], int]:
    """Each revenue level's tier, and the total revenue: ``levels`` carry ``revenue`` and
    ``customers`` (how many brought that much; several rows may share a level). The
    customers ranked above a level are those of the levels with more revenue."""
    counts: Counter[int] = Counter()
    for level in levels:
        counts[level["revenue"]] += level["customers"]
    total = sum(revenue * n for revenue, n in counts.items())
    tiers, above = {}, 0
    for revenue in sorted(counts, reverse=True):
        tiers[revenue] = abc_tier(revenue, above, total)
        above += revenue * counts[revenue]
    return tiers, total


def tiered_customers(
    ranked: Iterable[Mapping[str, list[Any]]], *, tiers: Mapping[int, str], total: int, as_of: dt.date
) -> Iterator[dict[str, list[Any]]]:
    """Each customer's share, cumulative share, ABC tier and RFM figures, streamed in
    batches of columns (``CUSTOMER_TIERS``), a column at a time.

    ``ranked`` are batches of columns of customers by revenue, most first (ties: by name,
    then id, for the listing order only): ``id``, ``customer``, ``owner``,
    ``current_tier``, ``revenue`` (won in the period), ``frequency`` (deals won in the
    period), ``last_won`` (the latest of them, ISO date or None) and ``running`` (the
    revenue of every customer up to this one). ``tiers`` and ``total`` come from
    ``abc_tiers``. ``recency_days`` counts from ``last_won`` to ``as_of`` (today, or the
    period's end when the period is over).
    """

    @lru_cache(maxsize=None)  # a few thousand dates at most
    def recency(last_won: str | None) -> int | None:
        return (as_of - dt.date.fromisoformat(last_won)).days if last_won else None

    for c in ranked:
        revenue = c["revenue"]
        if total:  # ``ratio`` of each
            share, cumulative = map(truediv, revenue, repeat(total)), map(truediv, c["running"], repeat(total))
        else:
            share = cumulative = [None] * len(revenue)
        yield {
            "id": c["id"],
            "customer": c["customer"],
            "owner": c["owner"],
            "tier": list(map(tiers.__getitem__, revenue)),
            "current_tier": c["current_tier"],
            "recency_days": list(map(recency, c["last_won"])),
            "frequency": c["frequency"],
            "monetary": revenue,
            "revenue": revenue,
            "share": list(share),
            "cumulative_share": list(cumulative),
        }


def customer_tiers(ranked: Iterable[Mapping[str, Any]], **figures: Any) -> Iterator[Row]:
    """``tiered_customers`` row by row: each ranked customer a dict, and so each result."""
    iterator = iter(ranked)
    while batch := list(islice(iterator, 1000)):
        columns = {key: [row[key] for row in batch] for key in batch[0]}
        for tiered in tiered_customers([columns], **figures):
            yield from map(dict, map(zip, repeat(tiered), zip(*tiered.values())))


def tier_summary(levels: Iterable[Mapping[str, Any]], tiers: Mapping[int, str]) -> Row:
    """How many of the customers shown (``owned`` of each level) fall in each computed
    tier, and their revenue."""
    levels = list(levels)
    counts = Counter()
    for level in levels:
        counts[tiers[level["revenue"]]] += level["owned"]
    return {
        "customers": sum(level["owned"] for level in levels),
        "revenue": sum(level["revenue"] * level["owned"] for level in levels),
        **{f"tier_{tier.lower()}": counts[tier] for tier in TIERS},
    }


def changes_count(levels: Iterable[Mapping[str, Any]], tiers: Mapping[int, str]) -> int:
    """How many customers a classification would move to another tier."""
    return sum(level["customers"] for level in levels if tiers[level["revenue"]] != level["current_tier"])


def tier_changes(batches: Iterable[Mapping[str, list[Any]]]) -> dict[int, str]:
    """customer id → computed tier, for the customers (``tiered_customers``) whose stored tier differs."""
    return {
        customer: tier
        for batch in batches
        for customer, tier, current in zip(batch["id"], batch["tier"], batch["current_tier"])
        if tier != current
    }


def tier_counts(levels: Iterable[Mapping[str, Any]], tiers: Mapping[int, str]) -> list[Row]:
    """Customers per tier before (stored) and after (computed) a classification; the last
    row (``tier`` None) counts the customers without one."""
    before, after = Counter(), Counter()
    for level in levels:
        before[level["current_tier"]] += level["customers"]
        after[tiers[level["revenue"]]] += level["customers"]
    return [{"tier": tier, "before": before[tier], "after": after[tier]} for tier in (*TIERS, None)]


# ---------------------------------------------------------------- sources


def sources(figures: Iterable[Mapping[str, Any]]) -> tuple[list[Row], Row]:
    """Per channel: new customers, deals created, deals won, win rate, revenue, average deal.

    ``figures`` carry ``source`` (None: no source), ``customers``, ``deals``, ``won``,
    ``lost`` and ``revenue``.
    """
    figures = list(figures)
    rows = [_source_row(f["source"] or None, f) for f in figures]
    rows.sort(key=lambda r: (-r["revenue"], -r["deals"], r["source"] is None, r["source"] or ""))
    totals = _source_row(None, _totals(figures, ("customers", "deals", "won", "lost", "revenue")))
    del totals["source"]
    return rows, totals


def _source_row(source: str | None, f: Mapping[str, Any]) -> Row:
    return {
        "source": source,
        "customers": f["customers"],
        "deals": f["deals"],
        "won": f["won"],
        "win_rate": ratio(f["won"], f["won"] + f["lost"]),
        "revenue": f["revenue"],
        "avg_deal": mean_cents(f["revenue"], f["won"]),
    }


# ---------------------------------------------------------------- products


def products(figures: Iterable[Mapping[str, Any]]) -> tuple[list[Row], Row]:
    """Per product (and for deals without one: ``sku`` and ``name`` None): units, revenue, share of revenue, margin, margin rate.

    ``figures`` carry ``sku`` and ``name`` (both None for deals without a product),
    ``units``, ``revenue``, ``costed_deals``, ``costed_revenue`` and ``margin_cents``.
    """
    figures = list(figures)
    total = sum(f["revenue"] for f in figures)
    rows = [
        {
            "sku": f["sku"],
            "name": f["name"] if f["sku"] is not None else None,
            "units": f["units"],
            "revenue": f["revenue"],
            "share": ratio(f["revenue"], total),
            "margin": margin(f["costed_deals"], f["margin_cents"]),
            "margin_rate": margin_rate(f["costed_deals"], f["margin_cents"], f["costed_revenue"]),
        }
        for f in figures
    ]
    rows.sort(key=lambda r: (-r["revenue"], -r["units"], r["sku"] is None, (r["sku"] or "").casefold()))
    totals = _totals(figures, ("units", "revenue", "costed_deals", "costed_revenue", "margin_cents"))
    summary = {
        "units": totals["units"],
        "revenue": totals["revenue"],
        "margin": margin(totals["costed_deals"], totals["margin_cents"]),
        "margin_rate": margin_rate(totals["costed_deals"], totals["margin_cents"], totals["costed_revenue"]),
    }
    return rows, summary


# ---------------------------------------------------------------- lost


def lost(figures: Iterable[Mapping[str, Any]]) -> tuple[list[Row], Row]:
    """Per loss reason: deals, value, and ``share`` = that reason's share of the lost value.

    ``figures`` carry ``reason`` (None: no reason given), ``deals`` and ``value``.
    """
    figures = list(figures)
    total = sum(f["value"] for f in figures)
    rows = [
        {
            "reason": f["reason"] or None,
            "deals": f["deals"],
            "value": f["value"],
            "share": ratio(f["value"], total),
        }
        for f in figures
    ]
    rows.sort(key=lambda r: (-r["value"], -r["deals"], r["reason"] is None, (r["reason"] or "").casefold()))
    return rows, {"deals": sum(f["deals"] for f in figures), "value": total}


# ---------------------------------------------------------------- receivables


def age_limits(today: dt.date) -> list[tuple[str, str | None]]:
    """The ageing buckets, youngest first, each with the earliest won date it holds (ISO;
    None: any): a balance ``age_days`` old at ``today`` falls in the first bucket whose
    limit it is within (``0_30``: up to 30 days, … ``over_90``)."""
    return [(key, None if upto is None else (today - dt.timedelta(days=upto)).isoformat()) for key, upto in AGEING]


def receivables(balances: Iterable[Mapping[str, Any]]) -> tuple[Iterator[Row], Row]:
    """Per customer with an outstanding balance on won deals, largest first, streamed; the
    summary fills in as the rows go past.

    ``balances`` are per customer, in that order: ``customer``, ``credit_limit``,
    ``billed``, ``paid``, ``outstanding`` (each deal's unpaid rest, never below 0) and the
    outstanding per age bucket (``age_limits``); ``over_limit`` is outstanding above the
    credit limit (False when there is no limit).
    """
    keys = ("billed", "paid", "outstanding", *(key for key, _ in AGEING))
    summary: Row = {"customers": 0, **{key: 0 for key in keys}, "over_limit": 0}

    def rows() -> Iterator[Row]:
        for b in balances:
            if b["outstanding"] <= 0:
                continue
            row = {"customer": b["customer"], **{key: b[key] for key in keys}, "credit_limit": b["credit_limit"]}
            row["over_limit"] = row["credit_limit"] is not None and row["outstanding"] > row["credit_limit"]
            summary["customers"] += 1
            for key in keys:
                summary[key] += row[key]
            summary["over_limit"] += row["over_limit"]
            yield row

    return rows(), summary
