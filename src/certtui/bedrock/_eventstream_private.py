"""The one place certtui reaches into aiobotocore's event stream (STYLE 13).

botocore parses an in-stream exception whose `:exception-type` its service model does not list
(Bedrock sends `modelTimeoutException`, for instance) into an error with an empty code and
message: the type and the `{"message": …}` payload are dropped. `keep_exception_type` wraps one
stream's private `_parse_event` so such an error keeps them; tests/bedrock fail loudly if the
member disappears on an upgrade.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import EventStreamError


def keep_exception_type(stream: Any) -> None:
    """Make `stream` (an AioEventStream) raise unmodelled in-stream errors with their type."""
    parse = stream._parse_event

    async def parse_keeping_type(event: Any) -> Any:
        try:
            return await parse(event)
        except EventStreamError as exc:
            error = exc.response.setdefault("Error", {})
            headers = getattr(event, "headers", {}) or {}
            exception_type = headers.get(":exception-type")
            if not error.get("Code") and exception_type:
                error["Code"] = str(exception_type)
                error["Message"] = error.get("Message") or _message(getattr(event, "payload", b""))
            raise

    stream._parse_event = parse_keeping_type


def _message(payload: bytes) -> str:
    try:
        body = json.loads(payload or b"{}")
    except (ValueError, UnicodeDecodeError):
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("Message") or "")
    return ""
