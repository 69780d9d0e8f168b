"""Layers point one way (STYLE.md): domain <- store, bedrock <- engine <- tui / cli."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import certtui

PACKAGE = Path(certtui.__file__).parent

# package -> imports it must never make (a name and everything under it)
FORBIDDEN = {
    "domain": ("certtui.store", "certtui.bedrock", "certtui.engine", "certtui.tui", "certtui.cli",
               "sqlalchemy", "aioboto3", "botocore", "textual", "aiohttp"),
    "suites": ("certtui.store", "certtui.engine", "certtui.tui", "certtui.cli", "textual",
               "aioboto3"),
    "store": ("certtui.bedrock", "certtui.engine", "certtui.tui", "certtui.cli", "textual",
              "aioboto3", "botocore"),
    "bedrock": ("certtui.store", "certtui.engine", "certtui.tui", "certtui.cli", "textual"),
    "standin": ("certtui.store", "certtui.engine", "certtui.tui", "textual"),
    "engine": ("certtui.tui", "certtui.cli", "textual", "sqlalchemy", "certtui.workers"),
    # the workers run the engine's units: the same layer, beside it (the engine never calls up)
    "workers": ("certtui.tui", "certtui.cli", "textual", "sqlalchemy"),
    "tui": ("aioboto3", "botocore", "certtui.bedrock", "certtui.cli", "certtui.standin",
            "sqlalchemy"),
    "export": ("certtui.bedrock", "certtui.engine", "certtui.tui", "certtui.cli", "textual",
               "aioboto3", "botocore", "sqlalchemy"),
    # the top layer may use every other layer of certtui (test_only_the_entry_point_imports_cli
    # guards its callers), but SQL stays in store
    "cli": ("sqlalchemy",),
}  # fmt: skip


def _imports(path: Path) -> set[str]:
    """Every module the file at ``path`` imports, relative imports resolved against its package."""
    return _resolved_imports(path.read_text(), _package_of(path), filename=str(path))


def _package_of(path: Path) -> str:
    """The package a relative import in the file at ``path`` starts from."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1])


def _resolved_imports(source: str, package: str, filename: str = "<source>") -> set[str]:
    """The modules ``source`` imports when it is a module of ``package``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module or "")
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0]
            if node.module:
                names.add(f"{base}.{node.module}")
            else:  # `from .. import store` names a module or an attribute; count it as a module
                names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(f"{prefix}.") for prefix in prefixes)


def test_layers_point_one_way() -> None:
    violations = []
    checked = 0
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((PACKAGE / package).rglob("*.py")):
            checked += 1
            for name in _imports(path):
                if _within(name, forbidden):
                    violations.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert checked > 0
    assert violations == []


def test_only_the_entry_point_imports_cli() -> None:
    callers = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "cli"
        for name in _imports(path)
        if _within(name, ("certtui.cli",))
    ]
    assert callers == ["__main__.py imports certtui.cli.main"]


def test_every_package_has_a_row() -> None:
    packages = {info.name for info in pkgutil.iter_modules([str(PACKAGE)]) if info.ispkg}
    assert "cli" in packages
    assert packages - FORBIDDEN.keys() == set()


def test_relative_imports_are_resolved() -> None:
    source = "from .formats import csv\nfrom ..store import models\nfrom .. import engine\n"
    assert _resolved_imports(source, "certtui.export") == {
        "certtui.export.formats",
        "certtui.store",
        "certtui.engine",
    }
    assert _package_of(PACKAGE / "cli" / "__init__.py") == "certtui.cli"
    assert _package_of(PACKAGE / "cli" / "db.py") == "certtui.cli"
    assert _package_of(PACKAGE / "__main__.py") == "certtui"


def test_only_store_imports_sqlalchemy() -> None:
    """Every SQL statement lives in store (STYLE.md 11); others name sessions via store.sessions."""
    outside = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "store"
        for name in _imports(path)
        if _within(name, ("sqlalchemy", "alembic", "aiosqlite", "asyncpg"))
    ]
    assert outside == []
