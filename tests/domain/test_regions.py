"""Region names are checked against botocore's partitions plus the facts botocore lacks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certtui.bedrock.regions import all_regions, bedrock_regions, validate_regions
from certtui.domain.regions import UnknownRegion, geographies, region_code


def test_known_regions_pass_and_are_deduplicated() -> None:
    assert validate_regions(["us-east-1", "eu-west-1", "us-east-1"]) == ["us-east-1", "eu-west-1"]


@pytest.mark.parametrize(
    "region", ["ap-east-2", "ap-southeast-6", "me-west-1", "sa-west-1", "us-gov-west-1"]
)
def test_every_real_region_is_accepted(region: str) -> None:
    assert validate_regions([region]) == [region]


def test_govcloud_is_its_own_partition() -> None:
    assert all_regions()["us-gov-west-1"] == "aws-us-gov"
    assert bedrock_regions(("aws-us-gov",)) == ("us-gov-east-1", "us-gov-west-1")
    assert "us-gov-west-1" not in bedrock_regions()


def test_unknown_regions_are_named_with_a_guess() -> None:
    with pytest.raises(UnknownRegion) as raised:
        validate_regions(["us-east-1", "eu-wset-1", "moon-1"])
    message = str(raised.value)
    assert message.startswith("unknown region 'eu-wset-1' (did you mean 'eu-west-1'?), ")
    assert message.endswith(
        "'moon-1': not an AWS region in any partition (e.g. us-east-1, eu-west-1, us-gov-west-1)"
    )


def test_default_discovery_covers_every_commercial_bedrock_region() -> None:
    regions = bedrock_regions()
    assert len(regions) >= 30
    assert {"us-east-1", "ap-east-2", "ap-southeast-6", "ca-west-1", "eu-south-2"} <= set(regions)
    assert "ap-east-1" not in regions  # Hong Kong has no Bedrock endpoint


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-west-2", ("us",)),
        ("ap-northeast-1", ("jp", "apac")),
        ("ap-southeast-2", ("au", "apac")),
        ("ap-south-1", ("in", "apac")),
        ("ca-central-1", ("ca", "us")),
        ("us-gov-west-1", ("us-gov",)),
        ("sa-east-1", ()),
    ],
)
def test_geographies(region: str, expected: tuple[str, ...]) -> None:
    assert geographies(region) == expected


@pytest.mark.parametrize(
    ("region", "code"),
    [("us-east-1", "use1"), ("eu-west-1", "euw1"), ("ap-northeast-1", "apne1"),
     ("ap-southeast-7", "apse7"), ("us-gov-west-1", "usgw1"), ("us-isob-east-1", "usibe1"),
     ("cn-northwest-1", "cnnw1"), ("eusc-de-east-1", "eusc-de-east-1")],
)  # fmt: skip
def test_region_codes(region: str, code: str) -> None:
    assert region_code(region) == code


def test_every_known_region_has_its_own_code() -> None:
    codes = [region_code(region) for region in all_regions()]
    assert len(set(codes)) == len(codes)
    assert all(len(region_code(region)) <= 6 for region in bedrock_regions())


region_names = st.builds(
    lambda area, qualifier, direction, number: "-".join(
        [area, *([qualifier] if qualifier else []), direction, str(number)]
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=4),
    st.sampled_from(["", "gov", "iso", "isob", "isoe", "isof", "de", "x"]),
    st.sampled_from(["east", "west", "north", "south", "central", "northeast", "northwest",
                     "southeast", "southwest", "up"]),
    st.integers(min_value=0, max_value=120),
)  # fmt: skip


@given(st.lists(region_names, unique=True, max_size=40))
def test_region_codes_are_one_to_one(regions: list[str]) -> None:
    codes = [region_code(region) for region in regions]
    assert len(set(codes)) == len(codes)
