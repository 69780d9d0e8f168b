"""Names cut to a width never read the same: the matrix's model column (#12 item 2)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certtui.domain.text import ELLIPSIS, longest_shared_suffixes, shorten_distinct

SONNET_JUNE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
SONNET_OCTOBER = "anthropic.claude-3-5-sonnet-20241022-v2:0"


def test_two_sonnets_keep_the_tail_that_tells_them_apart() -> None:
    # What the matrix showed before: both cut at the end, "anthropic.claude-3-5-sonnet-202…".
    shown = shorten_distinct([SONNET_JUNE, SONNET_OCTOBER, "amazon.nova-lite-v1:0"], 24)
    assert shown["amazon.nova-lite-v1:0"] == "amazon.nova-lite-v1:0"
    assert shown[SONNET_JUNE] != shown[SONNET_OCTOBER]
    assert shown[SONNET_JUNE].startswith("anthropic.cl")
    assert shown[SONNET_JUNE].endswith("620-v1:0")
    assert shown[SONNET_OCTOBER].endswith("022-v2:0")
    assert all(len(text) <= 24 for text in shown.values())


def test_names_alike_at_both_ends_show_where_they_differ() -> None:
    a, b = "x" * 14 + "A" + "x" * 15, "x" * 14 + "B" + "x" * 15
    shown = shorten_distinct([a, b], 8)
    assert "A" in shown[a] and "B" in shown[b]


def test_a_width_below_four_is_refused() -> None:
    with pytest.raises(ValueError, match="below 4"):
        shorten_distinct(["abcdef"], 3)


names = st.lists(st.text(alphabet="ab.-:0123456789x", min_size=1, max_size=40), max_size=30)


@given(names=names, width=st.integers(min_value=4, max_value=40))
def test_distinct_names_stay_distinct_and_fit(names: list[str], width: int) -> None:
    shown = shorten_distinct(names, width)
    assert set(shown) == set(names)
    assert len(set(shown.values())) == len(shown)
    assert all(len(text) <= width for text in shown.values())
    for name, text in shown.items():
        if len(name) <= width:
            assert text == name
        else:
            assert ELLIPSIS in text


@given(
    names=st.lists(st.sampled_from([SONNET_JUNE, SONNET_OCTOBER]), max_size=4),
    width=st.integers(min_value=4, max_value=40),
)
def test_repeated_names_read_the_same(names: list[str], width: int) -> None:
    shown = shorten_distinct(names, width)
    assert set(shown) == set(names)


@given(st.sets(st.text(alphabet="ab-:01", max_size=12), max_size=30))
def test_the_longest_shared_end_is_what_comparing_every_pair_gives(names: set[str]) -> None:
    # Sorting by the reversed text finds it from neighbours only (first paint at 200 models).
    def common_end(a: str, b: str) -> int:
        count = 0
        while count < min(len(a), len(b)) and a[-1 - count] == b[-1 - count]:
            count += 1
        return count

    listed = sorted(names)
    expected = {
        name: max((common_end(name, other) for other in listed if other != name), default=0)
        for name in listed
    }
    assert longest_shared_suffixes(listed) == expected
