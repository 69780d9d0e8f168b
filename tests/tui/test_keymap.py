"""keymap.toml: binding ids to keys, validated, applied; every binding id is in the README."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from certtui.errors import UsageError
from certtui.tui.keymap import binding_ids, keymap_path, load_keymap, valid_key
from certtui.tui.screens.models import ModelsScreen
from support.cli import run_certtui

README = Path(__file__).resolve().parents[2] / "README.md"
CATALOG = [f"acme.model-0{i}-v1:0" for i in range(6)]


def test_every_binding_id_of_the_app_is_in_the_readme_keys_table() -> None:
    ids = binding_ids()
    assert {"table.sort", "models.mark_all", "units.log", "list.export", "dialog.cancel"} <= set(
        ids
    )
    listed = set(re.findall(r"^\|[^|]*\|[^|]*\| `([a-z_]+\.[a-z_]+)` \|", README.read_text(), re.M))
    assert sorted(set(ids) - listed) == [], "binding ids missing from README.md's keys table"
    assert sorted(listed - set(ids)) == [], "README.md lists binding ids the app does not have"


def test_keys_certtui_can_bind() -> None:
    for key in ("j", "G", "/", "?", "question_mark", "slash", "f5", "ctrl+r", "enter", "home"):
        assert valid_key(key), key
    for key in ("", " ", "ctrl+shift+alt+x", "hyper+j", "jj", "f99"):
        assert not valid_key(key), key


def test_a_keymap_is_read_flat_nested_or_quoted(tmp_path: Path) -> None:
    path = tmp_path / "keymap.toml"
    assert load_keymap(path) == {}  # no file, no keymap
    path.write_text(
        '"table.down" = "x, down"\napp.help = "f2"\n[models]\nmark_all = "A"\n', encoding="utf-8"
    )
    assert load_keymap(path) == {"table.down": "x,down", "app.help": "f2", "models.mark_all": "A"}
    assert keymap_path(tmp_path / "config.toml") == path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('app.help = "f1"\n"table.dwn" = "x"\n', ':2: table.dwn: not a binding id'),
        ('app.help = "f1"\n\ntable.down = "ctrl+shift+x"\n',
         ":3: table.down: 'ctrl+shift+x' is not a key certtui can bind"),
        ('table.down = 3\n', ':1: table.down: expected keys as a string'),
        ('table.down = "x,"\n', ':1: table.down: expected keys as a string'),
        ('table.down = \n', ': not valid TOML'),
    ],
)  # fmt: skip
def test_a_mistake_is_one_line_naming_file_line_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "keymap.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_keymap(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_tui_refuses_a_bad_keymap_before_it_opens(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "certtui").mkdir(parents=True)
    keymap = config / "certtui" / "keymap.toml"
    keymap.write_text('models.mark_everything = "A"\n', encoding="utf-8")
    result = run_certtui(
        "--db", f"sqlite:///{tmp_path / 'x.db'}", env={"XDG_CONFIG_HOME": str(config)}
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"certtui: error: {keymap}:1: models.mark_everything: not a binding id "
                     "(the README's keys table lists every one)"]  # fmt: skip
    assert not (tmp_path / "x.db").exists()


async def test_a_keymap_moves_a_binding(sqlite_url: str, tui_engine: Any, tmp_path: Path) -> None:
    from certtui.tui.app import CerttuiApp

    keymap = {"table.down": "x", "models.mark_all": "A"}
    original = CerttuiApp.__init__

    def with_keymap(self: CerttuiApp, *args: Any, **kwargs: Any) -> None:
        original(self, *args, keymap=keymap, **kwargs)

    CerttuiApp.__init__ = with_keymap  # type: ignore[method-assign]
    try:
        async with tui_engine(sqlite_url, start_mode="models") as h:
            screen = h.app.screen
            assert isinstance(screen, ModelsScreen)
            await h.press("x", "x")
            assert screen.table.cursor_coordinate.row == 2
            await h.press("j")  # not bound any more
            assert screen.table.cursor_coordinate.row == 2
            await h.press("A")
            assert len(screen.marked) == 6
            await h.press("a")
            assert len(screen.marked) == 6
            await h.press("question_mark")
            help_text = str(h.app.screen.query_one("Static").render())
            assert "x              Down" in help_text and "A              Mark all" in help_text
    finally:
        CerttuiApp.__init__ = original  # type: ignore[method-assign]
