"""Classify whatever a Bedrock call raised into an error category of SPEC §3.3 and §3.4."""

from __future__ import annotations

import re

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
    }
)

# Codes whose meaning does not depend on the message: classified before any message matching.
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
}

# Codes classified only when the message did not already say something more specific
# (Bedrock reports a legacy model as AccessDeniedException, for instance).
_FALLBACK_CATEGORY_BY_CODE: dict[str, ErrorCategory] = {
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

# Either apostrophe, or none at all, or "is not": the real message uses U+2019.
_ON_DEMAND_UNSUPPORTED = re.compile(
    r"on[- ]?demand throughput is(?:n['’]?t| not) supported"
    r"|on[- ]?demand.*inference profile",
    re.IGNORECASE | re.DOTALL,
)
_UNAVAILABLE = re.compile(
    r"end of (?:its )?life|end-of-life|\blegacy\b|no longer (?:supported|available)"
    r"|not offered|(?:is not|isn['’]?t) (?:available|supported) in (?:this|the) region",
    re.IGNORECASE,
)


class BedrockError(Exception):
    """A failed Bedrock call with its classification; the original exception is its cause."""

    def __init__(
        self,
        classified: ClassifiedError,
        *,
        operation: str,
        region: str,
        model_id: str | None = None,
    ) -> None:
        self.classified = classified
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
    retryable = code in _RETRYABLE_CODES

    category = _CATEGORY_BY_CODE.get(code)
    if (
        category is None
        and code == ON_DEMAND_UNSUPPORTED_CODE
        and _ON_DEMAND_UNSUPPORTED.search(message)
    ):
        category = ErrorCategory.PROVISIONING_REQUIRED
    if category is None and _UNAVAILABLE.search(message):
        category = ErrorCategory.UNAVAILABLE
    if category is None:
        category = _FALLBACK_CATEGORY_BY_CODE.get(code)
    if category is None and code.isdigit():
        # No error type on the wire (a proxy or load balancer answered): go by the status.
        category, retryable = _classify_status(int(code))
    return ClassifiedError(category or ErrorCategory.UNKNOWN_ERROR, code, message, retryable)


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
    return ClassifiedError(
        classified.category,
        classified.code,
        f"{note} ({classified.message})",
        classified.retryable,
    )


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
