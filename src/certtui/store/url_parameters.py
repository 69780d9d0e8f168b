"""Query parameters of PostgreSQL URLs as platforms write them (libpq's and Prisma's).

A URL such as ``postgresql://u:p@h:5432/db?schema=public&sslmode=require&connection_limit=5``
is read into connection options for asyncpg and the pool; a parameter certtui does not know is
refused in one line that lists the ones it does (asyncpg would otherwise receive it as a keyword
argument and fail with a TypeError).
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from certtui.domain import glyphs
from certtui.errors import UsageError

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
SSL_ACCEPT = {"strict": "verify-full", "accept_invalid_certs": "require"}  # Prisma's sslaccept
SESSION_ATTRS = ("any", "primary", "standby", "prefer-standby", "read-write", "read-only")
PASSED_THROUGH = ("host",)  # SQLAlchemy's asyncpg dialect reads these itself
UNDERSTOOD = (
    "schema", "sslmode", "sslaccept", "sslrootcert", "sslcert", "sslkey", "connect_timeout",
    "connection_limit", "pool_timeout", "application_name", "options", "pgbouncer",
    "statement_cache_size", "target_session_attrs", *PASSED_THROUGH,
)  # fmt: skip
IN_THE_URL = {"user": "USER@", "password": ":PASSWORD", "dbname": "/DBNAME", "port": ":PORT"}


@dataclass(frozen=True)
class ConnectOptions:
    """How to connect and pool, from a PostgreSQL URL's parameters."""

    server_settings: tuple[tuple[str, str], ...] = ()
    schema: str | None = None  # Prisma's schema: the search path, created by `db upgrade`
    ssl_mode: str | None = None
    ssl_root_cert: str | None = None
    ssl_cert: str | None = None
    ssl_key: str | None = None
    connect_timeout: float = 10.0
    pool_size: int = 10
    max_overflow: int = 10
    pool_timeout: float = 30.0
    statement_cache_size: int | None = None
    target_session_attrs: str | None = None
    passed_through: tuple[tuple[str, str], ...] = field(default=())

    def connect_args(self, *, read_only: bool) -> dict[str, Any]:
        """Keyword arguments for asyncpg.connect."""
        settings = {"application_name": "certtui", **dict(self.server_settings)}
        if read_only:  # last: no parameter of the URL can turn it off
            settings["default_transaction_read_only"] = "on"
        args: dict[str, Any] = {"server_settings": settings, "timeout": self.connect_timeout}
        ssl = self._ssl()
        if ssl is not None:
            args["ssl"] = ssl
        if self.statement_cache_size is not None:
            args["statement_cache_size"] = self.statement_cache_size  # asyncpg's own cache
            args["prepared_statement_cache_size"] = self.statement_cache_size  # SQLAlchemy's
        if self.target_session_attrs is not None:
            args["target_session_attrs"] = self.target_session_attrs
        return args

    def _ssl(self) -> Any:
        files = (self.ssl_root_cert, self.ssl_cert, self.ssl_key)
        if self.ssl_mode is None or not any(files) or self.ssl_mode in ("disable", "allow"):
            return self.ssl_mode
        import ssl

        context = ssl.create_default_context(cafile=self.ssl_root_cert)
        if self.ssl_mode in ("prefer", "require", "verify-ca"):
            # libpq: require checks no certificate (unless a root certificate is given, then
            # it checks the chain like verify-ca); only verify-full checks the host name.
            context.check_hostname = False
            if self.ssl_mode != "verify-ca" and self.ssl_root_cert is None:
                context.verify_mode = ssl.CERT_NONE
        if self.ssl_cert is not None:
            context.load_cert_chain(self.ssl_cert, self.ssl_key)
        return context


