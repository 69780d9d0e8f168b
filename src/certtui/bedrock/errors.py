"""Classify whatever a Bedrock call raised into an error category of SPEC §3.3 and §3.4."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from botocore import exceptions as boto_exc

# The plain data lives in `results` (no botocore), so the suite checks can read it.
from certtui.bedrock.results import (
    ClassifiedError,
    MalformedModelOutput,
    MalformedResponse,
    normalize_code,
)
from certtui.domain.errors import ErrorCategory
from certtui.domain.regions import OPT_IN_REGIONS

__all__ = [
    "BedrockError",
    "ClassifiedError",
    "MalformedModelOutput",
    "MalformedResponse",
    "classify",
    "classify_code",
    "is_invalid_model_identifier",
    "is_on_demand_unsupported",
    "normalize_code",
]

ON_DEMAND_UNSUPPORTED_CODE = "ValidationException"

_AUTHENTICATION_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidSignatureException",
        "IncompleteSignature",
        "IncompleteSignatureException",
        "InvalidClientTokenId",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "SignatureDoesNotMatch",
        # Bedrock's troubleshooting page lists both (HTTP 400):
        # https://docs.aws.amazon.com/bedrock/latest/userguide/troubleshooting-api-error-codes.html
        "RequestExpired",
        "NotAuthorized",
    }
)

# Codes whose meaning does not depend on the message: classified when no rule below matched.
_CATEGORY_BY_CODE: dict[str, ErrorCategory] = {
    **dict.fromkeys(_AUTHENTICATION_CODES, ErrorCategory.AUTHENTICATION_ERROR),
    "ThrottlingException": ErrorCategory.RATE_LIMIT,
    "TooManyRequestsException": ErrorCategory.RATE_LIMIT,
    "ServiceQuotaExceededException": ErrorCategory.QUOTA_EXCEEDED,
    "ModelTimeoutException": ErrorCategory.TIMEOUT,
    "ModelErrorException": ErrorCategory.MODEL_ERROR,
    "ModelStreamErrorException": ErrorCategory.MODEL_ERROR,
    "ModelNotReadyException": ErrorCategory.MODEL_ERROR,
    "InternalServerException": ErrorCategory.UNKNOWN_ERROR,
    "ServiceUnavailableException": ErrorCategory.UNKNOWN_ERROR,
    # The Anthropic use-case form (HTTP 404) and a Marketplace subscription still being set
    # up (HTTP 403), both on the troubleshooting page above.
    "FTUFormNotFilled": ErrorCategory.PERMISSION_ERROR,
    "MPAgreementBeingCreated": ErrorCategory.PERMISSION_ERROR,
    "AccessDeniedException": ErrorCategory.PERMISSION_ERROR,
    "ResourceNotFoundException": ErrorCategory.UNAVAILABLE,
    "ValidationException": ErrorCategory.CONFIGURATION_ERROR,
}

_RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ModelNotReadyException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelTimeoutException",
        # A stream cut off mid-answer ("Retry your request", says AWS) is transient.
        "ModelStreamErrorException",
    }
)

CLOCK_SKEW_HINT = (
    "The request's timestamp was rejected: correct this machine's clock (NTP) and retry; "
    "AWS refuses requests signed more than 5 minutes away from its time."
)
USE_CASE_FORM_HINT = (
    "Anthropic models need the one-time use-case form (Bedrock console → Model catalog → an "
    "Anthropic model → submit use case details) for the account or its organization; allow "
    "about 15 minutes after submitting."
)
MARKETPLACE_HINT = (
    "Third-party models are enabled by an AWS Marketplace subscription made on first use: allow "
    "aws-marketplace:ViewSubscriptions and aws-marketplace:Subscribe for the caller (and no SCP "
    "deny), then retry in a few minutes."
)
AGREEMENT_PENDING_HINT = (
    "The AWS Marketplace subscription for this model is still being set up: retry in a few minutes."
)
LATE_ACCESS_DENIED_HINT = (
    "There is no 'Model access' page any more: serverless models are enabled on first use, "
    "Anthropic needs the one-time use-case form, third-party models need the Marketplace "
    "subscription (calls may succeed for minutes before the subscription check denies them); "
    "also check IAM allows bedrock:InvokeModel* on the model and profile ARNs."
)
LEGACY_HINT = (
    "Lifecycle LEGACY: the provider retired this version for accounts that have not used it "
    "recently; move to an active model."
)
END_OF_LIFE_HINT = "Lifecycle END_OF_LIFE: this model version is gone; move to an active model."


@dataclass(frozen=True)
class _Rule:
    """A message rule: when the code is one of `codes` and the message matches `pattern`."""

    codes: frozenset[str]
    pattern: re.Pattern[str]
    category: ErrorCategory
    retryable: bool | None = None  # None: as the code says
    hint: str | None = None


def _rule(
    codes: str,
    pattern: str,
    category: ErrorCategory,
    *,
    retryable: bool | None = None,
    hint: str | None = None,
) -> _Rule:
    # Real messages vary in apostrophes (' ’), casing and punctuation: patterns use ['’]? and
    # are matched case-insensitively against the message with runs of whitespace folded.
    return _Rule(
        frozenset(codes.split()),
        re.compile(pattern, re.IGNORECASE | re.DOTALL),
        category,
        retryable,
        hint,
    )


# First match wins. Every rule cites where its message was seen from the real service.
_RULES: tuple[_Rule, ...] = (
    # "ThrottlingException … Too many tokens per day, please wait before trying again."
    # https://github.com/minorun365/agent-book/issues/29 — a daily quota: retrying for
    # minutes cannot help.
    _rule(
        "ThrottlingException",
        r"too many tokens per day",
        ErrorCategory.QUOTA_EXCEEDED,
        retryable=False,
        hint="A daily token quota is spent: wait until it resets or request an increase in "
        "Service Quotas ('tokens per day').",
    ),
    # ServiceUnavailableException "Too many connections, please wait before trying again."
    # https://github.com/anthropics/claude-code/issues/562,
    # https://github.com/langchain-ai/langchain-aws/pull/968; in-stream and up front
    # "Bedrock is unable to process your request." https://github.com/darko-mesaros/bedrust/issues/47,
    # https://github.com/aws-samples/foundation-model-benchmarking-tool/issues/247 —
    # capacity shedding, handled like a throttle (retried, and it halves the adaptive limit).
    _rule(
        "ServiceUnavailableException",
        r"too many connections|unable to process your request",
        ErrorCategory.RATE_LIMIT,
        retryable=True,
    ),
    # "Signature expired: 20250130T203827Z is now earlier than …" (InvalidSignatureException)
    # https://github.com/anthropics/anthropic-sdk-go/issues/122; RequestExpired on
    # https://docs.aws.amazon.com/bedrock/latest/userguide/troubleshooting-api-error-codes.html
    _rule(
        "RequestExpired InvalidSignatureException SignatureDoesNotMatch",
        r"signature expired|expired timestamp|request has expired|is now earlier than|"
        r"is now later than",
        ErrorCategory.AUTHENTICATION_ERROR,
        hint=CLOCK_SKEW_HINT,
    ),
    _rule("RequestExpired", r"", ErrorCategory.AUTHENTICATION_ERROR, hint=CLOCK_SKEW_HINT),
    # FTUFormNotFilled: "Model use case details have not been submitted for this account. Fill
    # out the Anthropic use case details form before using the model. …"
    # https://github.com/obot-platform/obot/issues/6747 (and the troubleshooting page);
    # "You have not filled out the required use-case form for this model."
    # https://github.com/truefoundry/models/pull/934
    _rule(
        "FTUFormNotFilled ResourceNotFoundException ValidationException AccessDeniedException",
        r"use case details have not been submitted|use[- ]case (?:details )?form",
        ErrorCategory.PERMISSION_ERROR,
        retryable=False,
        hint=USE_CASE_FORM_HINT,
    ),
    _rule(
        "MPAgreementBeingCreated",
        r"",
        ErrorCategory.PERMISSION_ERROR,
        retryable=False,
        hint=AGREEMENT_PENDING_HINT,
    ),
    # "Model access is denied due to IAM user or service role is not authorized to perform the
    # required AWS Marketplace actions (aws-marketplace:ViewSubscriptions,
    # aws-marketplace:Subscribe) … Your AWS Marketplace subscription for this model cannot be
    # completed at this time."
    # https://github.com/ministryofjustice/modernisation-platform-environments/pull/18323,
    # https://github.com/aws-samples/sample-host-openclaw-on-amazon-bedrock-agentcore/issues/41
    _rule(
        "AccessDeniedException",
        r"marketplace",
        ErrorCategory.PERMISSION_ERROR,
        hint=MARKETPLACE_HINT,
    ),
    # ResourceNotFoundException "Access denied. This Model is marked by provider as Legacy and
    # you have not been actively using the model in the last 30 days. Please upgrade to an
    # active model on Amazon Bedrock" — not an AccessDeniedException, whatever it says first:
    # https://github.com/awslabs/llmeter/issues/35,
    # https://github.com/aws-samples/amazon-bedrock-workshop/issues/386
    _rule("", r"marked by provider as legacy", ErrorCategory.UNAVAILABLE, hint=LEGACY_HINT),
    # ResourceNotFoundException "This model version has reached the end of its life. Please
    # refer to the AWS documentation for more details."
    # https://github.com/griptape-ai/griptape-nodes-engine/issues/4498,
    # https://github.com/aws-samples/amazon-bedrock-ai-karaoke/issues/21
    _rule(
        "",
        r"reached the end of (?:its )?life|end[- ]of[- ]life",
        ErrorCategory.UNAVAILABLE,
        hint=END_OF_LIFE_HINT,
    ),
    # "Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand
    # throughput isn’t supported. Retry your request with the ID or ARN of an inference profile
    # that contains this model." https://github.com/terricain/aioboto3/issues/352;
    # "The provided model doesn't support on-demand throughput." (also for context-length
    # variants such as amazon.nova-2-lite-v1:0:256k)
    # https://github.com/konveyor/kai/issues/411, https://github.com/mlcommons/modelbench/issues/1654
    _rule(
        ON_DEMAND_UNSUPPORTED_CODE,
        r"on[- ]?demand throughput is(?:n['’]?t| not) supported"
        r"|(?:does ?n['’]?t|does not) support on[- ]?demand throughput"
        r"|on[- ]?demand.*inference profile",
        ErrorCategory.PROVISIONING_REQUIRED,
    ),
    # A model that refuses an inference parameter the request set: "The model returned the
    # following errors: temperature is deprecated for this model."
    # https://github.com/DayuanJiang/next-ai-draw-io/issues/861,
    # https://github.com/promptfoo/promptfoo/issues/10307 ("`temperature` is deprecated …");
    # "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
    # https://github.com/aws-samples/bedrock-access-gateway/issues/191
    _rule(
        "ValidationException",
        r"\b(?:temperature|top_?p|top_?k|stop_?sequences|max_?tokens)\b`?\s+"
        r"(?:is deprecated|is not supported|isn['’]?t supported|and `?\w+`? cannot both)",
        ErrorCategory.CONFIGURATION_ERROR,
    ),
    # Other messages that say "not offered here" in so many words.
    _rule(
        "",
        r"no longer (?:supported|available)|not offered"
        r"|(?:is not|isn['’]?t) (?:available|supported) in (?:this|the) region",
        ErrorCategory.UNAVAILABLE,
    ),
)

_PARAMETER = re.compile(r"\b(temperature|top_?p|top_?k|stop_?sequences|max_?tokens)\b", re.I)
INVALID_MODEL_IDENTIFIER = re.compile(r"provided model identifier is invalid", re.IGNORECASE)


class BedrockError(Exception):
    """A failed Bedrock call with its classification; the original exception is its cause."""

    def __init__(
        self,
        classified: ClassifiedError,
        *,
        operation: str,
        region: str,
        model_id: str | None = None,
        simulated: bool = False,
    ) -> None:
        self.classified = classified
        self.simulated = simulated
        """True when the error response came from certtui's stand-in."""
        self.operation = operation
        self.region = region
        self.model_id = model_id
        target = f"{model_id} in {region}" if model_id else region
        super().__init__(
            f"{operation} {target}: {classified.category} {classified.code}: {classified.message}"
        )


