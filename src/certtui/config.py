"""Settings: defaults < TOML config file < environment < command-line flags."""

from __future__ import annotations

import getpass
import os
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from certtui.domain.regions import BEDROCK_REGIONS, UnknownRegion, validate_regions
from certtui.errors import UsageError

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
    regions: tuple[str, ...] = BEDROCK_REGIONS
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    concurrency: int = 32
    region_concurrency: int = 8
    pass_threshold: float | None = None  # None: the suite's own threshold
    max_attempts: int = 6
    retry_base: float = 1.0
    retry_cap: float = 30.0
    lease_ttl: float = 15.0

    @property
    def embedded_database(self) -> Path:
        """The default SQLite file, used when no database URL is configured."""
        return self.data_dir / "certtui.db"


# Keys an operator may set in the config file or environment, with their types.
FILE_KEYS: Mapping[str, type] = {
    "database_url": str,
    "profile": str,
    "endpoint_url": str,
    "read_only": bool,
    "created_by": str,
    "data_dir": Path,
    "regions": list,
    "connect_timeout": float,
    "read_timeout": float,
    "concurrency": int,
    "region_concurrency": int,
    "pass_threshold": float,
    "max_attempts": int,
    "retry_base": float,
    "retry_cap": float,
    "lease_ttl": float,
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
    values.update(flags)
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
    return _validate(document, origin=f"config file {path}")


def _validate(document: Mapping[str, Any], *, origin: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in document.items():
        expected = FILE_KEYS.get(key)
        if expected is None:
            raise UsageError(f"{origin}: unknown key {key!r}; known keys: {', '.join(FILE_KEYS)}")
        values[key] = _coerce(key, value, expected, origin)
    return values


def _coerce(key: str, value: Any, expected: type, origin: str) -> Any:
    if expected is Path:
        if not isinstance(value, str):
            raise UsageError(f"{origin}: {key!r} must be a path string")
        return Path(value).expanduser()
    if expected is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"{origin}: {key!r} must be a list of strings")
        try:
            return tuple(validate_regions(value))
        except UnknownRegion as exc:
            raise UsageError(f"{origin}: {key!r}: {exc}") from None
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise UsageError(f"{origin}: {key!r} must be a positive number")
        return float(value)
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(f"{origin}: {key!r} must be a whole number of at least 1")
        return value
    if not isinstance(value, expected):
        raise UsageError(f"{origin}: {key!r} must be a {_type_name(expected)}")
    return value


def _read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, expected in FILE_KEYS.items():
        name = f"{ENV_PREFIX}{key.upper()}"
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        origin = f"environment {name}"
        if expected is bool:
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise UsageError(f"{origin}={raw!r}: expected true or false")
            values[key] = lowered in {"1", "true", "yes", "on"}
        elif expected is list:
            values[key] = _coerce(
                key, [r.strip() for r in raw.split(",") if r.strip()], list, origin
            )
        elif expected in (float, int):
            try:
                values[key] = _coerce(key, expected(raw), expected, origin)
            except ValueError:
                raise UsageError(f"{origin}={raw!r}: expected a positive number") from None
        else:
            values[key] = _coerce(key, raw, expected, origin)
    return values


def _type_name(kind: type) -> str:
    return {str: "string", bool: "boolean (true or false)", int: "whole number"}.get(
        kind, kind.__name__
    )
