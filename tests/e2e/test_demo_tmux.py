"""End to end: the real `certtui --demo` in a real terminal (tmux), driven with keys.

The test reads only what the terminal shows (`tmux capture-pane`), like an operator would, then
checks the process exited 0, the tmux session ended, and the database agrees with the screen.
Every wait is bounded and fails with the screen it last saw; nothing asserts how long anything
took.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import TypeVar

import pytest

from certtui.domain.regions import region_code
from support.cli import run_certtui, simulate_process

SIZE = (100, 30)
PATIENCE_SECONDS = 60.0  # a bound for each wait, never an expectation of speed
POLL_SECONDS = 0.1
SESSION = "demo"
# Claude 3 Haiku answers well and is offered on demand everywhere in the demo scenario.
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
FILTER = "claude-3-haiku"
REGION = "ap-northeast-1"
REGION_CODE = re.compile(r"\b[a-z]{2}[a-z]{0,4}\d+\b")  # the matrix heads columns use1, apne1…
RATING_CELL = re.compile(r"^([✓✗]) ([A-F])\*$")  # * : the demo is simulated

T = TypeVar("T")


class Terminal:
    """A tmux server of our own (its own socket) with one session running a command."""

    def __init__(self, socket: str) -> None:
        self.socket = socket
        directory = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
        self.socket_path = directory / socket  # where `tmux -L` puts it

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a tmux command against our server (UTF-8 forced, no user configuration)."""
        return subprocess.run(
            ["tmux", "-u", "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=30,
            env={**os.environ, "LANG": "C.UTF-8"},
        )

    def screen(self) -> str:
        """What the terminal shows now ("" once the session has ended)."""
        # The session can end between a check that it lives and this capture (certtui quits,
        # its shell exits, tmux goes with it): a gone session shows nothing, not an error.
        captured = self.tmux("capture-pane", "-p", "-t", SESSION, check=False)
        if captured.returncode != 0:
            if self.session_alive():
                captured.check_returncode()
            return ""
        return captured.stdout

    def keys(self, *keys: str) -> None:
        """Press keys (tmux key names: Right, Enter, Escape, or single characters)."""
        self.tmux("send-keys", "-t", SESSION, *keys)

    def type(self, text: str) -> None:
        """Type text literally."""
        self.tmux("send-keys", "-t", SESSION, "-l", text)

    def session_alive(self) -> bool:
        """Whether the session still exists."""
        return self.tmux("has-session", "-t", SESSION, check=False).returncode == 0

    def wait_for(self, find: Callable[[str], T | None], what: str) -> T:
        """Poll the screen until `find` returns something; fail showing the last screen."""
        deadline = time.monotonic() + PATIENCE_SECONDS
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            found = find(screen)
            if found is not None:
                return found
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"gave up waiting for {what}; the screen was:\n{screen}")


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    """Our own tmux server, always killed at the end."""
    term = Terminal(f"certtui-e2e-{os.getpid()}")
    try:
        yield term
    finally:
        term.tmux("kill-server", check=False)
        term.socket_path.unlink(missing_ok=True)  # tmux may leave it behind


def certtui_command() -> str:
    """The installed `certtui` entry point next to this interpreter."""
    entry = Path(sys.executable).with_name("certtui")
    assert entry.exists(), f"certtui is not installed next to {sys.executable}"
    return str(entry)


def matrix_cell(screen: str, model_prefix: str, region: str) -> str | None:
    """The text of a matrix cell, found under the region's code; None if not on screen."""
    lines = screen.splitlines()
    header = next((line for line in lines if line.lstrip().startswith("model ")), None)
    # A matrix row starts at the left edge; the status line (which may name the model) does not.
    row = next((line for line in lines if line.startswith(model_prefix)), None)
    code = region_code(region)
    if header is None or row is None or code not in REGION_CODE.findall(header):
        return None
    start = re.search(rf"\b{code}\b", header).start()  # type: ignore[union-attr]
    return row[start : start + 7].strip() if len(row) > start else ""  # a column is 7 wide


def line_with(screen: str, text: str) -> str | None:
    """The first line of the screen containing `text`."""
    return next((line for line in screen.splitlines() if text in line), None)


# COLUMNS and LINES: pytest-xdist's workers set them (80×24), and Textual takes them over the
# terminal's own size, so the app would draw 80 columns in a 120-column tmux pane.
ENVIRONMENT_UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "CERTTUI_CONFIG",
                     "CERTTUI_DATABASE_URL", "NO_COLOR", "COLUMNS", "LINES")  # fmt: skip


