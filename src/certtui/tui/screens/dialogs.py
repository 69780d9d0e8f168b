"""Small modal dialogs: confirmation, region picker, re-certification scope."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, SelectionList
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from certtui.domain import glyphs


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no; escape means no."""

    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="dialog.cancel")]  # noqa: RUF012

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="question")
            with Horizontal(classes="buttons"):
                yield Button(self.no, id="no")
                yield Button(self.yes, id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def region_choice(region: str, chosen: bool) -> str:
    """A region's line in the picker: a glyph says whether it is chosen, not colour alone."""
    g = glyphs.current()
    return f"{g.passed if chosen else g.pending} {region}"


LIST_MAX_HEIGHT = 16
PICKER_CHROME = 14  # rows around the list: borders, padding, title, hint, buttons, margins


class RegionPicker(ModalScreen[list[str] | None]):
    """Choose regions with space; enter (or ctrl+s) certifies."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel"),
        # Enter confirms, as in any dialog, not SelectionList's toggle (space does that); on a
        # button it presses the button.
        Binding("enter", "enter", "Certify", id="dialog.enter", priority=True),
        Binding("ctrl+s", "confirm", "Certify", id="dialog.confirm"),
        Binding("a", "toggle_all", "All / none", id="dialog.all"),
    ]

    def __init__(self, title: str, regions: Sequence[str], selected: Sequence[str]) -> None:
        super().__init__()
        self.title_text = title
        self.regions = list(regions)
        self.selected = set(selected)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, markup=False)  # it may name a model: data, not markup
            yield SelectionList[str](
                *(
                    Selection(region_choice(r, r in self.selected), r, r in self.selected, id=r)
                    for r in self.regions
                ),
                id="regions",
            )
            dot = f" {glyphs.current().dot} "
            yield Label(
                dot.join(("space: choose", "a: all/none", "enter: certify", "esc: cancel")),
                classes="hint",
            )
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Certify", id="certify", variant="primary")

    def on_mount(self) -> None:
        self.fit_list()
        self.query_one(SelectionList).focus()

    def on_resize(self) -> None:
        self.fit_list()

    def fit_list(self) -> None:
        """Let the list scroll so the hint and the buttons show on a short terminal (80×24)."""
        room = self.app.size.height - PICKER_CHROME
        self.query_one(SelectionList).styles.max_height = max(3, min(LIST_MAX_HEIGHT, room))

    def action_enter(self) -> None:
        focused = self.focused
        if isinstance(focused, Button):
            focused.press()
        else:
            self.action_confirm()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        chooser = event.selection_list
        chosen = set(chooser.selected)
        for region in self.regions:
            label = region_choice(region, region in chosen)
            if str(chooser.get_option(region).prompt) != label:
                chooser.replace_option_prompt(region, label)

    def action_toggle_all(self) -> None:
        chooser = self.query_one(SelectionList)
        if len(chooser.selected) == len(self.regions):
            chooser.deselect_all()
        else:
            chooser.select_all()

    def action_confirm(self) -> None:
        chosen = list(self.query_one(SelectionList).selected)
        if chosen:
            self.dismiss(chosen)
        else:
            self.notify("choose at least one region", severity="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "certify":
            self.action_confirm()
        else:
            self.dismiss(None)


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one of a few options."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]  # noqa: RUF012

    def __init__(self, title: str, options: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.options = list(options)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, markup=False, classes="question")
            yield OptionList(*(Option(Text(label), id=key) for key, label in self.options))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
