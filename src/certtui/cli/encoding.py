"""Output that never crashes on encoding: glyphs chosen for the terminal, and a last defence.

``PYTHONIOENCODING=latin-1`` or ``LC_ALL=C`` (with UTF-8 mode and locale coercion off) give
standard streams that cannot encode ``✓`` or ``—``; Python's default answer is a
UnicodeEncodeError on stdout and ``\\u2014`` escapes on stderr (where Textual draws). certtui
picks ASCII glyphs for such streams, and every character still left over (a catalog name, a
Bedrock message, Textual's box drawing) becomes an ASCII look-alike of the same width.
"""

from __future__ import annotations

import codecs
import contextlib
import sys
from typing import TextIO

from certtui.domain import glyphs

ERROR_HANDLER = "certtui.fallback"


def _fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(glyphs.fallback(char) for char in text), error.end


def register_error_handler() -> None:
    """Make ``errors="certtui.fallback"`` known to the codecs (idempotent)."""
    codecs.register_error(ERROR_HANDLER, _fallback)


def configure_streams(*streams: TextIO) -> None:
    """Give stdout and stderr (or `streams`) the fallback handler, so no write fails to encode.

    A UTF-8 stream that already tolerates errors (``surrogateescape``) keeps its settings.
    """
    register_error_handler()
    for stream in streams or (sys.stdout, sys.stderr):
        # Only a strict stream raises; backslashreplace (stderr's default) still needs ours,
        # or Textual's screen fills with \u escapes.
        if stream is None or (_is_utf8(stream) and getattr(stream, "errors", "") != "strict"):
            continue
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError, AttributeError):
                reconfigure(errors=ERROR_HANDLER)


def choose_glyphs(*, ascii_only: bool) -> glyphs.Glyphs:
    """Pick the glyphs once: ASCII when asked (``--ascii``) or when stdout or stderr cannot.

    Asked for, ASCII holds for everything written: the streams take ASCII only, so rich's tables
    and bars and Textual's borders draw in ASCII too.
    """
    if ascii_only:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                ascii_stream(stream)
    fits = all(
        glyphs.unicode_fits(getattr(stream, "encoding", None))
        for stream in (sys.stdout, sys.stderr)
        if stream is not None
    )
    chosen = glyphs.ASCII if ascii_only or not fits else glyphs.UNICODE
    glyphs.use(chosen)
    return chosen


def ascii_stream(stream: TextIO) -> None:
    """Make `stream` write ASCII only, every other character as its look-alike."""
    register_error_handler()
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError, AttributeError):
            reconfigure(encoding="ascii", errors=ERROR_HANDLER)


def _is_utf8(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None) or ""
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False