def start_certtui(
    terminal: Terminal,
    tmp_path: Path,
    *args: str,
    keep: bool = False,
    size: tuple[int, int] = SIZE,
) -> Path:
    """Run `certtui ARGS` in the terminal, data under tmp_path; returns its exit-status file.

    ``keep``: the terminal stays open after certtui exits (to read its state then).
    """
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
        "LANG": "C.UTF-8",
    }
    command = shlex.join(
        ["env", *(f"-u{name}" for name in ENVIRONMENT_UNSET),
         *(f"{k}={v}" for k, v in environment.items()), certtui_command(), *args]
    )  # fmt: skip
    # stderr stays on the terminal (Textual draws there); only the exit status goes to a file.
    shell = then_exit_status(command, exit_file)
    if keep:
        shell += "; exec sleep 3600"  # the fixture's kill-server ends it
    width, height = size
    terminal.tmux("new-session", "-d", "-s", SESSION, "-x", str(width), "-y", str(height), shell)
    return exit_file


def then_exit_status(command: str, exit_file: Path) -> str:
    """A shell line running ``command``, then writing its exit status to ``exit_file`` whole
    (through a rename: a reader never sees the file created but still empty)."""
    written = shlex.quote(str(exit_file) + ".part")
    return f"{command}; echo $? > {written}; mv {written} {shlex.quote(str(exit_file))}"


def test_demo_certifies_a_cell_and_quits(tmp_path: Path, terminal: Terminal) -> None:
    """Start the demo, certify one untested cell, read its result and detail, quit cleanly."""
    exit_file = start_certtui(terminal, tmp_path, "--demo")

    # The demo syncs its catalog from the stand-in, then opens on the matrix.
    terminal.wait_for(lambda s: line_with(s, "Matrix · ") and line_with(s, " of "), "the matrix")
    terminal.keys("/")
    terminal.wait_for(lambda s: line_with(s, "filter models"), "the filter box")
    terminal.type(FILTER)
    terminal.keys("Enter")
    header = terminal.wait_for(
        lambda s: line_with(s, f"filter '{FILTER}'") and line_with(s, "model "), "the filter"
    )
    # The model column may cut the id in the middle: its head finds the one row left.
    cell = terminal.wait_for(lambda s: matrix_cell(s, MODEL[:10], REGION), "the model's row")
    assert cell == "○", f"{MODEL} in {REGION} should start untested, shows {cell!r}"

    # The cursor starts on the model column: one step right per region column up to ours.
    codes = REGION_CODE.findall(header)
    terminal.keys(*["Right"] * (codes.index(region_code(REGION)) + 1))
    terminal.keys("c")

    def rated(screen: str) -> re.Match[str] | None:
        return RATING_CELL.match(matrix_cell(screen, MODEL[:10], REGION) or "")

    rating = terminal.wait_for(rated, "the cell to show a rating")
    glyph, letter = rating.groups()

    terminal.keys("Enter")
    # The header wraps where the terminal width falls (the score's width moves it), and tmux
    # may show a frame mid-paint: wait for the whole header in the screen's words.
    header_pattern = re.compile(
        rf"{re.escape(MODEL)} in {REGION} · COMPLETED · score (\d+\.\d) · rating {letter}"
    )

    def detail_header(screen: str) -> re.Match[str] | None:
        return header_pattern.search(" ".join(screen.split()))

    score = float(terminal.wait_for(detail_header, "the result detail").group(1))
    assert 0.0 <= score <= 100.0
    verdict = "passed" if glyph == "✓" else "not passed"
    words = " ".join(terminal.screen().split())
    assert f"rating {letter} · {verdict}" in words

    terminal.keys("Escape")
    terminal.wait_for(lambda s: line_with(s, f"filter '{FILTER}'"), "the matrix again")
    terminal.keys("q")

    def exited(screen: str) -> str | None:
        if line_with(screen, "Pause the job and quit"):  # a job still running: pause it
            terminal.keys("Enter")
        return exit_file.read_text().strip() if exit_file.exists() else None

    assert terminal.wait_for(exited, "certtui to exit") == "0"
    terminal.wait_for(lambda _: "" if not terminal.session_alive() else None, "the session end")

    # The database holds what the screen showed.
    database = tmp_path / "data" / "certtui" / "demo.db"
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        status, rating_letter, passed = connection.execute(
            "SELECT c.status, c.rating, c.passed FROM model_certifications c "
            'JOIN ai_models m ON m.id = c."modelId" WHERE m."apiModelId" = ? AND c.region = ?',
            (MODEL, REGION),
        ).fetchone()
    assert (status, rating_letter, bool(passed)) == ("COMPLETED", letter, glyph == "✓")


