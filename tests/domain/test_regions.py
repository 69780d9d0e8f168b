"""Region names are checked against AWS's list."""

import pytest

from certtui.domain.regions import UnknownRegion, validate_regions


def test_known_regions_pass_and_are_deduplicated() -> None:
    assert validate_regions(["us-east-1", "eu-west-1", "us-east-1"]) == ["us-east-1", "eu-west-1"]


def test_unknown_regions_are_named_with_the_valid_list() -> None:
    with pytest.raises(UnknownRegion) as raised:
        validate_regions(["us-east-1", "mars-north-1"])
    assert str(raised.value).startswith("unknown region 'mars-north-1'; valid regions: us-east-1,")
