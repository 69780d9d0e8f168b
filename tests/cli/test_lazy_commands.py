"""Sub-commands load lazily: each CLI module imports alone; --help and --version stay light."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import click
import pytest

import certtui.cli
from certtui.cli.main import COMMANDS, cli
from support.cli import run_certtui

CLI_MODULES = sorted(info.name for info in pkgutil.iter_modules(certtui.cli.__path__))
HEAVY = ("sqlalchemy", "textual", "aioboto3", "botocore", "aiohttp", "alembic")

# Runs the group as the entry point does and prints the heavy modules it loaded after a marker.
PROBE = """
import sys
from certtui.cli.main import cli
cli.main(args=sys.argv[1:], prog_name="certtui", standalone_mode=False)
print("--- loaded:")
print("\\n".join(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})))
"""


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("module", CLI_MODULES)
def test_every_cli_module_imports_on_its_own(module: str) -> None:
    result = _python("-c", f"import certtui.cli.{module}")
    assert result.returncode == 0, result.stderr


def test_help_lists_every_command_with_its_one_line_help() -> None:
    result = run_certtui("--help", env={"COLUMNS": "80"})  # one line per command
    assert result.returncode == 0, result.stderr
    listing = result.stdout.split("Commands:\n")[1].splitlines()
    assert [line.split()[0] for line in listing] == sorted(COMMANDS)
    for line in listing:
        name, summary = line.split(maxsplit=1)
        assert summary.removesuffix("...") in COMMANDS[name][1]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_map_holds_each_commands_own_help(name: str) -> None:
    """What --help lists from the map is what the loaded command would say, at any width."""
    with click.Context(cli) as ctx:
        command = cli.get_command(ctx, name)
    assert command is not None
    assert command.name == name
    listed = click.Command(name, help=COMMANDS[name][1])
    for limit in range(10, 200):
        assert listed.get_short_help_str(limit) == command.get_short_help_str(limit)


@pytest.mark.parametrize("flag", ["--help", "-h", "--version"])
def test_help_and_version_import_no_heavy_module(flag: str) -> None:
    result = _python("-c", PROBE.format(heavy=HEAVY), flag)
    assert result.returncode == 0, result.stderr
    output, loaded = result.stdout.split("--- loaded:\n")
    assert "certtui" in output
    assert loaded.split() == []


def test_the_probe_sees_a_command_that_loads_sqlalchemy() -> None:
    """The check above would notice: a sub-command's help does import the store."""
    result = _python("-c", PROBE.format(heavy=HEAVY), "db", "--help")
    assert result.returncode == 0, result.stderr
    assert "sqlalchemy" in result.stdout.split("--- loaded:\n")[1].split()
