"""Who calls from which region, which model a runtime call reaches, and whether it may."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from certtui.standin import errors
from certtui.standin.catalog import InferenceProfile, bare_identifier, inference_profiles
from certtui.standin.errors import ApiError, Unreachable
from certtui.standin.scenario import (
    Availability,
    BehaviourProfile,
    Flaw,
    Model,
    ModelRegion,
    Region,
    Scenario,
)

# Credential=AKID/20260101/us-east-1/bedrock/aws4_request in a SigV4 Authorization header.
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/[^/,\s]+/aws4_request")


@dataclass(frozen=True)
class Caller:
    """The access key and region of a signed request."""

    access_key: str
    region: str


@dataclass(frozen=True)
class Target:
    """The simulated model a runtime call reaches, and how it behaves in that region."""

    model: Model
    region: Region
    standing: ModelRegion
    behaviour: BehaviourProfile
    invoked_id: str
    inference_profile: InferenceProfile | None = None


# bedrock-runtime.us-east-1.amazonaws.com, bedrock.eu-west-1.amazonaws.com, vpce… variants.
_HOST_REGION = re.compile(r"(?:^|\.)((?:[a-z]{2}(?:-gov|-iso[a-z]?)?)-[a-z]+-\d+)\.")
BEARER_KEY = "bedrock-api-key"
"""The access key a caller authenticated with a Bedrock API key is known by."""


def caller_from(headers: Mapping[str, str], *, default_region: str = "us-east-1") -> Caller:
    """Read the caller's region from the SigV4 credential scope, or from the Host of a call made
    with a Bedrock API key (`Authorization: Bearer …`, which names no region).

    A Bearer call to a bare address (an endpoint URL such as http://127.0.0.1:PORT) cannot
    say its region: it is served as `default_region`.
    """
    authorization = headers.get("Authorization")
    if not authorization:
        raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer":
        if not token.strip():
            raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token")
        found = _HOST_REGION.search(headers.get("Host", "").split(":", 1)[0] + ".")
        return Caller(access_key=BEARER_KEY, region=found.group(1) if found else default_region)
    match = _CREDENTIAL.search(authorization)
    if match is None:
        raise ApiError(
            "IncompleteSignature",
            "The request signature does not conform to AWS standards. (The stand-in reads the "
            "region from the SigV4 credential scope, Credential=<key>/<date>/<region>/bedrock/"
            "aws4_request, or takes a Bedrock API key as Authorization: Bearer.)",
        )
    return Caller(access_key=match.group(1), region=match.group(2))


def admit(scenario: Scenario, caller: Caller) -> Region:
    """The caller's region, once the region is reachable and the credentials are accepted there."""
    region = scenario.region(caller.region)
    if region is None or not region.bedrock:
        # Real clients cannot even connect to Bedrock in such a region.
        raise Unreachable(caller.region)
    if caller.access_key.startswith(scenario.expired_key_prefix):
        raise ApiError("ExpiredTokenException", errors.EXPIRED_TOKEN)
    if not region.enabled:
        # An opt-in region the account has not enabled rejects its credentials outright.
        raise ApiError("UnrecognizedClientException", errors.REGION_NOT_ENABLED)
    return region


def resolve(scenario: Scenario, region: Region, identifier: str) -> Target:
    """The model behind a bare model id, a profile id or an ARN, as callable in this region."""
    wanted = bare_identifier(identifier)
    profile = next((p for p in inference_profiles(scenario, region) if p.id == wanted), None)
    model = profile.model if profile else scenario.model(wanted)
    standing = model.regions.get(region.name) if model else None
    if model is None or standing is None:
        raise ApiError("ValidationException", errors.INVALID_MODEL)
    if model.end_of_life:
        raise ApiError("ResourceNotFoundException", errors.END_OF_LIFE)
    if standing.access_denied:
        raise ApiError("AccessDeniedException", errors.NO_ACCESS)
    if profile is not None and profile.geography in model.denied_profiles:
        raise ApiError(
            "AccessDeniedException",
            errors.denied_by_scp(scenario.account_id, region.name, profile.id),
        )
    if profile is None and standing.availability is not Availability.ON_DEMAND:
        raise ApiError("ValidationException", errors.on_demand_unsupported(model.id))
    return Target(
        model=model,
        region=region,
        standing=standing,
        behaviour=scenario.profiles[standing.profile],
        invoked_id=wanted,
        inference_profile=profile,
    )


def validate(target: Target, body: Any, *, streaming: bool) -> None:
    """Reject what Bedrock would reject for this model before any inference starts."""
    model, flaws = target.model, target.behaviour.flaws
    if not model.is_chat:
        raise ApiError("ValidationException", errors.NOT_CHAT)
    if streaming and not model.streaming:
        raise ApiError("ValidationException", errors.NO_STREAMING)
    _validate_shape(body)
    if target.standing.quota_exceeded:
        raise ApiError("ServiceQuotaExceededException", errors.QUOTA)
    if Flaw.REJECTS_REQUESTS in flaws:
        raise ApiError("ValidationException", errors.MALFORMED)
    if body.get("system") and Flaw.NO_SYSTEM_PROMPT in flaws:
        raise ApiError("ValidationException", errors.NO_SYSTEM)
    if body.get("toolConfig") and Flaw.NO_TOOL_USE in flaws:
        raise ApiError("ValidationException", errors.NO_TOOLS)
    has_image = any(
        "image" in block for message in body["messages"] for block in message["content"]
    )
    if has_image and "IMAGE" not in model.input_modalities:
        raise ApiError("ValidationException", errors.NO_IMAGES)


def _validate_shape(body: Any) -> None:
    """The conversation rules the Converse API itself enforces, with its wording."""
    if not isinstance(body, dict):
        raise ApiError(
            "ValidationException", "Malformed input request: the body is not a JSON object."
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(
            "ValidationException",
            "A conversation must start with a user message. "
            "Try again with a conversation that starts with a user message.",
        )
    previous = None
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if role not in ("user", "assistant") or not isinstance(content, list) or not content:
            raise ApiError(
                "ValidationException",
                f"The message at messages.{index} needs a role (user or assistant) and content.",
            )
        if index == 0 and role != "user":
            raise ApiError(
                "ValidationException",
                "A conversation must start with a user message. "
                "Try again with a conversation that starts with a user message.",
            )
        if role == previous:
            raise ApiError(
                "ValidationException",
                "A conversation must alternate between user and assistant roles. Make sure the "
                "conversation alternates between user and assistant roles and try again.",
            )
        previous = role
        for position, block in enumerate(content):
            if not isinstance(block, dict) or len(block) != 1:
                raise ApiError(
                    "ValidationException",
                    f"The ContentBlock object at messages.{index}.content.{position} must set "
                    "exactly one member.",
                )
            if "text" in block and not str(block["text"]).strip():
                raise ApiError(
                    "ValidationException",
                    f"The text field in the ContentBlock object at messages.{index}.content."
                    f"{position} is blank. Add text to the text field, and try again.",
                )
    max_tokens = (body.get("inferenceConfig") or {}).get("maxTokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise ApiError(
            "ValidationException", "The maximum tokens you requested must be at least 1."
        )
