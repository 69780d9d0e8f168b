"""Rich styles for cell roles, taken from the current theme's variables."""

from __future__ import annotations

from rich.style import NULL_STYLE, Style
from rich.text import Text
from textual.app import App
from textual.color import Color, ColorParseError

from certtui.tui.cells import CellLook

ROLE_VARIABLES = {"success": "success", "warning": "warning", "error": "error", "accent": "accent"}


def role_styles(app: App[object]) -> dict[str, Style]:
    """One style per role from the theme, so colours follow the theme (and NO_COLOR)."""
    variables = app.theme_variables
    styles = {"muted": Style(dim=True)}
    for role, variable in ROLE_VARIABLES.items():
        try:
            colour = Color.parse(variables[variable]).rich_color
        except (KeyError, ColorParseError):
            colour = None
        styles[role] = Style(color=colour, bold=role in ("success", "error"))
    return styles


def styled(look: CellLook, styles: dict[str, Style]) -> Text:
    """The cell's text in its role's style."""
    return Text(look.text, style=styles.get(look.role, NULL_STYLE))
