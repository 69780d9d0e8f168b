"""The operator's keymap: ``keymap.toml`` beside the config file maps binding ids to keys.

A line such as ``"table.down" = "j,down"`` (or ``[table]`` then ``down = "x"``) replaces the
keys of that binding everywhere it is bound (Textual's App.set_keymap). Every binding id is in
the README's keys table; a test keeps the two in step. A mistake is one line naming the file,
the line and the key, before the TUI opens.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from certtui.errors import UsageError

KEYMAP_FILE = "keymap.toml"
# Named keys that reach a terminal application on any terminal (STYLE.md 6).
NAMED_KEYS = frozenset(
    {"up", "down", "left", "right", "home", "end", "pageup", "pagedown", "insert", "delete",
     "backspace", "tab", "enter", "escape", "space"}
    | {f"f{n}" for n in range(1, 13)}
    | {f"ctrl+{letter}" for letter in string.ascii_lowercase}
)  # fmt: skip


def keymap_path(config_path: Path) -> Path:
    """Where the keymap is: ``keymap.toml`` in the config file's directory."""
    return config_path.parent / KEYMAP_FILE


@cache
def binding_ids() -> dict[str, str]:
    """Every binding id of the app (its screens, dialogs and tables), with its description."""
    from textual.dom import DOMNode

    # Every module that defines a screen or widget with bindings (some load lazily).
    import certtui.tui.app
    import certtui.tui.screens.changes
    import certtui.tui.screens.detail
    import certtui.tui.screens.dialogs
    import certtui.tui.screens.export
    import certtui.tui.screens.help
    import certtui.tui.screens.joblog
    import certtui.tui.screens.units  # noqa: F401

    found: dict[str, str] = {}
    for cls in _subclasses(DOMNode):
        if not cls.__module__.startswith("certtui."):
            continue
        for binding in cls.__dict__.get("BINDINGS", ()):
            binding_id = getattr(binding, "id", None)
            if binding_id:
                found.setdefault(binding_id, binding.description)
    return dict(sorted(found.items()))


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def valid_key(key: str) -> bool:
    """A key a terminal delivers: one printable character, or a named key (``ctrl+r``, ``f1``)."""
    from textual.keys import KEY_NAME_REPLACEMENTS, key_to_character

    if len(key) == 1:
        return key.isprintable() and not key.isspace()
    named = key in NAMED_KEYS or key in KEY_NAME_REPLACEMENTS.values()
    return named or key_to_character(key) is not None


def load_keymap(path: Path) -> dict[str, str]:
    """The keymap in ``path`` (empty when there is none); UsageError on the first mistake."""
    from certtui.validation import locate

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the keymap: {exc}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    known = binding_ids()
    keymap: dict[str, str] = {}
    for at, value in _entries(document):
        binding_id = ".".join(at)
        if binding_id not in known:
            raise UsageError(
                locate(str(path), text, at, "not a binding id (the README's keys table lists "
                       "every one)", where=binding_id)
            )  # fmt: skip
        keys = [key.strip() for key in value.split(",")] if isinstance(value, str) else []
        if not keys or not all(keys):
            raise UsageError(
                locate(str(path), text, at, 'expected keys as a string, e.g. "x" or "x,f5"',
                       where=binding_id)
            )  # fmt: skip
        bad = next((key for key in keys if not valid_key(key)), None)
        if bad is not None:
            raise UsageError(
                locate(str(path), text, at, f"{bad!r} is not a key certtui can bind (one "
                       "character, or a name such as enter, f5, ctrl+r, pagedown)",
                       where=binding_id)
            )  # fmt: skip
        keymap[binding_id] = ",".join(keys)
    return keymap


def _entries(
    table: Mapping[str, Any], at: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    # `table.down = "x"` and `[table]` + `down = "x"` nest; `"table.down" = "x"` does not.
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _entries(value, (*at, key))
        else:
            yield (*at, key), value
