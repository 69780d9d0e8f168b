"""Errors that end a command with one clear line and a documented exit code."""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3


class CerttuiError(Exception):
    """An error an operator can act on: its message is one line saying what and what to do."""

    exit_code = EXIT_CANNOT_RUN


class UsageError(CerttuiError):
    """Bad input or configuration (exit 2)."""

    exit_code = EXIT_USAGE


class CannotRunError(CerttuiError):
    """The command could not run: a database or service is unreachable or broken (exit 3)."""

    exit_code = EXIT_CANNOT_RUN
