"""Rich styles for cell roles, taken from the current theme's variables."""

from __future__ import annotations

from rich.style import NULL_STYLE, Style
from rich.text import Text
from textual.app import App
from textual.color import Color, ColorParseError

from certtui.tui.cells import CellLook

# Textual's text-* variables are the role colours made legible on the theme's background: on a
# light theme plain $success or $warning is too pale to read (1.5–1.8:1 on textual-light).
ROLE_VARIABLES = {
    "success": "text-success", "warning": "text-warning", "error": "text-error",
    "accent": "text-accent",
}  # fmt: skip
FALLBACK_VARIABLES = {"text-success": "success", "text-warning": "warning",
                      "text-error": "error", "text-accent": "accent"}  # fmt: skip


def role_styles(app: App[object]) -> dict[str, Style]:
    """One style per role from the theme, so colours follow the theme (and NO_COLOR)."""
    variables = app.theme_variables
    styles = {"muted": Style(dim=True)}
    for role, variable in ROLE_VARIABLES.items():
        value = variables.get(variable) or variables.get(FALLBACK_VARIABLES[variable])
        try:
            colour = Color.parse(value).rich_color if value else None
        except ColorParseError:
            colour = None
        styles[role] = Style(color=colour, bold=role in ("success", "error"))
    return styles


def styled(look: CellLook, styles: dict[str, Style]) -> Text:
    """The cell's text in its role's style."""
    return Text(look.text, style=styles.get(look.role, NULL_STYLE))
