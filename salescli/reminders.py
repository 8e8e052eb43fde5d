"""E-mail reminders (``salescli remind``): one message per rep with their own follow-ups,
and the team's for the owner, as text and HTML parts of the same tables; sent over SMTP.

Building a message is pure (rows in, ``EmailMessage`` out); ``Mailer`` holds the one SMTP
connection of a run. The password is never stored: it comes from the environment
(``SALESCLI_SMTP_PASSWORD``) or from a file named in the settings.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any

from salescli import output
from salescli.errors import Invalid, SalesError, UsageError

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
PASSWORD_ENV = "SALESCLI_SMTP_PASSWORD"
BUCKETS = ("overdue", "today", "upcoming", "uncontacted")
STYLE = (
    "body{font-family:-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif;color:#222}"
    "table{border-collapse:collapse}th,td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}"
    ".num{text-align:right}tr.overdue td{color:#b00020}tr.today td{color:#8a6d00}"
)


@dataclass
class Reminder:
    """One message to send: to whom, about which rep (None: the team), and its counts."""

    recipient: str
    rep_id: int | None
    who: str  # the rep's handle, or "team"
    counts: dict[str, int]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


def counts_of(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(BUCKETS, 0)
    for row in rows:
        counts[row["bucket"]] += 1
    return counts


def subject(counts: Mapping[str, int], *, team: bool = False) -> str:
    """``3 overdue, 2 today — salescli`` (only the buckets that hold something)."""
    parts = ", ".join(f"{counts[b]} {b}" for b in BUCKETS if counts.get(b))
    return f"{'Team: ' if team else ''}{parts or 'nothing due'} — salescli"


def build(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[output.Column],
    *,
    sender: str,
    recipient: str,
    name: str | None,
    title: str,
    team: bool = False,
    attachment: tuple[str, str] | None = None,
) -> EmailMessage:
    """The message: a text part and an HTML part with the same table, and ``attachment``
    (file name, HTML page) if given."""
    counts = counts_of(rows)
    message = EmailMessage()
    message["Subject"] = subject(counts, team=team)
    message["From"] = sender
    message["To"] = formataddr((output.safe_text(" ".join(name.split())), recipient)) if name else recipient
    message["Message-ID"] = make_msgid(domain="salescli")
    greeting = f"Hello {name}," if name else "Hello,"
    text = output.text_of(rows, columns, title=title)
    message.set_content(f"{greeting}\n\n{text}\n-- \nsalescli\n", cte="quoted-printable")
    from html import escape

    table = output.html_table(rows, columns, title=title, row_class="bucket")
    message.add_alternative(
        f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>{STYLE}</style></head>"
        f"<body><p>{escape(greeting)}</p>{table}<p style=\"color:#777\">salescli</p></body></html>",
        subtype="html",
        cte="quoted-printable",
    )
    if attachment is not None:
        filename, page = attachment
        message.add_attachment(page, subtype="html", filename=filename, cte="base64")
    return message


# ---------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> Server:
        host = settings.get("smtp_host", "").strip()
        if not host:
            raise Invalid("no SMTP server is set: `salescli config set smtp_host HOST` (or try --dry-run)")
        security = settings.get("smtp_security", "starttls") or "starttls"
        port = int(settings.get("smtp_port") or DEFAULT_PORTS[security])
        user = settings.get("smtp_user", "").strip() or None
        password = _password(settings.get("smtp_password_file", "").strip())
        if user and password is None:
            raise Invalid(
                f"smtp_user is {user} but there is no password: set {PASSWORD_ENV}, "
                "or `salescli config set smtp_password_file PATH`"
            )
        return cls(host, port, security, user, password, sender_of(settings))

    def describe(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"


def sender_of(settings: Mapping[str, str]) -> str:
    sender = settings.get("smtp_from", "").strip() or settings.get("owner_email", "").strip()
    if not sender:
        raise Invalid("no sender address: `salescli config set smtp_from ADDRESS`")
    return setting_address(settings, "smtp_from" if settings.get("smtp_from", "").strip() else "owner_email")


def unusable(address: str) -> str | None:
    """Why ``address`` cannot go into a message header (None: it can)."""
    if not address.isprintable():
        return f"an e-mail address holding a line break or a control character ({output.safe_text(address)!r})"
    return None


def setting_address(settings: Mapping[str, str], key: str) -> str:
    """The address in setting ``key``, which must be usable in a header."""
    address = settings.get(key, "").strip()
    why = unusable(address)
    if why:
        raise Invalid(f"{key} is {why}: `salescli config set {key} ADDRESS`")
    return address


def _password(path: str) -> str | None:
    if PASSWORD_ENV in os.environ:
        return os.environ[PASSWORD_ENV]
    if not path:
        return None
    try:
        return Path(path).expanduser().read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as error:
        raise Invalid(f"cannot read the SMTP password file {path}: {error.strerror}") from None


class Mailer:
    """One SMTP session for a run: ``send()`` each message; a refused recipient is that
    message's failure (``Refused``), a lost server ends the run (``SalesError``)."""

    class Refused(Exception):
        pass

    def __init__(self, server: Server) -> None:
        self.server = server
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        server = self.server
        try:
            if server.security == "ssl":
                self.smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=30, context=ssl.create_default_context())
            else:
                self.smtp = smtplib.SMTP(server.host, server.port, timeout=30)
                if server.security == "starttls":
                    self.smtp.starttls(context=ssl.create_default_context())
            if server.user:
                self.smtp.login(server.user, server.password or "")
        except smtplib.SMTPAuthenticationError:
            raise SalesError(f"the SMTP server {server.describe()} refused the login of {server.user}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise SalesError(f"cannot reach the SMTP server {server.describe()}: {_reason(error)}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass

    def send(self, message: EmailMessage) -> None:
        assert self.smtp is not None
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise self.Refused("; ".join(f"{code} {_text(reply)}" for code, reply in error.recipients.values())) from None
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            raise self.Refused(f"{error.smtp_code} {_text(error.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise SalesError(f"lost the SMTP server {self.server.describe()}: {_reason(error)}") from None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def check_security(value: str) -> str:
    value = value.strip().lower()
    if value not in SECURITY:
        raise UsageError(f"smtp_security must be one of {', '.join(SECURITY)}, not '{value}'")
    return value
