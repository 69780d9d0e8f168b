"""What the stand-in simulates: regions, models and behaviour profiles, loaded from TOML.

The file's schema is in certtui.standin.schema (pydantic), imported on the first parse.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from certtui.domain.regions import geographies, routes_to

if TYPE_CHECKING:
    from certtui.standin.schema import ModelSchema, ScenarioSchema

DEFAULT_PROFILE = "default"
WILDCARD = "*"
MODALITIES = ("TEXT", "IMAGE", "EMBEDDING", "VIDEO", "SPEECH", "AUDIO")
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
# Stop reasons a profile may force (botocore's StopReason values plus the newer failure ones).
STOP_REASONS = (
    "end_turn",
    "max_tokens",
    "malformed_model_output",
    "malformed_tool_use",
    "model_context_window_exceeded",
)
# Error codes a profile may inject on every call (their messages are in standin/errors.py).
INJECTABLE_ERRORS = (
    "ThrottlingException",
    "ServiceUnavailableException",
    "RequestExpired",
    "NotAuthorized",
    "IncompleteSignature",
    "FTUFormNotFilled",
    "MPAgreementBeingCreated",
    "AccessDeniedException",
    "ResourceNotFoundException",
    "ValidationException",
    "ModelTimeoutException",
    "ModelErrorException",
    "InternalServerException",
)


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file, line and key path."""


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
    error: str | None = None
    """An error every call ends in (a code of INJECTABLE_ERRORS), with its real message."""
    error_message: str | None = None
    """The message of `error`, when not the built-in real one."""
    error_in_stream: str | None = None
    """For streams: send `error` as an in-stream exception of this `:exception-type` (e.g.
    `modelTimeoutException`, which botocore's model does not list) after the first delta."""
    stop_reason: str | None = None
    """A stop reason every answer ends with, whatever the model wrote."""
    rejects_parameters: frozenset[str] = frozenset()
    """Inference parameters (`temperature`, `topP` …) the model refuses as deprecated."""
    error_after: int = 0
    """`error` starts only after this many answered calls per (model, region): the late
    AccessDenied of a Marketplace subscription check."""


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
    # Geographies whose profile answers AccessDenied (as under an SCP that denies it).
    denied_profiles: tuple[str, ...] = ()
    legacy_date: str | None = None
    end_of_life_date: str | None = None
    reasoning: bool = False
    """A reasoning model: it writes `reasoning_tokens` of reasoningContent before its answer,
    out of the same maxTokens (DeepSeek-R1, gpt-oss, Kimi-K2-Thinking, MiniMax)."""
    reasoning_tokens: int = 600

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
    # Where each error category shows up: category -> ("model@region", …), "*" a wildcard.
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def expected_category(self, model_id: str, region: str) -> str | None:
        """The category the map gives a unit: exact cell, then its region, then its model."""
        for cell in (f"{model_id}@{region}", f"*@{region}", f"{model_id}@*"):
            for category, cells in self.categories.items():
                if cell in cells:
                    return category
        return None

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


def geographies_of(region: Region) -> tuple[str, ...]:
    """The cross-region inference geographies (`us`, `jp`, `apac` …) a region can call."""
    if region.geography is not None:
        return (region.geography,) if region.geography else ()
    return geographies(region.name)


def geography_of(region: Region) -> str | None:
    """The region's home geography, or None."""
    found = geographies_of(region)
    return found[0] if found else None


def routed_to(region: Region, geography: str) -> bool:
    """Whether a geography's profiles route requests to this region."""
    if region.geography is not None:
        return region.geography == geography
    return routes_to(region.name, geography)


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
    """Parse and validate scenario TOML text; ScenarioError names the file, line and key."""
    from pydantic import ValidationError

    from certtui.standin.schema import ScenarioSchema
    from certtui.validation import first_problem, locate

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        if "(at line" not in reason:
            # tomllib says "at end of document" without a line; name the last line instead.
            reason += f" (line {text.count(chr(10)) + 1})"
        raise ScenarioError(f"{source}: invalid TOML: {reason}") from None
    try:
        schema = ScenarioSchema.model_validate(data)
    except ValidationError as exc:
        invalid = first_problem(exc)
        raise ScenarioError(locate(source, text, invalid.at, invalid.message)) from None
    return _scenario(schema)


def _scenario(schema: ScenarioSchema) -> Scenario:
    """The Scenario a validated file describes."""
    regions = tuple(
        Region(
            name=region.name,
            bedrock=region.bedrock,
            enabled=region.enabled,
            geography=region.geography,
            faults=_faults(region),
        )
        for region in schema.regions
    )
    profiles = {DEFAULT_PROFILE: BehaviourProfile(DEFAULT_PROFILE)}
    for name, profile in schema.profiles.items():
        profiles[name] = BehaviourProfile(
            name=name,
            flaws=frozenset(Flaw(flaw) for flaw in profile.flaws),
            latency=Latency(profile.first_token_ms, profile.per_token_ms, profile.jitter),
            faults=_faults(profile),
            timeout_style=profile.timeout_style,
            hang_ms=profile.hang_ms,
            stream_error_type=profile.stream_error_type,
            error=profile.error,
            error_message=profile.error_message,
            error_in_stream=profile.error_in_stream,
            stop_reason=profile.stop_reason,
            rejects_parameters=frozenset(profile.rejects_parameters),
            error_after=int(profile.error_after),
        )
    models = tuple(_model(model, schema) for model in schema.models)
    return Scenario(
        name=schema.name,
        description=schema.description,
        account_id=schema.account_id,
        expired_key_prefix=schema.expired_key_prefix,
        categories={name: tuple(cells) for name, cells in schema.categories.items()},
        regions=regions,
        profiles=profiles,
        models=models,
    )


def _faults(table: Any) -> FaultRates:
    return FaultRates(**{name: getattr(table, f"{name}_rate") for name in FAULT_NAMES})


def _model(model: ModelSchema, schema: ScenarioSchema) -> Model:
    offered = model.availability(schema.regions)
    return Model(
        id=model.id,
        name=model.id if model.name is None else model.name,
        provider=model.provider,
        input_modalities=tuple(model.input),
        output_modalities=tuple(model.output),
        streaming=model.streaming,
        lifecycle=model.lifecycle,
        end_of_life=model.end_of_life,
        customizations=tuple(model.customizations),
        inference_profiles=tuple(model.inference_profiles),
        denied_profiles=tuple(model.denied_profiles),
        legacy_date=model.legacy_date,
        end_of_life_date=model.end_of_life_date,
        reasoning=model.reasoning,
        reasoning_tokens=int(model.reasoning_tokens),
        regions={
            name: ModelRegion(
                availability=kind,
                access_denied=name in model.access_denied,
                quota_exceeded=name in model.quota_exceeded,
                profile=model.region_profiles.get(name, model.profile),
            )
            for name, kind in offered.items()
        },
    )
