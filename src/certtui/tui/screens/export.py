"""The export dialog: a format and a file (prefilled under the data directory)."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

from certtui.tui.exporting import FORMAT_EXTENSIONS, with_format

FORMAT_LABELS = {"csv": "CSV", "json": "JSON", "markdown": "Markdown", "junit": "JUnit XML"}


class ExportScreen(ModalScreen[tuple[str, Path] | None]):
    """Choose a format and a path; enter in the path (or the button) exports, escape cancels."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]  # noqa: RUF012

    def __init__(self, title: str, path: Path, format_name: str = "csv") -> None:
        super().__init__()
        self.title_text = title
        self.path = path
        self.format_name = format_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text)
            with RadioSet(id="export-format"):
                for name in FORMAT_EXTENSIONS:
                    yield RadioButton(
                        FORMAT_LABELS[name], value=name == self.format_name, name=name
                    )
            yield Input(str(self.path), id="export-path")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="export", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-format", RadioSet).focus()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.format_name = event.pressed.name or self.format_name
        box = self.query_one("#export-path", Input)
        box.value = with_format(box.value, self.format_name)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self._done()
        else:
            self.dismiss(None)

    def _done(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self.notify("name the file to write", severity="warning")
            return
        self.dismiss((self.format_name, Path(text).expanduser()))
