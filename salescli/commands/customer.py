"""`salescli customer …`"""

from __future__ import annotations

from salescli.commands.common import App

app = App(help="Customers.")