def classify(
    exc: BaseException,
    *,
    region: str | None = None,
    opt_in_not_enabled: bool = False,
) -> ClassifiedError:
    """Map an exception raised by a Bedrock call to its error category (SPEC §3.3).

    `region` lets an authentication error in an opt-in region say that the region may not be
    enabled; `opt_in_not_enabled` says the caller knows it is not.
    """
    if isinstance(exc, BedrockError):
        return exc.classified
    if isinstance(exc, boto_exc.ClientError):
        classified = _classify_client_error(exc)
        if classified.category is ErrorCategory.AUTHENTICATION_ERROR and region:
            classified = _explain_opt_in(classified, region, opt_in_not_enabled)
        return classified
    return _classify_local(exc)


def is_on_demand_unsupported(err: BaseException | ClassifiedError) -> bool:
    """True for the ValidationException saying the model needs an inference profile here."""
    classified = err if isinstance(err, ClassifiedError) else classify(err)
    return (
        classified.code == ON_DEMAND_UNSUPPORTED_CODE
        and classified.category is ErrorCategory.PROVISIONING_REQUIRED
    )


def _classify_client_error(exc: boto_exc.ClientError) -> ClassifiedError:
    error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
    code = normalize_code(str(error.get("Code") or ""))
    message = str(error.get("Message") or "") or str(exc)
    return classify_code(code, message)


