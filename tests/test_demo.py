"""`salescli demo`: what it creates, that it is reproducible, and that the data keeps the
contracts the reports read (stage history, follow-ups, payments, targets)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TODAY

SALESCLI = Path(sys.executable).parent / "salescli"

SAMPLE_COUNTS = {
    "rep": 3,
    "product": 5,
    "customer": 40,
    "customer_tag": 25,
    "deal": 60,
    "stage_history": 218,
    "activity": 220,
    "payment": 19,
    "target": 32,
}


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in SAMPLE_COUNTS}


def dump(path: Path) -> list[str]:
    """Every table's rows as SQL text, leaving out when the migrations ran and the command
    log (which records the commands that built each file, and keeps the rows an undo
    took away for a redo)."""
    conn = sqlite3.connect(path)
    return [
        line
        for line in conn.iterdump()
        if "_sqlite_migrations" not in line and not line.startswith(('INSERT INTO "history_', "CREATE TABLE history_saved_"))
    ]


def renumbered(path: Path) -> dict[str, list[tuple]]:
    """The records as if each table's ids started from 1 (a demo goes in above every id
    the file ever used), references renumbered alike."""
    conn = sqlite3.connect(path)
    first = {t: conn.execute(f"SELECT ifnull(min(id), 1) FROM {t}").fetchone()[0] for t in SAMPLE_COUNTS if t != "customer_tag"}
    tables = {}
    for table in SAMPLE_COUNTS:
        refers_to = {row[3]: row[2] for row in conn.execute(f"PRAGMA foreign_key_list({table})")}
        refers_to["id"] = table
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        shifts = [first.get(refers_to.get(c), 1) - 1 for c in columns]
        tables[table] = sorted(
            tuple(v - n if n and v is not None else v for v, n in zip(row, shifts))
            for row in conn.execute(f"SELECT * FROM {table}")
        )
    return tables


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    return sqlite3.connect(path).execute(sql, params).fetchall()


def test_demo_fills_an_empty_file(cli, isolated):
    result = cli("demo")
    assert counts(isolated) == SAMPLE_COUNTS
    assert "3 reps, 5 products, 40 customers, 60 deals (218 stage changes), 220 activities (20 open follow-ups)" in result.stderr
    # then the three headline reports, on the demo's own data
    assert "\nFunnel of deals created at any time\n" in result.stdout
    assert "\nTargets running on 2026-11-23\n" in result.stdout
    assert "\nFollow-ups due by 2026-11-30\n" in result.stdout
    assert query(isolated, "PRAGMA foreign_key_check") == []
    assert query(isolated, "PRAGMA integrity_check") == [("ok",)]


def test_demo_refuses_a_file_with_records_and_writes_nothing(cli, isolated):
    cli("demo")
    before = dump(isolated)
    error = cli.fails("demo")
    assert "already holds records (40 customers, 60 deals, 3 reps)" in error
    assert "--force" in error
    assert dump(isolated) == before


def test_demo_refuses_a_file_with_only_reps(cli, isolated):
    cli("rep", "add", "zed")
    assert "--force" in cli.fails("demo")
    assert counts(isolated)["customer"] == 0


def test_force_replaces_the_records_and_keeps_stages_and_settings(cli, isolated, tmp_path):
    cli("rep", "add", "zed")
    cli("config", "set", "currency", "¥")
    cli("demo", "--force")
    assert counts(isolated) == SAMPLE_COUNTS
    assert query(isolated, "SELECT handle FROM rep ORDER BY id") == [("alice",), ("bob",), ("wei",)]
    assert query(isolated, "SELECT value FROM setting WHERE key = 'currency'") == [("¥",)]
    # the same business as on a fresh file, numbered above the ids used before (zed was rep #1)
    assert query(isolated, "SELECT min(id) FROM rep") == [(2,)]
    cli("--db", tmp_path / "fresh.db", "demo")
    assert renumbered(isolated) == renumbered(tmp_path / "fresh.db")


def test_demo_is_reproducible_to_the_byte(cli, isolated, tmp_path):
    cli("demo")
    cli("--db", tmp_path / "again.db", "demo")
    assert dump(isolated) == dump(tmp_path / "again.db")
    cli("--db", tmp_path / "other.db", "demo", "--seed", "2")
    assert dump(isolated) != dump(tmp_path / "other.db")


def test_demo_is_dated_relative_to_today(cli, isolated, tmp_path, monkeypatch):
    cli("demo")
    monkeypatch.setenv("SALESCLI_TODAY", "2027-03-10")
    cli("--db", tmp_path / "later.db", "demo")
    shift = dt.date(2027, 3, 10) - dt.date.fromisoformat(TODAY)
    first = query(isolated, "SELECT closed_at FROM deal WHERE closed_at IS NOT NULL ORDER BY id")
    later = query(tmp_path / "later.db", "SELECT closed_at FROM deal WHERE closed_at IS NOT NULL ORDER BY id")
    assert [dt.date.fromisoformat(a) + shift for (a,) in first] == [dt.date.fromisoformat(b) for (b,) in later]


def test_the_sample_business(cli, isolated):
    cli("demo")
    reps = query(isolated, "SELECT handle, name, commission_rate, regions FROM rep ORDER BY id")
    assert reps[2] == ("wei", "王伟", 0.06, '["east"]')
    names = [name for (name,) in query(isolated, "SELECT name FROM customer")]
    assert "华兴贸易有限公司" in names and "Acme Tools Ltd" in names
    assert sum(any("\u4e00" <= char <= "\u9fff" for char in name) for name in names) == 13
    assert query(isolated, "SELECT count(*) FROM customer WHERE fields != '{}'")[0][0] > 5
    assert query(isolated, "SELECT count(DISTINCT tag) FROM customer_tag")[0][0] >= 5
    assert query(isolated, "SELECT count(*) FROM customer WHERE credit_limit IS NOT NULL")[0][0] > 5
    assert {s for (s,) in query(isolated, "SELECT DISTINCT source FROM customer")} >= {"referral", "web", "ads"}
    assert query(isolated, "SELECT count(*) FROM product WHERE cost IS NOT NULL") == [(5,)]
    # every stage has deals in it
    assert query(isolated, "SELECT count(*) FROM stage WHERE id NOT IN (SELECT stage_id FROM deal)") == [(0,)]


def check_stage_history(path: Path) -> None:
    """Every deal's history starts on its creation day, climbs the stages in order, and ends
    in its current stage — on ``closed_at`` for a won or lost deal."""
    conn = sqlite3.connect(path)
    position = dict(conn.execute("SELECT id, position FROM stage"))
    kind = dict(conn.execute("SELECT id, kind FROM stage"))
    history: dict[int, list[tuple[int, str]]] = {}
    for deal_id, stage_id, entered_on in conn.execute(
        "SELECT deal_id, stage_id, entered_on FROM stage_history ORDER BY id"
    ):
        history.setdefault(deal_id, []).append((stage_id, entered_on))
    deals = conn.execute("SELECT id, stage_id, created_at, closed_at, lost_reason FROM deal").fetchall()
    assert len(history) == len(deals)
    for deal_id, stage_id, created_at, closed_at, lost_reason in deals:
        rows = history[deal_id]
        assert rows[0][1] == created_at[:10], deal_id
        assert [day for _, day in rows] == sorted(day for _, day in rows), deal_id
        positions = [position[stage] for stage, _ in rows]
        assert positions == sorted(set(positions)), deal_id
        assert all(kind[stage] == "open" for stage, _ in rows[:-1]), deal_id
        assert rows[-1][0] == stage_id, deal_id
        assert rows[-1][1] <= TODAY
        if kind[stage_id] == "open":
            assert closed_at is None and lost_reason is None, deal_id
        else:
            assert rows[-1][1] == closed_at, deal_id
            assert (lost_reason is not None) == (kind[stage_id] == "lost"), deal_id


def test_stage_history_is_consistent(cli, isolated):
    cli("demo")
    check_stage_history(isolated)
    skipped = query(
        isolated,
        "SELECT count(*) FROM stage_history h JOIN stage s ON s.id = h.stage_id "
        "JOIN stage_history n ON n.deal_id = h.deal_id AND n.id = h.id + 1 JOIN stage t ON t.id = n.stage_id "
        "WHERE s.kind = 'open' AND t.kind = 'open' AND t.position > s.position + 10",
    )[0][0]
    assert skipped > 0  # some deals skip a stage


def test_follow_ups_and_leads(cli, isolated):
    cli("demo")
    week = (dt.date.fromisoformat(TODAY) + dt.timedelta(days=7)).isoformat()
    open_ = query(isolated, "SELECT due, type, summary, recurrence FROM activity WHERE done_at IS NULL")
    assert len(open_) == 20 and all(due for due, *_ in open_)
    assert sum(due < TODAY for due, *_ in open_) == 4
    assert sum(due == TODAY for due, *_ in open_) == 3  # one of them the newest customer's first contact
    assert sum(TODAY < due <= week for due, *_ in open_) == 5
    assert [(t, s, r) for _, t, s, r in open_ if r] == [("meeting", "Weekly check-in", "FREQ=WEEKLY")]
    # the newest customer was added yesterday: its first contact is due today
    assert query(
        isolated,
        "SELECT c.name, a.due FROM activity a JOIN customer c ON c.id = a.customer_id "
        "WHERE a.summary = 'First contact' AND a.done_at IS NULL",
    ) == [("Westfield Apartments", TODAY)]
    # two leads added days ago that nobody has contacted
    assert query(
        isolated,
        "SELECT name, created_at < datetime(?, '-1 day') FROM customer c "
        "WHERE NOT EXISTS (SELECT 1 FROM activity a WHERE a.customer_id = c.id) ORDER BY id",
        (f"{TODAY} 12:00:00",),
    ) == [("Fresh Market Co", 1), ("Peak Performance Labs", 1)]
    done = query(isolated, "SELECT type, score, done_at, created_at FROM activity WHERE done_at IS NOT NULL")
    assert {t for t, *_ in done} == {"call", "email", "meeting", "visit", "note", "task"}
    assert all(d <= TODAY and c <= f"{TODAY} 12:00:00" for _, _, d, c in done)
    assert sum(1 for t, s, *_ in done if t == "visit" and s) > 10
    assert {s for _, s, *_ in done if s} >= {2, 3, 4, 5}  # satisfaction varies


def test_payments_are_for_won_deals_and_never_exceed_them(cli, isolated):
    cli("demo")
    rows = query(
        isolated,
        "SELECT d.id, s.kind, d.amount, d.closed_at, sum(p.amount), min(p.paid_on), max(p.paid_on) "
        "FROM payment p JOIN deal d ON d.id = p.deal_id JOIN stage s ON s.id = d.stage_id GROUP BY d.id",
    )
    assert {kind for _, kind, *_ in rows} == {"won"}
    assert all(paid <= amount and first >= closed and last <= TODAY for _, _, amount, closed, paid, first, last in rows)
    assert any(paid == amount for _, _, amount, _, paid, *_ in rows)
    assert any(paid < amount for _, _, amount, _, paid, *_ in rows)
    unpaid = query(isolated, "SELECT count(*) FROM deal WHERE stage_id = 6 AND id NOT IN (SELECT deal_id FROM payment)")
    assert unpaid[0][0] > 0


def test_targets_for_this_month_and_quarter(cli, isolated):
    cli("demo")
    rows = query(isolated, "SELECT metric, period, start, end, rep_id, value FROM target")
    assert {(p, s, e) for _, p, s, e, *_ in rows} == {
        ("2026-11", "2026-11-01", "2026-11-30"),
        ("2026-Q4", "2026-10-01", "2026-12-31"),
    }
    assert {m for m, *_ in rows} == {"revenue", "won_deals", "new_customers", "activities"}
    for metric in ("revenue", "won_deals", "new_customers", "activities"):
        for period in ("2026-11", "2026-Q4"):
            values = {rep: value for m, p, _, _, rep, value in rows if (m, p) == (metric, period)}
            assert set(values) == {1, 2, 3, None}
            assert values[None] == values[1] + values[2] + values[3]
            assert all(value > 0 for value in values.values())
    assert all(value % 100_000 == 0 for m, *_, value in rows if m == "revenue")


def test_scaled_demo(cli, isolated):
    result = cli("demo", "--customers", "400", "--seed", "7")
    made = counts(isolated)
    assert (made["rep"], made["customer"], made["deal"], made["activity"]) == (3, 400, 1000, 4000)
    assert made["target"] == 4 * 4 * 10  # (3 reps + team) x 4 metrics x 10 periods
    assert "(400 open follow-ups)" in result.stderr
    week = (dt.date.fromisoformat(TODAY) + dt.timedelta(days=7)).isoformat()
    assert query(isolated, "SELECT count(*) FROM activity WHERE done_at IS NULL") == [(400,)]
    assert query(isolated, "SELECT count(*) FROM activity WHERE done_at IS NULL AND due <= ?", (week,)) == [(10,)]
    assert query(isolated, "SELECT count(DISTINCT period) FROM target") == [(10,)]  # quarter, 3 months, 6 weeks
    assert query(isolated, "PRAGMA foreign_key_check") == []
    assert query(isolated, "SELECT count(*) FROM customer c WHERE NOT EXISTS "
                           "(SELECT 1 FROM activity a WHERE a.customer_id = c.id)") == [(2,)]
    check_stage_history(isolated)


def test_the_demo_is_recorded_as_id_ranges_and_undo_empties_the_file(cli, isolated, tmp_path):
    """Every table with an integer key is recorded for undo as one id range (not a change
    per row; at most the customer tags, keyed by customer and tag, one by one); undo takes the whole demo back, down to the derived stays. (The build drops
    and recreates indexes and triggers, so the schema comes back in another order.)"""
    cli("init")
    empty = sorted(line for line in dump(isolated) if "sqlite_sequence" not in line)
    cli("demo", "--customers", "400")
    recorded = dict(query(isolated, "SELECT op, count(*) FROM history_change GROUP BY op"))
    integer_keys = {"rep", "product", "customer", "deal", "stage_history", "activity", "payment", "target"}
    assert recorded.pop("insert-range") >= len(integer_keys)
    assert set(recorded) <= {"insert"} and recorded.get("insert", 0) <= counts(isolated)["customer_tag"]
    assert query(isolated, "SELECT count(*) FROM _stage_stay")[0][0] > 0
    ids_given = query(isolated, "SELECT name, seq FROM sqlite_sequence WHERE seq > 7 ORDER BY name")  # 7 stages
    cli("undo")
    assert sorted(line for line in dump(isolated) if "sqlite_sequence" not in line) == empty
    assert query(isolated, "SELECT name, seq FROM sqlite_sequence WHERE seq > 7 ORDER BY name") == ids_given  # not to be used again
    # and the same file can take a demo again: the same business as a fresh one, numbered above the first
    cli("demo", "--customers", "400")
    assert query(isolated, "SELECT min(id) FROM deal") == [(dict(ids_given)["deal"] + 1,)]
    cli("--db", tmp_path / "fresh.db", "demo", "--customers", "400")
    assert renumbered(isolated) == renumbered(tmp_path / "fresh.db")


def test_scaled_demo_needs_ten_customers(cli, isolated):
    assert "--customers" in cli.fails("demo", "--customers", "5", code=2)
    assert not isolated.exists()


def test_demo_needs_won_and_lost_stages(cli, isolated):
    cli("init")
    conn = sqlite3.connect(isolated)
    conn.execute("DELETE FROM stage WHERE kind = 'lost'")
    conn.commit()
    assert "a won stage and a lost stage" in cli.fails("demo")
    assert counts(isolated)["rep"] == 0


def test_demo_follows_the_stages_in_the_file(cli, isolated):
    cli("init")
    conn = sqlite3.connect(isolated)
    conn.execute("INSERT INTO stage (name, position, probability, kind) VALUES ('demo', 35, 30, 'open')")
    conn.commit()
    cli("demo")
    assert query(isolated, "SELECT count(*) FROM stage_history h JOIN stage s ON s.id = h.stage_id WHERE s.name = 'demo'")[0][0] > 0
    check_stage_history(isolated)


def test_a_million_customers_keep_every_reps_clock_on_the_clock():
    """`demo --customers N` gives N // 2000 reps; from 62 reps (N = 124,000) the reps'
    created_at times ran past the clock's table (IndexError). Cheaply: the plan and rows
    of a small business with the reps of a million customers, written nowhere."""
    from salescli import demo
    from salescli.store import schema

    shape = dataclasses.replace(demo.scaled(100), reps=demo.scaled(1_000_000).reps)
    ladder = demo.Ladder.of([
        {"id": n, "name": name, "position": n, "probability": p, "kind": kind}
        for n, (name, p, kind) in enumerate(schema.DEFAULT_STAGES, start=1)
    ])
    business = demo.Business(shape, 1, dt.date.fromisoformat(TODAY), ladder, first_contact_hours=24)
    tables = {table: list(rows) for table, _, rows in business.tables()}
    reps = tables["rep"]
    assert len(reps) == 500
    created = [dt.datetime.fromisoformat(rep[-1]) for rep in reps]
    assert all(dt.time(8) <= moment.time() < dt.time(19) for moment in created)
    assert len({moment.time() for moment in created}) > 400  # spread round the clock, not stuck at one time
    assert (len(tables["customer"]), len(tables["deal"]), len(tables["activity"])) == (100, 250, 1000)


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace watches the file being synced")
def test_the_finished_demo_is_synced_to_disk(isolated, tmp_path):
    """The build writes without fsync (synchronous off); once done, the file must be as
    durable as after any other command: its last write is followed by a sync of it."""
    trace = tmp_path / "trace"
    calls = "trace=openat,close,write,pwrite64,fsync,fdatasync,ftruncate"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", calls, "-o", str(trace), str(SALESCLI), "--db", str(isolated), "demo"],
        capture_output=True, text=True,
    )
    if done.returncode and "ptrace" in done.stderr:
        pytest.skip(f"strace cannot trace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    events, open_fds = [], set()
    for line in trace.read_text().splitlines():
        call = re.match(r"\d+\s+(\w+)\((\d+|AT_FDCWD, \"([^\"]*)\")", line)
        if not call:
            continue
        name, target, path = call[1], call[2], call[3]
        if name == "openat" and path == str(isolated):
            open_fds.add(line.rsplit("= ", 1)[1])
        elif name == "close":
            open_fds.discard(target)
        elif target in open_fds:
            events.append("sync" if name in ("fsync", "fdatasync") else "write")
    assert "write" in events
    assert events[-1] == "sync", events[-5:]
