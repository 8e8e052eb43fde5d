"""What each entity's CSV looks like: its columns, how a cell is read, and what a
header may say instead (``Customer Name``, ``E-mail``, ``客户名称``, ``电话`` …).

The columns of an export are the columns an import reads (SPEC §7). References are
written as names: a customer by name, a rep by handle, a product by sku, a stage by
name; deals by id. Lists (tags, regions, industries) are one cell joined by ``"; "``;
money is a plain decimal (``12000.50``); dates are ``YYYY-MM-DD``; timestamps
``YYYY-MM-DD HH:MM:SS``; flags ``true``/``false``; a commission rate a percentage
(``5%``); a target's value in its metric's unit (``12000.50``, ``12``, ``80%``).
A cell is read by the parser the command line uses (``parse``): the same text means the
same money, date or rate in a file as in an option.
A customer's custom fields are one column each, headed ``field:KEY``. Cells are read
stripped of surrounding spaces; an empty cell is "nothing" (NULL).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from salescli import parse
from salescli.errors import UsageError
from salescli.transfer.reading import normalise

LIST_SEPARATOR = "; "
CUSTOM_FIELD_PREFIX = "field:"
ACTIVITY_TYPES = ("call", "email", "meeting", "visit", "note", "task")
METRICS = ("revenue", "won_deals", "margin", "units", "new_customers", "activities", "satisfaction")
MONEY_METRICS = ("revenue", "margin")


# ---------------------------------------------------------------- reading one cell


def read_text(text: str) -> str:
    return text


def read_money(text: str, maximum: int | None = None) -> int:
    """Money as ``parse.parse_money`` reads it on the command line (a comma only separates
    thousands: ``12,50`` is an error, as it is in ``--amount``)."""
    try:
        return parse.parse_money(text, what="amount", maximum=maximum)
    except UsageError as error:
        if parse.MONEY_FORMS in str(error):
            raise UsageError(f"'{text}' is not an amount of money: use 12000.50") from None
        raise  # a specific complaint: a misplaced comma, fractions of a cent, …


def _date_reader(looking: str) -> Callable[[str], str]:
    """A date column's reader, ``parse.parse_date``'s: a date without a year is the next
    such date (``AHEAD``: due, expected close) or the last one (``BACK``: when something happened)."""

    def read(text: str) -> str:
        try:
            return parse.parse_date(text, looking=looking).isoformat()
        except UsageError as error:
            if parse.DATE_FORMS not in str(error):
                raise  # a specific complaint: ambiguous, has a time of day, …
            raise UsageError(f"'{text}' is not a date: use YYYY-MM-DD") from None

    return read


read_date = _date_reader(parse.BACK)
read_date_ahead = _date_reader(parse.AHEAD)


def read_timestamp(text: str) -> str:
    """``YYYY-MM-DD HH:MM:SS`` (or ``T``, or minutes only, or a date: midnight), or any
    date a date column reads with a time of day after it (``2026/11/3 9:00``, as Excel writes)."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:  # a date in any form a date column takes, and a time of day if any
        day, clock = parse.split_time_of_day(text)
        moment = dt.datetime.combine(dt.date.fromisoformat(read_date(day)), clock)
    else:
        if len(text) == 19 and text[10] == " ":
            return text  # already as stored
    return parse.timestamp(moment.replace(tzinfo=None, microsecond=0))


_TRUE = {"true", "yes", "y", "1", "active", "on", "是"}
_FALSE = {"false", "no", "n", "0", "inactive", "off", "否"}


def read_bool(text: str) -> int:
    value = text.lower()
    if value in _TRUE:
        return 1
    if value in _FALSE:
        return 0
    raise UsageError(f"'{text}' is not true or false (use true/false, yes/no or 1/0)")


def read_list(text: str, key: Callable[[str], str] = str.casefold) -> list[str]:
    """``a; b; c`` as ``parse.list_items`` reads it (as the options read it too)."""
    return parse.list_items([text], key)


