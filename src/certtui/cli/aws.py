"""What commands that call Bedrock check once, before they ask any region."""

from __future__ import annotations

from certtui.config import Settings
from certtui.errors import CannotRunError, UsageError

CREDENTIALS_HELP = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with --profile or "
    "AWS_PROFILE, or sign in (aws sso login)"
)


async def check_aws_access(settings: Settings) -> None:
    """The profile exists and the credentials resolve, once: UsageError (or CannotRunError) if not.

    Without this, every region fails on its own with the same cause.
    """
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    from certtui.bedrock.clients import BedrockClients
    from certtui.engine.access import bedrock_settings

    try:
        async with BedrockClients(bedrock_settings(settings)) as clients:
            found = await clients.credentials()
    except ProfileNotFound as exc:
        profile = exc.kwargs.get("profile")
        raise UsageError(
            f"AWS profile {profile!r} does not exist: fix --profile / AWS_PROFILE or add it to "
            "the AWS config"
        ) from None
    except BotoCoreError as exc:
        raise CannotRunError(f"cannot load AWS credentials: {exc}") from None
    if found is None:
        raise UsageError(f"no AWS credentials found: {CREDENTIALS_HELP}")
