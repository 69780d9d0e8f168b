"""Layers point one way (STYLE.md): domain <- store, bedrock <- engine <- tui / cli."""

from __future__ import annotations

import ast
from pathlib import Path

import certtui

PACKAGE = Path(certtui.__file__).parent

# package -> imports it must never make (prefixes)
FORBIDDEN = {
    "domain": ("certtui.store", "certtui.bedrock", "certtui.engine", "certtui.tui", "certtui.cli",
               "sqlalchemy", "aioboto3", "botocore", "textual", "aiohttp"),
    "suites": ("certtui.store", "certtui.engine", "certtui.tui", "certtui.cli", "textual",
               "aioboto3"),
    "store": ("certtui.bedrock", "certtui.engine", "certtui.tui", "certtui.cli", "textual",
              "aioboto3", "botocore"),
    "bedrock": ("certtui.store", "certtui.engine", "certtui.tui", "certtui.cli", "textual"),
    "standin": ("certtui.store", "certtui.engine", "certtui.tui", "textual"),
    "engine": ("certtui.tui", "certtui.cli", "textual", "sqlalchemy"),
    "tui": ("aioboto3", "botocore", "certtui.bedrock", "certtui.cli", "certtui.standin"),
    "export": ("certtui.bedrock", "certtui.engine", "certtui.tui", "certtui.cli", "textual",
               "aioboto3", "botocore"),
}  # fmt: skip


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_layers_point_one_way() -> None:
    violations = []
    checked = 0
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((PACKAGE / package).rglob("*.py")):
            checked += 1
            for name in _imports(path):
                if name.startswith(forbidden):
                    violations.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert checked > 0
    assert violations == []
