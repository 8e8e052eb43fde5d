"""What a person sees at a terminal: the installed console script on a real
pseudo-terminal of 80, 100 and 140 columns. Every listing and report is a table that fits
(no line wider than the terminal, in display cells), colour means something, and nothing a
name contains reaches the terminal as a control sequence."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import unicodedata
from pathlib import Path

import pytest
from conftest import TODAY

SALESCLI = str(Path(sys.executable).with_name("salescli"))
CHINESE_SUMMARY = "请在本周五之前回复客户关于年度维护合同续签价格调整及付款方式变更详细问题"  # 36 characters, no spaces
LONG_NAME = "The Extraordinarily Long-Named International Hospitality & Catering Group Holdings Ltd"
SGR = re.compile(r"\x1b\[([0-9;]*)m")  # rich's own styling: Select Graphic Rendition only
HOSTILE = "Evil\x1b[5mCorp\x1b]52;c;cHduZWQ=\x07\x1b]0;owned\x07\x1b[2J\x9b31mX\nsecond line\tend"

SCREENS = [
    "report due",
    "report targets",
    "report funnel",
    "customer list",
    "deal list",
    "activity list",
    "report reps",
    "report customers",
    "report stale",
    "report receivables",
    "report products",
    "rep list",
]


def cells(text: str) -> int:
    """Display cells, independently of salescli's own measure."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def environment(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")}
    return {**env, "SALESCLI_DB": str(db), "SALESCLI_TODAY": TODAY, "TERM": "xterm-256color", **extra}


