"""Guard tests: every command has help text, `--help` works everywhere, the README names
every command, and bad global input never shows a traceback."""

from __future__ import annotations

from pathlib import Path

import typer

from salescli.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"


def command_paths(command=None, prefix=()):
    command = command or typer.main.get_command(app)
    for name, sub in getattr(command, "commands", {}).items():
        path = (*prefix, name)
        yield path, sub
        yield from command_paths(sub, path)


def test_every_command_has_help_and_help_works(cli):
    paths = list(command_paths())
    assert len(paths) > 10
    for path, command in paths:
        assert (command.help or "").strip(), f"salescli {' '.join(path)} has no help text"
        assert "Usage:" in cli(*path, "--help").stdout


def test_readme_names_every_command():
    text = README.read_text()
    missing = [" ".join(path) for path, _ in command_paths() if f"salescli {' '.join(path)}" not in text]
    assert not missing, f"README does not show: {missing}"


def test_version(cli):
    assert cli("--version").stdout.startswith("salescli ")


def test_unknown_command_is_a_usage_error(cli):
    result = cli("frobnicate", code=2)
    assert "No such command" in result.stderr


def test_limit_applies_to_every_format_only_when_given(cli):
    for sku in ("A-1", "B-2", "C-3"):
        cli("product", "add", sku, f"Product {sku}", "--price", "10")
    assert len(cli.json("product", "list")) == 3
    assert [p["sku"] for p in cli.json("product", "list", "--limit", "2")] == ["A-1", "B-2"]
    assert cli("product", "list", "-f", "csv", "--limit", "1").stdout.splitlines()[1].startswith("A-1,")
