"""The one registry of actions: ids, keys and descriptions feed bindings, help and the palette."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class ActionSpec:
    """One operator action."""

    id: str
    key: str
    action: str
    description: str
    mutating: bool = False
    show: bool = True
    # Handled when the app takes the key from the terminal, before the keys read with it are
    # sent on to the focused widget: for keys that move the focus (see list.filter).
    priority: bool = False


ACTIONS: dict[str, ActionSpec] = {
    spec.id: spec
    for spec in (
        # The screen keys are in help and the palette; the footer keeps its room for the
        # keys of the screen at hand (everything fits at 80 columns).
        ActionSpec("screen.models", "1", "app.switch_mode('models')", "Models", show=False),
        ActionSpec("screen.matrix", "2", "app.switch_mode('matrix')", "Matrix", show=False),
        ActionSpec("screen.jobs", "3", "app.switch_mode('jobs')", "Jobs", show=False),
        ActionSpec("screen.workers", "4", "app.switch_mode('workers')", "Workers", show=False),
        ActionSpec("app.help", "question_mark,f1", "app.help", "Help"),
        ActionSpec("app.quit", "q", "app.quit_certtui", "Quit"),
        # One of the two is bound at a time, so the footer says what f does now.
        ActionSpec("app.freeze", "f", "app.toggle_refresh", "Pause refresh"),
        ActionSpec("app.unfreeze", "f", "app.resume_refresh", "Resume refresh (paused)"),
        ActionSpec("app.reload", "ctrl+r", "app.reload", "Reload", show=False),
        # `/claude` in one read (a paste, fast typing, SSH lag): the box must have the focus
        # before `c` is routed, or `c` certifies (#12 item 1).
        ActionSpec("list.filter", "slash", "filter", "Filter", priority=True),
        # Every main screen: export what it shows, copy the row (or cell) under the cursor.
        ActionSpec("list.export", "e", "export_view", "Export", show=False),
        ActionSpec("list.copy", "y", "copy_row", "Copy", show=False),
        ActionSpec("models.mark", "space", "mark", "Mark"),
        ActionSpec("models.mark_all", "a", "mark_all", "Mark all shown (again: none)", show=False),
        ActionSpec("models.invert", "i", "invert_marks", "Invert marks", show=False),
        ActionSpec("models.mark_range", "v", "mark_range", "Mark last mark to here", show=False),
        ActionSpec("models.certify", "c", "certify", "Certify", mutating=True),
        ActionSpec("models.open", "enter", "open_in_matrix", "Matrix row", show=False),
        ActionSpec("matrix.certify", "c", "certify", "Certify cell", mutating=True),
        ActionSpec("matrix.recertify", "R", "recertify", "Re-certify failed", mutating=True),
        ActionSpec("matrix.open", "enter", "open_detail", "Detail", show=False),
        ActionSpec("matrix.changes", "d", "open_changes", "Changes"),
        # The matrix's views: in help and the palette, the footer has no room left at 80.
        ActionSpec(
            "matrix.hide_unoffered", "o", "toggle_unoffered", "Hide n/a, not offered", show=False
        ),
        ActionSpec("matrix.failures", "F", "toggle_failures", "Failures only", show=False),
        ActionSpec("matrix.by_vendor", "v", "toggle_by_vendor", "Group by vendor", show=False),
        ActionSpec("matrix.summary", "t", "toggle_summary", "Summary by category", show=False),
        ActionSpec("changes.open", "enter", "open_verdict", "Verdict", show=False),
        ActionSpec("changes.back", "escape", "back", "Back"),
        ActionSpec("jobs.pause", "p", "toggle_pause", "Pause/resume", mutating=True),
        ActionSpec("jobs.cancel", "x", "cancel_job", "Cancel job", mutating=True),
        ActionSpec("jobs.open", "enter", "open_units", "Units", show=False),
        ActionSpec("units.back", "escape", "back", "Back"),
        ActionSpec("units.open", "enter", "open_detail", "Detail", show=False),
        ActionSpec("units.failures", "F", "failures", "Failures only"),
        ActionSpec("units.tag", "t", "next_tag", "Next error tag"),
        ActionSpec("units.log", "l", "open_log", "Log"),
        ActionSpec("log.back", "escape", "back", "Back"),
        ActionSpec("detail.recertify", "r", "recertify", "Re-certify", mutating=True),
        ActionSpec("detail.copy", "y", "copy_summary", "Copy summary"),
        ActionSpec("detail.raw", "J", "toggle_raw", "Raw JSON"),
        ActionSpec("detail.back", "escape", "back", "Back"),
        # Every table (tui/tables.py): bound on the table, so they work wherever one has focus.
        ActionSpec("table.down", "j", "cursor_down", "Down", show=False),
        ActionSpec("table.up", "k", "cursor_up", "Up", show=False),
        ActionSpec("table.first", "g,home", "first_row", "First row", show=False),
        ActionSpec("table.last", "G,end", "last_row", "Last row", show=False),
        ActionSpec("table.sort", "s", "sort_next", "Sort by next column", show=False),
        ActionSpec("table.sort_reverse", "S", "sort_reverse", "Reverse sort", show=False),
        ActionSpec("table.next_match", "n", "match(True)", "Next match", show=False),
        ActionSpec("table.previous_match", "N", "match(False)", "Previous match", show=False),
    )
}

MUTATING_ACTIONS = frozenset(spec.action for spec in ACTIONS.values() if spec.mutating)


def bindings(*ids: str) -> list[Binding]:
    """Textual bindings for the given action ids (each keeps its id, for remapping)."""
    return [
        Binding(
            spec.key,
            spec.action,
            spec.description,
            show=spec.show,
            id=spec.id,
            priority=spec.priority,
        )
        for spec in (ACTIONS[i] for i in ids)
    ]
