"""Bedrock errors as the wire carries them: HTTP status, `x-amzn-ErrorType`, `{"message"}`."""

from __future__ import annotations

# HTTP status of each error code, as botocore's service models (and the real service) define them.
ERROR_STATUS: dict[str, int] = {
    "AccessDeniedException": 403,
    "ExpiredTokenException": 403,
    # Status codes of the troubleshooting page, not botocore's models (these codes come from
    # the service front end): https://docs.aws.amazon.com/bedrock/latest/userguide/
    # troubleshooting-api-error-codes.html
    "IncompleteSignature": 400,
    "NotAuthorized": 400,
    "RequestExpired": 400,
    "FTUFormNotFilled": 404,
    "MPAgreementBeingCreated": 403,
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
# Real messages for the codes a scenario profile can inject (`error = "…"`); each is quoted from
# the report cited next to its rule in certtui/bedrock/errors.py.
INJECTED_MESSAGES: dict[str, str] = {
    "ThrottlingException": "Too many tokens per day, please wait before trying again.",
    "ServiceUnavailableException": "Too many connections, please wait before trying again.",
    "RequestExpired": "Request has expired.",
    "NotAuthorized": "You do not have permission to perform this action.",
    "IncompleteSignature": "The request signature does not conform to AWS standards.",
    "FTUFormNotFilled": (
        "Model use case details have not been submitted for this account. Fill out the "
        "Anthropic use case details form before using the model. If you have already filled "
        "out the form, try again in 15 minutes."
    ),
    "MPAgreementBeingCreated": (
        "Your account is not authorized to access this model because your AWS Marketplace "
        "subscription for the model is still being processed."
    ),
    "AccessDeniedException": (
        "Model access is denied due to IAM user or service role is not authorized to perform "
        "the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, "
        "aws-marketplace:Subscribe) to enable access to this model. Refer to the Amazon Bedrock "
        "documentation for further details. Your AWS Marketplace subscription for this model "
        "cannot be completed at this time. If you recently fixed this issue, try again after 5 "
        "minutes."
    ),
    "ResourceNotFoundException": (
        "Access denied. This Model is marked by provider as Legacy and you have not been "
        "actively using the model in the last 30 days. Please upgrade to an active model on "
        "Amazon Bedrock"
    ),
    "ValidationException": "The provided model doesn't support on-demand throughput.",
    "ModelTimeoutException": MODEL_TIMEOUT,
    "ModelErrorException": MODEL_ERROR,
    "InternalServerException": INTERNAL,
}


def rejected_parameter(parameter: str) -> str:
    """The real message of a model that refuses an inference parameter (`temperature` …)."""
    return f"The model returned the following errors: {parameter} is deprecated for this model."


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
