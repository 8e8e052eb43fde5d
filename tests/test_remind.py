"""`salescli remind` against a real SMTP server (aiosmtpd, in this process).

Today is Monday 2026-11-23. alice: one overdue (11-20) and one today; bob: one tomorrow
(upcoming with --days 1) and one next week (not); wang: nothing due (no message); zoe:
something due but no e-mail address. Unassigned: a customer added long ago, never contacted.
"""

import json

import pytest
from smtp_server import Inbox, Logins, free_port, start


@pytest.fixture
def business(isolated, cli):
    from builders import Builder

    b = Builder(isolated)
    b.rep("alice")
    b.rep("bob")
    b.rep("wang")
    b.rep("zoe")
    b.conn.execute("UPDATE rep SET email = handle || '@example.com', name = 'Alice Wong' WHERE handle = 'alice'")
    b.conn.execute("UPDATE rep SET email = handle || '@example.com' WHERE handle IN ('bob', 'wang')")
    b.conn.execute("UPDATE rep SET name = '王伟' WHERE handle = 'wang'")
    for name, owner in (("Acme", "alice"), ("成都天府餐饮", "alice"), ("Beta", "bob"), ("Gamma", "wang"), ("Zed", "zoe")):
        b.customer(name, owner=owner, created="2026-10-01 09:00:00")
        b.activity(name, done="2026-10-02")  # contacted: no first-contact row
    b.customer("Nobody's", owner=None, created="2026-10-01 09:00:00")
    b.activity("Acme", due="2026-11-20", summary="Chase the invoice")
    b.activity("成都天府餐饮", due="2026-11-23", summary="回访客户", type="call")
    b.activity("Beta", due="2026-11-24", summary="Send the offer")
    b.activity("Beta", due="2026-11-30", summary="Next week")
    b.activity("Zed", due="2026-11-20", summary="Zoe's call")
    cli("config", "set", "smtp_security", "none")
    cli("config", "set", "smtp_from", "sales@example.com")
    return b


@pytest.fixture
def inbox(cli):
    inbox = Inbox()
    controller = start(inbox)
    cli("config", "set", "smtp_host", controller.hostname)
    cli("config", "set", "smtp_port", str(controller.port))
    yield inbox
    controller.stop()


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_each_rep_gets_their_own(business, inbox, cli):
    result = cli("remind")
    assert sorted(rcpts[0] for rcpts, _ in inbox.envelopes) == ["alice@example.com", "bob@example.com"]
    alice = inbox.to("alice@example.com")[0]
    assert alice["Subject"] == "1 overdue, 1 today — salescli"
    assert alice["To"] == "Alice Wong <alice@example.com>" and alice["From"] == "sales@example.com"
    text, html = parts(alice)
    assert "Chase the invoice" in text and "回访客户" in text and "成都天府餐饮" in text
    assert "Chase the invoice" in html and "回访客户" in html and '<tr class="overdue">' in html
    assert "Send the offer" not in text  # bob's
    bob = inbox.to("bob@example.com")[0]
    assert bob["Subject"] == "1 upcoming — salescli"
    assert "Next week" not in parts(bob)[0]
    assert "zoe has no e-mail address" in result.stderr
    assert "Sent to alice (alice@example.com): 1 overdue, 1 today — salescli" in result.stdout


def test_days_widens_the_window(business, inbox, cli):
    cli("remind", "--rep", "bob", "--days", "7")
    assert [m["Subject"] for _, m in inbox.envelopes] == ["2 upcoming — salescli"]


def test_owner_gets_the_team_summary(business, inbox, cli):
    cli("config", "set", "owner_email", "boss@example.com")
    cli("remind")
    team = inbox.to("boss@example.com")
    assert len(team) == 1
    # overdue: Acme, Zed; today: 成都天府餐饮; upcoming: Beta; uncontacted: Nobody's
    assert team[0]["Subject"] == "Team: 2 overdue, 1 today, 1 upcoming, 1 uncontacted — salescli"
    text, _ = parts(team[0])
    assert "Zoe's call" in text and "Nobody's" in text


def test_once_a_day_unless_forced(business, inbox, cli):
    cli("remind")
    again = cli("remind")
    assert len(inbox.envelopes) == 2
    assert "already reminded today" in again.stderr
    cli("remind", "--rep", "alice", "--force")
    assert len(inbox.to("alice@example.com")) == 2
    log = cli.json("log")
    reminded = [row for row in log if row["command"] == "remind"]
    assert len(reminded) == 3
    assert reminded[0]["changes"] == "e-mailed alice@example.com (alice): 1 overdue, 1 today — salescli"


