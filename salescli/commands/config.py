"""`salescli init` and `salescli config get|set|list|path`."""

from __future__ import annotations

from typing import Annotated

import typer

from salescli import output, parse, session, store
from salescli.commands.common import App, FormatOption, WideOption
from salescli.errors import UsageError
from salescli.store import schema

app = App(help="Settings: currency symbol, first-contact hours, stale-deal days.")

SETTINGS = {
    "currency": "the currency symbol shown before amounts (e.g. $, €, ¥)",
    "first_contact_hours": "hours after a customer is added by which first contact is due",
    "stale_deal_days": "days without activity after which an open deal is stale",
    "owner_email": "who gets the team's reminders (salescli remind)",
    "smtp_host": "the mail server reminders are sent through",
    "smtp_port": "its port (default: 587 for starttls, 465 for ssl, 25 for none)",
    "smtp_security": "starttls, ssl or none",
    "smtp_user": "the login at the mail server (the password: SALESCLI_SMTP_PASSWORD or smtp_password_file)",
    "smtp_from": "the sender of reminders (default: owner_email)",
    "smtp_password_file": "a file holding the mail server password (the password itself is never stored)",
}
TEXT_SETTINGS = ("owner_email", "smtp_host", "smtp_user", "smtp_from", "smtp_password_file")


def _check(key: str, value: str) -> str:
    if key in TEXT_SETTINGS:
        value = value.strip()
        if key.endswith(("email", "from")) and value and "@" not in value:
            raise UsageError(f"{key} must be an e-mail address, not '{value}'")
        return value
    if key == "smtp_security":
        from salescli.reminders import check_security

        return check_security(value)
    if key == "smtp_port":
        return "" if not value.strip() else str(_port(value))
    if key == "currency":
        value = value.strip()
        if len(value) > 5:
            raise UsageError("currency must be a short symbol such as $, €, ¥ or CHF")
        return value
    minimum, maximum = schema.SETTING_RANGES[key]
    return str(parse.parse_count(value, what=key, minimum=minimum, maximum=maximum))


def _port(value: str) -> int:
    return parse.parse_count(value, what="smtp_port", minimum=1, maximum=65535)


def _key(key: str) -> str:
    key = key.replace("-", "_")
    if key.strip().lower() in ("smtp_password", "password"):
        raise UsageError(
            "the SMTP password is never stored in the database: set SALESCLI_SMTP_PASSWORD, "
            "or put it in a private file and `salescli config set smtp_password_file PATH`"
        )
    return parse.parse_choice(key, tuple(SETTINGS), what="setting")


@app.command("get")
def get(key: Annotated[str, typer.Argument(help=", ".join(SETTINGS))]) -> None:
    """Print one setting's value."""
    output.done(store.setting(session.connection(), _key(key)))


@app.command("set")
def set_(key: Annotated[str, typer.Argument(help=", ".join(SETTINGS))], value: str) -> None:
    """Change a setting."""
    key = _key(key)
    value = _check(key, value)
    with session.write() as conn:
        store.set_setting(conn, key, value)
    output.done(f"{key} = {value}")


@app.command("list")
def list_(fmt: FormatOption = None, wide: WideOption = False) -> None:
    """Every setting with its value."""
    values = store.settings(session.connection())
    rows = [{"key": k, "value": values[k], "meaning": meaning} for k, meaning in SETTINGS.items()]
    output.render(rows, [output.Column("key"), output.Column("value"), output.Column("meaning")], fmt=fmt, wide=wide)


@app.command("path")
def path() -> None:
    """Print the database in use: its file, or its server URL (without a password)."""
    output.done(session.describe())


def init() -> None:
    """Create the database file (write commands also create it when it is missing)."""
    existed = session.exists()
    session.connection(create=True)
    output.done(f"{'Database is ready' if existed else 'Created'}: {session.describe()}")


def register(root: App) -> None:
    root.command("init")(init)
