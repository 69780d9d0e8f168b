"""What the stand-in simulates: regions, models and behaviour profiles, loaded from TOML."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from certtui.domain.regions import AWS_REGIONS

DEFAULT_PROFILE = "default"
WILDCARD = "*"
MODALITIES = ("TEXT", "IMAGE", "EMBEDDING")
LIFECYCLES = ("ACTIVE", "LEGACY")
CUSTOMIZATIONS = ("FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION")
TIMEOUT_STYLES = ("exception", "hang")
STREAM_ERROR_TYPES = (
    "modelStreamErrorException",
    "throttlingException",
    "internalServerException",
    "serviceUnavailableException",
    "validationException",
)
_MODEL_ID = re.compile(r"[a-z0-9-]{1,63}\.[a-z0-9-]{1,63}([.:][a-z0-9-]{1,63}){0,3}")
_GEOGRAPHY = re.compile(r"[a-z]{2,10}")
# Cross-region inference geographies by region-name prefix; other prefixes have none.
_GEOGRAPHY_BY_PREFIX = {"us": "us", "eu": "eu", "ap": "apac", "ca": "ca"}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the line or the key path."""


class Flaw(StrEnum):
    """A quality flaw or missing capability of a simulated model."""

    IGNORES_SYSTEM_PROMPT = "ignores_system_prompt"
    NO_SYSTEM_PROMPT = "no_system_prompt"
    NO_TOOL_USE = "no_tool_use"
    IGNORES_TOOLS = "ignores_tools"
    BROKEN_JSON = "broken_json"
    WRONG_ARITHMETIC = "wrong_arithmetic"
    FORGETS_CONTEXT = "forgets_context"
    IGNORES_INSTRUCTIONS = "ignores_instructions"
    MISREADS_IMAGES = "misreads_images"
    REJECTS_REQUESTS = "rejects_requests"


class Availability(StrEnum):
    """How a model is offered in a region."""

    ON_DEMAND = "on_demand"
    PROFILE_ONLY = "profile_only"
    PROVISIONED_ONLY = "provisioned_only"


@dataclass(frozen=True)
class FaultRates:
    """Probabilities (0–1) that a runtime call fails in each simulated way."""

    throttle: float = 0.0
    not_ready: float = 0.0
    internal_error: float = 0.0
    unavailable: float = 0.0
    timeout: float = 0.0
    model_error: float = 0.0
    stream_error: float = 0.0

    def combined(self, other: FaultRates) -> FaultRates:
        """The rates of two independent sources of the same faults (e.g. region and model)."""
        return FaultRates(
            **{
                name: 1 - (1 - getattr(self, name)) * (1 - getattr(other, name))
                for name in FAULT_NAMES
            }
        )


FAULT_NAMES = tuple(FaultRates.__dataclass_fields__)


@dataclass(frozen=True)
class Latency:
    """Simulated generation speed: time to the first token, then per token, with jitter."""

    first_token_ms: float = 200.0
    per_token_ms: float = 15.0
    jitter: float = 0.2


@dataclass(frozen=True)
class BehaviourProfile:
    """How a model behaves: its flaws, its speed and how often it fails."""

    name: str
    flaws: frozenset[Flaw] = frozenset()
    latency: Latency = Latency()
    faults: FaultRates = FaultRates()
    timeout_style: str = "exception"
    hang_ms: float = 120_000.0
    stream_error_type: str = "modelStreamErrorException"


@dataclass(frozen=True)
class Region:
    """One AWS region as the stand-in simulates it."""

    name: str
    bedrock: bool = True
    enabled: bool = True
    geography: str | None = None
    faults: FaultRates = FaultRates()


@dataclass(frozen=True)
class ModelRegion:
    """A model's standing in one region where it is offered."""

    availability: Availability
    access_denied: bool = False
    quota_exceeded: bool = False
    profile: str = DEFAULT_PROFILE


