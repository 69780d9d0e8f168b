"""The one private member of aiobotocore certtui relies on (STYLE 13): fail loudly on upgrade."""

from __future__ import annotations

import inspect

from aiobotocore.eventstream import AioEventStream


def test_aio_event_stream_still_parses_each_event_in_parse_event() -> None:
    # bedrock/_eventstream_private.py wraps this method to keep the :exception-type of
    # in-stream errors botocore's service model does not list.
    parse = getattr(AioEventStream, "_parse_event", None)
    assert parse is not None and inspect.iscoroutinefunction(parse)
    assert list(inspect.signature(parse).parameters) == ["self", "event"]
