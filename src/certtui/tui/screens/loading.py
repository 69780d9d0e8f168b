"""Shown while the first read of the database runs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static


class LoadingScreen(Screen[None]):
    """A one-line wait."""

    def compose(self) -> ComposeResult:
        yield Static("certtui · reading the database…", classes="empty")
