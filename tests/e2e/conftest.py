"""End-to-end tests drive real terminals (tmux) and a real browser: they run one after another,
in one xdist worker (`--dist loadgroup` in scripts/test), so two of them never compete for the
machine while each waits on what a screen shows."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.xdist_group("terminal"))