def connect_options(query: Mapping[str, str | tuple[str, ...]], shown: str) -> ConnectOptions:
    """The options a PostgreSQL URL's query sets; UsageError naming the parameter if one is bad.

    `shown` is the URL as messages show it (password masked).
    """
    values: dict[str, str] = {}
    for key, value in query.items():
        if not isinstance(value, str):
            raise UsageError(f"database URL {shown!r} repeats the parameter {key!r}: give it once")
        values[key] = value

    def bad(key: str, expected: str) -> UsageError:
        return UsageError(
            f"database URL {shown!r}: parameter {key}={values[key]!r}: expected {expected}"
        )

    for key in values:
        if key in IN_THE_URL:
            raise UsageError(
                f"database URL {shown!r}: put the {key} in the URL itself "
                f"(postgresql://USER:PASSWORD@HOST:PORT/DBNAME), not in ?{key}="
            )
        if key not in UNDERSTOOD:
            raise UsageError(
                f"database URL {shown!r}: unknown parameter {key!r} (certtui understands "
                f"{', '.join(UNDERSTOOD)}): remove it"
            )

    settings: dict[str, str] = {}
    if "options" in values:
        settings.update(_options(values["options"], bad))
    if "schema" in values:
        schema = values["schema"]
        if not schema or "\x00" in schema:
            raise bad("schema", "a schema name")
        settings["search_path"] = '"' + schema.replace('"', '""') + '"'
    if "application_name" in values:
        settings["application_name"] = values["application_name"]

    mode = values.get("sslmode")
    if mode is not None and mode not in SSL_MODES:
        raise bad("sslmode", f"one of {', '.join(SSL_MODES)}")
    if "sslaccept" in values:
        if values["sslaccept"] not in SSL_ACCEPT:
            raise bad("sslaccept", f"one of {', '.join(SSL_ACCEPT)}")
        if mode is None or mode in ("prefer", "require"):
            mode = SSL_ACCEPT[values["sslaccept"]]
    if (values.get("sslcert") is None) != (values.get("sslkey") is None):
        raise UsageError(f"database URL {shown!r}: give sslcert and sslkey together")
    if mode is None and any(values.get(k) for k in ("sslrootcert", "sslcert", "sslkey")):
        mode = "verify-full" if values.get("sslrootcert") else "require"

    pool = _integer(values, "connection_limit", 1, 1000, bad)
    cache = _integer(values, "statement_cache_size", 0, 100_000, bad)
    if "pgbouncer" in values:
        if values["pgbouncer"] not in ("true", "false"):
            raise bad("pgbouncer", "true or false")
        if values["pgbouncer"] == "true":
            cache = 0  # a transaction-mode pooler cannot keep prepared statements
    attrs = values.get("target_session_attrs")
    if attrs is not None and attrs not in SESSION_ATTRS:
        raise bad("target_session_attrs", f"one of {', '.join(SESSION_ATTRS)}")
    return ConnectOptions(
        server_settings=tuple(settings.items()),
        schema=values.get("schema"),
        ssl_mode=mode,
        ssl_root_cert=values.get("sslrootcert") or None,
        ssl_cert=values.get("sslcert") or None,
        ssl_key=values.get("sslkey") or None,
        connect_timeout=_seconds(values, "connect_timeout", 10.0, bad),
        pool_size=pool if pool is not None else 10,
        max_overflow=0 if pool is not None else 10,  # Prisma's limit is the whole pool
        pool_timeout=_seconds(values, "pool_timeout", 30.0, bad),
        statement_cache_size=cache,
        target_session_attrs=attrs,
        passed_through=tuple((k, v) for k, v in values.items() if k in PASSED_THROUGH),
    )


def _integer(values: Mapping[str, str], key: str, low: int, high: int, bad: Any) -> int | None:
    if key not in values:
        return None
    try:
        number = int(values[key])
    except ValueError:
        raise bad(key, f"a whole number from {low} to {high}") from None
    if not low <= number <= high:
        raise bad(key, f"a whole number from {low} to {high}")
    return number


def _seconds(values: Mapping[str, str], key: str, default: float, bad: Any) -> float:
    if key not in values:
        return default
    try:
        seconds = float(values[key])
    except ValueError:
        raise bad(key, f"a number of seconds > 0 and {glyphs.current().le} 3600") from None
    if not math.isfinite(seconds) or not 0 < seconds <= 3600:
        # libpq reads 0 as "wait forever"; certtui always bounds a connection attempt.
        raise bad(key, f"a number of seconds > 0 and {glyphs.current().le} 3600")
    return seconds


def _options(text: str, bad: Any) -> dict[str, str]:
    """libpq's ``options``: ``-c name=value`` (or ``--name=value``) server settings."""
    settings: dict[str, str] = {}
    try:
        words = shlex.split(text)
    except ValueError:
        raise bad("options", "-c name=value settings") from None
    index = 0
    while index < len(words):
        word = words[index]
        if word == "-c" and index + 1 < len(words):
            pair, index = words[index + 1], index + 2
        elif (word.startswith("-c") and len(word) > 2) or word.startswith("--"):
            pair, index = word[2:], index + 1
        else:
            raise bad("options", "-c name=value settings")
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise bad("options", "-c name=value settings")
        settings[name.replace("-", "_")] = value
    return settings
