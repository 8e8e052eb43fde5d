"""Groups that import and build only the command being run (start-up time: SPEC §9).

Typer builds a Click command from each function's signature; building all ~80 of them, and
importing every module they live in, took longer than most commands' own work. A
``LazyGroup`` knows its commands by name and module, and builds one when it is looked up
(once per process). ``salescli -h`` lists the commands without building the groups.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Iterator, Mapping
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from salescli.commands import examples
from salescli.commands.common import App


class LazyGroup(TyperGroup):
    """A group whose commands are the names in ``modules``, each made by that module in
    salescli/commands/: a group's module has an ``app`` (named in ``groups``), a command's
    module a ``register(app)``."""

    path: tuple[str, ...] = ()
    modules: dict[str, str] = {}
    groups: tuple[str, ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = _Commands(self)  # type: ignore[assignment]

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.modules)

    def load(self, name: str) -> Any:
        return _build(self.path, self.modules[name], name if name in self.groups else None)[name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The list in the help: a group there needs only its help, not its commands built."""
        commands, self.commands = self.commands, {name: self._summary(name) for name in self.modules}
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.commands = commands

    def _summary(self, name: str) -> Any:
        """A stand-in with only the help of command ``name``: building it costs more."""
        if name in self.groups:
            return TyperGroup(name=name, help=_module(self.modules[name]).app.info.help)
        info = next(command for command in _registered(self.modules[name]) if command.name == name)
        return TyperCommand(name=name, help=info.help or inspect.getdoc(info.callback))


class _Commands(Mapping[str, Any]):
    """A lazy group's commands by name, each built when first looked up."""

    def __init__(self, group: LazyGroup) -> None:
        self.group = group

    def __getitem__(self, name: str) -> Any:
        if name not in self.group.modules:
            raise KeyError(name)
        return self.group.load(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.group.modules)

    def __len__(self) -> int:
        return len(self.group.modules)


def _module(name: str) -> Any:
    return importlib.import_module(f"salescli.commands.{name}")


def _registered(module_name: str) -> Any:
    """The commands a module's ``register(app)`` adds, not yet built."""
    piece = App()
    _module(module_name).register(piece)
    return piece.registered_commands


@functools.cache
def _build(path: tuple[str, ...], module_name: str, group: str | None) -> dict[str, Any]:
    """The commands a module makes under ``path`` (its ``app`` as ``group``, or those its
    ``register(app)`` adds), built with their examples, by name."""
    module = _module(module_name)
    piece = App()
    if group:
        piece.add_typer(module.app, name=group)
    else:
        module.register(piece)
    examples.attach(piece, path)
    built = typer.main.get_command(piece)
    return built.commands if isinstance(built, TyperGroup) else {built.name: built}
