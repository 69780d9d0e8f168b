"""Help lists every key that works here, enter included, the error tags and ⇄ (#12 item 11)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from certtui.tui.screens.help import HelpScreen
from certtui.tui.screens.jobs import JobsScreen


async def help_text(h: Any) -> str:
    await h.press("question_mark")
    await h.wait_for(lambda: isinstance(h.app.screen, HelpScreen), "the help screen")
    text = str(h.app.screen.query_one(Static).render())
    await h.press("escape")
    return text


async def test_help_lists_enter_the_table_keys_the_error_tags_and_the_remote_mark(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url) as h:
        text = await help_text(h)
        assert "  enter          Detail" in text  # the matrix's enter
        assert "home g" in text and "First row" in text
        assert "s              Sort by next column" in text
        assert "PERM           PERMISSION_ERROR" in text
        assert "QUAL           QUALITY_ISSUE" in text
        assert "⇄" in text and "another process" in text

        await h.switch("3", JobsScreen)
        text = await help_text(h)
        assert "  enter          Units" in text
