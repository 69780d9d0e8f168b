"""Running the real ``certtui`` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping


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
