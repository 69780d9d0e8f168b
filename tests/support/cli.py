"""Running the real ``certtui`` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


def run_certtui(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m certtui ARGS`` with the test's environment (plus ``env``)."""
    return subprocess.run(
        [sys.executable, "-m", "certtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


@contextmanager
def certtui_process(
    *args: str, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """``certtui ARGS`` in its own process while the test goes on (killed if still running)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "certtui", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def still_fine(process: subprocess.Popen[str]) -> None:
    """Fail with its stderr if ``process`` ended in an error."""
    assert process.poll() in (None, 0), process.stderr.read() if process.stderr else ""


@contextmanager
def simulate_process(*args: str) -> Iterator[str]:
    """``certtui simulate ARGS`` in its own process; yields the URL it listens on."""
    process = subprocess.Popen(
        [sys.executable, "-m", "certtui", "simulate", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("listening on http://127.0.0.1:"), first
        yield first.removeprefix("listening on ")
    finally:
        process.terminate()
        process.wait(10)
