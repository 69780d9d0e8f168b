"""Sub-commands load lazily: each CLI module imports alone; --help and --version stay light."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

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
from pathlib import Path
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


# Runs a --demo command as the entry point does, noting every socket that listened.
DEMO_PROBE = """
import socket, sys
listened = []
listen = socket.socket.listen
def noting(self, *args):
    listened.append(self.getsockname())
    return listen(self, *args)
socket.socket.listen = noting
from certtui.cli.main import main
try:
    main(["--demo", *sys.argv[1:]])
except SystemExit as exc:
    code = exc.code
print("--- exit:", code)
print("--- listened:", len(listened))
print("--- loaded:")
print("\\n".join(sorted(m for m in sys.modules if m.startswith(("certtui.standin", "aiohttp")))))
"""


def _demo(tmp_path: Path, *args: str) -> tuple[int, int, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", DEMO_PROBE, *args], capture_output=True, text=True, timeout=300,
        check=False, env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
                          "XDG_CONFIG_HOME": str(tmp_path / "config")},
    )  # fmt: skip
    _, rest = result.stdout.split("--- exit: ")
    code, rest = rest.split("\n--- listened: ")
    listened, loaded = rest.split("\n--- loaded:\n")
    return int(code), int(listened), loaded.split()


@pytest.mark.parametrize(
    "args",
    [("jobs", "list"), ("jobs", "list", "--json"), ("models", "list"), ("info",),
     ("export", "--format", "json"), ("history", "--help")],
    ids=" ".join,
)  # fmt: skip
def test_read_only_demo_commands_start_no_standin(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, listened, loaded = _demo(tmp_path, *args)
    assert code in (0, None), code
    assert listened == 0  # no port listens
    assert [m for m in loaded if m.startswith(("aiohttp", "certtui.standin.server"))] == []


def test_a_demo_command_that_calls_bedrock_starts_the_standin(tmp_path: Path) -> None:
    """The probe above would notice: `models sync` listens, serves and syncs the catalog."""
    code, listened, loaded = _demo(tmp_path, "models", "sync", "--region", "us-east-1")
    assert code in (0, None), code
    assert listened >= 1 and "certtui.standin.server" in loaded
    # What it synced is listed afterwards, still without a stand-in.
    code, listened, loaded = _demo(tmp_path, "models", "list")
    assert code in (0, None) and listened == 0 and "certtui.standin.server" not in loaded
