"""Error classification against messages the real Bedrock sent (SPEC §3.3, issue #10).

Each message is quoted from the public report cited next to its rule in bedrock/errors.py;
variants change apostrophes, casing and punctuation the way real messages do.
"""

from __future__ import annotations

import pytest
from botocore import exceptions as boto_exc

from certtui.bedrock import errors
from certtui.bedrock.errors import classify, classify_code, is_on_demand_unsupported
from certtui.domain.errors import ErrorCategory

C = ErrorCategory


def client_error(code: str, message: str) -> boto_exc.ClientError:
    """A ClientError as botocore builds it from an error response."""
    return boto_exc.ClientError({"Error": {"Code": code, "Message": message}}, "Converse")


LEGACY = (
    "Access denied. This Model is marked by provider as Legacy and you have not been actively "
    "using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock"
)
EOL = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)
FTU = (
    "Model use case details have not been submitted for this account. Fill out the Anthropic "
    "use case details form before using the model. If you have already filled out the form, "
    "try again in 15 minutes."
)
MARKETPLACE = (
    "Model access is denied due to IAM user or service role is not authorized to perform the "
    "required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, "
    "aws-marketplace:Subscribe) to enable access to this model. Refer to the Amazon Bedrock "
    "documentation for further details. Your AWS Marketplace subscription for this model cannot "
    "be completed at this time. If you recently fixed this issue, try again after 5 minutes."
)

CASES = [
    # (code, message, category, retryable, hint)
    ("ThrottlingException", "Too many tokens per day, please wait before trying again.",
     C.QUOTA_EXCEEDED, False, True),
    ("ThrottlingException", "too many tokens per day", C.QUOTA_EXCEEDED, False, True),
    ("ThrottlingException", "Too many tokens, please wait before trying again.",
     C.RATE_LIMIT, True, False),
    ("ServiceUnavailableException", "Too many connections, please wait before trying again.",
     C.RATE_LIMIT, True, False),
    ("ServiceUnavailableException", "Bedrock is unable to process your request.",
     C.RATE_LIMIT, True, False),
    ("serviceUnavailableException", "Bedrock is unable to process your request.",
     C.RATE_LIMIT, True, False),
    ("ServiceUnavailableException", "Service unavailable", C.UNKNOWN_ERROR, True, False),
    ("RequestExpired", "Request has expired.", C.AUTHENTICATION_ERROR, False, True),
    ("NotAuthorized", "You do not have permission to perform this action.",
     C.AUTHENTICATION_ERROR, False, False),
    ("IncompleteSignature", "The request signature does not conform to AWS standards.",
     C.AUTHENTICATION_ERROR, False, False),
    ("InvalidSignatureException",
     "Signature expired: 20250130T203827Z is now earlier than 20250130T204131Z "
     "(20250130T204631Z - 5 min.)", C.AUTHENTICATION_ERROR, False, True),
    ("ResourceNotFoundException", LEGACY, C.UNAVAILABLE, False, True),
    ("ResourceNotFoundException", LEGACY.replace("Legacy", "LEGACY").replace(".", ""),
     C.UNAVAILABLE, False, True),
    ("ResourceNotFoundException", EOL, C.UNAVAILABLE, False, True),
    ("FTUFormNotFilled", "Model use case details have not been submitted for this account",
     C.PERMISSION_ERROR, False, True),
    ("ResourceNotFoundException", FTU, C.PERMISSION_ERROR, False, True),
    ("ValidationException", "The model returned the following errors: You have not filled out "
     "the required use-case form for this model.", C.PERMISSION_ERROR, False, True),
    ("MPAgreementBeingCreated", "Your AWS Marketplace subscription for the model is still being "
     "processed.", C.PERMISSION_ERROR, False, True),
    ("AccessDeniedException", MARKETPLACE, C.PERMISSION_ERROR, False, True),
    ("AccessDeniedException", "You don't have access to the model with the specified model ID.",
     C.PERMISSION_ERROR, False, True),
    ("ValidationException", "The provided model doesn't support on-demand throughput.",
     C.PROVISIONING_REQUIRED, False, False),
    ("ValidationException", "The provided model doesn’t support on-demand throughput",
     C.PROVISIONING_REQUIRED, False, False),
    ("ValidationException", "The provided model identifier is invalid.",
     C.CONFIGURATION_ERROR, False, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "message", "category", "retryable", "has_hint"),
    CASES,
    ids=[f"{c[0]}-{c[1][:30]}" for c in CASES],
)
def test_real_message(
    code: str, message: str, category: ErrorCategory, retryable: bool, has_hint: bool
) -> None:
    classified = classify(client_error(code, message))
    assert (classified.category, classified.retryable) == (category, retryable)
    # The raw code (normalised) and message are kept as they came.
    assert classified.code == code[:1].upper() + code[1:]
    assert classified.message == message
    assert (classified.hint is not None) == has_hint


def test_clock_skew_hint_names_the_clock() -> None:
    assert "clock" in (classify_code("RequestExpired", "Request has expired.").hint or "")


def test_legacy_and_end_of_life_name_the_lifecycle() -> None:
    assert "LEGACY" in (classify_code("ResourceNotFoundException", LEGACY).hint or "")
    assert "END_OF_LIFE" in (classify_code("ResourceNotFoundException", EOL).hint or "")


def test_permission_hints_match_todays_console() -> None:
    late = classify_code("AccessDeniedException", "You don't have access to the model.").hint
    assert late is not None
    assert "no 'Model access' page" in late and "Marketplace" in late and "minutes" in late
    assert "use-case form" in (classify_code("FTUFormNotFilled", FTU).hint or "")
    assert "Marketplace" in (classify_code("AccessDeniedException", MARKETPLACE).hint or "")
    # The category's own hint no longer sends operators to a page that is gone.
    assert "request model access" not in C.PERMISSION_ERROR.hint.lower()
    assert "use-case form" in C.PERMISSION_ERROR.hint


@pytest.mark.parametrize(
    ("message", "parameter"),
    [
        ("The model returned the following errors: temperature is deprecated for this model.",
         "temperature"),
        ("`temperature` is deprecated for this model.", "temperature"),
        ("The model returned the following errors: `temperature` and `top_p` cannot both be "
         "specified for this model. Please use only one.", "temperature"),
        ("TOP_P is not supported for this model", "TOP_P"),
    ],
)  # fmt: skip
def test_rejected_inference_parameter_is_named(message: str, parameter: str) -> None:
    classified = classify_code("ValidationException", message)
    assert classified.category is C.CONFIGURATION_ERROR
    assert classified.rejected_parameter == parameter


def test_other_validation_errors_name_no_parameter() -> None:
    classified = classify_code("ValidationException", "messages: Field required")
    assert classified.rejected_parameter is None


def test_on_demand_variants_are_provisioning_required() -> None:
    assert is_on_demand_unsupported(
        classify_code(
            "ValidationException", "The provided model doesn't support on-demand throughput."
        )
    )


def test_only_rate_limits_slow_the_limiter() -> None:
    assert classify_code("ServiceUnavailableException", "Too many connections").throttles
    assert classify_code("ThrottlingException", "Too many requests").throttles
    assert not classify_code("ThrottlingException", "Too many tokens per day").throttles


def test_invalid_identifier_is_recognised() -> None:
    assert errors.is_invalid_model_identifier(
        classify_code("ValidationException", "The provided model identifier is invalid.")
    )