def terminal(db: Path, width: int, *args: str, **env: str) -> str:
    """What salescli ARGS shows on a terminal ``width`` columns wide (stdout and stderr)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
    process = subprocess.Popen([SALESCLI, *args], stdin=slave, stdout=slave, stderr=slave, env=environment(db, **env))
    os.close(slave)
    out = b""
    while select.select([master], [], [], 60)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert process.wait(timeout=60) == 0, out.decode()
    return out.decode().replace("\r\n", "\n")


def piped(db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SALESCLI, *args], capture_output=True, text=True, env=environment(db, **env), timeout=60)


@pytest.fixture(scope="module")
def business(tmp_path_factory) -> Path:
    """The demo business (Chinese and English names), plus a very long name and a long
    Chinese summary without spaces."""
    db = tmp_path_factory.mktemp("terminal") / "sales.db"
    for args in (
        ["demo"],
        ["customer", "add", "深圳市前海国际供应链管理服务有限公司华南分公司", "--contact", "王小明", "--owner", "wei"],
        ["customer", "add", LONG_NAME, "--contact", "Maximilian Alexander Fitzgerald-Worthington", "--owner", "alice"],
        ["activity", "plan", "深圳市前海", CHINESE_SUMMARY, "--due", "fri", "--type", "call"],
        ["activity", "plan", LONG_NAME, "Follow up on the revised catering proposal and the gala", "--due", "today"],
    ):
        assert piped(db, *args).returncode == 0, args
    return db


def visible(text: str) -> list[str]:
    return SGR.sub("", text).split("\n")


def table_rows(lines: list[str]) -> list[str]:
    """The rows of the (first) table: the lines after its header rule, up to a blank line,
    the "… N more rows" line or the note of what was left out (stderr)."""
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("──────────"))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip() or line.startswith(("… ", "Left out: ", "cut: ")):
            break
        rows.append(line)
    return rows


@pytest.mark.parametrize("width", [80, 100, 140])
@pytest.mark.parametrize("command", SCREENS)
def test_every_listing_and_report_is_a_table_that_fits_the_terminal(business, cli, command, width):
    out = terminal(business, width, *command.split(), NO_COLOR="1")
    lines = visible(out)
    assert max(cells(line) for line in lines) <= width, out
    rows = table_rows(lines)  # a real table: a header rule of box drawing, one line per row
    expected = cli.json("--db", business, *command.split())
    assert len(rows) == min(len(expected if isinstance(expected, list) else expected["rows"]), 50)
    notes = [line for line in lines if line.startswith(("Left out: ", "cut: "))]
    if "Left out" in out or "cut:" in out:  # one line, not wrapped by the terminal
        assert len(notes) == 1 and notes[0].endswith(("(--wide or -f plain shows all)", "(--wide shows all)")), out


def test_funnel_bars_at_80_columns_and_target_progress_bars_at_100(business):
    funnel = table_rows(visible(terminal(business, 80, "report", "funnel", NO_COLOR="1")))
    assert len(funnel) == 6 and all("█" in row for row in funnel)  # every stage has reached some deals
    targets = table_rows(visible(terminal(business, 100, "report", "targets", NO_COLOR="1")))
    assert len(targets) == 32 and all("┃" in row for row in targets)  # the bar with its pace mark


def test_long_chinese_text_is_cut_by_display_cells(business, cli):
    lines = visible(terminal(business, 80, "report", "due", NO_COLOR="1"))
    row = next(line for line in lines if "请在本周五" in line)
    assert cells(row) <= 80 and "…" in row and CHINESE_SUMMARY not in row
    assert any(line.startswith("Left out: days, deal, type; cut: customer, summary") for line in lines)
    # at 140 columns the same report is a table too (it fell back to wrapped plain text)
    wide = visible(terminal(business, 140, "report", "due", NO_COLOR="1"))
    assert max(cells(line) for line in wide) <= 140
    assert len(table_rows(wide)) == len(cli.json("--db", business, "report", "due")["rows"])


def test_wide_shows_every_column_in_full(business):
    lines = visible(terminal(business, 80, "report", "due", "--wide", NO_COLOR="1"))
    header = lines[1].split()
    assert header == ["bucket", "id", "due", "days", "customer", "deal", "type", "summary", "owner"]
    assert any(LONG_NAME in line and CHINESE_SUMMARY not in line for line in lines)
    assert any(CHINESE_SUMMARY in line for line in lines)
    assert not any("Left out" in line for line in lines)


def test_a_blank_line_between_a_table_and_its_summary(business):
    lines = visible(terminal(business, 80, "report", "funnel", NO_COLOR="1"))
    at = next(i for i, line in enumerate(lines) if line.startswith("deals "))
    assert lines[at - 1] == "" and lines[at - 2].startswith("won ")


def sgr_codes(text: str) -> set[str]:
    return {code for params in SGR.findall(text) for code in params.split(";")}


def test_colour_means_something(business):
    due = terminal(business, 140, "report", "due")
    assert "\x1b[31moverdue\x1b[0m" in due and "\x1b[33mtoday\x1b[0m" in due
    assert "upcoming" in due and "\x1b[31mupcoming" not in due and "\x1b[33mupcoming" not in due
    targets = terminal(business, 140, "report", "targets")
    assert "\x1b[31mbehind\x1b[0m" in targets and "\x1b[32mahead\x1b[0m" in targets and "\x1b[32mmet\x1b[0m" in targets
    assert "\x1b[32mwon" in terminal(business, 140, "deal", "list", "--won")
    assert "\x1b[31mlost" in terminal(business, 140, "deal", "list", "--lost")
    activities = terminal(business, 140, "activity", "list")
    assert "\x1b[31m2026-11-09" in activities and "\x1b[33m2026-11-23" in activities
    # NO_COLOR: bold and dim at most, no colour; piped: nothing but text
    for command in (["report", "due"], ["report", "targets"], ["deal", "list", "--won"]):
        assert sgr_codes(terminal(business, 140, *command, NO_COLOR="1")) <= {"", "0", "1", "2", "22"}
        assert "\x1b" not in piped(business, *command).stdout


def add_hostile_records(cli, tmp_path):
    """A customer, deal and follow-up named with escape sequences, from the command line
    and from an imported CSV file."""
    cli("customer", "add", HOSTILE, "--company", "\x1b[41mCo", "--tag", "\x1b]0;t\x07")
    cli("deal", "add", "\x1b[2JBig\tdeal\nsecond", "--customer", "1", "--amount", "5k")
    cli("activity", "plan", "1", "Call \x1b[31mnow\x1b[0m\nand then", "--due", "today")
    source = tmp_path / "hostile.csv"
    source.write_text('name,company\n"Imported\x1b]52;c;aGk=\x07\x1b[2J\nname",\x1b[5mFlash\x1b[0m\n', encoding="utf-8")
    cli("import", "customers", source)


@pytest.mark.parametrize("fmt", ["table", "plain", "markdown"])
def test_no_escape_sequence_from_any_name_reaches_the_output(cli, tmp_path, fmt):
    add_hostile_records(cli, tmp_path)
    screens = (["customer", "list"], ["deal", "list"], ["activity", "list"], ["report", "due"], ["customer", "show", "1"])
    for command in screens:
        out = cli(*command, "-f", fmt).stdout
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out, (command, out)
    listing = cli("customer", "list", "-f", fmt, "--wide").stdout
    assert "Evil\\x1b[5mCorp\\x1b]52;c;cHduZWQ=\\x07\\x1b]0;owned\\x07\\x1b[2J\\x9b31mX⏎second line end" in listing
    assert "Imported\\x1b]52;c;aGk=\\x07\\x1b[2J⏎name" in listing
    if fmt == "plain":  # a newline or a tab does not break a row: a header, then one line a record
        assert len(listing.splitlines()) == 1 + len(cli.json("customer", "list")) == 3
        assert len(cli("activity", "list", "-f", fmt).stdout.splitlines()) == 1 + len(cli.json("activity", "list")) == 3


def test_no_escape_sequence_reaches_a_coloured_terminal(tmp_path, cli):
    add_hostile_records(cli, tmp_path)
    db = Path(os.environ["SALESCLI_DB"])
    for command in (["customer", "list"], ["deal", "list"], ["report", "due"], ["activity", "list"]):
        out = terminal(db, 140, *command)
        assert "\x1b[" in out  # colour on: rich's styling is there …
        assert "\x1b" not in SGR.sub("", out) and "\x07" not in out and "\x9b" not in out  # … and nothing else
        assert "5" not in sgr_codes(out) and "41" not in sgr_codes(out)  # blink and red background were names


def test_error_messages_do_not_pass_escapes_through(cli):
    cli("init")
    stderr = cli.fails("customer", "show", "\x1b]0;owned\x07\x1b[2Jnobody")
    assert "\x1b" not in stderr and "\x07" not in stderr
    assert "\\x1b]0;owned\\x07\\x1b[2Jnobody" in stderr


@pytest.mark.parametrize(
    "report",
    ["targets", "reps", "customers", "sources", "products", "lost", "receivables", "stale"],
)
def test_reports_are_quiet_if_empty(cli, report):
    cli("init")
    assert cli("report", report).stdout.strip()  # says there is nothing …
    for fmt in ("plain", "table", "json"):  # … or says nothing at all
        assert cli("report", report, "--quiet-if-empty", "-f", fmt).stdout == ""


def test_a_question_does_not_pass_escapes_through(cli, monkeypatch):
    from salescli.commands import common

    cli("customer", "add", "\x1b]0;owned\x07Acme", "--no-followup")
    monkeypatch.setattr(common, "stdin_isatty", lambda: True)
    stderr = cli("customer", "delete", "1", input="n\n", code=1).stderr
    assert "Delete customer" in stderr and "\\x1b]0;owned\\x07Acme" in stderr and "\x1b" not in stderr


def test_a_bar_in_a_name_does_not_break_a_markdown_row(cli):
    cli("customer", "add", "Pipe | Co", "--tag", "a|b")
    lines = cli("customer", "list", "-f", "markdown").stdout.splitlines()
    separators = [len(re.findall(r"(?<!\\)\|", line)) for line in lines if line.startswith("|")]
    assert len(set(separators)) == 1 and len(separators) == 3
    assert "| Pipe \\| Co " in lines[2] and "a\\|b" in lines[2]
