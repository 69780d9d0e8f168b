"""Every AWS region, and the regions where Bedrock has an endpoint, from botocore's data.

The installed botocore knows the partitions (aws, aws-us-gov, aws-cn …) and each service's
endpoints; certtui.domain.regions adds the few facts botocore lacks.
"""

from __future__ import annotations

from functools import cache

from certtui.domain.regions import (
    BEDROCK_REGIONS_BOTOCORE_MAY_LACK,
    REGIONS_BOTOCORE_MAY_LACK,
    UnknownRegion,
    check_regions,
)

__all__ = ["UnknownRegion", "all_regions", "bedrock_regions", "validate_regions"]


@cache
def _endpoints() -> dict:
    from botocore.loaders import create_loader

    return create_loader().load_data("endpoints")


@cache
def all_regions() -> dict[str, str]:
    """Every region of every partition botocore knows (plus the facts table): name → partition."""
    found = dict(REGIONS_BOTOCORE_MAY_LACK)
    for partition in _endpoints()["partitions"]:
        for name in partition["regions"]:
            found[name] = partition["partition"]
    return found


@cache
def bedrock_regions(partitions: tuple[str, ...] = ("aws",)) -> tuple[str, ...]:
    """Regions where Bedrock has an endpoint in those partitions (commercial by default)."""
    regions = all_regions()
    found = set()
    for partition in _endpoints()["partitions"]:
        if partition["partition"] not in partitions:
            continue
        for name in partition["services"].get("bedrock", {}).get("endpoints", {}):
            if name in regions:  # skips pseudo-regions such as bedrock-fips-us-east-1
                found.add(name)
    if "aws" in partitions:
        found.update(BEDROCK_REGIONS_BOTOCORE_MAY_LACK)
    return tuple(sorted(found))


def validate_regions(names: list[str] | tuple[str, ...]) -> list[str]:
    """The names de-duplicated in order, or UnknownRegion with a "did you mean" for each."""
    return check_regions(names, all_regions())
