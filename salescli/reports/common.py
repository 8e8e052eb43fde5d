"""What every report shares: the ``Report`` a report function returns, and the arithmetic
of money in cents and ratios as fractions."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


@dataclass
class Report:
    """What a report hands to the output layer."""

    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    period: Any = None  # a parse.Period when the report itself chooses one


class Totals(Mapping[str, int]):
    """The summary of a streamed report, worked out (``totals``) when it is first read:
    once its rows have been written."""

    def __init__(self, totals: Callable[[], dict[str, int]]) -> None:
        self._totals = totals

    def __getitem__(self, key: str) -> int:
        return self._totals()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._totals())

    def __len__(self) -> int:
        return len(self._totals())


def ratio(part: float | None, whole: float | None) -> float | None:
    """``part ÷ whole``, or None when either is missing or ``whole`` is 0."""
    if part is None or not whole:
        return None
    return part / whole


def round_cents(value: Decimal) -> int:
    """An amount in cents, rounded half away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def mean_cents(total: int, count: int) -> int | None:
    """``total`` cents ÷ ``count``, to the cent (None when ``count`` is 0)."""
    return round_cents(Decimal(total) / count) if count else None


def mean_days(total: float | None, count: int | None) -> float | None:
    """A mean number of days, to one decimal (None when there is nothing to average)."""
    if total is None or not count:
        return None
    return round(total / count, 1)
