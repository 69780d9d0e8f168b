"""The matrix's pure rules: cell fit, column widths, views and counts by category."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from certtui.bedrock.regions import bedrock_regions
from certtui.domain import glyphs
from certtui.domain.regions import region_code
from certtui.tui.cells import ERROR_TAGS, MATRIX_CELL_WIDTH, cell_look, fit_cell
from certtui.tui.data import CellState, ModelRow
from certtui.tui.screens.matrix import model_width, region_width, vendor_count
from certtui.tui.summary import (
    GROUP_PREFIX,
    MatrixView,
    cell_category,
    count_cells,
    matrix_rows,
    summary_text,
)

STATUSES = [None, "COMPLETED", "FAILED", "PROCESSING", "QUEUED", "PENDING", "CANCELLED"]
cells = st.builds(
    CellState,
    status=st.sampled_from(STATUSES),
    passed=st.sampled_from([None, True, False]),
    rating=st.sampled_from([None, "A", "B", "C", "D", "F"]),
    error_category=st.sampled_from([None, *ERROR_TAGS]),
    offered=st.sampled_from([None, True, False]),
    regressed=st.booleans(),
    simulated=st.booleans(),
)


@given(cell=cells, applicable=st.booleans())
def test_every_cell_fits_keeping_its_glyph_and_marks(cell: CellState, applicable: bool) -> None:
    text = cell_look(cell, applicable=applicable).text
    fitted = fit_cell(text)
    assert len(fitted) <= MATRIX_CELL_WIDTH
    assert fitted[0] == text[0]
    g = glyphs.current()
    marks = text[len(text.rstrip(g.regressed + g.simulated)) :]
    assert fitted.endswith(marks)


def test_fit_drops_the_space_then_the_tag_end() -> None:
    assert fit_cell("✓ A*") == "✓ A*"
    assert fit_cell("! PERM") == "! PERM"
    assert fit_cell("! PERM*") == "!PERM*"
    assert fit_cell("! PERM↓*") == "!PER↓*"


def test_thirty_regions_fit_in_240_columns_and_twelve_in_120() -> None:
    codes = [region_code(r) for r in bedrock_regions()]
    assert len(codes) == 30
    width = model_width(240, codes, longest=41)
    assert width + 1 + sum(region_width(c) for c in codes) + 2 <= 240
    assert width >= 20
    narrow = model_width(120, codes, longest=41)
    assert (120 - 2 - narrow - 1) // region_width(codes[0]) >= 12
    assert model_width(400, codes, longest=41) == 41  # no wider than the longest id


def model(model_id: str, vendor: str, *, inputs: tuple[str, ...] = ("TEXT",)) -> ModelRow:
    return ModelRow(
        model_id=model_id, api_model_id=f"{vendor.lower()}.{model_id}", name=model_id,
        vendor=vendor, input_modalities=inputs,
        output_modalities=("EMBEDDING",) if inputs == ("EMBED",) else ("TEXT",),
        streaming=True, active=True, regions_offered=(), regions_passed=0, best_rating=None,
    )  # fmt: skip


def test_views_select_and_group_rows() -> None:
    models = [
        model("m1", "Meta"),
        model("a1", "Anthropic"),
        model("a2", "Anthropic"),
        model("e1", "Amazon", inputs=("EMBED",)),
    ]
    table = {
        ("m1", "r1"): CellState("COMPLETED", passed=False, rating="D"),
        ("a1", "r1"): CellState("COMPLETED", passed=True, rating="A"),
        ("a2", "r1"): CellState(offered=False),
        ("a2", "r2"): CellState(offered=False),
        ("a1", "r2"): CellState("FAILED", error_category="TIMEOUT"),
    }

    def cell(model_id: str, region: str) -> CellState:
        return table.get((model_id, region), CellState())

    regions = ["r1", "r2"]
    assert matrix_rows(models, regions, cell, MatrixView()) == ["m1", "a1", "a2", "e1"]
    hidden = MatrixView(hide_unoffered=True)
    assert matrix_rows(models, regions, cell, hidden) == ["m1", "a1"]
    assert matrix_rows(models, regions, cell, MatrixView(failures_only=True)) == ["m1", "a1"]
    grouped = matrix_rows(models, regions, cell, MatrixView(by_vendor=True))
    assert grouped == [GROUP_PREFIX + "Amazon", "e1", GROUP_PREFIX + "Anthropic", "a1", "a2",
                       GROUP_PREFIX + "Meta", "m1"]  # fmt: skip
    counts = count_cells(models, regions, cell)
    assert counts == {"passed": 1, "not passed": 1, "error": 1, "not offered": 2, "untested": 1,
                      "n/a": 2}  # fmt: skip
    assert summary_text(counts) == (
        "✓ 1 passed · ✗ 1 not passed · ! 1 error · ○ 1 untested · — 2 not offered · n/a 2 n/a"
    )
    assert cell_category(CellState("PROCESSING")) == "running"
    assert summary_text({}) == "no cells"


def test_vendor_heading_counts_fit_a_cell() -> None:
    assert vendor_count(0, 0) == ""
    assert vendor_count(5, 3) == "3/5"
    assert vendor_count(120, 100) == "83%"  # "100/120" is too wide: a share instead
    assert all(len(vendor_count(t, p)) <= MATRIX_CELL_WIDTH for t in range(1, 400, 7)
               for p in range(0, t + 1, 5))  # fmt: skip