@dataclass(frozen=True)
class Model:
    """One simulated foundation model and where it is offered."""

    id: str
    name: str
    provider: str
    input_modalities: tuple[str, ...] = ("TEXT",)
    output_modalities: tuple[str, ...] = ("TEXT",)
    streaming: bool = True
    lifecycle: str = "ACTIVE"
    end_of_life: bool = False
    customizations: tuple[str, ...] = ()
    inference_profiles: tuple[str, ...] = ()
    regions: Mapping[str, ModelRegion] = field(default_factory=dict)

    @property
    def is_chat(self) -> bool:
        """True when the model answers Converse (it produces text)."""
        return "TEXT" in self.output_modalities


@dataclass(frozen=True)
class Scenario:
    """Everything the stand-in simulates."""

    name: str
    regions: tuple[Region, ...]
    models: tuple[Model, ...]
    profiles: Mapping[str, BehaviourProfile]
    description: str = ""
    account_id: str = "123456789012"
    expired_key_prefix: str = "AKIDEXPIRED"

    def region(self, name: str) -> Region | None:
        """The region of that name, or None when the scenario does not know it."""
        return next((region for region in self.regions if region.name == name), None)

    def model(self, model_id: str) -> Model | None:
        """The model with that id, or None."""
        return next((model for model in self.models if model.id == model_id), None)

    def with_overrides(self, faults: FaultRates | None) -> Scenario:
        """This scenario with every region's and profile's fault rates replaced by `faults`."""
        if faults is None:
            return self
        return replace(
            self,
            regions=tuple(replace(region, faults=FaultRates()) for region in self.regions),
            profiles={
                name: replace(profile, faults=faults) for name, profile in self.profiles.items()
            },
        )


def geography_of(region: Region) -> str | None:
    """The cross-region inference geography (`us`, `eu`, `apac` …) a region belongs to."""
    if region.geography is not None:
        return region.geography or None
    return _GEOGRAPHY_BY_PREFIX.get(region.name.split("-", 1)[0])


def default_scenario() -> Scenario:
    """The built-in realistic scenario shipped with the package."""
    text = resources.files("certtui.standin").joinpath("default_scenario.toml").read_text("utf-8")
    return parse_scenario(text, source="default_scenario.toml")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file, raising ScenarioError naming the line or key."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioError(f"cannot read scenario file {path}: {reason}") from exc
    return parse_scenario(text, source=str(path))


def parse_scenario(text: str, *, source: str = "<scenario>") -> Scenario:
    """Parse and validate scenario TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        if "(at line" not in reason:
            # tomllib says "at end of document" without a line; name the last line instead.
            reason += f" (line {text.count(chr(10)) + 1})"
        raise ScenarioError(f"{source}: invalid TOML: {reason}") from None
    try:
        return _build(data)
    except _Invalid as exc:
        raise ScenarioError(f"{source}: {exc}") from None


class _Invalid(Exception):
    """A validation failure at a key path, before the source name is prefixed."""


class _Table:
    """Typed access to one TOML table that reports the key path and unknown keys."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise _Invalid(f"{path}: expected a table, got {_kind(data)}")
        self.data = data
        self.path = path
        self.used: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is _REQUIRED:
                raise _Invalid(f"{self.where(key)}: missing")
            return default
        value = self.data[key]
        # bool is an int in Python, but `rate = true` is a mistake worth reporting.
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
            raise _Invalid(f"{self.where(key)}: expected {_names(kind)}, got {_kind(value)}")
        return value

    def number(self, key: str, default: float, low: float, high: float | None = None) -> float:
        value = float(self.get(key, (int, float), default))
        if value < low or (high is not None and value > high):
            bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise _Invalid(f"{self.where(key)}: must be {bound}, got {value:g}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise _Invalid(
                f"{self.where(key)}: unknown value {value!r}; expected one of {', '.join(choices)}"
            )
        return value

    def choices(self, key: str, choices: tuple[str, ...], default: tuple[str, ...]) -> tuple:
        values = self.strings(key, default)
        for value in values:
            if value not in choices:
                raise _Invalid(
                    f"{self.where(key)}: unknown value {value!r}; "
                    f"expected any of {', '.join(choices)}"
                )
        return values

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        values = self.get(key, list, list(default))
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise _Invalid(f"{self.where(key)}[{index}]: expected a string, got {_kind(value)}")
        return tuple(values)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise _Invalid(f"{self.where(unknown[0])}: unknown key")


