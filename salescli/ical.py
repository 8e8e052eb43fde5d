"""Follow-ups as an iCalendar file (RFC 5545), built with the ``icalendar`` library.

One all-day event per follow-up, on its due date, with a reminder at 09:00 that day.
Each event's UID comes from the activity's id and creation time, so it is the same in
every export of the same database: a calendar that imports a newer file updates the
event (a rescheduled follow-up moves) instead of adding a second one. A follow-up done
since the last exports is written once more as CANCELLED, so calendars drop it; the
SEQUENCE is the export time in minutes, so each file is newer than the one before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from salescli import __version__, output

REMINDER = dt.timedelta(hours=9)  # from the start of the day: 09:00 on the due date
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def uid(activity_id: int, created_at: str) -> str:
    digest = hashlib.sha1(f"{activity_id}/{created_at}".encode()).hexdigest()[:12]
    return f"followup-{activity_id}-{digest}@salescli"


def title(row: Mapping[str, Any]) -> str:
    """One line; control characters (not allowed in iCalendar text) shown as ``\\x1b``."""
    what = f"{row['type'].capitalize()}: {row['customer']}"
    return output.one_line(f"{what} — {row['summary']}" if row["summary"] else what)


def description(row: Mapping[str, Any]) -> str:
    lines = [f"Customer: {row['customer']}"]
    if row["contact"]:
        lines.append(f"Contact: {row['contact']}")
    if row["phone"]:
        lines.append(f"Phone: {row['phone']}")
    if row["deal"] is not None:
        lines.append(f"Deal: #{row['deal']} {row['deal_title']}")
    if row["summary"]:
        lines.append(f"Follow-up: {row['summary']}")
    if row["owner"]:
        lines.append(f"Owner: {row['owner']}")
    if row["notes"]:
        lines.append(f"Notes: {row['notes']}")
    lines.append(f"salescli activity #{row['id']}")
    return output.safe_text("\n".join(lines))


def calendar(rows: Iterable[Mapping[str, Any]], *, name: str, now: dt.datetime) -> tuple[bytes, int]:
    """The .ics file of ``rows`` (from ``store.reporting.calendar_activities``) and how
    many open follow-ups it holds."""
    from icalendar import Alarm, Calendar, Event

    stamp = now.astimezone(dt.timezone.utc)
    sequence = int((stamp - _EPOCH).total_seconds() // 60)
    cal = Calendar()
    cal.add("prodid", f"-//salescli//salescli {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    open_count = 0
    for row in rows:
        due = dt.date.fromisoformat(row["due"])
        event = Event()
        event.add("uid", uid(row["id"], row["created_at"]))
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        event.add("dtstart", due)
        event.add("dtend", due + dt.timedelta(days=1))
        event.add("summary", title(row))
        event.add("description", description(row))
        event.add("categories", [row["type"]])
        event.add("transp", "TRANSPARENT")
        if row["done_at"] is not None:
            event.add("status", "CANCELLED")
        else:
            open_count += 1
            event.add("status", "CONFIRMED")
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", title(row))
            alarm.add("trigger", REMINDER, parameters={"RELATED": "START"})
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical(), open_count