def read_tags(text: str) -> list[str]:
    """Tags as a list: repeats in any case of A–Z dropped, as the commands drop them."""
    return read_list(text, parse.nocase)


def read_rate(text: str) -> float:
    return parse.parse_rate(text, what="rate")


def read_count(text: str) -> int:
    return parse.parse_count(text, what="", minimum=1)


def read_id(text: str) -> int:
    return parse.parse_count(text.lstrip("#"), what="id", minimum=1, maximum=parse.MAX_ID)


def read_score(text: str) -> int:
    score = parse.parse_count(text, what="score", minimum=1)
    if score > 5:
        raise UsageError(f"score {score} is out of range: use 1 to 5")
    return score


def read_tier(text: str) -> str:
    if text in ("A", "B", "C"):
        return text
    tier = text.upper()
    if tier not in ("A", "B", "C"):
        raise UsageError(f"tier '{text}' is not A, B or C")
    return tier


def read_handle(text: str) -> str:
    from salescli.store.reps import check_handle

    return check_handle(text)


def read_period(text: str) -> parse.Period:
    return parse.parse_period(text)


def read_recurrence(text: str) -> str:
    from dateutil.rrule import rrulestr

    rule = text.upper()
    try:
        rrulestr(rule, dtstart=dt.datetime(2000, 1, 1))
    except (ValueError, TypeError):
        raise UsageError(f"'{text}' is not a recurrence rule such as FREQ=WEEKLY;INTERVAL=2") from None
    return rule


def choice(choices: tuple[str, ...], what: str) -> Callable[[str], str]:
    def read(text: str) -> str:
        return parse.parse_choice(text, choices, what=what)

    return read


# ---------------------------------------------------------------- target values by metric


def read_target_value(metric: str, text: str) -> int:
    """A target in its metric's unit: cents, a count, or basis points of a share."""
    if metric in MONEY_METRICS:
        return read_money(text, maximum=parse.MAX_TARGET_CENTS)
    if metric == "satisfaction":
        return round(parse.parse_rate(text, what="target") * 10000)
    return parse.parse_count(text, what="", maximum=parse.MAX_TARGET_COUNT)


def target_value_text(metric: str, value: int) -> str:
    """The cell an export writes: ``12000.50``, ``12``, or ``80%``."""
    if metric in MONEY_METRICS:
        return f"{'-' if value < 0 else ''}{abs(value) // 100}.{abs(value) % 100:02d}"
    if metric == "satisfaction":
        return parse.format_rate(value / 10000)
    return str(value)


def target_value_json(metric: str, value: int) -> int | float:
    if metric in MONEY_METRICS:
        return value / 100 if value % 100 else value // 100
    if metric == "satisfaction":
        return value / 10000
    return value


# ---------------------------------------------------------------- columns


@dataclass(frozen=True)
class Field:
    """One column: its name (export header and JSON key), how a cell is read, what a
    header may say instead, and how an export shows it (an ``output.Column`` kind).

    ``ref`` marks a reference (``customer``, ``rep``, ``product``, ``stage``, ``deal``):
    the cell is kept as text and resolved against the database a batch at a time.
    """

    name: str
    read: Callable[[str], Any] = read_text
    required: bool = False
    synonyms: tuple[str, ...] = ()
    kind: str = "text"
    ref: str | None = None


def _id(noun: str, *chinese: str) -> Field:
    return Field("id", read_id, synonyms=(f"{noun} id", f"{noun} no", *chinese), kind="id")


def _created(*more: str) -> Field:
    return Field("created_at", read_timestamp, synonyms=("created", "created on", "date created", "创建时间", "创建日期", *more))


OWNER = ("rep", "sales rep", "salesperson", "account owner", "owner handle", "负责人", "销售", "业务员", "归属")
SOURCE = ("lead source", "channel", "来源", "渠道", "客户来源")
NOTES = ("note", "comment", "comments", "remarks", "备注", "说明")


