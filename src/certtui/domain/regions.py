"""Facts about AWS regions that botocore's partition data lacks, and the region-name rules.

The list of regions itself comes from the installed botocore (certtui.bedrock.regions); this
module holds what botocore does not say (which regions are opt-in, which cross-region
inference geographies a region sources, Bedrock endpoints newer than the installed botocore)
and the pure checks on region names.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable

# Regions an account must enable before use (every region launched after 2019-03-20, plus
# the opt-in regions announced since); their auth errors mean "not enabled".
OPT_IN_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3",
        "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1",
        "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1",
        "me-south-1", "me-west-1", "mx-central-1", "sa-west-1",
    }
)  # fmt: skip

# Regions that exist but that an older botocore may not list yet, by partition.
REGIONS_BOTOCORE_MAY_LACK: dict[str, str] = {
    "ap-east-2": "aws",
    "ap-southeast-6": "aws",
    "me-west-1": "aws",
    "sa-west-1": "aws",
}

# Commercial regions with a Bedrock endpoint that the installed botocore does not list yet, each
# seen in AWS's "Regional availability by endpoints" page (docs.aws.amazon.com/bedrock/latest/
# userguide/endpoints-region-availability.html). Only what that page shows goes here.
BEDROCK_REGIONS_BOTOCORE_MAY_LACK: tuple[str, ...] = ("ap-southeast-6", "ca-west-1")

# Cross-region inference profile prefixes a source region can call, home geography first.
_GEOGRAPHIES: dict[str, tuple[str, ...]] = {
    "ap-northeast-1": ("jp", "apac"),
    "ap-northeast-3": ("jp", "apac"),
    "ap-southeast-2": ("au", "apac"),
    "ap-southeast-4": ("au", "apac"),
    "ap-south-1": ("in", "apac"),
    "ap-south-2": ("in", "apac"),
    "ca-central-1": ("ca", "us"),
    "ca-west-1": ("ca",),
}
_GEOGRAPHY_BY_PREFIX = {"us": ("us",), "eu": ("eu",), "ap": ("apac",)}
GEOGRAPHIC_PROFILE_PREFIXES: tuple[str, ...] = (
    "us.", "eu.", "apac.", "jp.", "au.", "ca.", "in.", "us-gov.",
)  # fmt: skip


# (region, geography) pairs where the region may call the geography's profiles but is not one
# of the regions those profiles route to.
_SOURCE_ONLY: frozenset[tuple[str, str]] = frozenset({("ca-central-1", "us")})


def routes_to(region: str, geography: str) -> bool:
    """Whether a geography's profiles may route requests to this region."""
    return geography in geographies(region) and (region, geography) not in _SOURCE_ONLY


def geographies(region: str) -> tuple[str, ...]:
    """The cross-region inference geographies (`us`, `jp`, `apac` …) a region can call."""
    if region.startswith("us-gov-"):
        return ("us-gov",)
    if region in _GEOGRAPHIES:
        return _GEOGRAPHIES[region]
    return _GEOGRAPHY_BY_PREFIX.get(region.split("-", 1)[0], ())


class UnknownRegion(ValueError):
    """A region name that is not an AWS region."""


def check_regions(names: Iterable[str], known: Collection[str]) -> list[str]:
    """The names de-duplicated in order, or UnknownRegion naming each bad one with a guess."""
    names = list(names)
    bad = [name for name in names if name not in known]
    if bad:
        parts = []
        for name in bad:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            parts.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise UnknownRegion(
            f"unknown region {', '.join(parts)}: not an AWS region in any partition "
            "(e.g. us-east-1, eu-west-1, us-gov-west-1)"
        )
    return list(dict.fromkeys(names))


# Short region codes (`us-east-1` → `use1`): the matrix's column headers. A region name is
# <area>[-<qualifier>]-<direction>-<number>, area two letters; each part has a code, and no code
# of a qualifier followed by a direction reads like another's, so the rule is one-to-one.
_DIRECTION_CODES = {
    "east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
}  # fmt: skip
_QUALIFIER_CODES = {"gov": "g", "iso": "i", "isob": "ib", "isoe": "ie", "isof": "if"}


def region_code(region: str) -> str:
    """A region's short code (`us-east-1` → `use1`, `ap-northeast-1` → `apne1`).

    A name outside the usual shape (`eusc-de-east-1`) is its own code: it holds a hyphen, which
    no code does, so codes stay unique over every region.
    """
    parts = region.split("-")
    if len(parts) not in (3, 4) or not parts[-1].isdigit():
        return region
    area, *qualifier, direction, number = parts
    if len(area) != 2 or not area.isalpha() or direction not in _DIRECTION_CODES:
        return region
    if qualifier and qualifier[0] not in _QUALIFIER_CODES:
        return region
    middle = _QUALIFIER_CODES[qualifier[0]] if qualifier else ""
    return f"{area}{middle}{_DIRECTION_CODES[direction]}{number}"
