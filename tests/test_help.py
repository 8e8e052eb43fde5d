"""Help a person can use: -h everywhere, examples that parse, capital placeholders,
two-line usage errors, shell completion."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from salescli import store
from salescli.cli import app
from salescli.commands.examples import EXAMPLES


def commands(command=None, path=()):
    """Every command and group, the root first, as (path, command)."""
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, (*path, name))


def examples_of(help_text: str) -> list[str]:
    tail = help_text.rstrip("\n").split("\n\n")[-1].splitlines()
    assert tail[0].strip() == "Examples:", help_text
    return [line.strip() for line in tail[1:]]


def test_h_is_help_everywhere_and_help_ends_with_examples(cli):
    paths = [path for path, _ in commands()]
    assert len(paths) == len(EXAMPLES) > 60
    for path in paths:
        text = cli(*path, "-h").stdout
        assert text == cli(*path, "--help").stdout
        shown = examples_of(text)
        assert 2 <= len(shown) <= 3, path
        assert shown == list(EXAMPLES[" ".join(path)])


def _parse(line: str) -> None:
    """Parse an example as salescli would, down to its command, without running it."""
    words = shlex.split(line.split(" > ")[0])
    assert words[0] == "salescli"
    command = typer.main.get_command(app)
    ctx = command.make_context("salescli", words[1:])
    while hasattr(command, "commands") and (words := [*ctx._protected_args, *ctx.args]):  # a group: the rest is its command's
        name, *rest = words
        command = command.get_command(ctx, name)
        assert command is not None, f"{line}: no command {name}"
        ctx = command.make_context(name, rest, parent=ctx)


@pytest.mark.parametrize("line", sorted({line for lines in EXAMPLES.values() for line in lines}))
def test_every_example_parses(line):
    _parse(line)


def test_an_example_with_a_wrong_option_would_be_caught():
    with pytest.raises(Exception, match="No such option"):
        _parse("salescli deal win 12 --amout 5")


def test_usage_lines_name_the_arguments_in_capitals(cli):
    assert cli("deal", "win", "-h").stdout.startswith("Usage: salescli deal win [OPTIONS] DEAL_ID\n")
    assert cli("customer", "add", "-h").stdout.startswith("Usage: salescli customer add [OPTIONS] NAME\n")
    assert cli("backup", "-h").stdout.startswith("Usage: salescli backup [OPTIONS] [PATH]\n")
    text = cli("deal", "add", "-h").stdout
    assert "  -c, --customer CUSTOMER " in text and "-f, --format" not in text
    for path, _ in commands():
        text = cli(*path, "-h").stdout
        assert "{" not in text.splitlines()[0] and "<str>" not in text, path


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        (("customer", "add", "Acme", "--tierr", "A"), "Error: No such option: --tierr (Possible options: --size, --tier, --title)",
         "Try 'salescli customer add -h' for help and examples."),
        (("deal", "win"), "Error: Missing argument 'DEAL_ID'.", "Try 'salescli deal win -h' for help and examples."),
        (("dael", "list"), "Error: No such command 'dael'. Did you mean 'deal'?", "Try 'salescli -h' for help and examples."),
        (("report", "due", "--limit", "0"), "Error: Invalid value for '--limit': 0 is not in the range 1<=x<=1000000000.",
         "Try 'salescli report due -h' for help and examples."),
    ],
)
def test_usage_errors_are_two_lines(cli, isolated, args, error, hint):
    assert cli.fails(*args, code=2) == f"{error}\n{hint}\n"
    assert not isolated.exists()  # nothing written, not even the database


def test_a_bare_group_still_shows_its_help(cli):
    result = cli("deal", code=2)
    assert result.stderr.startswith("Usage: salescli deal [OPTIONS] COMMAND [ARGS]...") and "Examples:" in result.stderr


def test_shell_completion_is_offered(cli):
    text = cli("-h").stdout
    assert "--install-completion" in text and "--show-completion" in text
    # The installed command run from bash (not exec'd in its place): completion detects the shell.
    salescli = Path(sys.executable).parent / "salescli"
    shown = subprocess.run(["bash", "-c", f"'{salescli}' --show-completion; exit $?"], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert "complete" in shown.stdout and "_SALESCLI_COMPLETE" in shown.stdout.upper()


def test_a_near_miss_customer_suggests_the_close_names(cli):
    for name in ("Acme Tools Ltd", "Acme Bakery", "Atlas Freight", "Zenith Group"):
        cli("customer", "add", name, "--no-followup")
    assert cli.fails("customer", "show", "Acme Tols") == (
        "Error: no customer 'Acme Tols'; did you mean Acme Tools Ltd? ('salescli customer list' shows them)\n"
    )
    assert "did you mean Atlas Freight?" in cli.fails("deal", "add", "Crates", "-c", "Atlas Frieght", "--amount", "5k")
    assert cli.json("deal", "list") == []
    assert "did you mean" not in cli.fails("customer", "show", "Nothing Like It")


def test_the_suggestion_is_found_among_many_customers(cli, isolated):
    conn = store.connect(isolated, create=True)
    with conn:
        conn.executemany(
            "INSERT INTO customer (name, fields, created_at, updated_at) VALUES (?, '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            [(f"Acme {prefix} {n}",) for prefix in ("Alpha", "Beta", "Omega") for n in range(1000)] + [("Acme Tools Ltd",)],
        )
    conn.close()
    assert "did you mean Acme Tools Ltd?" in cli.fails("customer", "show", "Acme Tols Ltd")
