"""`certtui simulate` as an operator runs it: a real process, a real client, a signal."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from standin.standin_support import NO_RETRY, user

CERTTUI = str(Path(sys.executable).with_name("certtui"))
ONE_MODEL = """
name = "one-model"

[[regions]]
name = "eu-west-3"

[[models]]
id = "acme.only-v1"
provider = "Acme"
on_demand = ["*"]
"""


class Simulator:
    """A running `certtui simulate` whose stdout lines are read by a helper thread."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [CERTTUI, "simulate", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        self._lines: queue.Queue[str] = queue.Queue()
        # A pipe read blocks; a thread keeps the test able to give up after a timeout.
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def read_line(self, timeout: float = 30) -> str:
        """The next stdout line, failing the test instead of hanging if none comes."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail("certtui simulate printed nothing")

    def finish(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        """Send the signal; return the exit code and everything on stderr."""
        self.process.send_signal(signum)
        assert self.process.stderr is not None
        stderr = self.process.stderr.read()
        return self.process.wait(timeout=15), stderr


@pytest.fixture
def simulator() -> Iterator[Callable[..., Simulator]]:
    """Start simulators; any still running when the test ends are killed."""
    started: list[Simulator] = []

    def launch(*args: str) -> Simulator:
        started.append(Simulator(*args))
        return started[-1]

    yield launch
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_simulate_serves_until_signalled(simulator: Callable, signum: int) -> None:
    running = simulator("--port", "0", "--seed", "3")
    first = running.read_line()
    match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))", first)
    assert match, first
    assert "SIMULATED" in running.read_line()
    runtime = boto3.client(
        "bedrock-runtime", region_name="us-east-1", endpoint_url=match.group(1), config=NO_RETRY
    )
    answer = runtime.converse(
        modelId="anthropic.claude-3-haiku-20240307-v1:0",
        messages=[user("What is 17 + 25? Answer with digits only.")],
    )
    assert answer["output"]["message"]["content"][0]["text"] == "42"
    assert running.finish(signum) == (0, "")


def test_simulate_uses_a_scenario_file(simulator: Callable, tmp_path: Path) -> None:
    path = tmp_path / "one.toml"
    path.write_text(ONE_MODEL)
    running = simulator("--scenario", str(path))
    url = running.read_line().removeprefix("listening on ")
    bedrock = boto3.client("bedrock", region_name="eu-west-3", endpoint_url=url, config=NO_RETRY)
    models = bedrock.list_foundation_models()["modelSummaries"]
    assert [m["modelId"] for m in models] == ["acme.only-v1"]
    assert running.finish() == (0, "")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[[regions]\nname = 1\n", r"invalid TOML: .*line 1"),
        (ONE_MODEL + 'profile = "fast"\n', r"models\[0\]\.profile: unknown profile 'fast'"),
    ],
)
def test_a_bad_scenario_is_one_line_and_exit_2(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    result = subprocess.run(
        [CERTTUI, "simulate", "--scenario", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("certtui: error: ")
    assert re.search(expected, lines[0])


def test_a_non_loopback_host_is_refused() -> None:
    result = subprocess.run(
        [CERTTUI, "simulate", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("certtui: error: the stand-in listens on loopback only")


def test_a_busy_port_cannot_run(simulator: Callable) -> None:
    running = simulator()
    port = running.read_line().rsplit(":", 1)[1]
    result = subprocess.run(
        [CERTTUI, "simulate", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 3
    assert result.stderr.startswith(f"certtui: error: cannot listen on 127.0.0.1:{port}")
