"""Per-entity rules of an import: the checks that need a row's references, the natural
key it is matched by, and the database columns a checked row becomes. Pure functions:
the look-ups they rely on were done before, a batch at a time, by the importer.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from typing import Any

from salescli.errors import UsageError
from salescli.parse import nocase
from salescli.transfer.entities import (
    CUSTOM_FIELD_PREFIX,
    JSON,
    Entity,
    Field,
    custom_fields_json,
    read_target_value,
)


@dataclass
class Context:
    """What every row of one import shares."""

    now: str  # timestamp for rows without created_at
    today: str
    stages: list[dict[str, Any]]
    leads: bool = False  # customers are new leads (import --leads): created now if the file has no date
    paid: dict[int, int] = field(default_factory=dict)  # deal id → paid, with the rows of this check before
    left_out: Container[int] = ()  # the rows a second check leaves out (invalid the first time)

    @property
    def first_open_stage(self) -> dict[str, Any]:
        return next(s for s in self.stages if s["kind"] == "open")


class Row:
    """One line of the file on its way in: read values, resolved references, problems,
    and what will happen to it (``create`` / ``update`` / ``skip``)."""

    __slots__ = ("number", "cells", "values", "errors", "refs", "key", "match", "existing", "action")

    def __init__(self, number: int, cells: list[str]) -> None:
        self.number = number
        self.cells = cells
        self.values: dict[str, Any] = {}
        self.errors: list[tuple[str, str]] = []
        self.refs: dict[str, dict[str, Any]] = {}
        self.key: Any = None  # natural key (records.natural_key)
        self.match: int | None = None  # id of the record it matches
        self.existing: dict[str, Any] = {}  # what the importer knows of that record (a deal: its stage)
        self.action = ""

    def fail(self, field: str, message: str) -> None:
        self.errors.append((field, message))

    def ref_id(self, field: str) -> int | None:
        ref = self.refs.get(field)
        return None if ref is None else ref["id"]


# ---------------------------------------------------------------- natural keys


def natural_key(entity: str, row: Row) -> Any:
    """What a row is matched and de-duplicated by besides its id (None: nothing)."""
    values = row.values
    if entity == "customers":
        return nocase(values["name"]) if values.get("name") else None
    if entity == "reps":
        return values.get("handle")
    if entity == "products":
        return nocase(values["sku"]) if values.get("sku") else None
    if entity == "targets":
        if values.get("metric") is None or values.get("period") is None:
            return None
        if values.get("rep") and "rep" not in row.refs:
            return None
        return (values["metric"], values["period"].label, row.ref_id("rep") or 0)
    return None


# ---------------------------------------------------------------- checks


def check(entity: str, row: Row, ctx: Context) -> None:
    """The rules a row must keep beyond its single cells."""
    for name, what in _PAST_DATES.get(entity, ()):
        day = row.values.get(name)
        if day is not None and day > ctx.today:
            row.fail(name, f"{day} is in the future: {what}")
    rule = _CHECKS.get(entity)
    if rule is not None:
        rule(row)


# Dates of what has happened: never after today (as ``deal win``, ``activity log`` and
# ``deal pay`` refuse them too).
_PAST_DATES = {
    "deals": (("closed_at", "a deal is won or lost on or before today"),),
    "activities": (("done_at", "an activity is done on or before today"),),
    "payments": (("paid_on", "a payment is recorded once it is received"),),
}


def _check_deal(row: Row) -> None:
    values = row.values
    stage = row.refs.get("stage")
    kind = stage["kind"] if stage else None
    closed_at, created_at = values.get("closed_at"), values.get("created_at")
    if kind in ("won", "lost") and not closed_at:
        row.fail("closed_at", f"a {kind} deal needs closed_at, the date it was {kind}")
    if closed_at and kind in (None, "open"):
        where = f"is in the open stage '{stage['name']}'" if stage else "has no stage"
        row.fail("closed_at", f"the deal {where}: only won or lost deals have closed_at")
    if values.get("lost_reason") and kind != "lost":
        row.fail("lost_reason", "only a lost deal has a lost_reason")
    if closed_at and created_at and closed_at < created_at[:10]:
        row.fail("closed_at", f"{closed_at} is before created_at ({created_at[:10]})")


def _check_activity(row: Row) -> None:
    values = row.values
    if values.get("due") is None and values.get("done_at") is None and not _has_error(row, "due", "done_at"):
        row.fail("done_at", "an activity needs done_at (when it happened) or due (when it is planned)")
    deal, customer = row.refs.get("deal"), row.refs.get("customer")
    if deal and customer and deal["customer_id"] != customer["id"]:
        row.fail("deal", f"deal {deal['id']} belongs to another customer")


def _check_payment(row: Row) -> None:
    deal = row.refs.get("deal")
    if deal and deal["kind"] != "won":
        row.fail("deal", f"deal {deal['id']} is not won: payments are recorded against won deals")


def _check_target(row: Row) -> None:
    metric, text = row.values.get("metric"), row.values.get("value")
    if metric is None or text is None:
        return
    try:
        row.values["value"] = read_target_value(metric, text)
    except UsageError as error:
        row.fail("value", str(error).strip())


def _has_error(row: Row, *fields: str) -> bool:
    return any(field in fields for field, _ in row.errors)


_CHECKS = {
    "deals": _check_deal,
    "activities": _check_activity,
    "payments": _check_payment,
    "targets": _check_target,
}


# ---------------------------------------------------------------- database columns

# Columns that may not be NULL: an empty cell in an update keeps what the record has.
KEEP_IF_EMPTY = {
    "customers": ("created_at",),
    "reps": ("active", "commission_rate", "created_at"),
    "products": ("active",),
    "deals": ("quantity", "stage_id", "created_at"),
    "activities": ("created_at",),
    "payments": ("created_at",),
    "targets": (),
}
# What a created record has where the file says nothing (not an automatic rule: the
# values ``rep add``, ``product add`` and ``deal add`` would store as well).
DEFAULTS = {
    "reps": {"active": 1, "commission_rate": 0.0},
    "products": {"active": 1},
    "deals": {"quantity": 1},
}


class Shape:
    """How the rows of one file become database columns, worked out once per import.

    A created record gets every column, its id first (None if the file gives none), an
    updated one only the columns the file has (but its id); keys come in a fixed order,
    the same for every row. A reference ``x`` is the column
    ``x_id``; a list is stored as JSON; a target's period as its label and dates; a
    customer's custom fields as one JSON object (which an update patches).
    """

    def __init__(self, entity: Entity, present: Iterable[str]) -> None:
        present = set(present)
        self.entity = entity.name
        self.custom = sorted((n, n[len(CUSTOM_FIELD_PREFIX):]) for n in present if n.startswith(CUSTOM_FIELD_PREFIX))
        self.create = [self._step(f) for f in entity.fields if f.name != "tags"]
        # an update never sets the id: it is the record's (an empty id cell matched by natural key)
        self.update = [self._step(f) for f in entity.fields if f.name not in ("id", "tags") and f.name in present]
        self.defaults = DEFAULTS.get(entity.name, {})

    @staticmethod
    def _step(f: Field) -> tuple[str, str]:
        how = "ref" if f.ref else "list" if f.kind == "list" else "period" if f.name == "period" else "value"
        return f.name, how

    def columns(self, row: Row, ctx: Context, *, creating: bool) -> dict[str, Any]:
        values = row.values
        out: dict[str, Any] = {}
        for name, how in self.create if creating else self.update:
            value = values.get(name)
            if how == "value":
                out[name] = value
            elif how == "ref":
                out[f"{name}_id"] = row.ref_id(name)
            elif how == "list":
                out[name] = JSON.encode(value or [])
            else:
                out["period"], out["start"], out["end"] = value.label, value.start.isoformat(), value.end.isoformat()
        if creating:
            self._fill_defaults(out, values, ctx)
        elif self.custom:
            patch = {key: values.get(name) for name, key in self.custom}  # a null removes a key
            out["fields"] = JSON.encode(patch)
        if self.entity == "customers":
            out["updated_at"] = values.get("updated_at") or ctx.now
        if self.entity == "deals" and "stage" in values:
            # the stage says whether the deal is closed: a reopened deal loses its closing date
            out["closed_at"], out["lost_reason"] = values.get("closed_at"), values.get("lost_reason")
        return out

    def _fill_defaults(self, out: dict[str, Any], values: dict[str, Any], ctx: Context) -> None:
        for column, default in self.defaults.items():
            if out[column] is None:
                out[column] = default
        if out.get("created_at", "") is None and (self.entity != "customers" or ctx.leads):
            out["created_at"] = ctx.now  # a customer without one is an existing customer: it stays NULL
        if self.entity == "reps" and out["name"] is None:
            out["name"] = values["handle"].title()
        if self.entity == "deals" and out["stage_id"] is None:
            out["stage_id"] = ctx.first_open_stage["id"]
        if self.entity == "customers":
            custom = {key: values[name] for name, key in self.custom if values.get(name) is not None}
            out["fields"] = custom_fields_json(custom) if custom else "{}"


# ---------------------------------------------------------------- what else a row writes


def stage_history(row: Row, ctx: Context, *, creating: bool) -> list[tuple[int, str]]:
    """Stage-history rows for an imported deal, ``(stage id, day entered)``: its stage entered on the day it was
    created, or, for a won or lost deal, the first open stage then and the closing stage
    at closed_at. An updated deal whose stage, created_at or closed_at changes gets its
    history afresh the same way (``rebuilds_history``: the old one goes), so the history
    never disagrees with the columns; an update that changes none of them keeps its own."""
    existing = {} if creating else row.existing
    if not creating and not rebuilds_history(row):
        return []
    stage = row.refs.get("stage") or existing.get("stage")
    created_on = (row.values.get("created_at") or existing.get("created_at") or ctx.now)[:10]
    closed_on = _closed_at(row) if not creating else row.values.get("closed_at")
    if stage is None:
        return [(ctx.first_open_stage["id"], created_on)]
    if stage["kind"] == "open":
        return [(stage["id"], created_on)]
    return [(ctx.first_open_stage["id"], created_on), (stage["id"], closed_on or created_on)]


def _closed_at(row: Row) -> str | None:
    """An updated deal's closed_at after the update (``Shape.columns`` sets it with the stage)."""
    return row.values.get("closed_at") if "stage" in row.values else row.existing.get("closed_at")


def rebuilds_history(row: Row) -> bool:
    """Whether an update changes what a deal's history follows: its stage or its dates."""
    existing, stage = row.existing, row.refs.get("stage")
    created = row.values.get("created_at")
    return (
        (stage is not None and stage["id"] != existing.get("stage_id"))
        or (created is not None and created[:10] != (existing.get("created_at") or "")[:10])
        or _closed_at(row) != existing.get("closed_at")
    )

