"""Bedrock errors as the wire carries them: HTTP status, `x-amzn-ErrorType`, `{"message"}`."""

from __future__ import annotations

# HTTP status of each error code, as botocore's service models (and the real service) define them.
ERROR_STATUS: dict[str, int] = {
    "AccessDeniedException": 403,
    "ExpiredTokenException": 403,
    "IncompleteSignatureException": 403,
    "InternalServerException": 500,
    "MissingAuthenticationTokenException": 403,
    "ModelErrorException": 424,
    "ModelNotReadyException": 429,
    "ModelTimeoutException": 408,
    "ResourceNotFoundException": 404,
    "ServiceQuotaExceededException": 400,
    "ServiceUnavailableException": 503,
    "ThrottlingException": 429,
    "UnknownOperationException": 404,
    "UnrecognizedClientException": 403,
    "ValidationException": 400,
}

# Messages worded like the real service's, so that clients matching on them behave as in AWS.
END_OF_LIFE = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)
INVALID_MODEL = "The provided model identifier is invalid."
NO_ACCESS = "You don't have access to the model with the specified model ID."


def denied_by_scp(account_id: str, region: str, profile_id: str) -> str:
    """The AccessDenied message of an inference profile that an SCP denies."""
    return (
        f"User: arn:aws:sts::{account_id}:assumed-role/certtui/operator is not authorized to "
        f"perform: bedrock:InvokeModel on resource: arn:aws:bedrock:{region}:{account_id}:"
        f"inference-profile/{profile_id} with an explicit deny in a service control policy"
    )


NO_SYSTEM = "This model doesn't support system messages."
NO_TOOLS = "This model doesn't support tool use."
NOT_CHAT = (
    "This action doesn't support the model that you provided. "
    "Try again with a supported text or chat model."
)
NO_STREAMING = "The model is unsupported for streaming."
NO_IMAGES = (
    "This model doesn't support the image content block that you provided. "
    "Try again with a supported model."
)
MALFORMED = (
    "Malformed input request: #: required key [prompt] not found, "
    "please reformat your input and try again."
)
QUOTA = (
    "Your account has exceeded the service quota for tokens per minute for this model. "
    "Request a quota increase in Service Quotas and try again."
)
THROTTLED = "Too many requests, please wait before trying again."
NOT_READY = "Model is not ready to serve inference requests. Try again later."
INTERNAL = "The system encountered an unexpected error during processing. Try your request again."
UNAVAILABLE = "The service is temporarily unable to handle the request. Try again later."
MODEL_TIMEOUT = "Model has timed out in processing the request. Try your request again."
MODEL_ERROR = "The model returned an error while processing the request. Try your request again."
STREAM_ERROR = "The model encountered an error while streaming the response. Try again."
STREAM_ERROR_MESSAGES = {
    "modelStreamErrorException": STREAM_ERROR,
    "throttlingException": THROTTLED,
    "internalServerException": INTERNAL,
    "serviceUnavailableException": UNAVAILABLE,
    "validationException": "The model rejected the request while streaming. Check the request.",
}
REGION_NOT_ENABLED = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


def on_demand_unsupported(model_id: str) -> str:
    """The real message for a bare model id that is only served through an inference profile."""
    return (
        f"Invocation of model ID {model_id} with on-demand throughput isn’t supported. "
        "Retry your request with the ID or ARN of an inference profile that contains this model."
    )


class ApiError(Exception):
    """A Bedrock error response: its code (x-amzn-ErrorType), message and HTTP status."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        """The HTTP status that carries this code."""
        return ERROR_STATUS[self.code]


class Unreachable(Exception):
    """The call goes to a region without Bedrock: the connection is reset, nothing answered."""
