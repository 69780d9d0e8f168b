"""Settings: defaults < TOML config file < environment < command-line flags."""

from __future__ import annotations

import getpass
import os
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import platformdirs

from certtui.domain.regions import UnknownRegion
from certtui.errors import UsageError
from certtui.urls import display_url

APP_NAME = "certtui"
ENV_PREFIX = "CERTTUI_"


def default_config_path() -> Path:
    """The config file in the user config directory."""
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_data_dir() -> Path:
    """The user data directory that holds the embedded databases."""
    return platformdirs.user_data_path(APP_NAME)


def default_operator() -> str:
    """``user@host``: who started a job, shown in monitors."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


@dataclass(frozen=True)
class Settings:
    """Everything a certtui command needs to know before it opens anything."""

    database_url: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    read_only: bool = False
    created_by: str = field(default_factory=default_operator)
    data_dir: Path = field(default_factory=default_data_dir)
    config_path: Path = field(default_factory=default_config_path)
    regions: tuple[str, ...] = ()  # empty: every region where Bedrock has an endpoint
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    concurrency: int = 32
    region_concurrency: int = 8
    pass_threshold: float | None = None  # None: the suite's own threshold
    max_attempts: int = 6
    retry_base: float = 1.0
    retry_cap: float = 30.0
    lease_ttl: float = 15.0
    # Where the global and region call limits hold: "cluster" (all processes on one PostgreSQL
    # together) or "process"; None: cluster on PostgreSQL, process on SQLite.
    limit_scope: str | None = None
    ascii: bool = False  # ASCII glyphs even where the terminal could show Unicode
    # The region breaker (engine/breaker.py): connection failures in a row that open a region,
    # the first wait before it is probed again, and how long calls wait out an endpoint that
    # no region can reach before they fail fast too.
    breaker_threshold: int = 3
    breaker_cooldown: float = 5.0
    breaker_outage_wait: float = 120.0
    # Where the TUI runs its jobs: "process" (a detached `certtui jobs resume`, followed through
    # the database) or "inline" (on the TUI's own event loop: tests and bench comparisons).
    engine: str = "process"
    # What an SSH drop (SIGHUP) or SIGTERM does to the jobs the TUI started: "pause" or "leave"
    # them running (with engine = "process"; an inline job cannot outlive its TUI).
    on_disconnect: str = "pause"
    # Where the TUI's certify and re-certify run on PostgreSQL: "workers" (queued for `certtui
    # worker` processes), "local" (this host, as `engine` says), or "auto": the workers when at
    # least one is alive, else local. SQLite has no workers: "workers" there is refused.
    execution: str = "auto"

    @property
    def embedded_database(self) -> Path:
        """The default SQLite file, used when no database URL is configured."""
        return self.data_dir / "certtui.db"

    @property
    def chosen_regions(self) -> tuple[str, ...]:
        """The configured regions, or every region where Bedrock has an endpoint."""
        if self.regions:
            return self.regions
        from certtui.bedrock.regions import bedrock_regions

        return bedrock_regions()


# Keys an operator may set in the config file or environment, with their kinds (see _schema).
FILE_KEYS: Mapping[str, str] = {
    "database_url": "database_url",
    "profile": "text",
    "endpoint_url": "endpoint_url",
    "read_only": "flag",
    "created_by": "text",
    "data_dir": "path",
    "regions": "regions",
    "connect_timeout": "timeout",
    "read_timeout": "timeout",
    "concurrency": "calls",
    "region_concurrency": "calls",
    "pass_threshold": "percent",
    "max_attempts": "attempts",
    "retry_base": "delay",
    "retry_cap": "delay",
    "lease_ttl": "lease",
    "limit_scope": "scope",
    "ascii": "flag",
    "breaker_threshold": "failures",
    "breaker_cooldown": "delay",
    "breaker_outage_wait": "wait",
    "engine": "engine",
    "on_disconnect": "disconnect",
    "execution": "execution",
}
LIMIT_SCOPES = ("cluster", "process")
EXECUTIONS = ("auto", "local", "workers")
NUMBER_KINDS = frozenset({"timeout", "percent", "delay", "lease", "wait"})
INTEGER_KINDS = frozenset({"calls", "attempts", "failures"})

# The command-line options that set a setting, by setting (validated like the other sources).
FLAG_NAMES: Mapping[str, str] = {
    "database_url": "--db",
    "profile": "--profile",
    "endpoint_url": "--endpoint-url",
    "read_only": "--read-only",
    "ascii": "--ascii",
}


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings with the precedence flags > environment > config file > defaults."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    environ = os.environ if environ is None else environ

    explicit_path = flags.pop("config_path", None) or environ.get(f"{ENV_PREFIX}CONFIG")
    config_path = Path(explicit_path).expanduser() if explicit_path else default_config_path()
    values: dict[str, Any] = dict(_read_config_file(config_path, required=bool(explicit_path)))
    values.update(_read_environment(environ))
    for key, value in flags.items():
        if key in FLAG_NAMES:
            origin = f"{FLAG_NAMES[key]} {display_url(str(value))!r}"
            values.update(_validated({key: value}, origin=origin, keyed=False))
        else:
            values[key] = value
    values["config_path"] = config_path
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:  # a programming error in a caller, not an operator's mistake
        raise TypeError(f"unknown settings {sorted(unknown)}")
    return replace(Settings(), **values)


def _read_config_file(path: Path, *, required: bool) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise UsageError(
                f"config file {path} does not exist: create it or drop --config"
            ) from None
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {path} is not valid TOML: {exc}; fix it") from None
    if not document:
        return {}
    return _validated(document, origin=f"config file {path}", text=text)


def _validated(
    document: Mapping[str, Any], *, origin: str, text: str | None = None, keyed: bool = True
) -> dict[str, Any]:
    """The settings a document sets, validated; UsageError naming origin, key and line if not.

    `keyed` is false when the origin already names the key (an environment variable).
    """
    from pydantic import ValidationError

    from certtui.validation import first_problem, locate

    try:
        values = _schema().model_validate(document).model_dump(exclude_unset=True)
    except ValidationError as exc:
        invalid = first_problem(exc)
        if not keyed:
            raise UsageError(f"{origin}: {invalid.message}") from None
        raise UsageError(locate(origin, text, invalid.at, invalid.message)) from None
    if "data_dir" in values:
        values["data_dir"] = Path(values["data_dir"]).expanduser()
    if "regions" in values:
        values["regions"] = tuple(values["regions"])
    return values


@lru_cache(maxsize=1)
def _schema() -> Any:
    """The pydantic model of the config file (built on first use: pydantic is not imported
    until there is a setting to check)."""
    from typing import Annotated, Literal

    from pydantic import create_model

    from certtui.validation import (
        Schema,
        Text,
        choice,
        database_url,
        http_url,
        integer,
        number,
        reader,
        string_list,
    )

    def regions(value: Any) -> list[str]:
        string_list(value)
        from certtui.bedrock.regions import validate_regions

        if not [name for name in value if name.strip()]:
            raise ValueError("expected at least one region, e.g. us-east-1")
        try:
            return validate_regions(value)
        except UnknownRegion as exc:
            raise ValueError(str(exc)) from None

    kinds: dict[str, Any] = {
        "text": Text,
        "flag": bool,
        "path": Text,
        "database_url": Annotated[str, database_url()],
        "endpoint_url": Annotated[str, http_url()],
        "regions": Annotated[list[str], reader(regions)],
        # Finite and bounded: a NaN or an infinity would stall or spin the engine.
        "timeout": Annotated[float, number(0, 3600, low_open=True, unit="seconds")],
        "delay": Annotated[float, number(0, 3600, low_open=True, unit="seconds")],
        "wait": Annotated[float, number(0, 3600, unit="seconds")],  # 0: do not wait
        # A lease outlives at least one heartbeat (the engine beats every second).
        "lease": Annotated[float, number(1, 3600, low_open=True, unit="seconds")],
        "percent": Annotated[float, number(0, 100, unit="(a score in percent)")],
        "calls": Annotated[int, integer(1, 1024, unit="calls")],
        "attempts": Annotated[int, integer(1, 100, unit="attempts")],
        "scope": Annotated[str, choice(LIMIT_SCOPES)],
        "failures": Annotated[int, integer(1, 100, unit="failures")],
        "engine": Literal["process", "inline"],
        "disconnect": Literal["pause", "leave"],
        "execution": Annotated[str, choice(EXECUTIONS)],
    }
    fields: dict[str, Any] = {key: (kinds[kind], None) for key, kind in FILE_KEYS.items()}
    return create_model("ConfigFile", __base__=Schema, **fields)


def _read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, kind in FILE_KEYS.items():
        name = f"{ENV_PREFIX}{key.upper()}"
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        origin = f"environment {name}={display_url(raw)!r}"
        value: Any = raw
        if kind == "flag":
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise UsageError(f"{origin}: expected true or false")
            value = lowered in {"1", "true", "yes", "on"}
        elif kind == "regions":
            value = [r.strip() for r in raw.split(",") if r.strip()]
        elif kind in NUMBER_KINDS or kind in INTEGER_KINDS:
            try:
                value = (float if kind in NUMBER_KINDS else int)(raw)
            except ValueError:
                expected = "a number" if kind in NUMBER_KINDS else "an integer"
                raise UsageError(f"{origin}: expected {expected}") from None
        values.update(_validated({key: value}, origin=origin, keyed=False))
    return values
