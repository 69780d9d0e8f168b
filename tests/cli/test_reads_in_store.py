"""The user interfaces build no SQL: tui, cli and export import SQLAlchemy only for type hints."""

from __future__ import annotations

import ast
from pathlib import Path

import certtui

PACKAGE = Path(certtui.__file__).parent


def _runtime_imports(tree: ast.AST) -> set[str]:
    """Every module imported outside an ``if TYPE_CHECKING:`` block, relative ones resolved."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module if node.level == 0 else f".{node.module}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def test_the_interfaces_import_no_sqlalchemy_at_runtime() -> None:
    violations = []
    checked = 0
    for package in ("tui", "cli", "export"):
        for path in sorted((PACKAGE / package).rglob("*.py")):
            checked += 1
            tree = ast.parse(path.read_text(), filename=str(path))
            for name in _runtime_imports(tree):
                if name == "sqlalchemy" or name.startswith(("sqlalchemy.", "certtui.store.models")):
                    violations.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert checked > 0
    assert violations == []
