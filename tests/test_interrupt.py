"""Ctrl-C tells the truth (real processes and real signals): status 130 means nothing was
written, 0 means the write is in, and never a traceback."""

from __future__ import annotations

import os
import pty
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

SALESCLI = str(Path(sys.executable).with_name("salescli"))
TRIES = 12

pytestmark = pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="watches /proc/PID/maps")


def reps(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT handle FROM rep ORDER BY handle")]
    finally:
        conn.close()


def in_salescli(process: subprocess.Popen[str]) -> bool:
    """Wait until ``process`` runs salescli's own code: it has loaded SQLite, so Python's
    own start-up (site, before any salescli code runs) is over. False if it ended first."""
    maps = Path(f"/proc/{process.pid}/maps")
    while process.poll() is None:
        try:
            if "_sqlite3" in maps.read_text():
                return True
        except OSError:
            break
        time.sleep(0.002)
    return False


def interrupted(args: list[str], delay: float) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run salescli, Ctrl-C it ``delay`` s after it starts its own code (if still running);
    returns what it did and how long it ran from there."""
    process = subprocess.Popen([SALESCLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    start = time.monotonic()
    if in_salescli(process):
        start = time.monotonic()
        try:
            process.wait(delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(args, process.returncode, out, err), time.monotonic() - start


def test_ctrl_c_at_any_moment_of_a_write(isolated):
    assert subprocess.run([SALESCLI, "init"], capture_output=True).returncode == 0
    _, runtime = interrupted(["rep", "add", "calibration"], 60)  # how long a write takes here, uninterrupted
    rng = random.Random(1123)
    delays = [(f"r{n}", rng.uniform(0, 1.1 * runtime)) for n in range(TRIES)]
    # and the two ends, so that some write is stopped and some is not even where a busy
    # machine makes a write take longer (or shorter) than it did to calibrate
    delays += [("early", 0.0), ("late", 10 * runtime)]
    outcomes = []
    for handle, delay in delays:
        result, _ = interrupted(["rep", "add", handle], delay)
        assert "Traceback" not in result.stderr and "Aborted" not in result.stderr
        assert result.returncode in (0, 130), result.stderr
        if result.returncode == 0:  # it says what it added: the next id
            assert (result.stdout, result.stderr) == (f"{2 + sum(code == 0 for _, code in outcomes)}\n", "")
        outcomes.append((handle, result.returncode))
    assert reps(isolated) == sorted(["calibration", *(handle for handle, code in outcomes if code == 0)])
    assert {code for _, code in outcomes} == {0, 130}


AT_THE_COMMIT = """
import os, signal, sys
from contextlib import contextmanager
from salescli import store
from salescli.cli import main

real = store.transaction
moment = sys.argv.pop(1)

@contextmanager
def transaction(conn, **options):  # Ctrl-C just before the commit, or the moment it is done
    with real(conn, **options) as conn:
        yield conn
        if moment == "before":
            os.kill(os.getpid(), signal.SIGINT)
    if moment == "after":
        os.kill(os.getpid(), signal.SIGINT)

store.transaction = transaction
main()
"""


@pytest.mark.parametrize("moment, code, written", [("before", 130, []), ("after", 0, ["alice"])])
def test_ctrl_c_at_the_commit(isolated, moment, code, written):
    assert subprocess.run([SALESCLI, "init"], capture_output=True).returncode == 0
    result = subprocess.run(
        [sys.executable, "-c", AT_THE_COMMIT, moment, "rep", "add", "alice"], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stderr) == (code, "")
    assert result.stdout == ("1\n" if written else "")
    assert reps(isolated) == written


def test_ctrl_c_at_a_question_is_an_interruption(isolated):
    assert subprocess.run([SALESCLI, "customer", "add", "Acme"], capture_output=True).returncode == 0
    reading, writing = pty.openpty()  # a person at a terminal: the command asks first
    process = subprocess.Popen(
        [SALESCLI, "customer", "delete", "Acme"], stdin=writing, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    os.close(writing)
    assert process.stderr is not None
    asked = b""
    while not asked.endswith(b"[y/N]:"):
        chunk = os.read(process.stderr.fileno(), 100)
        assert chunk, f"no question: {asked!r}"
        asked += chunk
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    os.close(reading)
    assert (process.returncode, out.strip(), asked + err) == (130, b"", b"Delete customer Acme (#1) with 1 open follow-up? [y/N]:")
    conn = sqlite3.connect(isolated)
    assert conn.execute("SELECT name FROM customer").fetchall() == [("Acme",)]
    conn.close()
