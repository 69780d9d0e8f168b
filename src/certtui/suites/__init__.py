"""The certification battery as data: suites, checks, requests, scoring and results.

Pure Python: nothing here touches the network, the database or the terminal. The engine loads
a suite, builds each test's Converse request with build_request, judges what came back (the
Bedrock client's typed answer, or its classified error) with evaluate, and scores the
TestRecords with score_tests.
"""

from certtui.suites.checks import CHECK_TYPES, Check, CheckResult, evaluate, is_unsupported_error
from certtui.suites.images import NAMED_COLOURS, colour_png, solid_png
from certtui.suites.loader import default_suite, load_suite, parse_suite
from certtui.suites.model import (
    Capability,
    ImageSpec,
    InferenceSettings,
    Suite,
    SuiteError,
    TestKind,
    TestSpec,
    ToolSpec,
    Turn,
    capabilities_for,
)
from certtui.suites.outcome import Answer, Outcome, combine_turns
from certtui.suites.requests import assistant_message, build_request, next_history
from certtui.suites.results import TestRecord, build_test_results, estimated_cost, excerpt
from certtui.suites.scoring import (
    Score,
    TestStatus,
    chat_applicable,
    not_applicable_reason,
    rating_for,
    score_tests,
)
from certtui.suites.writer import dump_suite

__all__ = [
    "CHECK_TYPES",
    "NAMED_COLOURS",
    "Answer",
    "Capability",
    "Check",
    "CheckResult",
    "ImageSpec",
    "InferenceSettings",
    "Outcome",
    "Score",
    "Suite",
    "SuiteError",
    "TestKind",
    "TestRecord",
    "TestSpec",
    "TestStatus",
    "ToolSpec",
    "Turn",
    "assistant_message",
    "build_request",
    "build_test_results",
    "capabilities_for",
    "chat_applicable",
    "colour_png",
    "combine_turns",
    "default_suite",
    "dump_suite",
    "estimated_cost",
    "evaluate",
    "excerpt",
    "is_unsupported_error",
    "load_suite",
    "next_history",
    "not_applicable_reason",
    "parse_suite",
    "rating_for",
    "score_tests",
    "solid_png",
]
