"""Error classification of SPEC §3.3 / §3.4, case by case, on hand-built exceptions."""

from __future__ import annotations

import aiohttp
import pytest
from botocore import exceptions as boto_exc

from certtui.bedrock.errors import (
    BedrockError,
    ClassifiedError,
    MalformedModelOutput,
    MalformedResponse,
    classify,
    is_on_demand_unsupported,
    normalize_code,
)
from certtui.domain.errors import ErrorCategory
from certtui.domain.regions import OPT_IN_REGIONS

ON_DEMAND_CURLY = (
    "Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput "
    "isn’t supported. Retry your request with the ID or ARN of an inference profile that "
    "contains this model."
)
ON_DEMAND_STRAIGHT = ON_DEMAND_CURLY.replace("’", "'")


def client_error(
    code: str, message: str = "", operation: str = "Converse", status: int = 400
) -> boto_exc.ClientError:
    """A ClientError as botocore builds it from an error response."""
    return boto_exc.ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


def stream_error(code: str, message: str = "") -> boto_exc.EventStreamError:
    """An in-stream exception as aiobotocore raises it: lower-camel code, no metadata."""
    return boto_exc.EventStreamError(
        {"Error": {"Code": code, "Message": message}}, "ConverseStream"
    )


C = ErrorCategory
AUTH = C.AUTHENTICATION_ERROR
CONFIG = C.CONFIGURATION_ERROR
LOCAL = "http://127.0.0.1:1"


@pytest.mark.parametrize(
    ("code", "message", "category", "retryable"),
    [
        ("AccessDeniedException", "You don't have access to the model", C.PERMISSION_ERROR, False),
        ("UnrecognizedClientException", "The security token is invalid", AUTH, False),
        ("ExpiredTokenException", "The security token has expired", AUTH, False),
        ("InvalidSignatureException", "Signature mismatch", AUTH, False),
        ("ResourceNotFoundException", "Model not found", C.UNAVAILABLE, False),
        ("ValidationException", ON_DEMAND_CURLY, C.PROVISIONING_REQUIRED, False),
        ("ValidationException", ON_DEMAND_STRAIGHT, C.PROVISIONING_REQUIRED, False),
        ("ValidationException", "The provided model identifier is invalid.", CONFIG, False),
        ("ValidationException", "messages: Field required", C.CONFIGURATION_ERROR, False),
        ("ThrottlingException", "Too many requests, please wait", C.RATE_LIMIT, True),
        ("ServiceQuotaExceededException", "Quota exceeded", C.QUOTA_EXCEEDED, False),
        ("ModelTimeoutException", "Model timed out", C.TIMEOUT, True),
        ("ModelErrorException", "The model failed", C.MODEL_ERROR, False),
        ("ModelStreamErrorException", "stream broke", C.MODEL_ERROR, True),
        ("ModelNotReadyException", "Model is not ready", C.MODEL_ERROR, True),
        ("InternalServerException", "Internal error", C.UNKNOWN_ERROR, True),
        ("ServiceUnavailableException", "Service unavailable", C.UNKNOWN_ERROR, True),
        ("SomethingNewException", "brand new", C.UNKNOWN_ERROR, False),
    ],
)
def test_client_error_codes(
    code: str, message: str, category: ErrorCategory, retryable: bool
) -> None:
    classified = classify(client_error(code, message))
    assert (classified.category, classified.code, classified.message, classified.retryable) == (
        category,
        code,
        message,
        retryable,
    )


@pytest.mark.parametrize(
    ("code", "category", "retryable"),
    [
        ("throttlingException", C.RATE_LIMIT, True),
        ("modelStreamErrorException", C.MODEL_ERROR, True),
        ("internalServerException", C.UNKNOWN_ERROR, True),
        ("serviceUnavailableException", C.UNKNOWN_ERROR, True),
        ("validationException", C.CONFIGURATION_ERROR, False),
    ],
)
def test_in_stream_lower_camel_codes_are_normalised(
    code: str, category: ErrorCategory, retryable: bool
) -> None:
    classified = classify(stream_error(code, "went wrong"))
    assert classified.category is category
    assert classified.code == code[0].upper() + code[1:]
    assert classified.retryable is retryable


def test_in_stream_on_demand_message_is_provisioning_required() -> None:
    classified = classify(stream_error("validationException", ON_DEMAND_CURLY))
    assert classified.category is C.PROVISIONING_REQUIRED


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ResourceNotFoundException", "This model version has reached the end of its life."),
        ("ValidationException", "This model version has reached the end of its life."),
        (
            "AccessDeniedException",
            "Access denied. This Model is marked by provider as Legacy and you have not been "
            "actively using the model in the last 30 days.",
        ),
        ("ValidationException", "The model anthropic.claude-v2 is no longer supported."),
        ("ValidationException", "The model is end-of-life."),
        ("ValidationException", "Model not offered in this region."),
        ("ValidationException", "This model isn't available in this region."),
    ],
)
def test_legacy_end_of_life_and_not_offered_are_unavailable(code: str, message: str) -> None:
    classified = classify(client_error(code, message))
    assert classified.category is C.UNAVAILABLE
    assert classified.retryable is False
    assert classified.code == code
    assert classified.message == message


def test_throttling_message_mentioning_legacy_stays_rate_limit() -> None:
    classified = classify(client_error("ThrottlingException", "legacy quota pool exhausted"))
    assert classified.category is C.RATE_LIMIT


@pytest.mark.parametrize("region", sorted(OPT_IN_REGIONS))
def test_authentication_error_in_opt_in_region_says_region_may_not_be_enabled(
    region: str,
) -> None:
    err = client_error("UnrecognizedClientException", "The security token is invalid.")
    classified = classify(err, region=region)
    assert classified.category is C.AUTHENTICATION_ERROR
    assert f"{region} is an opt-in region and may not be enabled" in classified.message
    assert "The security token is invalid." in classified.message


