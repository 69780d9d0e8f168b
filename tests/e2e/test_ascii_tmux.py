"""End to end: the real TUI under ``LC_ALL=C`` (no UTF-8 mode, no locale coercion) in tmux.

Before glyphs followed the output encoding, Python's stderr (where Textual draws) turned every
glyph and border into ``\\u2014``-style escapes. Now the screen is ASCII: the glyphs of
domain/glyphs.py, and Textual's own borders as ASCII look-alikes of the same width.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from certtui.domain.regions import region_code
from e2e.test_demo_tmux import (
    ENVIRONMENT_UNSET,
    REGION,
    REGION_CODE,
    SESSION,
    SIZE,
    Terminal,
    certtui_command,
    line_with,
    matrix_cell,
    terminal,
    then_exit_status,
)

__all__ = ["terminal"]  # the fixture, shared with the demo's end-to-end test

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
FILTER = "claude-3-haiku"
ASCII_RATING = re.compile(r"^([+x]) ([A-F])\*$")  # * : the demo is simulated
C_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}


def start_in_c_locale(terminal: Terminal, tmp_path: Path, *args: str) -> Path:
    """`certtui ARGS` in the terminal under the C locale; returns its exit-status file."""
    exit_file = tmp_path / "exit-status"
    environment = {
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "AWS_ACCESS_KEY_ID": "AKIDCERTTUIE2E",
        "AWS_SECRET_ACCESS_KEY": "certtui-e2e-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **C_LOCALE,
    }
    unset = (*ENVIRONMENT_UNSET, "PYTHONIOENCODING", "LC_CTYPE")
    command = shlex.join(
        ["env", *(f"-u{name}" for name in unset),
         *(f"{k}={v}" for k, v in environment.items()), certtui_command(), *args]
    )  # fmt: skip
    shell = then_exit_status(command, exit_file)
    width, height = SIZE[0], 50  # tall enough for the help's legend below its keys
    terminal.tmux("new-session", "-d", "-s", SESSION, "-x", str(width), "-y", str(height), shell)
    return exit_file


def _plain(screen: str) -> str:
    """The screen after checking it holds ASCII only and no escape standing in for a glyph."""
    assert screen.isascii(), screen
    assert not re.search(r"\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}", screen), screen
    return screen


def test_the_tui_under_the_c_locale_draws_ascii(tmp_path: Path, terminal: Terminal) -> None:
    exit_file = start_in_c_locale(terminal, tmp_path, "--demo")

    # Titles use the ASCII separator; the screen is ASCII from the first paint.
    matrix = terminal.wait_for(
        lambda s: s if line_with(s, "Matrix - ") and line_with(s, " of ") else None, "the matrix"
    )
    _plain(matrix)
    assert line_with(matrix, " models x ")

    terminal.keys("/")
    terminal.wait_for(lambda s: line_with(s, "filter models"), "the filter box")
    terminal.type(FILTER)
    terminal.keys("Enter")
    header = terminal.wait_for(
        lambda s: line_with(s, f"filter '{FILTER}'") and line_with(s, "model "), "the filter"
    )
    cell = terminal.wait_for(lambda s: matrix_cell(s, MODEL[:11], REGION), "the model's row")
    assert cell == "o", f"an untested cell reads 'o' in ASCII, shows {cell!r}"

    codes = REGION_CODE.findall(header)
    terminal.keys(*["Right"] * (codes.index(region_code(REGION)) + 1))
    terminal.keys("c")
    rating = terminal.wait_for(
        lambda s: ASCII_RATING.match(matrix_cell(s, MODEL[:11], REGION) or ""), "a rating"
    )
    assert rating.group(1) in "+x"
    _plain(terminal.screen())

    # The help legend lists the ASCII glyphs.
    terminal.keys("?")
    terminal.wait_for(lambda s: line_with(s, "Keys on this screen"), "the help")

    def legend_shown(screen: str) -> str | None:
        if line_with(screen, "Matrix cells") and line_with(screen, "cancelled"):
            return screen
        terminal.keys("PageDown")  # the legend follows the keys: scroll the help to it
        return None

    legend = terminal.wait_for(legend_shown, "the help's legend")
    _plain(legend)
    for glyph, meaning in (("+ A", "passed"), ("> run", "running"), (". que", "queued"),
                           ("/ can", "cancelled")):  # fmt: skip
        line = line_with(legend, meaning) or ""
        assert re.search(rf"\s{re.escape(glyph)}\s+{meaning}", line), line
    terminal.keys("Escape")
    terminal.wait_for(lambda s: None if line_with(s, "Matrix cells") else s, "the help to close")

    # The Jobs screen: status glyph, bar and counters in ASCII.
    terminal.keys("3")
    jobs = terminal.wait_for(lambda s: s if line_with(s, "+ done") else None, "the finished job")
    _plain(jobs)
    assert line_with(jobs, "############ 1/1")

    terminal.keys("q")

    def exited(screen: str) -> str | None:
        if line_with(screen, "Pause and quit"):
            terminal.keys("Tab", "Enter")
        return exit_file.read_text().strip() if exit_file.exists() else None

    assert terminal.wait_for(exited, "certtui to exit") == "0"