_REQUIRED = object()


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _names(kind: type | tuple[type, ...]) -> str:
    words = {str: "a string", bool: "true or false", int: "a number", float: "a number"}
    words.update({list: "a list", dict: "a table"})
    return " or ".join(dict.fromkeys(words.get(k, k.__name__) for k in _tuple(kind)))


def _kind(value: Any) -> str:
    return _names(type(value)) if type(value) in (str, bool, int, float, list, dict) else "a value"


def _build(data: dict[str, Any]) -> Scenario:
    top = _Table(data, "")
    name = top.get("name", str, "custom")
    description = top.get("description", str, "")
    account_id = top.get("account_id", str, "123456789012")
    if not re.fullmatch(r"\d{12}", account_id):
        raise _Invalid(f"account_id: must be 12 digits, got {account_id!r}")
    expired_key_prefix = top.get("expired_key_prefix", str, "AKIDEXPIRED")
    if not expired_key_prefix:
        raise _Invalid("expired_key_prefix: must not be empty")

    regions = _regions(top.get("regions", list, _REQUIRED))
    profiles = _profiles(top.get("profiles", dict, {}))
    models = _models(top.get("models", list, []), regions, profiles)
    top.finish()
    return Scenario(
        name=name,
        description=description,
        account_id=account_id,
        expired_key_prefix=expired_key_prefix,
        regions=regions,
        profiles=profiles,
        models=models,
    )


def _faults(table: _Table) -> FaultRates:
    return FaultRates(**{name: table.number(f"{name}_rate", 0.0, 0.0, 1.0) for name in FAULT_NAMES})


def _regions(items: list[Any]) -> tuple[Region, ...]:
    if not items:
        raise _Invalid("regions: at least one region is needed")
    regions: dict[str, Region] = {}
    for index, item in enumerate(items):
        table = _Table(item, f"regions[{index}]")
        name = table.get("name", str, _REQUIRED)
        if name not in AWS_REGIONS:
            raise _Invalid(f"{table.where('name')}: unknown AWS region {name!r}")
        if name in regions:
            raise _Invalid(f"{table.where('name')}: region {name!r} is listed twice")
        geography = table.get("geography", str, None)
        if geography and not _GEOGRAPHY.fullmatch(geography):
            raise _Invalid(
                f"{table.where('geography')}: expected lowercase letters, got {geography!r}"
            )
        regions[name] = Region(
            name=name,
            bedrock=table.get("bedrock", bool, True),
            enabled=table.get("enabled", bool, True),
            geography=geography,
            faults=_faults(table),
        )
        table.finish()
    return tuple(regions.values())


def _profiles(data: dict[str, Any]) -> dict[str, BehaviourProfile]:
    profiles = {DEFAULT_PROFILE: BehaviourProfile(DEFAULT_PROFILE)}
    for name, item in data.items():
        table = _Table(item, f"profiles.{name}")
        flaws = table.choices("flaws", tuple(Flaw), ())
        defaults = Latency()
        profiles[name] = BehaviourProfile(
            name=name,
            flaws=frozenset(Flaw(flaw) for flaw in flaws),
            latency=Latency(
                first_token_ms=table.number("first_token_ms", defaults.first_token_ms, 0.0),
                per_token_ms=table.number("per_token_ms", defaults.per_token_ms, 0.0),
                jitter=table.number("jitter", defaults.jitter, 0.0, 1.0),
            ),
            faults=_faults(table),
            timeout_style=table.choice("timeout_style", TIMEOUT_STYLES, "exception"),
            hang_ms=table.number("hang_ms", 120_000.0, 0.0),
            stream_error_type=table.choice(
                "stream_error_type", STREAM_ERROR_TYPES, "modelStreamErrorException"
            ),
        )
        table.finish()
    return profiles