def test_a_filter_typed_in_one_burst_starts_no_job(tmp_path: Path, terminal: Terminal) -> None:
    """`/claude` sent as one write (a paste, SSH lag) filters; its `c` certifies nothing."""
    exit_file = start_certtui(terminal, tmp_path, "--demo")
    terminal.wait_for(lambda s: line_with(s, "Matrix · ") and line_with(s, " of "), "the matrix")
    terminal.keys("Right")  # onto a region cell: a `c` that leaked would certify it
    terminal.wait_for(lambda s: line_with(s, "Certify cell"), "the footer")
    terminal.keys("/claude", "Enter")  # one tmux command: one write to the terminal
    screen = terminal.wait_for(
        lambda s: line_with(s, "filter 'claude'") and line_with(s, "anthropic.c") and s,
        "the filtered rows",
    )
    assert not line_with(screen, "started"), f"a job started:\n{screen}"
    terminal.keys("q")
    assert terminal.wait_for(
        lambda _: exit_file.read_text().strip() if exit_file.exists() else None, "the exit"
    ) == "0", f"certtui asked about a running job:\n{terminal.screen()}"  # fmt: skip

    database = tmp_path / "data" / "certtui" / "demo.db"
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        (jobs,) = connection.execute("SELECT count(*) FROM certification_jobs").fetchone()
    assert jobs == 0, "a key typed into the filter started a job"


def test_keys_after_the_filter_s_enter_reach_the_table(tmp_path: Path, terminal: Terminal) -> None:
    """`/claude` Enter `j` in one write: the box closes on Enter before `j` is routed, so `j`
    moves the table's cursor to the second row shown instead of being typed into the filter."""
    exit_file = start_certtui(terminal, tmp_path, "--demo")
    terminal.wait_for(lambda s: line_with(s, "Matrix · ") and line_with(s, " of "), "the matrix")
    terminal.keys("/claude", "Enter", "j")  # one tmux command: one write to the terminal
    screen = terminal.wait_for(
        lambda s: line_with(s, "filter 'claude") and line_with(s, "anthropic.c") and s,
        "the filtered rows",
    )
    assert line_with(screen, "filter 'claude'"), screen
    # The rows' labels are shortened to fit (`anthropic.cl…20-v1:0`); the cell line under the
    # table names the model under the cursor in full.
    labels = [line.split()[0] for line in screen.splitlines() if line.startswith("anthropic.c")]
    assert len(labels) >= 2, screen

    def shows(label: str, model: str) -> bool:
        head, _, tail = label.partition("…")
        return model.startswith(head) and model.endswith(tail)

    def cursor_model(s: str) -> str | None:
        lines = [line.strip() for line in s.splitlines() if line.strip()]
        return lines[-2].rsplit("· ", 1)[-1] if len(lines) > 2 else None

    # A frame may show the cursor on the first row before `j` is handled: wait for the second.
    terminal.wait_for(
        lambda s: m if (m := cursor_model(s)) and shows(labels[1], m) else None,
        "j to move the cursor to the second row shown",
    )
    assert line_with(terminal.screen(), "filter 'claude'"), "j was typed into the filter"
    terminal.keys("q")
    assert terminal.wait_for(
        lambda _: exit_file.read_text().strip() if exit_file.exists() else None, "the exit"
    ) == "0", terminal.screen()  # fmt: skip


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def pane(terminal: Terminal, variable: str) -> str:
    """A tmux format variable of the pane, e.g. alternate_on."""
    return terminal.tmux("display-message", "-p", "-t", SESSION, f"#{{{variable}}}").stdout.strip()


