"""AWS regions certtui knows by name (commercial partition)."""

from __future__ import annotations

AWS_REGIONS: tuple[str, ...] = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "ca-central-1", "ca-west-1",
    "sa-east-1", "mx-central-1",
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-north-1", "eu-south-1", "eu-south-2",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-7", "ap-east-1",
    "me-south-1", "me-central-1", "il-central-1", "af-south-1",
)  # fmt: skip


# Regions where Bedrock runs on-demand models (the default set that discovery queries).
BEDROCK_REGIONS: tuple[str, ...] = (
    "us-east-1", "us-east-2", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1",
    "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
)  # fmt: skip


# Regions an account must enable before use; their auth errors mean "not enabled".
OPT_IN_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
    }
)


class UnknownRegion(ValueError):
    """A region name that is not an AWS region."""


def validate_regions(names: list[str] | tuple[str, ...]) -> list[str]:
    """Return the names de-duplicated in order, or raise UnknownRegion naming the bad ones."""
    bad = [name for name in names if name not in AWS_REGIONS]
    if bad:
        raise UnknownRegion(
            f"unknown region {', '.join(repr(b) for b in bad)}; valid regions: "
            + ", ".join(AWS_REGIONS)
        )
    return list(dict.fromkeys(names))
