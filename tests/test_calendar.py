"""`export calendar`: follow-ups as an iCalendar file, read back with vobject — a parser
independent of the icalendar library that writes the file. Today is 2026-11-23."""

import datetime as dt

import pytest
import vobject


@pytest.fixture
def business(cli):
    cli("rep", "add", "alice", "--email", "alice@example.com")
    cli("rep", "add", "wang", "--name", "王伟")
    cli("customer", "add", "Acme", "--owner", "alice", "--phone", "+1 555 0100", "--contact", "Jane Roe")
    cli("customer", "add", "成都天府餐饮", "--owner", "wang", "--phone", "028-8888 6666")
    deal = cli("deal", "add", "Website", "--customer", "Acme", "--amount", "5000").stdout.strip()
    ids = {
        "acme": cli("activity", "plan", "Acme", "Send the quote", "--due", "2026-11-25", "--type", "call", "--deal", deal).stdout.strip(),
        "late": cli("activity", "plan", "Acme", "Chase the invoice", "--due", "2026-11-20").stdout.strip(),
        "far": cli("activity", "plan", "Acme", "Annual review", "--due", "2027-06-01").stdout.strip(),
        "cn": cli("activity", "plan", "成都天府餐饮", "回访客户", "--due", "2026-11-30", "--type", "visit").stdout.strip(),
    }
    cli("activity", "log", "Acme", "--type", "note", "--summary", "Met at the fair")  # done, never due: not an event
    return {"deal": deal, **ids}


def events(cli, *args):
    text = cli("export", "calendar", *args).stdout
    assert text.startswith("BEGIN:VCALENDAR")
    cal = vobject.readOne(text)
    return cal, {event.uid.value: event for event in cal.contents.get("vevent", [])}


def by_summary(found):
    return {event.summary.value: event for event in found.values()}


def test_one_all_day_event_per_open_follow_up(cli, business):
    cal, found = events(cli)
    assert cal.version.value == "2.0"
    assert sorted(by_summary(found)) == [
        "Call: Acme — Send the quote",
        "Task: Acme — Chase the invoice",
        "Task: Acme — First contact",
        "Task: 成都天府餐饮 — First contact",
        "Visit: 成都天府餐饮 — 回访客户",
    ]  # the follow-up due in June is beyond the default 90 days; a note is no follow-up
    quote = by_summary(found)["Call: Acme — Send the quote"]
    assert quote.dtstart.value == dt.date(2026, 11, 25) and quote.dtend.value == dt.date(2026, 11, 26)
    assert quote.status.value == "CONFIRMED"
    lines = quote.description.value.splitlines()
    assert "Customer: Acme" in lines and "Contact: Jane Roe" in lines and "Phone: +1 555 0100" in lines
    assert f"Deal: #{business['deal']} Website" in lines
    assert f"salescli activity #{business['acme']}" in lines
    alarm = quote.valarm
    assert alarm.action.value == "DISPLAY"
    assert alarm.trigger.value == dt.timedelta(hours=9)
    chinese = by_summary(found)["Visit: 成都天府餐饮 — 回访客户"]
    assert "Phone: 028-8888 6666" in chinese.description.value.splitlines()
    assert by_summary(found)["Task: Acme — Chase the invoice"].dtstart.value == dt.date(2026, 11, 20)  # overdue stays on its day


def test_days_and_owner_choose_the_events(cli, business):
    _, far = events(cli, "--days", "365")
    assert "Task: Acme — Annual review" in by_summary(far)
    _, wang = events(cli, "--owner", "wang")
    assert sorted(by_summary(wang)) == ["Task: 成都天府餐饮 — First contact", "Visit: 成都天府餐饮 — 回访客户"]
    _, soon = events(cli, "--days", "0")
    assert sorted(by_summary(soon)) == ["Task: Acme — Chase the invoice"]


def test_a_newer_file_updates_the_same_events(cli, business, monkeypatch):
    _, before = events(cli)
    monkeypatch.setenv("SALESCLI_TODAY", "2026-11-23T15:00")
    cli("activity", "reschedule", business["acme"], "2026-11-27")
    cli("activity", "done", business["late"])
    _, after = events(cli)
    assert set(after) == set(before)  # same UIDs: updates, not duplicates
    quote = by_summary(after)["Call: Acme — Send the quote"]
    assert quote.dtstart.value == dt.date(2026, 11, 27)
    assert int(quote.sequence.value) > int(by_summary(before)["Call: Acme — Send the quote"].sequence.value)
    chased = by_summary(after)["Task: Acme — Chase the invoice"]
    assert chased.status.value == "CANCELLED" and not hasattr(chased, "valarm")


def test_written_to_a_file(cli, business, tmp_path):
    path = tmp_path / "followups.ics"
    result = cli("export", "calendar", "-o", path)
    assert "Exported 5 open follow-ups" in result.stderr
    data = path.read_bytes()
    assert b"\r\n" in data and data.decode("utf-8").count("BEGIN:VEVENT") == 5


@pytest.mark.parametrize("days", ["-1", "x", "40000"])
def test_bad_days(cli, business, days):
    assert "--days" in cli.fails("export", "calendar", "--days", days, code=2)


def test_control_characters_never_reach_the_file(cli, tmp_path):
    """RFC 5545 text holds no control characters (but tab): an escape sequence in a name
    shows as `\\x1b`, and a line break in a summary does not split the event's title."""
    cli("customer", "add", "Evil\x1b[31mRed\x1b]0;title\x07 Co", "--phone", "+1 555 0100")
    cli("activity", "plan", "Evil", "Call\nback\x1b[2J", "--due", "2026-11-25")
    cli("export", "calendar", "-o", tmp_path / "f.ics")
    data = (tmp_path / "f.ics").read_bytes()
    assert not set(data) & (set(range(0x20)) - {0x09, 0x0A, 0x0D} | {0x7F})
    (event,) = [e for e in vobject.readOne(data.decode()).vevent_list if "Call" in e.summary.value]
    assert event.summary.value == "Task: Evil\\x1b[31mRed\\x1b]0;title\\x07 Co — Call⏎back\\x1b[2J"
    assert "Customer: Evil\\x1b[31mRed\\x1b]0;title\\x07 Co\nPhone: +1 555 0100\n" in event.description.value
