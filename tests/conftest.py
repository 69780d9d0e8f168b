"""Test-wide set-up: AWS traffic stays on loopback, and user directories stay in a temp dir."""

from __future__ import annotations

import os

# The SDK must never probe the instance-metadata address or reach a real AWS host.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "AKIDCERTTUITEST",
        "AWS_SECRET_ACCESS_KEY": "certtui-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
)
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "CERTTUI_DATABASE_URL"):
    os.environ.pop(_name, None)
