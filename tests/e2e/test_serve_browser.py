"""End to end: `certtui --demo serve` driven by a real headless Chromium (Debian's package).

The browser is Debian's /usr/bin/chromium (scripts/test installs it), driven through Playwright's
Python API; no browser is downloaded. The page renders the terminal with xterm.js on a canvas, so
the test reads what it shows from xterm.js's own buffer: an init script keeps the page's terminal
object when textual-serve's script creates it. Every request that is not to loopback is refused.
Every wait is bounded and fails with the screen it last saw; nothing asserts how long anything
took.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from playwright.sync_api import Page, Route, sync_playwright

from support.postgres import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PATIENCE_SECONDS = 90.0  # a bound for each wait, never an expectation of speed
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # ignored by git

# textual-serve's script keeps its xterm.js Terminal in an object's `terminal` property; the
# first value assigned there that has a buffer is kept on window for the test to read.
KEEP_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    if (value && value.buffer && !window.certtuiTerminal) window.certtuiTerminal = value;
    Object.defineProperty(this, "terminal", {
      value, writable: true, configurable: true, enumerable: true,
    });
  },
});
"""
READ_SCREEN = """() => {
  const terminal = window.certtuiTerminal;
  if (!terminal) return "";
  const buffer = terminal.buffer.active, lines = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}"""

T = TypeVar("T")


def wait_for(find: Callable[[], T | None], what: str, last: Callable[[], str]) -> T:
    """Poll until ``find`` returns something; fail showing what ``last`` says."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}; last seen:\n{last()}")


def digests(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` with its content digest."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    """`certtui --demo serve` on a free loopback port; yields its URL and the data directory."""
    port = free_port()
    data = tmp_path / "data"
    log = (tmp_path / "serve.log").open("w")
    environment = {
        **os.environ,
        "XDG_DATA_HOME": str(data),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "AWS_ACCESS_KEY_ID": "AKIDCERTTUIE2E",
        "AWS_SECRET_ACCESS_KEY": "certtui-e2e-secret",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    for name in ("CERTTUI_DATABASE_URL", "CERTTUI_CONFIG", "CERTTUI_READ_ONLY", "NO_COLOR"):
        environment.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "certtui", "--demo", "serve", "--port", str(port)],
        env=environment, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"

    def answering() -> bool:
        assert process.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(answering, "certtui serve to answer", lambda: (tmp_path / "serve.log").read_text())
        yield url, data / "certtui", process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


def only_loopback(route: Route) -> None:
    """Let the page reach the served app; refuse everything else (fonts from the internet)."""
    if route.request.url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:")):
        route.continue_()
    else:
        route.abort()


def test_browser_shows_the_matrix_switches_screens_and_writes_nothing(
    served: tuple[str, Path, subprocess.Popen[str]], tmp_path: Path
) -> None:
    url, data, process = served
    before = digests(data)
    with sync_playwright() as playwright:
        # A fresh profile of its own (Playwright passes it as --user-data-dir).
        context = playwright.chromium.launch_persistent_context(
            tmp_path / "chromium",
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            context.add_init_script(KEEP_TERMINAL)
            page = context.new_page()
            page.route("**/*", only_loopback)
            page.goto(url)
            run_in_browser(page, tmp_path)
        finally:
            context.close()
    assert process.poll() is None, "certtui serve stopped while a browser used it"
    # Read-only: the served app opened the database read-only and pressing c did nothing.
    assert digests(data) == before


def run_in_browser(page: Page, tmp_path: Path) -> None:
    """The page's part of the test: the matrix, a refused certify, a switch to Models."""

    def screen() -> str:
        return page.evaluate(READ_SCREEN)

    def showing(*texts: str) -> Callable[[], str | None]:
        def find() -> str | None:
            text = screen()
            return text if all(t in text for t in texts) else None

        return find

    matrix = wait_for(showing("Matrix · ", " models × ", "amazon.nova"), "the matrix", screen)
    assert "READ-ONLY" in matrix and "SIMULATED" in matrix, matrix
    assert "Certify" not in matrix, "a read-only session offers no certify key"
    shot = tmp_path / "certtui-serve-matrix.png"
    page.screenshot(path=str(shot))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)
    print(f"screenshot: {ARTIFACTS / shot.name}")

    page.locator(".xterm-screen").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("c")  # not bound read-only: nothing may start
    page.keyboard.press("1")
    models = wait_for(showing("Models · ", " of "), "the Models screen after pressing 1", screen)
    assert "Matrix · " not in models
    page.screenshot(path=str(tmp_path / "certtui-serve-models.png"))