def _models(
    items: list[Any], regions: tuple[Region, ...], profiles: Mapping[str, BehaviourProfile]
) -> tuple[Model, ...]:
    models: dict[str, Model] = {}
    for index, item in enumerate(items):
        table = _Table(item, f"models[{index}]")
        model_id = table.get("id", str, _REQUIRED)
        if not _MODEL_ID.fullmatch(model_id):
            raise _Invalid(f"{table.where('id')}: not a Bedrock model id: {model_id!r}")
        if model_id in models:
            raise _Invalid(f"{table.where('id')}: model {model_id!r} is listed twice")
        profile = table.get("profile", str, DEFAULT_PROFILE)
        if profile not in profiles:
            raise _Invalid(
                f"{table.where('profile')}: unknown profile {profile!r} "
                f"(defined: {', '.join(sorted(profiles))})"
            )
        geographies = table.strings("inference_profiles")
        for geography in geographies:
            if not _GEOGRAPHY.fullmatch(geography):
                raise _Invalid(
                    f"{table.where('inference_profiles')}: expected lowercase geography "
                    f"prefixes such as 'us' or 'global', got {geography!r}"
                )
        models[model_id] = Model(
            id=model_id,
            name=table.get("name", str, model_id),
            provider=table.get("provider", str, _REQUIRED),
            input_modalities=table.choices("input", MODALITIES, ("TEXT",)),
            output_modalities=table.choices("output", MODALITIES, ("TEXT",)),
            streaming=table.get("streaming", bool, True),
            lifecycle=table.choice("lifecycle", LIFECYCLES, "ACTIVE"),
            end_of_life=table.get("end_of_life", bool, False),
            customizations=table.choices("customizations", CUSTOMIZATIONS, ()),
            inference_profiles=geographies,
            regions=_model_regions(table, regions, profiles, profile),
        )
        table.finish()
    return tuple(models.values())


def _model_regions(
    table: _Table,
    regions: tuple[Region, ...],
    profiles: Mapping[str, BehaviourProfile],
    profile: str,
) -> dict[str, ModelRegion]:
    """Where the model is offered, from its availability lists ("*" = every other region)."""
    known = [region.name for region in regions]
    lists = {kind: table.strings(kind.value) for kind in Availability}
    for kind, names in lists.items():
        for name in names:
            if name != WILDCARD and name not in known:
                raise _Invalid(f"{table.where(kind.value)}: unknown region {name!r}")
    wildcards = [kind for kind, names in lists.items() if WILDCARD in names]
    if len(wildcards) > 1:
        raise _Invalid(f"{table.where(wildcards[1].value)}: only one list may hold '*'")
    availability: dict[str, Availability] = {}
    for kind, names in lists.items():
        for name in names:
            if name == WILDCARD:
                continue
            if name in availability:
                raise _Invalid(
                    f"{table.where(kind.value)}: region {name!r} is also in "
                    f"{availability[name].value}"
                )
            availability[name] = kind
    if wildcards:
        for region in regions:
            if region.bedrock and region.name not in availability:
                availability[region.name] = wildcards[0]

    denied = _offered_subset(table, "access_denied", availability)
    quota = _offered_subset(table, "quota_exceeded", availability)
    overrides = table.get("region_profiles", dict, {})
    for name, override in overrides.items():
        where = f"{table.where('region_profiles')}.{name}"
        if name not in availability:
            raise _Invalid(f"{where}: the model is not offered in {name!r}")
        if not isinstance(override, str) or override not in profiles:
            raise _Invalid(f"{where}: unknown profile {override!r}")
    return {
        name: ModelRegion(
            availability=kind,
            access_denied=name in denied,
            quota_exceeded=name in quota,
            profile=overrides.get(name, profile),
        )
        for name, kind in availability.items()
    }


def _offered_subset(table: _Table, key: str, offered: Mapping[str, Availability]) -> set[str]:
    names = table.strings(key)
    for name in names:
        if name not in offered:
            raise _Invalid(f"{table.where(key)}: the model is not offered in {name!r}")
    return set(names)