@dataclass(frozen=True)
class Entity:
    """An importable / exportable kind of record."""

    name: str  # customers
    table: str  # customer
    fields: tuple[Field, ...]
    key: str | None = None  # the natural key's first column, named in messages (None: by id only)
    custom_fields: bool = False
    by_field: dict[str, Field] = field(init=False, repr=False, compare=False)
    headers: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_field", {f.name: f for f in self.fields})
        headers: dict[str, str] = {}
        for f in self.fields:
            for header in (f.name, *f.synonyms):
                headers.setdefault(normalise(header), f.name)
        object.__setattr__(self, "headers", headers)

    @property
    def noun(self) -> str:
        return self.table

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field_for(self, header: str) -> str | None:
        """The field a header names: a field's name or synonym, or ``field:KEY``."""
        if self.custom_fields:
            match = re.match(r"^\s*fields?\s*[:.]\s*(.+?)\s*$", header, re.IGNORECASE)
            if match:
                return CUSTOM_FIELD_PREFIX + match[1]
        return self.headers.get(normalise(header))



CUSTOMERS = Entity(
    "customers",
    "customer",
    (
        _id("customer", "客户编号", "客户id"),
        Field("name", required=True, synonyms=(
            "customer", "customer name", "client", "client name", "account", "account name",
            "客户", "客户名称", "客户名", "名称", "客户姓名")),
        Field("company", synonyms=("company name", "organisation", "organization", "公司", "公司名称", "单位", "企业")),
        Field("title", synonyms=("job title", "position", "职位", "职务")),
        Field("contact", synonyms=("contact person", "contact name", "联系人")),
        Field("phone", synonyms=(
            "telephone", "tel", "mobile", "mobile phone", "cell", "phone number",
            "电话", "手机", "手机号", "手机号码", "联系电话", "电话号码")),
        Field("email", synonyms=("e-mail", "email address", "e-mail address", "mail", "邮箱", "电子邮件", "电子邮箱", "邮件")),
        Field("industry", synonyms=("sector", "行业", "所属行业")),
        Field("region", synonyms=("area", "territory", "地区", "区域", "所在地区")),
        Field("size", synonyms=("company size", "employees", "规模", "公司规模")),
        Field("source", synonyms=SOURCE),
        Field("tier", read_tier, synonyms=("level", "grade", "class", "等级", "级别", "客户等级")),
        Field("tags", read_tags, synonyms=("tag", "label", "labels", "标签"), kind="list"),
        Field("owner", synonyms=OWNER, ref="rep"),
        Field("credit_limit", read_money, synonyms=("credit", "信用额度"), kind="money"),
        Field("notes", synonyms=NOTES),
        _created(),
        Field("updated_at", read_timestamp, synonyms=("updated", "modified", "last modified", "更新时间", "修改时间")),
    ),
    key="name",
    custom_fields=True,
)

REPS = Entity(
    "reps",
    "rep",
    (
        _id("rep"),
        Field("handle", read_handle, required=True, synonyms=("rep", "username", "user", "login", "账号")),
        Field("name", synonyms=("full name", "rep name", "姓名")),
        Field("email", synonyms=("e-mail", "email address", "邮箱")),
        Field("active", read_bool, synonyms=("enabled", "在职"), kind="bool"),
        Field("commission_rate", read_rate, synonyms=("commission", "提成", "提成比例"), kind="percent"),
        Field("regions", read_list, synonyms=("region", "区域", "地区"), kind="list"),
        Field("industries", read_list, synonyms=("industry", "行业"), kind="list"),
        _created(),
    ),
    key="handle",
)

PRODUCTS = Entity(
    "products",
    "product",
    (
        _id("product"),
        Field("sku", required=True, synonyms=("code", "product code", "item code", "item", "编码", "货号", "产品编码")),
        Field("name", required=True, synonyms=("product", "product name", "description", "产品", "产品名称", "名称")),
        Field("price", read_money, required=True, synonyms=("unit price", "list price", "价格", "单价"), kind="money"),
        Field("cost", read_money, synonyms=("unit cost", "成本"), kind="money"),
        Field("active", read_bool, synonyms=("enabled", "在售"), kind="bool"),
    ),
    key="sku",
)