def classify_code(code: str, message: str) -> ClassifiedError:
    """Classify a Bedrock error by its (normalised) code and raw message."""
    folded = " ".join(message.split())
    for rule in _RULES:
        if rule.codes and code not in rule.codes:
            continue
        if rule.pattern.pattern and not rule.pattern.search(folded):
            continue
        retryable = code in _RETRYABLE_CODES if rule.retryable is None else rule.retryable
        parameter = None
        if rule.category is ErrorCategory.CONFIGURATION_ERROR:
            found = _PARAMETER.search(folded)
            parameter = found.group(1) if found else None
        return ClassifiedError(rule.category, code, message, retryable, rule.hint, parameter)
    retryable = code in _RETRYABLE_CODES
    category = _CATEGORY_BY_CODE.get(code)
    hint = None
    if category is ErrorCategory.PERMISSION_ERROR and code == "AccessDeniedException":
        hint = LATE_ACCESS_DENIED_HINT
    if category is None and code.isdigit():
        # No error type on the wire (a proxy or load balancer answered): go by the status.
        category, retryable = _classify_status(int(code))
    return ClassifiedError(category or ErrorCategory.UNKNOWN_ERROR, code, message, retryable, hint)


def is_invalid_model_identifier(err: ClassifiedError) -> bool:
    """True for "The provided model identifier is invalid." (a ValidationException)."""
    return err.code == "ValidationException" and bool(INVALID_MODEL_IDENTIFIER.search(err.message))


