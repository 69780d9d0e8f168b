"""URLs shown to people: a password never reaches a message, a screen or a log."""

from __future__ import annotations

import re

MASK = "***"
_PASSWORD_PARAMETER = re.compile(r"(?i)([?&](?:password|sslpassword)=)[^&#]*")


def display_url(raw: str) -> str:
    """`raw` with its password (in the user part or a ``password=`` parameter) shown as ***.

    Works on any text, also a URL too malformed to parse: it is used in the messages that say
    a URL is malformed.
    """
    text = _PASSWORD_PARAMETER.sub(rf"\g<1>{MASK}", raw)
    scheme, separator, rest = text.partition("://")
    if not separator:
        return text
    # The user part ends at the last "@" before the query (a password may hold "@" or "/").
    before_query = rest.split("?", 1)[0]
    at = before_query.rfind("@")
    if at < 0:
        return text
    user, colon, _password = rest[:at].partition(":")
    if not colon:
        return text
    return f"{scheme}://{user}:{MASK}{rest[at:]}"