def test_sighup_pauses_the_running_job_and_restores_the_terminal(
    tmp_path: Path, terminal: Terminal
) -> None:
    """An SSH drop (SIGHUP) while a job runs: the job ends PAUSED, the terminal is restored."""
    database = tmp_path / "certtui.db"
    url = f"sqlite:///{database}"
    with simulate_process("--latency-ms", "1500") as endpoint:  # units take a while
        synced = run_certtui(
            "--db", url, "--endpoint-url", endpoint, "models", "sync", "--region", REGION,
            env={"XDG_DATA_HOME": str(tmp_path / "data"), "AWS_ACCESS_KEY_ID": "AKIDE2E",
                 "AWS_SECRET_ACCESS_KEY": "e2e", "AWS_EC2_METADATA_DISABLED": "true"},
        )  # fmt: skip
        assert synced.returncode == 0, synced.stderr
        exit_file = start_certtui(
            terminal, tmp_path, "--db", url, "--endpoint-url", endpoint, keep=True
        )
        terminal.wait_for(lambda s: line_with(s, "Matrix · ") and line_with(s, " of "), "matrix")
        terminal.keys(f"/{FILTER}", "Enter")
        terminal.wait_for(lambda s: line_with(s, f"filter '{FILTER}'"), "the filter")
        terminal.keys("Right", "c")
        terminal.wait_for(lambda s: line_with(s, "started"), "the job to start")

        def job_status(_: str) -> str | None:
            with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
                row = connection.execute("SELECT status FROM certification_jobs").fetchone()
            return row[0] if row and row[0] != "QUEUED" else None

        # The job runs in its own engine process, which claims it a moment after it is planned.
        status = terminal.wait_for(job_status, "the engine process to claim the job")
        assert status == "PROCESSING", "the job should still run when the signal comes"
        assert pane(terminal, "alternate_on") == "1"
        assert pane(terminal, "mouse_any_flag") == "1" or pane(terminal, "mouse_sgr_flag") == "1"

        (shell,) = [int(pane(terminal, "pane_pid"))]
        (certtui,) = children(shell)
        os.kill(certtui, signal.SIGHUP)

        def exited(_: str) -> str | None:
            return exit_file.read_text().strip() if exit_file.exists() else None

        assert terminal.wait_for(exited, "certtui to exit") == "3"

    # The terminal is back to normal: main screen, no mouse tracking, and a one-line reason.
    assert pane(terminal, "alternate_on") == "0"
    for flag in ("mouse_any_flag", "mouse_button_flag", "mouse_standard_flag", "mouse_sgr_flag"):
        assert pane(terminal, flag) == "0", flag
    assert line_with(terminal.screen(), "stopped by SIGHUP"), terminal.screen()
    # The job is PAUSED and resumable: no unit is left PROCESSING.
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        (status,) = connection.execute("SELECT status FROM certification_jobs").fetchone()
        units = {row[0] for row in connection.execute("SELECT status FROM model_certifications")}
    assert status == "PAUSED"
    assert "PROCESSING" not in units, units


def test_sighup_with_on_disconnect_leave_lets_the_job_finish_in_its_engine(
    tmp_path: Path, terminal: Terminal
) -> None:
    """`on_disconnect = "leave"` in the config file: an SSH drop ends the TUI (exit 3, terminal
    restored), and the job's own engine process, `certtui jobs resume`, finishes it."""
    config = tmp_path / "config" / "certtui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('on_disconnect = "leave"\n', encoding="utf-8")
    database = tmp_path / "certtui.db"
    url = f"sqlite:///{database}"

    def job_status() -> str | None:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
            row = connection.execute("SELECT status FROM certification_jobs").fetchone()
        return row[0] if row else None

    with simulate_process("--latency-ms", "1500") as endpoint:
        synced = run_certtui(
            "--db", url, "--endpoint-url", endpoint, "models", "sync", "--region", REGION,
            env={"XDG_DATA_HOME": str(tmp_path / "data"), "AWS_ACCESS_KEY_ID": "AKIDE2E",
                 "AWS_SECRET_ACCESS_KEY": "e2e", "AWS_EC2_METADATA_DISABLED": "true"},
        )  # fmt: skip
        assert synced.returncode == 0, synced.stderr
        exit_file = start_certtui(
            terminal, tmp_path, "--db", url, "--endpoint-url", endpoint, keep=True
        )
        terminal.wait_for(lambda s: line_with(s, "Matrix · ") and line_with(s, " of "), "matrix")
        terminal.keys(f"/{FILTER}", "Enter")
        terminal.wait_for(lambda s: line_with(s, f"filter '{FILTER}'"), "the filter")
        terminal.keys("Right", "c")
        terminal.wait_for(lambda s: line_with(s, "started"), "the job to start")
        claimed = terminal.wait_for(
            lambda _: job_status() if job_status() != "QUEUED" else None, "the engine's claim"
        )
        assert claimed == "PROCESSING"
        (shell,) = [int(pane(terminal, "pane_pid"))]
        (certtui,) = children(shell)
        os.kill(certtui, signal.SIGHUP)

        def exited(_: str) -> str | None:
            return exit_file.read_text().strip() if exit_file.exists() else None

        assert terminal.wait_for(exited, "certtui to exit") == "3"
        assert line_with(terminal.screen(), "left running"), terminal.screen()
        assert pane(terminal, "alternate_on") == "0"
        # The TUI is gone; its job is not: the engine process finishes it.
        done = terminal.wait_for(
            lambda _: job_status() if job_status() in ("COMPLETED", "FAILED") else None, "the end"
        )
    assert done == "COMPLETED"
    log = tmp_path / "data" / "certtui" / "jobs"
    assert [path.suffix for path in log.iterdir()] == [".log"]


