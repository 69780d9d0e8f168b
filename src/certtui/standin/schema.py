"""The pydantic schema of a stand-in scenario file: keys, types, ranges and cross-references.

scenario.py imports this module only when it reads a scenario. Error wording and locations come
from certtui.validation, shared with the config file and suites.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, create_model, model_validator

from certtui.bedrock.regions import all_regions
from certtui.domain.errors import ErrorCategory
from certtui.standin.scenario import (
    CUSTOMIZATIONS,
    DEFAULT_PROFILE,
    FAULT_NAMES,
    INJECTABLE_ERRORS,
    LIFECYCLES,
    MODALITIES,
    STOP_REASONS,
    STREAM_ERROR_TYPES,
    TIMEOUT_STYLES,
    WILDCARD,
    Availability,
    Flaw,
)
from certtui.validation import (
    Schema,
    StringList,
    choice,
    choices,
    number,
    problem,
    reader,
    string_list,
    tables,
)

_MODEL_ID = re.compile(r"[a-z0-9-]{1,63}\.[a-z0-9-]{1,63}([.:][a-z0-9-]{1,63}){0,3}")
_GEOGRAPHY = re.compile(r"[a-z][a-z-]{1,9}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ACCOUNT_ID = re.compile(r"\d{12}")


def _string(check: Any) -> Any:
    """A reader of a string that `check(value)` accepts or refuses with ValueError."""

    def read(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("expected a string")
        check(value)
        return value

    return reader(read)


def _region_name(name: str) -> None:
    if name not in all_regions():
        raise ValueError(f"unknown AWS region {name!r}")


def _geography(name: str) -> None:
    if name and not _GEOGRAPHY.fullmatch(name):
        raise ValueError(f"expected lowercase letters, got {name!r}")


def _model_id(model_id: str) -> None:
    if not _MODEL_ID.fullmatch(model_id):
        raise ValueError(f"not a Bedrock model id: {model_id!r}")


def _account_id(account_id: str) -> None:
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise ValueError(f"must be 12 digits, got {account_id!r}")


_PARAMETERS = ("temperature", "topP", "maxTokens", "stopSequences")
_EXCEPTION_TYPE = re.compile(r"[a-z][A-Za-z]*Exception")


def _exception_type(name: str) -> None:
    if not _EXCEPTION_TYPE.fullmatch(name):
        raise ValueError(
            f"expected a lower-camel exception type such as 'modelTimeoutException', got {name!r}"
        )


def _date(text: str) -> None:
    if not _DATE.fullmatch(text):
        raise ValueError(f"expected a date YYYY-MM-DD, got {text!r}")


def _not_empty(text: str) -> None:
    if not text:
        raise ValueError("must not be empty")


def _geographies(value: Any) -> list[str]:
    for position, name in enumerate(string_list(value)):
        if not _GEOGRAPHY.fullmatch(name):
            raise problem(
                f"expected a lowercase geography prefix such as 'us' or 'global', got {name!r}",
                position,
            )
    return value


Rate = Annotated[float, number(0, 1)]
Milliseconds = Annotated[float, number(0)]

# `<fault>_rate` keys, one per FaultRates field, shared by regions and profiles.
_Faults = create_model(
    "_Faults", __base__=Schema, **{f"{name}_rate": (Rate, 0.0) for name in FAULT_NAMES}
)


class RegionSchema(_Faults):  # type: ignore[misc,valid-type]
    """One [[regions]] table."""

    name: Annotated[str, _string(_region_name)]
    bedrock: bool = True
    enabled: bool = True
    # TOML has no null: a key that may be absent defaults to None without its type admitting it.
    geography: Annotated[str, _string(_geography)] = None  # type: ignore[assignment]


class ProfileSchema(_Faults):  # type: ignore[misc,valid-type]
    """One [profiles.NAME] table."""

    flaws: Annotated[list[str], choices(Flaw)] = Field(default_factory=list)
    first_token_ms: Milliseconds = 200.0
    per_token_ms: Milliseconds = 15.0
    jitter: Rate = 0.2
    timeout_style: Annotated[str, choice(TIMEOUT_STYLES)] = "exception"
    hang_ms: Milliseconds = 120_000.0
    stream_error_type: Annotated[str, choice(STREAM_ERROR_TYPES)] = "modelStreamErrorException"
    # TOML has no null: absent keys default to None without their type admitting it.
    error: Annotated[str, choice(INJECTABLE_ERRORS)] = None  # type: ignore[assignment]
    error_message: Annotated[str, _string(_not_empty)] = None  # type: ignore[assignment]
    error_in_stream: Annotated[str, _string(_exception_type)] = None  # type: ignore[assignment]
    stop_reason: Annotated[str, choice(STOP_REASONS)] = None  # type: ignore[assignment]
    rejects_parameters: Annotated[list[str], choices(_PARAMETERS)] = Field(default_factory=list)
    error_after: Annotated[int, number(0)] = 0


class ModelSchema(Schema):
    """One [[models]] table."""

    id: Annotated[str, _string(_model_id)]
    name: str = None  # type: ignore[assignment]
    provider: str
    input: Annotated[list[str], choices(MODALITIES)] = Field(default_factory=lambda: ["TEXT"])
    output: Annotated[list[str], choices(MODALITIES)] = Field(default_factory=lambda: ["TEXT"])
    streaming: bool = True
    lifecycle: Annotated[str, choice(LIFECYCLES)] = "ACTIVE"
    end_of_life: bool = False
    customizations: Annotated[list[str], choices(CUSTOMIZATIONS)] = Field(default_factory=list)
    inference_profiles: Annotated[list[str], reader(_geographies)] = Field(default_factory=list)
    denied_profiles: Annotated[list[str], reader(_geographies)] = Field(default_factory=list)
    legacy_date: Annotated[str, _string(_date)] = None  # type: ignore[assignment]
    end_of_life_date: Annotated[str, _string(_date)] = None  # type: ignore[assignment]
    reasoning: bool = False
    profile: str = DEFAULT_PROFILE
    reasoning: bool = False
    reasoning_tokens: Annotated[int, number(1)] = 600
    on_demand: StringList = Field(default_factory=list)
    profile_only: StringList = Field(default_factory=list)
    provisioned_only: StringList = Field(default_factory=list)
    access_denied: StringList = Field(default_factory=list)
    quota_exceeded: StringList = Field(default_factory=list)
    region_profiles: dict[str, str] = Field(default_factory=dict)

    def availability(
        self, regions: list[RegionSchema], at: tuple[str | int, ...] = ()
    ) -> dict[str, Availability]:
        """Where the model is offered, from its availability lists ("*" = every other region).

        `at` is the model's key path, for errors.
        """
        known = [region.name for region in regions]
        lists = {kind: getattr(self, kind.value) for kind in Availability}
        for kind, names in lists.items():
            for name in names:
                if name != WILDCARD and name not in known:
                    raise problem(f"unknown region {name!r}", *at, kind.value)
        wildcards = [kind for kind, names in lists.items() if WILDCARD in names]
        if len(wildcards) > 1:
            raise problem("only one list may hold '*'", *at, wildcards[1].value)
        offered: dict[str, Availability] = {}
        for kind, names in lists.items():
            for name in names:
                if name == WILDCARD:
                    continue
                if name in offered:
                    raise problem(
                        f"region {name!r} is also in {offered[name].value}", *at, kind.value
                    )
                offered[name] = kind
        if wildcards:
            for region in regions:
                if region.bedrock and region.name not in offered:
                    offered[region.name] = wildcards[0]
        return offered


class ScenarioSchema(Schema):
    """A scenario file."""

    name: str = "custom"
    description: str = ""
    account_id: Annotated[str, _string(_account_id)] = "123456789012"
    expired_key_prefix: Annotated[str, _string(_not_empty)] = "AKIDEXPIRED"
    regions: tables(RegionSchema)  # type: ignore[valid-type]
    profiles: dict[str, ProfileSchema] = Field(default_factory=dict)
    models: tables(ModelSchema) = Field(default_factory=list)  # type: ignore[valid-type]
    # The map of where each error category shows up: category -> ["model@region", …].
    categories: dict[str, StringList] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> ScenarioSchema:
        if not self.regions:
            raise problem("at least one region is needed", "regions")
        seen: set[str] = set()
        for index, region in enumerate(self.regions):
            if region.name in seen:
                raise problem(f"region {region.name!r} is listed twice", "regions", index, "name")
            seen.add(region.name)
        known_categories = {category.value for category in ErrorCategory}
        for category, cells in self.categories.items():
            if category not in known_categories:
                raise problem(f"unknown error category {category!r}", "categories", category)
            for index, cell in enumerate(cells):
                if cell.count("@") != 1:
                    raise problem(
                        f"expected 'model@region', got {cell!r}", "categories", category, index
                    )
        profiles = {DEFAULT_PROFILE, *self.profiles}
        seen = set()
        for index, model in enumerate(self.models):
            at = ("models", index)
            if model.id in seen:
                raise problem(f"model {model.id!r} is listed twice", *at, "id")
            seen.add(model.id)
            if model.profile not in profiles:
                defined = ", ".join(sorted(profiles))
                raise problem(
                    f"unknown profile {model.profile!r} (defined: {defined})", *at, "profile"
                )
            offered = model.availability(self.regions, at)
            for key in ("access_denied", "quota_exceeded"):
                for name in getattr(model, key):
                    if name not in offered:
                        raise problem(f"the model is not offered in {name!r}", *at, key)
            for name, override in model.region_profiles.items():
                if name not in offered:
                    raise problem(
                        f"the model is not offered in {name!r}", *at, "region_profiles", name
                    )
                if override not in profiles:
                    raise problem(f"unknown profile {override!r}", *at, "region_profiles", name)
        return self