def test_dry_run_sends_nothing(business, inbox, cli):
    result = cli("remind", "--dry-run")
    assert inbox.envelopes == []
    assert "To: Alice Wong <alice@example.com>" in result.stdout
    assert "Subject: 1 overdue, 1 today — salescli" in result.stdout
    assert "回访客户" in result.stdout
    cli("remind")  # a dry run recorded nothing
    assert len(inbox.envelopes) == 2


def test_a_refused_recipient_does_not_stop_the_others(business, cli):
    inbox = Inbox(refuse=("alice@example.com",))
    controller = start(inbox)
    try:
        cli("config", "set", "smtp_host", controller.hostname)
        cli("config", "set", "smtp_port", str(controller.port))
        error = cli.fails("remind")
    finally:
        controller.stop()
    assert [rcpts for rcpts, _ in inbox.envelopes] == [["bob@example.com"]]
    assert "1 of 2 reminders not sent" in error and "alice (alice@example.com): 550" in error
    assert [row["changes"] for row in cli.json("log") if row["command"] == "remind"] == [
        "e-mailed bob@example.com (bob): 1 upcoming — salescli"
    ]


def test_a_server_that_is_down(business, cli):
    port = free_port()
    cli("config", "set", "smtp_host", "127.0.0.1")
    cli("config", "set", "smtp_port", str(port))
    error = cli.fails("remind")
    assert f"cannot reach the SMTP server 127.0.0.1:{port} (none)" in error
    assert "nothing was sent" in error
    assert [row for row in cli.json("log") if row["command"] == "remind"] == []


def test_login_with_the_password_from_the_environment(business, cli, monkeypatch, tmp_path):
    inbox, logins = Inbox(), Logins("sales", "s3cret")
    controller = start(inbox, logins=logins)
    try:
        cli("config", "set", "smtp_host", controller.hostname)
        cli("config", "set", "smtp_port", str(controller.port))
        cli("config", "set", "smtp_user", "sales")
        assert "no password" in cli.fails("remind")
        monkeypatch.setenv("SALESCLI_SMTP_PASSWORD", "wrong")
        assert "refused the login of sales" in cli.fails("remind")
        monkeypatch.delenv("SALESCLI_SMTP_PASSWORD")
        secret = tmp_path / "smtp-password"
        secret.write_text("s3cret\n")
        cli("config", "set", "smtp_password_file", str(secret))
        cli("remind")
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 2 and logins.seen[-1] == "sales"
    listing = cli("config", "list").stdout + json.dumps(cli.json("log"))
    assert "s3cret" not in listing and "wrong" not in listing


def test_the_password_is_never_stored(cli):
    assert "never stored" in cli.fails("config", "set", "smtp_password", "hunter2", code=2)


def test_nothing_due_nothing_sent(cli, inbox):
    cli("rep", "add", "alice", "--email", "alice@example.com")
    cli("config", "set", "smtp_security", "none")
    cli("config", "set", "smtp_from", "sales@example.com")
    result = cli("remind")
    assert inbox.envelopes == [] and "No reminders to send" in result.stderr


def test_the_owner_can_have_the_dashboard_attached(business, inbox, cli):
    assert "owner_email" in cli.fails("remind", "--attach-dashboard", code=2)
    cli("config", "set", "owner_email", "boss@example.com")
    cli("remind", "--attach-dashboard")
    (team,) = inbox.to("boss@example.com")
    (attached,) = list(team.iter_attachments())
    assert attached.get_filename() == "sales-dashboard-2026-11-23.html"
    page = attached.get_content()
    assert page.startswith("<!DOCTYPE html>") and "Sales dashboard — 2026-11-23" in page and "成都天府餐饮" in page
    assert not any(True for _ in inbox.to("alice@example.com")[0].iter_attachments())


def test_a_line_break_in_a_name_or_address_stops_nobody_else(business, inbox, cli):
    """A rep's name or address with a line break (typed, or imported) must neither crash
    the run nor write a header of its own (`Bcc: …`)."""
    cli("rep", "edit", "alice", "--name", "Alice\r\nBcc: eve@example.com")
    cli("rep", "edit", "bob", "--email", "bob@example.com\nBcc: eve@example.com")
    result = cli("remind")
    assert [rcpts for rcpts, _ in inbox.envelopes] == [["alice@example.com"]]
    assert inbox.to("alice@example.com")[0]["To"] == '"Alice Bcc: eve@example.com" <alice@example.com>'
    assert "bob has an e-mail address holding a line break or a control character" in result.stderr
    cli("config", "set", "owner_email", "boss@example.com\nBcc: eve@example.com")
    error = cli.fails("remind", "--force", "--dry-run")
    assert error.startswith("Error: owner_email is an e-mail address holding a line break")
    assert len(inbox.envelopes) == 1
