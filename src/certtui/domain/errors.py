"""Error categories of SPEC §3.3, each with its one-line remediation hint."""

from __future__ import annotations

from enum import StrEnum


class ErrorCategory(StrEnum):
    """Why a certification failed (the seed platform's names plus two of certtui's)."""

    PERMISSION_ERROR = "PERMISSION_ERROR"
    AUTHENTICATION_ERROR = "AUTHENTICATION_ERROR"
    UNAVAILABLE = "UNAVAILABLE"
    PROVISIONING_REQUIRED = "PROVISIONING_REQUIRED"
    CONFIGURATION_ERROR = "CONFIGURATION_ERROR"
    RATE_LIMIT = "RATE_LIMIT"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    TIMEOUT = "TIMEOUT"
    NETWORK_ERROR = "NETWORK_ERROR"
    MODEL_ERROR = "MODEL_ERROR"
    QUALITY_ISSUE = "QUALITY_ISSUE"
    UNKNOWN_ERROR = "UNKNOWN_ERROR"

    @property
    def hint(self) -> str:
        """What an operator can do about it, in one line."""
        return REMEDIATION_HINTS[self]


REMEDIATION_HINTS: dict[ErrorCategory, str] = {
    ErrorCategory.PERMISSION_ERROR: (
        "No 'Model access' page any more: Anthropic needs the one-time use-case form, "
        "third-party models an AWS Marketplace subscription (made on first use); check IAM "
        "and SCPs allow bedrock:InvokeModel* here."
    ),
    ErrorCategory.AUTHENTICATION_ERROR: (
        "Refresh the AWS credentials (or --profile, or the Bedrock API key); check the clock "
        "(RequestExpired); for an opt-in region, enable the region in the account first."
    ),
    ErrorCategory.UNAVAILABLE: (
        "The model is not offered here (or is legacy / end of life): use another region or a "
        "newer model version."
    ),
    ErrorCategory.PROVISIONING_REQUIRED: (
        "On-demand is not supported here and no inference profile exists: buy provisioned "
        "throughput or use a region with a profile."
    ),
    ErrorCategory.CONFIGURATION_ERROR: (
        "Bedrock rejected the request shape or model id: check the suite's inference settings "
        "and the model id."
    ),
    ErrorCategory.RATE_LIMIT: (
        "Throttled after every retry: lower --concurrency / --region-concurrency or ask for a "
        "higher quota."
    ),
    ErrorCategory.QUOTA_EXCEEDED: (
        "A service quota is exhausted: request an increase in Service Quotas for this region."
    ),
    ErrorCategory.TIMEOUT: (
        "The model or endpoint did not answer in time: retry later or raise the read timeout."
    ),
    ErrorCategory.NETWORK_ERROR: (
        "The Bedrock endpoint could not be reached: check the region offers Bedrock and the "
        "network / proxy / endpoint URL."
    ),
    ErrorCategory.MODEL_ERROR: (
        "The model failed while answering: retry later; report it to AWS if it persists."
    ),
    ErrorCategory.QUALITY_ISSUE: (
        "The battery ran but the model did not pass: see the failed tests in the detail view."
    ),
    ErrorCategory.UNKNOWN_ERROR: (
        "Unexpected error: read the raw code and message, and report it if it persists."
    ),
}
