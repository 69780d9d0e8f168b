"""Shared helpers for the suite tests: botocore's Converse shapes as an independent oracle."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator


@pytest.fixture(scope="session")
def runtime_model() -> Any:
    """The bedrock-runtime service model botocore ships."""
    return botocore.session.get_session().get_service_model("bedrock-runtime")


@pytest.fixture(scope="session")
def validate_shape(runtime_model: Any):
    """Validate a dict against a named bedrock-runtime shape (or an operation's input)."""

    def validate(params: Any, shape_name: str) -> None:
        if shape_name in runtime_model.operation_names:
            shape = runtime_model.operation_model(shape_name).input_shape
        else:
            shape = runtime_model.shape_for(shape_name)
        report = ParamValidator().validate(params, shape)
        assert not report.has_errors(), report.generate_report()

    return validate