DEALS = Entity(
    "deals",
    "deal",
    (
        _id("deal", "商机编号"),
        Field("title", required=True, synonyms=(
            "deal", "deal name", "name", "opportunity", "subject", "商机", "商机名称", "标题", "项目")),
        Field("customer", required=True, synonyms=(
            "customer name", "client", "account", "company", "客户", "客户名称"), ref="customer"),
        Field("amount", read_money, required=True, synonyms=("value", "deal value", "金额", "合同金额"), kind="money"),
        Field("cost", read_money, synonyms=("成本",), kind="money"),
        Field("product", synonyms=("sku", "product sku", "产品"), ref="product"),
        Field("quantity", read_count, synonyms=("qty", "units", "数量"), kind="int"),
        Field("stage", synonyms=("阶段",), ref="stage"),
        Field("expected_close", read_date_ahead, synonyms=("close date", "expected close date", "预计成交日期")),
        Field("owner", synonyms=OWNER, ref="rep"),
        Field("source", synonyms=SOURCE),
        _created(),
        Field("closed_at", read_date, synonyms=("closed", "closed on", "date closed", "成交日期")),
        Field("lost_reason", synonyms=("reason", "loss reason", "lost reason", "丢单原因")),
    ),
)

ACTIVITIES = Entity(
    "activities",
    "activity",
    (
        _id("activity"),
        Field("customer", required=True, synonyms=("customer name", "client", "account", "客户", "客户名称"), ref="customer"),
        Field("deal", synonyms=("deal id", "商机"), ref="deal", kind="id"),
        Field("type", choice(ACTIVITY_TYPES, "activity type"), required=True, synonyms=("activity type", "类型")),
        Field("summary", synonyms=("subject", "description", "内容", "摘要")),
        Field("owner", synonyms=OWNER, ref="rep"),
        Field("due", read_date_ahead, synonyms=("due date", "follow-up", "follow up date", "到期日", "计划日期")),
        Field("done_at", read_date, synonyms=("date", "done", "done on", "completed", "完成日期", "日期")),
        Field("score", read_score, synonyms=("rating", "satisfaction", "评分"), kind="int"),
        Field("recurrence", read_recurrence, synonyms=("repeat", "rrule", "重复")),
        Field("notes", synonyms=NOTES),
        _created(),
    ),
)

TARGETS = Entity(
    "targets",
    "target",
    (
        _id("target"),
        Field("metric", choice(METRICS, "metric"), required=True, synonyms=("指标",)),
        Field("period", read_period, required=True, synonyms=("周期", "期间")),
        Field("rep", synonyms=OWNER, ref="rep"),
        Field("value", required=True, synonyms=("target", "goal", "目标", "目标值")),
    ),
    key="metric",
)

PAYMENTS = Entity(
    "payments",
    "payment",
    (
        _id("payment"),
        Field("deal", required=True, synonyms=("deal id", "商机"), ref="deal", kind="id"),
        Field("amount", read_money, required=True, synonyms=("paid", "payment", "金额", "付款金额"), kind="money"),
        Field("paid_on", read_date, required=True, synonyms=("date", "paid at", "payment date", "付款日期", "日期")),
        _created(),
    ),
)

ENTITIES = {e.name: e for e in (CUSTOMERS, DEALS, ACTIVITIES, TARGETS, REPS, PRODUCTS, PAYMENTS)}


def entity(name: str) -> Entity:
    """The entity a user named (``customers``, ``customer``, ``cust``…)."""
    singular = {e.table: e for e in ENTITIES.values()}
    return singular.get(name.strip().lower()) or ENTITIES[parse.parse_choice(name, tuple(ENTITIES), what="entity")]


JSON = json.JSONEncoder(ensure_ascii=False)  # ``json.dumps(value, ensure_ascii=False)``, without a new encoder each time


def custom_fields_json(fields: dict[str, str]) -> str:
    return JSON.encode(dict(sorted(fields.items())))
