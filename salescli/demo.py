"""The sample business of `salescli demo`, and the benchmark's reference-scale data.

Pure data building: every row is a tuple made from ``random.Random`` streams seeded by
``seed`` and dated relative to ``today`` (so ``SALESCLI_TODAY`` makes a demo reproducible
to the byte), handed to ``store.bulk`` in batches inside the caller's one transaction.

Two shapes: ``SAMPLE``, the default, a small business to read through (3 reps, 40
customers, 60 deals); and ``scaled(n)``: n customers, 2.5 n deals, 10 n activities of which
n are open follow-ups (about 1 % of them overdue or due within a week), ~2,000 targets at
n = 100,000 — SPEC §9's reference scale.

The data keeps the contracts every report reads (see the helper brief): customers are
created over the last year and deals over the last six months; a deal's stage history
starts at its creation date with its first stage, climbs the open stages in order (skips
allowed) and ends in the deal's current stage, won or lost on ``closed_at``; every customer
but the newest had a "First contact" task done, and the customers added yesterday have
theirs open; a few new leads (added days ago) have no activity at all.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import random
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from salescli import parse, store
from salescli.errors import Invalid
from salescli.grammar import plural
from salescli.store import bulk

CUSTOMER_DAYS = 365  # customers were added over the last year
DEAL_DAYS = 182  # deals were opened over the last six months
TARGET_BASIS_DAYS = 90  # targets are set from the last quarter's pace


@dataclass(frozen=True)
class Shape:
    """How much of everything to make."""

    customers: int
    reps: int
    products: int
    deals: int
    activities: int  # all of them: done ones and open follow-ups
    open_followups: int
    due_soon: int  # open follow-ups overdue, due today or within 7 days
    uncontacted: int  # new leads added days ago that nobody has contacted
    target_periods: str  # "sample": this month and quarter; "scale": also months and weeks


SAMPLE = Shape(
    customers=40, reps=3, products=5, deals=60, activities=220, open_followups=20, due_soon=12, uncontacted=2,
    target_periods="sample",
)


def scaled(customers: int) -> Shape:
    """The benchmark's proportions for ``customers`` customers (SPEC §9 at 100,000)."""
    if customers < 10:
        raise Invalid(f"the demo needs at least 10 customers, not {customers}")
    return Shape(
        customers=customers,
        reps=max(3, customers // 2000),
        products=max(5, min(200, customers // 500)),
        deals=customers * 5 // 2,
        activities=customers * 10,
        open_followups=customers,
        due_soon=min(customers, max(10, customers // 100)),
        uncontacted=max(2, customers // 10_000),
        target_periods="scale",
    )


def fill(conn: sqlite3.Connection, shape: Shape, *, seed: int, today: dt.date, replace: bool = False) -> dict[str, int]:
    """Fill the file with a sample business of ``shape``; return how many rows each table got
    (and ``open_followups``). A file that already holds records is refused unless
    ``replace``, which deletes them first (stages and settings stay)."""
    ladder = Ladder.of(bulk.stage_ladder(conn))
    first_contact_hours = store.number_setting(conn, "first_contact_hours")
    if bulk.has_records(conn) and not replace:
        held = bulk.record_counts(conn)
        raise Invalid(
            f"this file already holds records ({plural(held['customer'], 'customer')}, {plural(held['deal'], 'deal')}, "
            f"{plural(held['rep'], 'rep')}): use --force to replace them with the demo, or --db to choose another file"
        )
    business = Business(shape, seed, today, ladder, first_contact_hours)
    with bulk.derived_deferred(conn):
        bulk.clear_records(conn)
        offsets = bulk.id_offsets(conn)  # the business is numbered from 1; in the file, above every id used before
        with bulk.indexes_deferred(conn):
            created = {
                table: bulk.insert(conn, table, columns, rows, offsets=offsets) for table, columns, rows in business.tables()
            }
    basis = (today - dt.timedelta(days=TARGET_BASIS_DAYS)).isoformat(), (today - dt.timedelta(days=1)).isoformat()
    performance = {rep - offsets["rep"]: actuals for rep, actuals in bulk.recent_performance(conn, *basis).items()}
    created["target"] = bulk.insert(conn, "target", TARGET_COLUMNS, business.targets(performance), offsets=offsets)
    created["open_followups"] = shape.open_followups  # the newest customers' first contacts, and the plans
    return created


# ---------------------------------------------------------------- the cast

SAMPLE_REPS = (
    # handle, name, commission rate, regions, industries
    ("alice", "Alice Wong", 0.05, ["north"], ["manufacturing", "construction"]),
    ("bob", "Bob Martin", 0.04, ["south", "west"], ["retail", "food", "hospitality"]),
    ("wei", "王伟", 0.06, ["east"], ["logistics", "trading"]),
)
REGIONS = ("north", "south", "east", "west")
INDUSTRIES = (
    "manufacturing", "construction", "retail", "food", "hospitality", "logistics", "trading", "healthcare",
    "software", "education",
)

SAMPLE_CUSTOMERS = (
    # name, contact, title, industry, region (a name with no company is a person)
    ("华兴贸易有限公司", "张伟", "采购经理", "trading", "east"),
    ("Acme Tools Ltd", "Sarah Miller", "Purchasing Manager", "manufacturing", "north"),
    ("Northwind Traders", "James Carter", "Owner", "trading", "east"),
    ("上海明远科技有限公司", "李娜", "总经理", "software", "east"),
    ("Bluebird Bakery", "Emma Davis", "Owner", "food", "west"),
    ("北京恒达建材有限公司", "王强", "项目经理", "construction", "north"),
    ("Harbor Freight Logistics", "Michael Brown", "Operations Director", "logistics", "south"),
    ("Summit Construction Co", "David Wilson", "Site Manager", "construction", "north"),
    ("深圳创新电子有限公司", "陈静", "采购主管", "manufacturing", "south"),
    ("Green Valley Clinic", "Olivia Moore", "Practice Manager", "healthcare", "west"),
    ("Pioneer Software GmbH", "Lukas Becker", "CTO", "software", "north"),
    ("杭州绿源茶业", "刘洋", "店长", "food", "east"),
    ("Riverside Hotel", "Sophie Laurent", "Facilities Manager", "hospitality", "south"),
    ("Maple Leaf Restaurant", "Daniel Lee", "Head Chef", "food", "north"),
    ("广州南方物流有限公司", "黄磊", "运营总监", "logistics", "south"),
    ("Golden Gate Imports", "Maria Lopez", "Buyer", "trading", "west"),
    ("Stonebridge Builders", "Tom Clarke", "Procurement Lead", "construction", "east"),
    ("成都天府餐饮管理有限公司", "赵敏", "行政经理", "food", "west"),
    ("Brightline Retail", "Hannah Scott", "Store Manager", "retail", "south"),
    ("Oakwood School", "Peter Hall", "Bursar", "education", "north"),
    ("苏州精工机械有限公司", "周杰", "设备主管", "manufacturing", "east"),
    ("Silverline Motors", "Kevin Young", "Service Manager", "manufacturing", "west"),
    ("Sunrise Fitness", "Laura King", "Owner", "hospitality", "east"),
    ("天津港通国际货运有限公司", "吴刚", "经理", "logistics", "north"),
    ("Redwood Dental", "Anna Wright", "Practice Owner", "healthcare", "north"),
    ("Blue Ocean Seafood", "Chris Green", "Purchasing", "food", "south"),
    ("武汉长江医疗器械有限公司", "郑丽", "采购", "healthcare", "south"),
    ("Evergreen Landscaping", "Ben Adams", "Owner", "construction", "west"),
    ("Metro Office Supplies", "Rachel Baker", "Buyer", "retail", "north"),
    ("青岛海风酒店", "孙浩", "工程部经理", "hospitality", "north"),
    ("Lakeside Brewery", "Sam Nelson", "Head Brewer", "food", "east"),
    ("Hans Müller", None, "Contractor", "construction", "west"),
    ("南京金陵百货", "马超", "采购经理", "retail", "east"),
    ("Crescent Textiles", "Omar Haddad", "Plant Manager", "manufacturing", "south"),
    ("Atlas Freight", "Ivan Petrov", "Fleet Manager", "logistics", "north"),
    ("厦门鹭岛进出口有限公司", "林晓", "外贸经理", "trading", "south"),
    ("Corner Café", "Julia Rossi", "Owner", "food", "west"),
    ("Fresh Market Co", "Grace Kim", "Category Manager", "retail", "east"),
    ("Peak Performance Labs", "Nina Patel", "Lab Manager", "healthcare", "east"),
    ("Westfield Apartments", "Mark Turner", "Property Manager", "hospitality", "west"),
)

# Made-up names for customers beyond the sample's forty, unique by construction.
NAME_WORDS = (
    ("Golden", "Blue", "Silver", "North", "Red", "Green", "Great", "Pacific", "Summit", "Pioneer", "Harbor",
     "Maple", "Eagle", "Sun", "Star", "Oak", "Iron", "Stone", "Bright", "Prime", "Royal", "Coastal", "Urban",
     "Alpine", "Swift", "Noble", "Crystal", "Liberty", "Cedar", "Falcon"),
    ("River", "Peak", "Bridge", "Field", "Lake", "Valley", "Rock", "Wood", "Point", "Gate", "Hill", "Bay",
     "Ridge", "Park", "Crest", "Spring", "Harvest", "Line", "Way", "Works", "Port", "Mill", "Forge", "Grove",
     "Haven", "Stream", "Cliff", "Meadow", "Shore", "Trail"),
    ("Trading", "Foods", "Logistics", "Tools", "Supplies", "Electronics", "Builders", "Textiles", "Motors",
     "Pharma"),
    ("Ltd", "Inc", "& Co", "LLC", "Group", "Partners", "Holdings", "International"),
)
CHINESE_NAME_WORDS = (
    ("上海", "北京", "深圳", "广州", "杭州", "南京", "苏州", "成都", "武汉", "天津", "重庆", "西安", "青岛", "厦门",
     "宁波", "长沙", "郑州", "济南", "合肥", "福州"),
    ("华兴", "恒达", "明远", "创新", "绿源", "东方", "金山", "长城", "新世纪", "联合", "瑞丰", "宏发", "永信", "盛达",
     "天成", "鸿运", "嘉禾", "和信", "中联", "百川"),
    ("贸易", "科技", "物流", "建材", "电子", "食品", "机械", "纺织", "医药", "实业"),
    ("有限公司", "股份有限公司", "集团", "商行"),
)
FIRST_NAMES = ("Anna", "Ben", "Carla", "David", "Elena", "Frank", "Grace", "Henry", "Iris", "Jack", "Kate",
               "Leo", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sam", "Tara", "Victor")
LAST_NAMES = ("Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones", "Khan",
              "Lopez", "Martin", "Novak", "Olsen", "Park", "Quinn", "Rossi", "Smith", "Tanaka")
CHINESE_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
CHINESE_GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "晓东", "建华", "丽")
TITLES = ("Owner", "Buyer", "Purchasing Manager", "Operations Manager", "Office Manager", "CFO", "Director")
CHINESE_TITLES = ("总经理", "采购经理", "采购", "经理", "行政主管", "财务总监")

SOURCES = (("referral", 25), ("web", 25), ("ads", 15), ("event", 12), ("cold-call", 13), ("partner", 10))
TIERS = (("A", 15), ("B", 30), ("C", 30), (None, 25))
SIZES = (("small", 50), ("medium", 35), ("large", 15))
TAGS = ("vip", "wholesale", "export", "newsletter", "key-account", "distributor", "重点客户")
CREDIT_LIMITS = (5_000_00, 10_000_00, 20_000_00, 50_000_00, 100_000_00)
NOTES = (
    "Prefers WeChat over e-mail.",
    "Pays on 30-day terms.",
    "Budget decided every January.",
    "Met at the autumn trade fair.",
    "Only calls before 10 am.",
    "喜欢微信联系",
)

SAMPLE_PRODUCTS = (
    # sku, name, price, cost, usual largest quantity
    ("WP-100", "Water purifier WP-100", 1_200_00, 700_00, 10),
    ("WP-300", "Commercial purifier WP-300", 4_800_00, 2_900_00, 3),
    ("FLT-12", "Filter set, 12 months", 180_00, 60_00, 20),
    ("SVC-INST", "Installation service", 350_00, 120_00, 5),
    ("MNT-YR", "Annual maintenance contract", 900_00, 300_00, 3),
)
PRODUCT_WORDS = (("Compact", "Pro", "Smart", "Heavy-duty", "Eco", "Mini", "Max", "Classic"),
                 ("dispenser", "cooler", "softener", "pump", "meter", "valve", "tank", "UV lamp", "kit", "sensor"))
OPEN_DEAL_TITLES = ("Service contract", "Custom installation", "Annual supply agreement", "Pilot project",
                    "Replacement order", "Site survey and fit-out")
LOST_REASONS = (("price", 35), ("competitor", 25), ("no budget", 15), ("timing", 15), ("no decision", 10))

DONE_TYPES = (("call", 35), ("email", 25), ("meeting", 12), ("visit", 12), ("note", 8), ("task", 8))
PLAN_TYPES = (("call", 40), ("email", 20), ("meeting", 15), ("visit", 15), ("task", 10))
SUMMARIES = {
    "call": ("Discussed the quote", "Checked on delivery", "After-sales call", "Follow-up call", "电话回访"),
    "email": ("Sent the price list", "Sent revised quote", "Answered a technical question", "Sent the contract"),
    "meeting": ("Kick-off meeting", "Contract negotiation", "Quarterly review"),
    "visit": ("Site visit", "Installation check", "Maintenance visit", "上门拜访"),
    "note": ("Budget approved next month", "New decision maker", "Asked for references"),
    "task": ("Prepared the proposal", "Updated the price list", "Checked the credit limit"),
}
FOLLOWUPS = {
    "call": ("Call back about the quote", "Chase the signed contract", "Check the delivery date", "回访客户"),
    "email": ("Send the revised quote", "Send the maintenance offer", "Send the reference list"),
    "meeting": ("Quarterly review", "Negotiate the renewal", "Meet the new buyer"),
    "visit": ("Demo at their site", "Installation check", "Maintenance visit"),
    "task": ("Prepare the proposal", "Chase payment", "Check the credit limit"),
}
RECURRING = ("FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY", "FREQ=MONTHLY;INTERVAL=3")
SCORES = ((5, 30), (4, 35), (3, 20), (2, 10), (1, 5))
METRICS = ("revenue", "won_deals", "new_customers", "activities")

REP_COLUMNS = ("id", "handle", "name", "email", "active", "commission_rate", "regions", "industries", "created_at")
PRODUCT_COLUMNS = ("id", "sku", "name", "price", "cost", "active")
CUSTOMER_COLUMNS = (
    "id", "name", "company", "title", "contact", "phone", "email", "industry", "region", "size", "source", "tier",
    "owner_id", "credit_limit", "notes", "fields", "created_at", "updated_at",
)
TAG_COLUMNS = ("customer_id", "tag")
DEAL_COLUMNS = (
    "id", "title", "customer_id", "amount", "cost", "product_id", "quantity", "stage_id", "expected_close",
    "owner_id", "source", "created_at", "closed_at", "lost_reason",
)
HISTORY_COLUMNS = ("id", "deal_id", "stage_id", "entered_on")
ACTIVITY_COLUMNS = (
    "id", "customer_id", "deal_id", "type", "summary", "owner_id", "due", "done_at", "score", "recurrence",
    "notes", "created_at",
)
PAYMENT_COLUMNS = ("id", "deal_id", "amount", "paid_on", "created_at")
TARGET_COLUMNS = ("id", "metric", "period", "start", "end", "rep_id", "value")


# ---------------------------------------------------------------- helpers


class Dice(random.Random):
    """``random.Random`` with quicker draws for the hot loops (``randint`` and ``choice``
    cost several times a bare ``random()``)."""

    def between(self, low: int, high: int) -> int:
        """A whole number from ``low`` to ``high``, both included."""
        return low + int(self.random() * (high - low + 1))

    def below(self, limit: int) -> int:
        """A whole number from 0 to ``limit - 1``."""
        return int(self.random() * limit)

    def pick(self, choices: Sequence[Any]) -> Any:
        return choices[int(self.random() * len(choices))]


class Weighted:
    """Quick weighted choices from one random stream (``random.choices`` per row is slow)."""

    def __init__(self, rng: Dice, pairs: Sequence[tuple[Any, int]]):
        self.values = [value for value, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]
        self.random = rng.random

    def __call__(self) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, self.random() * self.total)]


class Calendar:
    """ISO dates and timestamps by days before today (0 today, 1 yesterday, -3 in three days)."""

    FUTURE = 400
    CLOCK = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(8, 19) for m in range(60) for s in range(0, 60, 7)]
    MORNING = len([t for t in CLOCK if t < "12:00"])  # today's events happen before noon

    def __init__(self, today: dt.date):
        self.today = today
        self.dates = [(today - dt.timedelta(days=ago)).isoformat() for ago in range(-self.FUTURE, CUSTOMER_DAYS + 60)]

    def date(self, ago: int) -> str:
        return self.dates[ago + self.FUTURE]

    def stamp(self, ago: int, clock: int) -> str:
        """The timestamp ``ago`` days before today at ``CLOCK[clock]``, ``clock`` taken round
        the clock as often as it needs (today: round the morning only)."""
        clock %= self.MORNING if ago <= 0 else len(self.CLOCK)
        return f"{self.dates[ago + self.FUTURE]} {self.CLOCK[clock]}"


@dataclass(frozen=True)
class Ladder:
    """The stages a deal climbs: open ones in order, then won or lost."""

    open: list[int]
    won: int
    lost: int
    by_index: list[int]  # stage ids: the open ones, then won, then lost

    @classmethod
    def of(cls, stages: Sequence[sqlite3.Row]) -> Ladder:
        open_ids = [row["id"] for row in stages if row["kind"] == "open"]
        won = next((row["id"] for row in stages if row["kind"] == "won"), None)
        lost = next((row["id"] for row in stages if row["kind"] == "lost"), None)
        if not open_ids or won is None or lost is None:
            raise Invalid("the demo needs at least one open stage, a won stage and a lost stage (see 'salescli stage list')")
        return cls(open_ids, won, lost, [*open_ids, won, lost])

    @property
    def won_index(self) -> int:
        return len(self.open)

    @property
    def lost_index(self) -> int:
        return len(self.open) + 1


class Customer(NamedTuple):
    ago: int  # days since it was added
    clock: int
    owner: int
    source: str
    status: str  # "regular", "uncontacted" (a new lead nobody called) or "fresh" (added yesterday)


class Deal(NamedTuple):
    customer: int  # index into Business.customers
    owner: int
    created: int  # days ago
    clock: int
    product: int | None  # index into Business.products
    quantity: int
    amount: int
    cost: int | None
    path: tuple[int, ...]  # (stage index, days ago) pairs, flattened, in the order entered
    expected: int  # expected close, days ago (negative: in the future)
    reason: str | None

    @property
    def last_stage(self) -> int:
        return self.path[-2]

    @property
    def last_day(self) -> int:
        return self.path[-1]


# ---------------------------------------------------------------- the business


class Business:
    """The plan of one sample business; ``tables()`` turns it into rows."""

    def __init__(self, shape: Shape, seed: int, today: dt.date, ladder: Ladder, first_contact_hours: int):
        self.shape, self.seed, self.ladder = shape, seed, ladder
        self.first_contact_hours = first_contact_hours
        self.calendar = Calendar(today)
        self.reps = self._plan_reps()
        self.products = self._plan_products()
        self.customers = self._plan_customers()
        self.deals = self._plan_deals()

    def rng(self, part: str) -> Dice:
        """An independent, reproducible stream per part of the business."""
        return Dice(f"salescli-demo:{self.seed}:{part}")

    def tables(self) -> Iterator[tuple[str, Sequence[str], Any]]:
        """``(table, columns, rows)`` in the order the foreign keys need (targets come last,
        from ``targets()``, once the actuals they are set from are in the file)."""
        yield "rep", REP_COLUMNS, self._rep_rows()
        yield "product", PRODUCT_COLUMNS, self._product_rows()
        yield "customer", CUSTOMER_COLUMNS, self._customer_rows()
        yield "customer_tag", TAG_COLUMNS, self._tag_rows()
        yield "deal", DEAL_COLUMNS, self._deal_rows()
        yield "stage_history", HISTORY_COLUMNS, self._history_rows()
        yield "activity", ACTIVITY_COLUMNS, self._activity_rows()
        yield "payment", PAYMENT_COLUMNS, self._payment_rows()

    # ------------------------------------------------------------ reps and products

    def _plan_reps(self) -> list[tuple[str, str, float, list[str], list[str]]]:
        rng = self.rng("reps")
        reps = list(SAMPLE_REPS[: self.shape.reps])
        for number in range(len(reps) + 1, self.shape.reps + 1):
            if rng.random() < 0.3:
                name = rng.pick(CHINESE_SURNAMES) + rng.pick(CHINESE_GIVEN)
            else:
                name = f"{rng.pick(FIRST_NAMES)} {rng.pick(LAST_NAMES)}"
            regions = [REGIONS[number % len(REGIONS)]]
            industries = sorted(rng.sample(INDUSTRIES, 2))
            reps.append((f"rep{number:03d}", name, rng.pick((0.03, 0.04, 0.05, 0.06, 0.07)), regions, industries))
        return reps

    def _rep_rows(self) -> Iterator[tuple[Any, ...]]:
        for number, (handle, name, rate, regions, industries) in enumerate(self.reps, start=1):
            yield (
                number, handle, name, f"{handle}@example.com", 1, rate,
                json.dumps(regions, ensure_ascii=False), json.dumps(industries, ensure_ascii=False),
                self.calendar.stamp(CUSTOMER_DAYS + 30 + number % 30, number * 97),
            )

    def _plan_products(self) -> list[tuple[str, str, int, int, int]]:
        rng = self.rng("products")
        products = list(SAMPLE_PRODUCTS[: self.shape.products])
        for number in range(len(products) + 1, self.shape.products + 1):
            adjective, item = PRODUCT_WORDS[0][number % 8], PRODUCT_WORDS[1][(number // 8) % 10]
            price = rng.pick((45, 90, 150, 240, 380, 650, 990, 1_500, 2_400)) * 100
            cost = price * rng.pick((35, 45, 55, 65)) // 100
            products.append((f"P-{number:04d}", f"{adjective} {item} {number}", price, cost, rng.pick((3, 5, 10, 20))))
        return products

    def _product_rows(self) -> Iterator[tuple[Any, ...]]:
        for number, (sku, name, price, cost, _) in enumerate(self.products, start=1):
            yield number, sku, name, price, cost, 1

    # ------------------------------------------------------------ customers

    def _plan_customers(self) -> list[Customer]:
        """When each customer was added (oldest first: ids follow the order of adding), by whom
        it is owned, and whether it is one of the new leads nobody has contacted yet."""
        rng = self.rng("customers")
        shape = self.shape
        fresh = max(1, shape.customers // CUSTOMER_DAYS)  # added yesterday: first contact due today
        regular = shape.customers - fresh - shape.uncontacted
        days = [(rng.between(2, CUSTOMER_DAYS), "regular") for _ in range(regular)]
        days += [(2 + n % 4, "uncontacted") for n in range(shape.uncontacted)]
        days += [(1, "fresh")] * fresh
        days.sort(key=lambda item: -item[0])
        by_region: dict[str, list[int]] = {}
        for number, (_, _, _, regions, _) in enumerate(self.reps, start=1):
            for region in regions:
                by_region.setdefault(region, []).append(number)
        source = Weighted(rng, SOURCES)
        customers = []
        for index, (ago, status) in enumerate(days):
            region = self._region(index)
            owners = by_region.get(region) or range(1, len(self.reps) + 1)
            owner = owners[int(rng.random() * len(owners))] if rng.random() < 0.9 else rng.between(1, len(self.reps))
            customers.append(Customer(ago, rng.below(len(Calendar.CLOCK)), owner, source(), status))
        return customers

    def _region(self, index: int) -> str:
        if index < len(SAMPLE_CUSTOMERS):
            return SAMPLE_CUSTOMERS[index][4]
        # round the regions, shifted every fourth customer so that the Chinese names
        # (every fourth made-up one) are not all in one region
        return REGIONS[(index + index // 4) % len(REGIONS)]

    def _customer_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("customer-details")
        tier, size = Weighted(rng, TIERS), Weighted(rng, SIZES)
        calendar = self.calendar
        for index, customer in enumerate(self.customers):
            name, contact, title, industry, chinese = self._identity(rng, index)
            is_person = contact is None
            phone = (
                f"+86 1{rng.between(30, 89)} {rng.between(1000, 9999)} {rng.between(1000, 9999)}"
                if chinese
                else f"+1 555 {rng.between(100, 999)} {rng.between(1000, 9999)}"
            )
            email = f"{'sales' if chinese else 'contact'}{index + 1}@{'example.cn' if chinese else 'example.com'}"
            fields: dict[str, str] = {}
            if rng.random() < 0.35:
                fields["wechat" if chinese else "vat_id"] = (
                    f"wx_{index + 1:05d}" if chinese else f"VAT{rng.between(10**8, 10**9 - 1)}"
                )
            if rng.random() < 0.2:
                fields["payment_terms"] = rng.pick(("30 days", "60 days", "prepaid"))
            created = calendar.stamp(customer.ago, customer.clock)
            updated = created
            if customer.ago > 2 and rng.random() < 0.3:
                updated = calendar.stamp(rng.between(1, customer.ago - 1), rng.below(len(Calendar.CLOCK)))
            yield (
                index + 1, name, None if is_person else name, title, contact or name, phone, email, industry,
                self._region(index), size(), customer.source, tier(), customer.owner,
                rng.pick(CREDIT_LIMITS) if rng.random() < 0.55 else None,
                rng.pick(NOTES) if rng.random() < 0.2 else None,
                json.dumps(fields, ensure_ascii=False, sort_keys=True), created, updated,
            )

    def _identity(self, rng: Dice, index: int) -> tuple[str, str | None, str, str, bool]:
        """name, contact (None: the customer is a person), title, industry, Chinese?"""
        if index < len(SAMPLE_CUSTOMERS):
            name, contact, title, industry, _ = SAMPLE_CUSTOMERS[index]
            return name, contact, title, industry, any("\u4e00" <= char <= "\u9fff" for char in name)
        number = index - len(SAMPLE_CUSTOMERS)
        if number % 4 == 3:  # a quarter of the made-up customers are Chinese companies
            name = _compose(CHINESE_NAME_WORDS, number // 4, "", "第{}分公司")
            contact = rng.pick(CHINESE_SURNAMES) + rng.pick(CHINESE_GIVEN)
            return name, contact, rng.pick(CHINESE_TITLES), INDUSTRIES[index % len(INDUSTRIES)], True
        name = _compose(NAME_WORDS, number - number // 4, " ", " {}")
        contact = f"{rng.pick(FIRST_NAMES)} {rng.pick(LAST_NAMES)}"
        return name, contact, rng.pick(TITLES), INDUSTRIES[index % len(INDUSTRIES)], False

    def _tag_rows(self) -> Iterator[tuple[int, str]]:
        rng = self.rng("tags")
        for index in range(len(self.customers)):
            count = int(rng.random() * 4) if rng.random() < 0.6 else 0
            for tag in sorted(set(rng.pick(TAGS) for _ in range(count))):
                yield index + 1, tag

    # ------------------------------------------------------------ deals

    def _plan_deals(self) -> list[Deal]:
        """Each deal's customer, product, amount and the stages it went through, oldest first."""
        rng = self.rng("deals")
        ladder, shape = self.ladder, self.shape
        contactable = [i for i, c in enumerate(self.customers) if c.status == "regular"]
        added = [-self.customers[i].ago for i in contactable]  # ascending, for bisect
        reason = Weighted(rng, LOST_REASONS)
        deals = []
        for created in sorted((rng.between(1, DEAL_DAYS) for _ in range(shape.deals)), reverse=True):
            known = bisect.bisect_left(added, -created)  # customers added before that day
            customer = contactable[int(rng.random() * known)] if known else contactable[0]
            created = min(created, self.customers[customer].ago - 1)
            owner = self.customers[customer].owner if rng.random() < 0.92 else rng.between(1, len(self.reps))
            product, quantity, amount, cost = self._price(rng)
            path = self._path(rng, created)
            last_stage, last_day = path[-2], path[-1]
            if last_stage < ladder.won_index:
                expected = last_day - rng.between(14, 100)
                if expected > 20 and rng.random() < 0.85:  # most reps keep their dates current
                    expected = -rng.between(1, 90)
            else:
                expected = last_day + rng.between(-20, 20)
            deals.append(Deal(
                customer, owner, created, rng.below(len(Calendar.CLOCK)), product, quantity, amount, cost,
                path, expected, reason() if last_stage == ladder.lost_index else None,
            ))
        return deals

    def _price(self, rng: Dice) -> tuple[int | None, int, int, int | None]:
        if rng.random() < 0.15 or not self.products:
            amount = rng.pick((1_500, 2_500, 5_000, 8_000, 12_000, 20_000, 35_000)) * 100
            cost = None if rng.random() < 0.5 else amount * rng.between(45, 70) // 10_000 * 100
            return None, 1, amount, cost
        # the first (cheaper, everyday) products sell more often than the last
        product = min(int(rng.random() ** 1.8 * len(self.products)), len(self.products) - 1)
        _, _, price, unit_cost, most = self.products[product]
        quantity = 1 + min(int(rng.expovariate(3 / most)), most - 1)
        discount = rng.pick((0, 0, 0, 5, 10, 15))
        amount = price * quantity * (100 - discount) // 10_000 * 100
        return product, quantity, amount, unit_cost * quantity

    def _path(self, rng: Dice, created: int) -> tuple[int, ...]:
        """The stages a deal entered with the days they were entered, flattened: it starts at
        its first stage on the day it was created, climbs (now and then skipping a stage),
        and is won, lost, or still open today."""
        ladder = self.ladder
        top = len(ladder.open) - 1
        start = min(top, 0 if rng.random() < 0.75 else (1 if rng.random() < 0.6 else 2))
        fate = rng.random()
        if fate < 0.32:
            goal, end = top, ladder.won_index
        elif fate < 0.57:
            goal, end = rng.between(start, top), ladder.lost_index
        else:
            goal, end = rng.between(start, top), None
        path = [start, created]
        stage, day = start, created
        while True:
            if stage < goal:
                stage = stage + 2 if stage + 2 <= goal and rng.random() < 0.15 else stage + 1
            elif end is not None:
                stage = end
            else:
                break
            day -= 1 + min(int(rng.expovariate(1 / 8)), 44)
            if day < 0:  # not there yet: the deal is still open today
                break
            path += [stage, day]
            if stage == end:
                break
        return tuple(path)

    def _deal_rows(self) -> Iterator[tuple[Any, ...]]:
        calendar, ladder = self.calendar, self.ladder
        titles = [name for _, name, _, _, _ in self.products]
        rng = self.rng("deal-titles")
        for number, deal in enumerate(self.deals, start=1):
            if deal.product is None:
                title = rng.pick(OPEN_DEAL_TITLES)
            else:
                title = titles[deal.product] if deal.quantity == 1 else f"{titles[deal.product]} × {deal.quantity}"
            closed = deal.last_stage >= ladder.won_index
            yield (
                number, title, deal.customer + 1, deal.amount, deal.cost,
                None if deal.product is None else deal.product + 1, deal.quantity, ladder.by_index[deal.last_stage],
                calendar.date(deal.expected), deal.owner, self.customers[deal.customer].source,
                calendar.stamp(deal.created, deal.clock),
                calendar.date(deal.last_day) if closed else None, deal.reason,
            )

    def _history_rows(self) -> Iterator[tuple[int, int, int, str]]:
        ids = itertools.count(1)
        by_index, date = self.ladder.by_index, self.calendar.date
        for number, deal in enumerate(self.deals, start=1):
            path = deal.path
            for position in range(0, len(path), 2):
                yield next(ids), number, by_index[path[position]], date(path[position + 1])

    # ------------------------------------------------------------ activities

    def _activity_rows(self) -> Iterator[tuple[Any, ...]]:
        """Done activities (each contacted customer's first contact, then calls, visits, ...),
        then the open follow-ups."""
        ids = itertools.count(1)
        yield from self._first_contacts(ids)
        yield from self._done_activities(ids)
        yield from self._open_followups(ids)

    def _first_contacts(self, ids: Iterator[int]) -> Iterator[tuple[Any, ...]]:
        """The "First contact" task every customer got when added, done for all but the
        newest (open, due today) and the uncontacted leads (who never had one: imported)."""
        rng = self.rng("first-contacts")
        calendar, hours = self.calendar, self.first_contact_hours
        for index, customer in enumerate(self.customers):
            if customer.status == "uncontacted":
                continue
            created = calendar.stamp(customer.ago, customer.clock)
            due_on = dt.datetime.fromisoformat(created) + dt.timedelta(hours=hours)
            due = due_on.date().isoformat()
            done = None
            if customer.status == "regular":
                done_ago = max(0, customer.ago - int(rng.random() * 2))
                done = calendar.date(done_ago)
            yield (next(ids), index + 1, None, "task", "First contact", customer.owner, due, done, None, None, None, created)

    def _done_activities(self, ids: Iterator[int]) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("activities")
        calendar, shape = self.calendar, self.shape
        random_ = rng.random
        kind, score = Weighted(rng, DONE_TYPES), Weighted(rng, SCORES)
        contactable = [i for i, c in enumerate(self.customers) if c.status == "regular"]
        first_contacts = sum(1 for c in self.customers if c.status != "uncontacted")
        count = max(0, shape.activities - shape.open_followups - (first_contacts - self._fresh_count()))
        customers, deals, clock = self.customers, self.deals, len(Calendar.CLOCK)
        for _ in range(count):
            if deals and random_() < 0.6:
                number = int(random_() * len(deals))
                deal = deals[number]
                customer, owner, deal_id = deal.customer, deal.owner, number + 1
                last = deal.last_day if deal.last_stage >= self.ladder.won_index else 0
                ago = last + int(random_() * (deal.created - last + 1))
            else:
                customer = contactable[int(random_() * len(contactable))]
                owner, deal_id = customers[customer].owner, None
                ago = int(random_() * customers[customer].ago)
            type_ = kind()
            summaries = SUMMARIES[type_]
            summary = summaries[int(random_() * len(summaries))]
            scored = (type_ == "visit" and random_() < 0.85) or (type_ == "call" and random_() < 0.12)
            at = int(random_() * clock)
            if random_() < 0.08:  # it was planned first, then done
                due = calendar.date(max(0, ago - int(random_() * 3)))
                created = calendar.stamp(min(ago + 1 + int(random_() * 10), customers[customer].ago), at)
            else:
                due, created = None, calendar.stamp(ago, at)
            yield (
                next(ids), customer + 1, deal_id, type_, summary, owner, due, calendar.date(ago),
                score() if scored else None, None, None, created,
            )

    def _fresh_count(self) -> int:
        return sum(1 for c in self.customers if c.status == "fresh")

    def _open_followups(self, ids: Iterator[int]) -> Iterator[tuple[Any, ...]]:
        """What is planned: overdue, due today and this week (``due_soon`` of them, counting
        the newest customers' first contacts), the rest later; one weekly check-in, and a
        few other recurring plans among the later ones."""
        rng = self.rng("followups")
        calendar, shape = self.calendar, self.shape
        random_ = rng.random
        kind = Weighted(rng, PLAN_TYPES)
        fresh = self._fresh_count()
        remaining = max(0, shape.open_followups - fresh)
        soon = min(remaining, max(0, shape.due_soon - fresh))
        overdue = max(1, round(soon * 0.35)) if soon else 0
        today = max(1, round(soon * 0.15)) if soon > 1 else 0
        recurring = max(1, remaining // 200)
        contactable = [i for i, c in enumerate(self.customers) if c.status == "regular"]
        open_deals = [n for n, d in enumerate(self.deals) if d.last_stage < self.ladder.won_index]
        customers, deals = self.customers, self.deals
        for number in range(remaining):
            if number < overdue:
                due_ago = 1 + int(random_() * 14)
            elif number < overdue + today:
                due_ago = 0
            elif number < soon:
                due_ago = -1 - int(random_() * 7)
            else:
                due_ago = -8 - int(random_() * 113)
            rule = None
            if number == soon - 1 or (number >= soon and number - soon < recurring - 1):
                rule = "FREQ=WEEKLY" if number == soon - 1 else RECURRING[number % len(RECURRING)]
            if open_deals and random_() < 0.5:
                deal_number = open_deals[int(random_() * len(open_deals))]
                customer, owner, deal_id = deals[deal_number].customer, deals[deal_number].owner, deal_number + 1
            else:
                customer = contactable[int(random_() * len(contactable))]
                owner, deal_id = customers[customer].owner, None
            type_ = kind()
            summary = "Weekly check-in" if rule == "FREQ=WEEKLY" else rng.pick(FOLLOWUPS[type_])
            created_ago = min(max(due_ago, 0) + 1 + int(random_() * 21), customers[customer].ago)
            yield (
                next(ids), customer + 1, deal_id, type_, summary, owner, calendar.date(due_ago), None, None, rule,
                None, calendar.stamp(created_ago, int(random_() * len(Calendar.CLOCK))),
            )

    # ------------------------------------------------------------ payments and targets

    def _payment_rows(self) -> Iterator[tuple[Any, ...]]:
        """Won deals are paid in full (at once or in two parts), in part, or not yet."""
        rng = self.rng("payments")
        calendar, won = self.calendar, self.ladder.won_index
        ids = itertools.count(1)
        for number, deal in enumerate(self.deals, start=1):
            if deal.last_stage != won:
                continue
            closed, luck = deal.last_day, rng.random()
            if luck < 0.5:
                parts = [deal.amount]
            elif luck < 0.65:
                first = deal.amount * rng.between(30, 60) // 10_000 * 100
                parts = [first, deal.amount - first]
            elif luck < 0.85:
                parts = [deal.amount * rng.between(30, 70) // 10_000 * 100]
            else:
                parts = []
            paid = closed
            for amount in parts:
                paid = max(0, paid - rng.between(0, 30))
                yield next(ids), number, amount, calendar.date(paid), calendar.stamp(paid, rng.below(len(Calendar.CLOCK)))

    def target_periods(self) -> list[parse.Period]:
        today = self.calendar.today
        month, quarter = parse.containing("month", today), parse.containing("quarter", today)
        if self.shape.target_periods == "sample":
            return [month, quarter]
        months = [parse.containing("month", parse.add_months(quarter.start, n)) for n in range(3)]
        this_week = parse.containing("week", today).start
        weeks = [parse.containing("week", this_week + dt.timedelta(weeks=n)) for n in range(-4, 2)]
        return [quarter, *months, *weeks]

    def targets(self, performance: dict[int, dict[str, int]]) -> Iterator[tuple[Any, ...]]:
        """Targets for every rep and the team, from each rep's pace over the last quarter
        (``performance``: rep id → actuals over ``TARGET_BASIS_DAYS``), a little above or below it."""
        rng = self.rng("targets")
        ids = itertools.count(1)
        for period in self.target_periods():
            for metric in METRICS:
                team = 0
                for rep in range(1, len(self.reps) + 1):
                    pace = performance.get(rep, {}).get(metric, 0) / TARGET_BASIS_DAYS
                    value = _round_target(metric, pace * period.days * rng.uniform(0.85, 1.3))
                    team += value
                    yield next(ids), metric, period.label, period.start.isoformat(), period.end.isoformat(), rep, value
                yield next(ids), metric, period.label, period.start.isoformat(), period.end.isoformat(), None, team


def _round_target(metric: str, value: float) -> int:
    if metric == "revenue":  # whole thousands
        return max(1, round(value / 100_000)) * 100_000
    return max(1, round(value))


SAMPLE_NAMES = {name for name, *_ in SAMPLE_CUSTOMERS}


def _compose(words: Sequence[Sequence[str]], number: int, separator: str, repeat: str) -> str:
    """The ``number``-th combination of one word from each list: unique for every number,
    and never one of the sample's names (past the last combination, and for a sample name,
    ``repeat`` adds a round number)."""
    parts = []
    for choices in words:
        number, which = divmod(number, len(choices))
        parts.append(choices[which])
    name = separator.join(parts)
    if number:
        return name + repeat.format(number + 1)
    return name + repeat.format(1) if name in SAMPLE_NAMES else name
