"""Request shapes as Bedrock checks them: botocore's own bedrock-runtime service model.

A Converse body whose members have the wrong type (``"inferenceConfig": 7``), an unknown member
or a missing required one is refused with a 400 ValidationException before any inference, as
Bedrock refuses it; the stand-in never answers such a request with a 500.
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any

from certtui.standin.errors import ApiError

if TYPE_CHECKING:
    from botocore.model import Shape
    from botocore.validate import ParamValidator

_MAX_REPORT_CHARS = 600  # a message quotes the offending values: keep it short


@functools.cache
def _input_shapes() -> tuple[ParamValidator, dict[str, Shape]]:
    """The validator and the input shapes of Converse and ConverseStream (a moment to load)."""
    import botocore.session
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    names = ("Converse", "ConverseStream")
    return ParamValidator(), {name: model.operation_model(name).input_shape for name in names}


async def load_shapes() -> None:
    """Load the service model off the event loop, once, so no request waits behind the disk."""
    if _input_shapes.cache_info().currsize == 0:
        await asyncio.to_thread(_input_shapes)


def check_shape(model_id: str, body: Any, *, streaming: bool) -> None:
    """Refuse a body the service model does not allow, with a ValidationException."""
    if not isinstance(body, dict):
        raise ApiError(
            "ValidationException", "Malformed input request: the body is not a JSON object."
        )
    validator, shapes = _input_shapes()
    shape = shapes["ConverseStream" if streaming else "Converse"]
    # On the wire the model id is in the path; the service model counts it as a member.
    report = validator.validate({**body, "modelId": model_id}, shape)
    if not report.has_errors():
        return
    lines = report.generate_report().splitlines()
    detail = "; ".join(lines)
    if len(detail) > _MAX_REPORT_CHARS:
        detail = detail[:_MAX_REPORT_CHARS] + "…"
    count = len(lines)
    raise ApiError(
        "ValidationException",
        f"{count} validation error{'s' if count > 1 else ''} detected: {detail}",
    )
