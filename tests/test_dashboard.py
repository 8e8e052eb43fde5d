"""`salescli dashboard`: opened in a real headless Chromium (Debian's `chromium`, which
`make test` installs when missing); the text of the rendered DOM must show the figures
of the JSON reports. Screenshots at desktop and phone widths are kept in
test-artifacts/ for a person to look at."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]


def chromium(tmp_path: Path, *args: str) -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "Debian's chromium is needed for the dashboard tests: `make test` installs it (apt-get install chromium)"
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    result = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


class Sections(HTMLParser):
    """The rendered page's sections: their table rows as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self.attrs: dict[str, dict[str, str]] = {}
        self.section: str | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.attrs["body"] = attrs
        if tag == "section":
            self.section = attrs["id"]
            self.rows[self.section] = []
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None and self.section:
            self.rows[self.section].append(self.row)
            self.row = None

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)


@pytest.fixture
def page(cli, tmp_path):
    cli("demo", "--force")
    path = tmp_path / "sales.html"
    result = cli("dashboard", "-o", path)
    assert f"Wrote the dashboard to {path}" in result.stderr
    return path


def rendered(page: Path, tmp_path: Path) -> Sections:
    parser = Sections()
    parser.feed(chromium(tmp_path, "--dump-dom", page.as_uri()))
    return parser


def money(value) -> str:
    return f"${value:,.2f}"


def test_the_page_shows_the_reports_figures(cli, page, tmp_path):
    dom = rendered(page, tmp_path)
    assert set(dom.rows) == {"targets", "funnel", "due", "reps", "trend", "receivables"}

    targets = [t for t in cli.json("report", "targets")["rows"] if t["period"] in ("2026-11", "2026-Q4")]
    shown = dom.rows["targets"][1:]
    assert len(shown) == len(targets) > 0
    for row, target in zip(shown, targets):
        assert row[:3] == [target["metric"], target["period"], target["rep"] or ""]
        assert row[-1] == target["status"]
        if target["metric"] in ("revenue", "margin"):
            assert row[3:5] == [money(target["target"]), money(target["actual"])]

    funnel = cli.json("report", "funnel")["rows"]
    assert [(r[0], r[2]) for r in dom.rows["funnel"][1:]] == [(f["stage"], str(f["reached"])) for f in funnel]

    due = cli.json("report", "due")["rows"]
    assert [(r[0], r[4]) for r in dom.rows["due"][1:]] == [(d["bucket"], d["customer"]) for d in due]

    reps = cli.json("report", "reps", "--period", "2026-11")["rows"]
    assert [(r[0], r[2]) for r in dom.rows["reps"][1:]] == [(r["rep"], money(r["revenue"])) for r in reps]

    trend = cli.json("report", "trend")["rows"]
    assert [(r[0], r[1]) for r in dom.rows["trend"][1:]] == [(t["month"], money(t["revenue"])) for t in trend]

    ageing = cli.json("report", "receivables")["summary"]
    assert dom.rows["receivables"][1][:3] == [money(ageing["billed"]), money(ageing["paid"]), money(ageing["outstanding"])]

    text = "".join(dom.text)
    assert "成都天府餐饮管理有限公司" in text  # Chinese survives
    assert "<script" not in page.read_text() and "http://" not in page.read_text().replace("http://www.w3.org", "").replace("http://pygal.org", "").replace("http://github.com/Kozea/pygal", "")


def test_fits_a_phone_and_screenshots(page, tmp_path):
    # Headless Chromium lays a page out at least 500 pixels wide, so the probe (the page,
    # plus a line of script that notes how wide it is) pins the page to the width itself.
    for width in (390, 1280):
        probe = tmp_path / f"probe-{width}.html"
        probe.write_text(page.read_text().replace(
            "</body>",
            f"<script>document.documentElement.style.width = '{width}px';"
            "const outside = [...document.querySelectorAll('body *')].filter(e => !e.parentElement.closest('.scroll, svg'));"
            "document.body.dataset.width = Math.ceil(Math.max(...outside.map(e => e.getBoundingClientRect().right)))"
            "</script></body>",
        ))
        dom = Sections()
        dom.feed(chromium(tmp_path, f"--window-size={max(width, 500)},900", "--dump-dom", probe.as_uri()))
        # nothing sticks out sideways, but what scrolls inside its own box (wide tables)
        assert 0.8 * width < int(dom.attrs["body"]["data-width"]) <= width
    ARTIFACTS.mkdir(exist_ok=True)
    for name, size in (("dashboard-desktop.png", "1280,2400"), ("dashboard-phone.png", "390,2400")):
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        chromium(tmp_path, f"--window-size={size}", f"--screenshot={shot}", page.as_uri())
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_the_file_is_private_and_written_whole(cli, page, tmp_path):
    assert page.stat().st_mode & 0o777 == 0o600
    assert "cannot write" in cli.fails("dashboard", "-o", tmp_path / "missing" / "x.html")
    assert list(tmp_path.glob("*.tmp")) == [] and not (tmp_path / "missing").exists()


def test_chart_labels_are_never_cut(cli, tmp_path):
    """pygal cuts labels it finds long (`$1,…`, `10…` for 100 %, `contact…`): an axis
    of such labels cannot be read."""
    import re

    cli("demo")
    cli("dashboard", "-o", tmp_path / "d.html")
    page = (tmp_path / "d.html").read_text(encoding="utf-8")
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", page)
    assert "$1,000" in labels and "100%" in labels and "negotiation" in labels
    assert [label for label in labels if label.endswith("…")] == []


def test_no_control_character_reaches_the_page(cli, tmp_path):
    """A stage name with an escape sequence shows as the tables show it (`\\x1b`), in the
    funnel chart's labels too (XML allows no control characters)."""
    cli("stage", "add", "esc\x1b[31mstage", "--probability", "55")
    cli("customer", "add", "Acme\x1b]0;title\x07")
    cli("deal", "add", "Pumps", "-c", "Acme", "--amount", "100", "--stage", "esc\x1b[31mstage")
    cli("dashboard", "-o", tmp_path / "d.html")
    page = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert "\x1b" not in page and "\x07" not in page
    assert ">esc\\x1b[31mstage</text>" in page
