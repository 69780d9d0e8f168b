"""End to end: the demo's matrix in a real 120×40 terminal (tmux) shows at least 12 regions.

Read as an operator would (`tmux capture-pane`): the header names regions by code, the
status line names the cursor's region in full, and no two model ids read the same. (The demo
catalog has 19 regions; tests/tui/test_matrix_fit.py checks all 30 at 240 columns.)
"""

from __future__ import annotations

from pathlib import Path

from certtui.bedrock.regions import bedrock_regions
from certtui.domain.regions import region_code
from e2e.test_demo_tmux import REGION_CODE, Terminal, line_with, start_certtui
from e2e.test_demo_tmux import terminal as terminal  # the tmux server fixture

SIZE = (120, 40)
CODES = {region_code(region): region for region in bedrock_regions()}


def header_codes(screen: str) -> list[str] | None:
    """The region codes on the matrix's header line, once it is drawn."""
    header = line_with(screen, "model ")
    if header is None:
        return None
    codes = [code for code in REGION_CODE.findall(header) if code in CODES]
    return codes or None


def test_the_matrix_shows_twelve_regions_at_120_columns(tmp_path: Path, terminal: Terminal) -> None:
    exit_file = start_certtui(terminal, tmp_path, "--demo", size=SIZE)
    terminal.wait_for(lambda s: line_with(s, "Matrix · ") and line_with(s, " of "), "the matrix")
    # The demo syncs its catalog in the background: regions appear as they are synced.
    codes = terminal.wait_for(
        lambda s: found if (found := header_codes(s)) and len(found) >= 12 else None,
        "12 regions in the header",
    )
    assert codes == sorted(codes, key=lambda code: CODES[code])  # in region order

    screen = terminal.screen()
    lines = screen.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("model ")) + 2
    names = [line.split()[0] for line in lines[start:] if line[:1].isalnum() and "." in line]
    assert len(names) >= 5, screen
    assert len(set(names)) == len(names), names  # cut in the middle, never alike
    assert all(len(line) <= SIZE[0] for line in lines)

    terminal.keys("Right", "Right")  # onto the second region's column
    second = CODES[codes[1]]
    terminal.wait_for(lambda s: line_with(s, f"{second} ({codes[1]}) · "), "the status line")

    terminal.keys("q")
    status = terminal.wait_for(
        lambda _: exit_file.read_text().strip() if exit_file.exists() else None, "the exit"
    )
    assert status == "0", terminal.screen()
