"""The pure rules of sorting, filtering and finding matches in any table (tui/sorting.py)."""

from __future__ import annotations

from certtui.tui.sorting import (
    SortState,
    click_sort,
    describe,
    duration_seconds,
    next_match,
    next_sort,
    order,
    reverse_sort,
    sort_key,
)

COLUMNS = ["id", "status", "took"]


def test_s_walks_the_columns_then_back_to_the_screens_order() -> None:
    state = SortState()
    seen = []
    for _ in range(4):
        state = next_sort(COLUMNS, state)
        seen.append(state.column)
    assert seen == ["id", "status", "took", None]


def test_capital_s_reverses_and_sorts_by_the_first_column_when_unsorted() -> None:
    assert reverse_sort(COLUMNS, SortState()) == SortState("id", reverse=True)
    assert reverse_sort(COLUMNS, SortState("took")) == SortState("took", reverse=True)
    assert reverse_sort(COLUMNS, SortState("took", True)) == SortState("took", False)


def test_a_header_click_sorts_by_it_then_reverses() -> None:
    assert click_sort("status", SortState("id")) == SortState("status")
    assert click_sort("status", SortState("status")) == SortState("status", reverse=True)


def test_durations_and_numbers_compare_by_value() -> None:
    assert duration_seconds("1h02m") == 3720
    assert duration_seconds("3m05s") == 185
    assert duration_seconds("250ms") == 0.25
    assert duration_seconds("model-3s") is None
    assert sort_key("9") < sort_key("10")
    assert sort_key("45s") < sort_key("2m00s")
    assert sort_key("██░░ 3/40") < sort_key("██░░ 12/40")
    assert sort_key("99") < sort_key("alpha")  # numbers before text
    assert sort_key("acme.model-03")[0] == 1  # an id with digits is text
    assert sort_key("-2.5") < sort_key("1")
    assert sort_key("Beta") > sort_key("alpha")  # case does not matter


def test_order_is_stable_and_blanks_go_last_either_way() -> None:
    keys = ["a", "b", "c", "d", "e"]
    texts = {"a": "2", "b": "–", "c": "1", "d": "2", "e": ""}
    assert order(keys, texts, SortState()) == keys
    assert order(keys, texts, SortState("x")) == ["c", "a", "d", "b", "e"]
    # Reversed, equal cells keep the screen's order too (a then d), blanks still last.
    assert order(keys, texts, SortState("x", reverse=True)) == ["a", "d", "c", "b", "e"]


def test_describe_names_the_column_and_direction() -> None:
    assert describe(SortState(), str.upper) == ""
    assert describe(SortState("best"), str.upper) == "sorted by BEST ↑"
    assert describe(SortState("best", True), str.upper) == "sorted by BEST ↓"


def test_next_match_wraps_and_finds_the_start_row_last() -> None:
    rows = ["alpha one", "beta", "Alpha two", "gamma"]
    assert next_match(rows, 0, "alpha") == 2
    assert next_match(rows, 2, "alpha") == 0  # wraps
    assert next_match(rows, 0, "alpha", forward=False) == 2
    assert next_match(rows, 1, "BETA") == 1  # only the row itself matches
    assert next_match(rows, 0, "delta") is None
    assert next_match(rows, 0, "") is None


def test_an_export_scope_keeps_the_rows_of_its_view() -> None:
    from datetime import datetime
    from pathlib import Path

    from certtui.domain.enums import CertificationStatus
    from certtui.export import ExportRow
    from certtui.tui.exporting import ExportScope, default_export_path, with_format

    def row(model: str, region: str, job: str | None) -> ExportRow:
        return ExportRow(
            model, model, "Acme", region, CertificationStatus.COMPLETED, True, 90.0, "A", None,
            None, "", None, 10, None, None, job,
        )  # fmt: skip

    rows = [row("m1", "us-east-1", "j1"), row("m2", "us-east-1", "j1")]
    rows.append(row("m1", "eu-west-1", None))
    assert [r for r in rows if ExportScope("all").keep(r)] == rows
    assert [r for r in rows if ExportScope("j", job_id="j1").keep(r)] == rows[:2]
    assert [r for r in rows if ExportScope("m", model_ids=frozenset({"m1"})).keep(r)] == [
        rows[0], rows[2],
    ]  # fmt: skip
    cells = frozenset({("m1", "eu-west-1")})
    assert [r for r in rows if ExportScope("c", cells=cells).keep(r)] == [rows[2]]
    path = default_export_path(Path("/d"), ExportScope("matrix"), "junit", datetime(2026, 1, 2, 3))
    assert path == Path("/d/exports/certtui-matrix-20260102-030000.xml")
    assert with_format(str(path), "markdown").endswith("030000.md")
    assert with_format("/tmp/results.txt", "json") == "/tmp/results.txt"  # the operator's own
