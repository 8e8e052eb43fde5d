"""The report maths: pure functions, rows in, rows out (SPEC §6).

Each function takes the rows that ``salescli.store.reporting`` reads (already aggregated
by SQL where SQL can), plus "today", and returns the report's rows and summary. Nothing
here touches the database or formats a value: money stays integer cents, ratios are
fractions, dates are ISO text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


@dataclass
class Report:
    """What a report hands to the output layer."""

    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    period: Any = None  # a parse.Period when the report itself chooses one


def share(part: float | None, whole: float | None) -> float | None:
    """``part ÷ whole`` as a fraction; None when either is missing or the whole is 0."""
    if part is None or not whole:
        return None
    return part / whole


def cents(numerator: int, denominator: int = 1) -> int:
    """``numerator ÷ denominator`` rounded half away from zero, for amounts in cents."""
    quotient = Decimal(numerator) / Decimal(denominator)
    return int(quotient.quantize(Decimal(1), rounding=ROUND_HALF_UP))
