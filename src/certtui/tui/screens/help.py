"""Help: the keys that work here (read-only mode shows no mutating key) and the cell legend."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from certtui.domain import glyphs
from certtui.tui.cells import ERROR_TAGS, legend


class HelpScreen(ModalScreen[None]):
    """Keys and glyphs."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, keys: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = list(keys)

    def compose(self) -> ComposeResult:
        lines = ["[b]Keys on this screen[/b]"]
        lines += [f"  {key:<14} {description}" for key, description in self.keys]
        lines += ["", "  ctrl+p         Command palette", "", "[b]Matrix cells[/b]"]
        lines += [f"  {glyph:<14} {meaning}" for glyph, meaning in legend()]
        lines += ["", "[b]Error tags[/b] (! TAG in a cell: the error category)"]
        lines += [f"  {tag:<14} {category}" for category, tag in ERROR_TAGS.items()]
        lines += [
            "",
            "[b]Jobs[/b]",
            f"  {glyphs.current().remote:<14} run by another process (a cron job, a colleague)",
        ]
        with VerticalScroll(classes="dialog"):
            yield Static("\n".join(lines), markup=True)
