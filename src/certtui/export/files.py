"""Writing an export to a file: atomically, keeping the file's permissions."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from certtui.errors import CannotRunError, UsageError


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same directory and a rename.

    Readers see the old file or the new one, never half of one; a failure leaves no temp file.
    """
    mode = _file_mode(path)
    try:
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    temporary = Path(name)
    try:
        # newline="": the CSV formatter already wrote its own line endings.
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        # The path was fine (the temp file opened); the disk or filesystem failed under us.
        raise CannotRunError(f"could not write {path}: {exc.strerror or exc}") from None


def _file_mode(path: Path) -> int:
    # A replaced file keeps its permissions; a new one gets the umask's, not mkstemp's 0600.
    with contextlib.suppress(OSError):
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def check_output_path(path: Path) -> None:
    """Refuse an output path that cannot be written before any work is done."""
    parent = path.parent
    if not parent.exists():
        raise UsageError(f"cannot write {path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: {parent} is not a directory")
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory; name a file")
