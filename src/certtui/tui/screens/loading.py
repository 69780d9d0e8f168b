"""Shown while the first read of the database runs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from certtui.domain import glyphs


class LoadingScreen(Screen[None]):
    """A one-line wait."""

    def compose(self) -> ComposeResult:
        g = glyphs.current()
        yield Static(f"certtui {g.dot} reading the database{g.ellipsis}", classes="empty")
