"""The export package stays below the user interfaces: no Textual, AWS client, engine or CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import certtui.export

FORBIDDEN = (
    "certtui.cli",
    "certtui.tui",
    "certtui.engine",
    "certtui.bedrock",
    "textual",
    "aioboto3",
    "botocore",
)


def test_export_imports_no_interface_or_aws_code() -> None:
    package = Path(certtui.export.__file__).parent
    violations = []
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            violations += [f"{path.name} imports {n}" for n in names if n.startswith(FORBIDDEN)]
    assert violations == []