def test_authentication_error_in_regular_region_keeps_message() -> None:
    err = client_error("UnrecognizedClientException", "The security token is invalid.")
    assert classify(err, region="us-east-1").message == "The security token is invalid."


def test_authentication_error_when_caller_knows_region_is_not_enabled() -> None:
    err = client_error("UnrecognizedClientException", "The security token is invalid.")
    classified = classify(err, region="us-east-1", opt_in_not_enabled=True)
    assert classified.message.startswith("region us-east-1 is not enabled for this account")


def test_opt_in_note_only_for_authentication_errors() -> None:
    err = client_error("AccessDeniedException", "no access")
    assert classify(err, region="af-south-1").message == "no access"


def test_opt_in_regions_are_the_aws_list() -> None:
    assert {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
        "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2",
        "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "me-west-1",
        "mx-central-1", "sa-west-1",
    } == OPT_IN_REGIONS  # fmt: skip


@pytest.mark.parametrize(
    ("exc", "category", "retryable"),
    [
        (boto_exc.ReadTimeoutError(endpoint_url=LOCAL), C.TIMEOUT, True),
        (boto_exc.ConnectTimeoutError(endpoint_url=LOCAL), C.TIMEOUT, True),
        (TimeoutError("read timed out"), C.TIMEOUT, True),
        (TimeoutError(), C.TIMEOUT, True),
        (boto_exc.EndpointConnectionError(endpoint_url=LOCAL), C.NETWORK_ERROR, True),
        (boto_exc.ConnectionClosedError(endpoint_url=LOCAL), C.NETWORK_ERROR, True),
        (boto_exc.ResponseStreamingError(error="reset"), C.NETWORK_ERROR, True),
        (ConnectionResetError(104, "Connection reset by peer"), C.NETWORK_ERROR, True),
        (aiohttp.ServerDisconnectedError(), C.NETWORK_ERROR, True),
        (aiohttp.ClientPayloadError("Response payload is not completed"), C.NETWORK_ERROR, True),
        (aiohttp.ServerTimeoutError("Timeout on reading data from socket"), C.TIMEOUT, True),
        (boto_exc.NoCredentialsError(), C.AUTHENTICATION_ERROR, False),
        (boto_exc.ProfileNotFound(profile="nope"), C.AUTHENTICATION_ERROR, False),
        (boto_exc.ParamValidationError(report="Missing messages"), C.CONFIGURATION_ERROR, False),
        (MalformedModelOutput("no content"), C.MODEL_ERROR, False),
        (MalformedResponse("no list"), C.UNKNOWN_ERROR, False),
        (RuntimeError("surprise"), C.UNKNOWN_ERROR, False),
    ],
)
def test_local_exceptions(exc: BaseException, category: ErrorCategory, retryable: bool) -> None:
    classified = classify(exc)
    assert classified.category is category
    assert classified.retryable is retryable
    assert classified.code == type(exc).__name__
    assert classified.message


def test_unknown_error_keeps_raw_code_and_message() -> None:
    classified = classify(client_error("WeirdException", "raw words", status=418))
    assert classified == ClassifiedError(C.UNKNOWN_ERROR, "WeirdException", "raw words", False)


@pytest.mark.parametrize(
    ("status", "category", "retryable"),
    [("429", C.RATE_LIMIT, True), ("503", C.UNKNOWN_ERROR, True), ("418", C.UNKNOWN_ERROR, False)],
)
def test_status_only_errors(status: str, category: ErrorCategory, retryable: bool) -> None:
    classified = classify(client_error(status, "Service Unavailable"))
    assert (classified.category, classified.retryable) == (category, retryable)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("throttlingException", "ThrottlingException"),
        ("ThrottlingException", "ThrottlingException"),
        ("com.amazon.bedrock#ValidationException", "ValidationException"),
        ("ValidationException:http://internal.amazon.com/coral/", "ValidationException"),
        ("", ""),
    ],
)
def test_normalize_code(raw: str, normal: str) -> None:
    assert normalize_code(raw) == normal


def test_never_retried_categories() -> None:
    for code in (
        "AccessDeniedException",
        "ValidationException",
        "ResourceNotFoundException",
        "ServiceQuotaExceededException",
        "UnrecognizedClientException",
        "ExpiredTokenException",
    ):
        assert classify(client_error(code, "x")).retryable is False, code


def test_bedrock_error_carries_its_classification() -> None:
    classified = classify(client_error("ThrottlingException", "slow down"), region="us-east-1")
    err = BedrockError(classified, operation="Converse", region="us-east-1", model_id="a.b")
    assert classify(err) is classified
    assert "Converse a.b in us-east-1" in str(err)
    assert "RATE_LIMIT" in str(err)


@pytest.mark.parametrize("message", [ON_DEMAND_CURLY, ON_DEMAND_STRAIGHT])
def test_is_on_demand_unsupported(message: str) -> None:
    err = client_error("ValidationException", message)
    assert is_on_demand_unsupported(err)
    assert is_on_demand_unsupported(classify(err))
    wrapped = BedrockError(classify(err), operation="Converse", region="us-east-1")
    assert is_on_demand_unsupported(wrapped)


@pytest.mark.parametrize(
    "err",
    [
        client_error("ValidationException", "The provided model identifier is invalid."),
        client_error("AccessDeniedException", "on-demand access to inference profile denied"),
        client_error("ThrottlingException", "on-demand throughput isn't supported"),
        RuntimeError("on-demand throughput isn't supported"),
    ],
)
def test_is_not_on_demand_unsupported(err: BaseException) -> None:
    assert not is_on_demand_unsupported(err)
