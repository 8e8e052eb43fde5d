"""`salescli init` and `salescli config get|set|list|path`."""

from __future__ import annotations

from typing import Annotated

import typer

from salescli import output, parse, session, store
from salescli.commands.common import App, FormatOption, WideOption
from salescli.errors import UsageError

app = App(help="Settings: currency symbol, first-contact hours, stale-deal days.")

SETTINGS = {
    "currency": "the currency symbol shown before amounts (e.g. $, €, ¥)",
    "first_contact_hours": "hours after a customer is added by which first contact is due",
    "stale_deal_days": "days without activity after which an open deal is stale",
}


def _check(key: str, value: str) -> str:
    if key == "currency":
        value = value.strip()
        if len(value) > 5:
            raise UsageError("currency must be a short symbol such as $, €, ¥ or CHF")
        return value
    minimum = 1 if key == "stale_deal_days" else 0
    return str(parse.parse_count(value, what=key, minimum=minimum))


def _key(key: str) -> str:
    return parse.parse_choice(key.replace("-", "_"), tuple(SETTINGS), what="setting")


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
    """Print the database file in use."""
    output.done(str(session.db_path()))


def init() -> None:
    """Create the database file (every command also creates it on demand)."""
    existed = session.db_path().exists()
    session.connection()
    output.done(f"{'Database is ready' if existed else 'Created'}: {session.db_path()}")


def register(root: App) -> None:
    root.command("init")(init)