def _classify_status(status: int) -> tuple[ErrorCategory, bool]:
    if status == 429:
        return ErrorCategory.RATE_LIMIT, True
    return ErrorCategory.UNKNOWN_ERROR, status in (500, 502, 503, 504)


def _explain_opt_in(
    classified: ClassifiedError, region: str, opt_in_not_enabled: bool
) -> ClassifiedError:
    if opt_in_not_enabled:
        note = f"region {region} is not enabled for this account; enable it first"
    elif region in OPT_IN_REGIONS:
        note = f"{region} is an opt-in region and may not be enabled for this account"
    else:
        return classified
    return replace(classified, message=f"{note} ({classified.message})")


_CREDENTIAL_ERRORS: tuple[type[Exception], ...] = (
    boto_exc.NoCredentialsError,
    boto_exc.PartialCredentialsError,
    boto_exc.CredentialRetrievalError,
    boto_exc.ProfileNotFound,
    boto_exc.TokenRetrievalError,
    boto_exc.NoAuthTokenError,
    boto_exc.SSOError,
)

_BOTO_NETWORK_ERRORS: tuple[type[Exception], ...] = (
    boto_exc.ConnectionError,  # EndpointConnectionError, proxy and TLS failures
    boto_exc.HTTPClientError,  # ConnectionClosedError, ResponseStreamingError
    boto_exc.IncompleteReadError,
)


def _classify_local(exc: BaseException) -> ClassifiedError:
    code = type(exc).__name__
    message = str(exc) or code

    def result(category: ErrorCategory, retryable: bool) -> ClassifiedError:
        return ClassifiedError(category, code, message, retryable)

    if isinstance(exc, MalformedModelOutput):
        return result(ErrorCategory.MODEL_ERROR, False)
    if isinstance(exc, MalformedResponse):
        return result(ErrorCategory.UNKNOWN_ERROR, False)
    # Timeouts first: botocore's ConnectTimeoutError is also an EndpointConnectionError, and
    # aiohttp's ServerTimeoutError is also a connection error. (asyncio.TimeoutError is the
    # builtin TimeoutError since Python 3.11.)
    if isinstance(exc, (boto_exc.ReadTimeoutError, boto_exc.ConnectTimeoutError, TimeoutError)):
        return result(ErrorCategory.TIMEOUT, True)
    if isinstance(exc, (*_BOTO_NETWORK_ERRORS, ConnectionError)) or _is_aiohttp_network_error(exc):
        return result(ErrorCategory.NETWORK_ERROR, True)
    if isinstance(exc, _CREDENTIAL_ERRORS):
        return result(ErrorCategory.AUTHENTICATION_ERROR, False)
    if isinstance(exc, boto_exc.ParamValidationError):
        return result(ErrorCategory.CONFIGURATION_ERROR, False)
    return result(ErrorCategory.UNKNOWN_ERROR, False)


def _is_aiohttp_network_error(exc: BaseException) -> bool:
    # aiobotocore lets aiohttp's own errors through while an event stream is being read.
    import aiohttp

    return isinstance(exc, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError))