CALLS = re.compile(r"\b(\d+)/(\d+)\b")


def test_p_shows_pausing_then_paused_and_no_call_starts_after_it(
    tmp_path: Path, terminal: Terminal
) -> None:
    """`p` on a running job: PAUSING while its calls in flight finish, then PAUSED; the stand-in
    (in this process, so its arrival times share the terminal's clock) sees no new call."""
    from certtui.standin.server import start_in_thread

    # The TUI's own engine (engine = "inline"): a detached engine hears a pause at its next
    # heartbeat, within a second, which this test's "no call after the key" would not allow.
    config = tmp_path / "config" / "certtui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('engine = "inline"\n', encoding="utf-8")
    database = tmp_path / "certtui.db"
    url = f"sqlite:///{database}"
    with start_in_thread(latency_ms=1500) as standin:  # calls take a while
        synced = run_certtui(
            "--db", url, "--endpoint-url", standin.url, "models", "sync", "--region", REGION,
            env={"XDG_DATA_HOME": str(tmp_path / "data"), "AWS_ACCESS_KEY_ID": "AKIDE2E",
                 "AWS_SECRET_ACCESS_KEY": "e2e", "AWS_EC2_METADATA_DISABLED": "true"},
        )  # fmt: skip
        assert synced.returncode == 0, synced.stderr
        exit_file = start_certtui(terminal, tmp_path, "--db", url, "--endpoint-url", standin.url)
        terminal.wait_for(lambda s: line_with(s, "Matrix · ") and line_with(s, " of "), "matrix")
        terminal.keys(f"/{FILTER}", "Enter")
        terminal.wait_for(lambda s: line_with(s, f"filter '{FILTER}'"), "the filter")
        terminal.keys("Right", "c")
        terminal.wait_for(lambda s: line_with(s, "started"), "the job to start")
        terminal.keys("3")

        def calls_in_flight(screen: str) -> int | None:
            row = line_with(screen, "⟳ running")
            counts = CALLS.findall(row or "")
            return int(counts[1][0]) if len(counts) >= 2 and int(counts[1][0]) > 0 else None

        terminal.wait_for(calls_in_flight, "the job running with calls in flight")
        terminal.keys("p")
        pausing = terminal.wait_for(lambda s: line_with(s, "‖… pausing"), "PAUSING")
        seen_pausing = time.monotonic()
        # Shown in the same row: the calls in flight when the pause was taken, or fewer since.
        in_flight = int(CALLS.findall(pausing)[1][0])
        title = terminal.wait_for(lambda s: line_with(s, "Jobs · "), "the title")
        assert "0 running · 1 pausing · 0 paused" in title, title
        terminal.wait_for(lambda s: line_with(s, "‖ paused"), "PAUSED")
        paused_title = terminal.wait_for(lambda s: line_with(s, "1 paused"), "the title counts")
        assert "0 running · 1 paused" in paused_title, paused_title
        # Only calls already on their way when the pause was shown reached the stand-in after.
        arrived_after = [t for t in standin.stats.call_starts if t > seen_pausing]
        assert len(arrived_after) <= in_flight, (arrived_after, in_flight)
        assert sum(standin.stats.in_flight_now.values()) == 0
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
            (status,) = connection.execute("SELECT status FROM certification_jobs").fetchone()
            rows = connection.execute("SELECT status FROM model_certifications")
            units = [row[0] for row in rows]
        assert status == "PAUSED" and units == ["QUEUED"], (status, units)

        terminal.keys("q")
        terminal.wait_for(lambda s: line_with(s, "Pause and quit") or exit_file.exists() or None,
                          "the quit")  # fmt: skip
        if not exit_file.exists():
            terminal.keys("Tab", "Enter")
        assert terminal.wait_for(
            lambda _: exit_file.read_text().strip() if exit_file.exists() else None, "the exit"
        ) == "0"  # fmt: skip
