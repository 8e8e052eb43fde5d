"""`salescli remind`: each rep's own follow-ups by e-mail, and the team's to the owner."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from salescli import output, parse, session, store
from salescli.commands.common import App
from salescli.commands import report_daily
from salescli.commands.report_daily import DUE
from salescli.errors import SalesError, UsageError
from salescli.grammar import plural
from salescli.store import refs
from salescli.store import reminders as sent

if TYPE_CHECKING:
    from salescli import reminders

MAX_DAYS = 366
REP_COLUMNS = [c for c in DUE if c.key != "owner"]


def remind(
    days: Annotated[str, typer.Option("--days", metavar="N", help="Include follow-ups due up to N days ahead.")] = "1",
    rep: Annotated[Optional[str], typer.Option("--rep", help="Only this rep (handle); no team summary.", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the messages instead of sending them.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Send even to whoever was already reminded today.")] = False,
    attach_dashboard: Annotated[
        bool, typer.Option("--attach-dashboard", help="Attach the dashboard (salescli dashboard) to the owner's message.")
    ] = False,
) -> None:
    """E-mail every active rep their overdue, today's and upcoming follow-ups and their uncontacted customers; the owner (setting owner_email) gets the team's.

    Nobody with nothing due gets a message, and nobody gets two on one day (unless --force). Settings: smtp_host, smtp_port, smtp_security, smtp_user, smtp_from; the password comes from SALESCLI_SMTP_PASSWORD or the file in smtp_password_file.
    """
    from salescli import reminders  # smtplib, ssl and email: only when reminding

    ahead = parse.parse_count(days, what="--days", minimum=0, maximum=MAX_DAYS)
    today = parse.today()
    until = today + dt.timedelta(days=ahead)
    conn = session.connection()
    settings = store.settings(conn)
    rep_id = refs.optional_rep_id(conn, rep)
    addressed = not dry_run or settings["smtp_from"] or settings["owner_email"]
    sender = reminders.sender_of(settings) if addressed else "salescli"
    owner_email = settings["owner_email"] and reminders.setting_address(settings, "owner_email")

    def due_rows(owner_id: int | None) -> list[dict]:
        return list(report_daily.due_rows(conn, today, until, owner_id))

    title = f"Follow-ups due by {until}"
    plan: list[reminders.Reminder] = []
    for person in sent.recipients(conn, rep_id):
        rows = due_rows(person["id"])
        if not rows:
            continue
        problem = "no e-mail address" if person["email"] is None else reminders.unusable(person["email"])
        if problem:
            output.warn(f"{person['handle']} has {problem}, so is not reminded ({reminders.subject(reminders.counts_of(rows))})")
            continue
        message = reminders.build(
            rows, REP_COLUMNS, sender=sender, recipient=person["email"], name=person["name"] or person["handle"], title=title
        )
        plan.append(reminders.Reminder(person["email"], person["id"], person["handle"], reminders.counts_of(rows), message))
    if attach_dashboard and not (owner_email and rep_id is None):
        raise UsageError("--attach-dashboard goes to the owner's team summary: set owner_email, and leave out --rep")
    if rep_id is None and owner_email:
        rows = due_rows(None)
        if rows or attach_dashboard:
            attachment = None
            if attach_dashboard:
                from salescli.commands.dashboard import build as dashboard

                attachment = (f"sales-dashboard-{today}.html", dashboard(today))
            message = reminders.build(
                rows, DUE, sender=sender, recipient=owner_email, name=None, title=f"The team's {title.lower()}", team=True,
                attachment=attachment,
            )
            plan.append(reminders.Reminder(owner_email, None, "team", reminders.counts_of(rows), message))
    if not force:
        for reminder in [r for r in plan if sent.sent_today(conn, today.isoformat(), r.recipient, r.rep_id)]:
            output.message(f"{reminder.who} ({reminder.recipient}) was already reminded today: not sent again (--force sends anyway)")
            plan.remove(reminder)
    if not plan:
        output.message("No reminders to send: nothing is due for anyone who has not had one today.")
        return
    if dry_run:
        for reminder in plan:
            message = reminder.message
            body = message.get_body(("plain",))
            output.done(f"To: {message['To']}\nSubject: {message['Subject']}\n\n{body.get_content() if body else ''}")
        output.message(f"Dry run: {plural(len(plan), 'message')} not sent.")
        return
    _send(plan, reminders.Server.from_settings(settings), today)


def _send(plan: list[reminders.Reminder], server: reminders.Server, today: dt.date) -> None:
    """Send each message, recording it as soon as the server has taken it."""
    from salescli import reminders

    done: list[str] = []
    refused: list[str] = []
    at = 0  # the reminder being sent: those from here on are not sent when the server goes
    try:
        with reminders.Mailer(server) as mailer:
            for at, reminder in enumerate(plan):
                try:
                    mailer.send(reminder.message)
                except reminders.Mailer.Refused as why:
                    refused.append(f"{reminder.who} ({reminder.recipient}): {why}")
                    output.warn(f"not sent to {reminder.who} ({reminder.recipient}): the server said {why}")
                    continue
                with session.write() as conn:
                    sent.record(conn, today.isoformat(), reminder.recipient, reminder.rep_id, reminder.subject)
                done.append(reminder.who)
                output.done(f"Sent to {reminder.who} ({reminder.recipient}): {reminder.subject}")
    except SalesError as error:
        left = [r.who for r in plan[at:]]
        already = f"sent to {', '.join(done)} (recorded); " if done else "nothing was sent; "
        raise SalesError(f"{error}: {already}not sent to {', '.join(left)}") from None
    if refused:
        raise SalesError(f"{len(refused)} of {len(plan)} reminders not sent: " + "; ".join(refused))


def register(app: App) -> None:
    app.command("remind")(remind)
