"""Certifying one (model, region) unit: probe, fan out the battery, score (SPEC §3)."""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from certtui.bedrock.clients import BedrockClients
from certtui.bedrock.errors import (
    BedrockError,
    ClassifiedError,
    is_invalid_model_identifier,
    is_on_demand_unsupported,
)
from certtui.bedrock.invoke import (
    InvokeChoice,
    InvokeRoute,
    ModelAvailability,
    choose_invoke_id,
    fallback_profile,
    next_profile,
)
from certtui.bedrock.operations import converse, converse_stream
from certtui.bedrock.results import MODEL_FAILURE_STOP_REASONS, ConverseResult, StreamResult
from certtui.domain.enums import CertificationStatus
from certtui.domain.errors import ErrorCategory
from certtui.domain.events import LogLine, RetryScheduled, Throttled
from certtui.engine.breaker import Admission, BreakerState, RegionBreaker
from certtui.engine.events import EventBus
from certtui.engine.limits import CallLimiter
from certtui.engine.retry import RetryPolicy
from certtui.store.types import utcnow
from certtui.suites import (
    Outcome,
    Suite,
    TestKind,
    TestRecord,
    TestSpec,
    build_request,
    build_test_results,
    capabilities_for,
    combine_turns,
    evaluate,
    is_unsupported_error,
    next_history,
)

T = TypeVar("T")
# How long a call refused while the whole endpoint is down waits before it looks again (the
# breaker may probe sooner when another region answers): engine/breaker.py.
OUTAGE_POLL_SECONDS = 0.05
OUTAGE_POLL_CAP_SECONDS = 1.0


@dataclass(frozen=True)
class UnitPlan:
    """One unit to certify and what discovery knows about it (``offered`` None: unknown)."""

    certification_id: str
    model_id: str
    api_model_id: str
    region: str
    offered: bool | None
    on_demand: bool = True
    profile_ids: tuple[str, ...] = ()
    input_modalities: tuple[str, ...] = ("TEXT",)
    streaming: bool = True
    cost_per_1k_input: float | None = None
    cost_per_1k_output: float | None = None
    catalog_date: str | None = None
    probe_unlisted: bool = False
    profile_destinations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def availability(self) -> ModelAvailability:
        """Availability for invoke-id resolution; an undiscovered region is tried on demand."""
        if self.offered is None:
            return ModelAvailability(offered=True, on_demand=True, profile_ids=self.profile_ids)
        return ModelAvailability(
            self.offered, self.on_demand, self.profile_ids, self.catalog_date, self.probe_unlisted
        )


@dataclass(frozen=True)
class UnitResult:
    """A unit's terminal state and everything stored with it."""

    status: CertificationStatus
    passed: bool
    score: float | None
    rating: str | None
    test_results: dict[str, Any] | None
    error_category: str | None
    error_message: str | None
    started_at: datetime
    completed_at: datetime
    duration_ms: int


@dataclass
class CallStats:
    """Counters an operator watches live."""

    calls: int = 0
    retries: int = 0
    throttles: int = 0


@dataclass
class UnitContext:
    """What every unit of a job shares: clients, limits, retry policy, events."""

    job_id: str
    clients: BedrockClients
    limiter: CallLimiter
    suite: Suite
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    bus: EventBus = field(default_factory=EventBus)
    stats: CallStats = field(default_factory=CallStats)
    rng: random.Random = field(default_factory=random.Random)
    pass_threshold: float | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    breaker: RegionBreaker = field(default_factory=RegionBreaker)
    reasoning_budget: int = 4096
    """maxTokens added for a model seen reasoning, so its thinking does not eat the answer."""


def is_connection_failure(error: ClassifiedError) -> bool:
    """Whether a call failed because the region's endpoint could not be reached at all."""
    return error.category is ErrorCategory.NETWORK_ERROR or error.code == "ConnectTimeoutError"


class CallFailed(Exception):
    """A call failed for good: not retryable, or still failing after every attempt."""

    def __init__(self, error: ClassifiedError, attempts: int, cause: BedrockError) -> None:
        super().__init__(error.message)
        self.error = error
        self.attempts = attempts
        self.cause = cause


class UnitFailed(Exception):
    """The unit cannot be certified at all; ``error`` says why."""

    def __init__(self, category: ErrorCategory, message: str) -> None:
        super().__init__(message)
        self.category = category
        self.message = message


async def certify_unit(ctx: UnitContext, plan: UnitPlan) -> UnitResult:
    """Run the battery for one unit and return its terminal result (never raises for Bedrock)."""
    started_at = utcnow()
    started = time.perf_counter()
    runner = _UnitRunner(ctx, plan)
    try:
        document = await runner.run()
    except UnitFailed as failure:
        return _result(
            started_at, started, CertificationStatus.FAILED, failure.category, failure.message,
            test_results=runner.partial_document(),
        )  # fmt: skip
    stopped = _model_failure_stop_reasons(document)
    if stopped:
        return _result(
            started_at, started, CertificationStatus.FAILED, ErrorCategory.MODEL_ERROR,
            f"every test that ran ended with a failure stop reason ({', '.join(stopped)})",
            test_results=document,
        )  # fmt: skip
    score = document["score"]
    passed = bool(document["passed"])
    return UnitResult(
        status=CertificationStatus.COMPLETED,
        passed=passed,
        score=score,
        rating=document["rating"],
        test_results=document,
        error_category=None if passed else ErrorCategory.QUALITY_ISSUE.value,
        error_message=None if passed else _quality_summary(document),
        started_at=started_at,
        completed_at=utcnow(),
        duration_ms=int((time.perf_counter() - started) * 1000),
    )


def _result(
    started_at: datetime,
    started: float,
    status: CertificationStatus,
    category: ErrorCategory,
    message: str,
    *,
    test_results: dict[str, Any] | None,
) -> UnitResult:
    return UnitResult(
        status=status,
        passed=False,
        score=None,
        rating=None,
        test_results=test_results,
        error_category=category.value,
        error_message=message,
        started_at=started_at,
        completed_at=utcnow(),
        duration_ms=int((time.perf_counter() - started) * 1000),
    )


def _model_failure_stop_reasons(document: dict[str, Any]) -> list[str]:
    """The failure stop reasons, when every test that ran ended in one; else nothing."""
    ran = [t for t in document.get("tests", ()) if t.get("status") != "skipped"]
    reasons = [t.get("stopReason") for t in ran]
    if not ran or any(reason not in MODEL_FAILURE_STOP_REASONS for reason in reasons):
        return []
    return sorted({str(reason) for reason in reasons})


def _quality_summary(document: dict[str, Any]) -> str:
    failed = [t for t in document.get("tests", ()) if t.get("status") == "failed"]
    names = ", ".join(f"{t['id']} ({t.get('reason') or 'failed'})" for t in failed[:4])
    score = document.get("score")
    return f"score {score}: failed {names}" if names else f"score {score} below the threshold"


def _is_denied(error: ClassifiedError) -> bool:
    """An access denial that another inference profile may not meet (an SCP on one geography)."""
    return error.code == "AccessDeniedException" or "not authorized" in error.message.lower()


class _UnitRunner:
    def __init__(self, ctx: UnitContext, plan: UnitPlan) -> None:
        self.ctx = ctx
        self.plan = plan
        self.begun = time.monotonic()
        """When the unit started: among calls equally urgent, an older unit's go first."""
        self.choice: InvokeChoice = choose_invoke_id(
            plan.api_model_id, plan.region, plan.availability
        )
        self.profiles_denied: list[str] = []
        self.records: dict[str, TestRecord] = {}
        self.done: dict[str, asyncio.Event] = {t.id: asyncio.Event() for t in ctx.suite.tests}
        self.simulated = False
        """True once any answer or error of the unit came from certtui's stand-in."""
        self.reasoning = False
        """True once the model was seen spending maxTokens on reasoning blocks."""
        self.budgeted: set[str] = set()
        self.answered = 0
        """Calls of this unit that succeeded so far."""

    async def run(self) -> dict[str, Any]:
        if not self.choice.invocable:
            category = self.choice.category or ErrorCategory.UNAVAILABLE
            raise UnitFailed(category, f"{self.plan.api_model_id}: {self.choice.reason}")
        capabilities = capabilities_for(self.plan.input_modalities, self.plan.streaming)
        tests = list(self.ctx.suite.tests)
        runnable = []
        for test in tests:
            reason = test.skip_reason(capabilities)
            if reason is not None:
                self.records[test.id] = TestRecord.skipped(test, reason)
                self.done[test.id].set()
            else:
                runnable.append(test)
        if not runnable:
            raise UnitFailed(ErrorCategory.CONFIGURATION_ERROR, "every test of the suite skipped")
        # The first test probes the unit alone: a model that cannot be reached fails after one
        # call instead of ten, and the on-demand → profile switch happens before the fan-out.
        probe, rest = runnable[0], runnable[1:]
        await self._run_test(probe, probing=True)
        tasks = [asyncio.create_task(self._run_test(test)) for test in rest]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            # One test ended the unit (or the unit was cancelled): stop the others' calls.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return self._document()

    def _document(self, *, partial: bool = False) -> dict[str, Any]:
        ordered = [self.records[t.id] for t in self.ctx.suite.tests if t.id in self.records]
        threshold = self.ctx.pass_threshold
        return build_test_results(
            ordered,
            invoke_id=self.choice.invoke_id or self.plan.api_model_id,
            suite=self.ctx.suite,
            pass_threshold=threshold,
            cost_per_1k_input=self.plan.cost_per_1k_input,
            cost_per_1k_output=self.plan.cost_per_1k_output,
            extra={
                "invokeRoute": self.choice.route.value,
                "invokeReason": self.choice.reason,
                "region": self.plan.region,
                **self._profile_evidence(),
                **({"partial": True} if partial else {}),
                **({"simulated": True} if self.simulated else {}),
                **({"reasoningModel": True} if self.reasoning else {}),
            },
        )

    def _profile_evidence(self) -> dict[str, Any]:
        evidence: dict[str, Any] = {}
        if self.choice.via_profile and self.choice.invoke_id:
            evidence["inferenceProfile"] = self.choice.invoke_id
            destinations = self.plan.profile_destinations.get(self.choice.invoke_id)
            if destinations:
                evidence["profileDestinations"] = list(destinations)
        if self.profiles_denied:
            evidence["profilesDenied"] = list(self.profiles_denied)
        return evidence

    def partial_document(self) -> dict[str, Any] | None:
        """What was recorded before the unit failed, as evidence."""
        return self._document(partial=True) if self.records or self.simulated else None

    async def _run_test(self, test: TestSpec, *, probing: bool = False) -> None:
        # Calls a unit is blocked on (its probe, the next turn, the repeat) jump the queue, and
        # among the rest an older unit's go first (rank), so units finish in the order they
        # started instead of all trailing at the end.
        try:
            if test.repeat_of:
                await self.done[test.repeat_of].wait()
                if test.delay_seconds:
                    await self.ctx.sleep(test.delay_seconds)
            started = time.perf_counter()
            urgent = probing or test.kind is TestKind.MULTI_TURN or test.repeat_of is not None
            attempts, outcome = await self._execute(test, probing=probing, urgent=urgent)
            result = evaluate(test, outcome)
            self.records[test.id] = TestRecord.from_outcome(
                test,
                outcome,
                result,
                client_latency_ms=int((time.perf_counter() - started) * 1000),
                attempts=attempts,
                reasoning_budget=self.ctx.reasoning_budget if test.id in self.budgeted else None,
            )
        finally:
            self.done[test.id].set()

    async def _execute(
        self, test: TestSpec, *, probing: bool, urgent: bool = False
    ) -> tuple[int, Outcome]:
        """Run a test's call(s); returns the attempts and the outcome."""
        try:
            return await self._calls(test, urgent=urgent)
        except CallFailed as failed:
            if is_unsupported_error(test, failed.error.code, failed.error.message):
                return failed.attempts, failed.error
            if failed.error.rejected_parameter is not None:
                # The model refuses a parameter this test sets: the test's configuration is at
                # fault, not the unit.
                return failed.attempts, failed.error
            if probing and _is_denied(failed.error):
                following = next_profile(self.choice, self.plan.availability)
                if following is not None:
                    self.profiles_denied.append(f"{self.choice.invoke_id}: {failed.error.message}")
                    self.choice = following
                    return await self._execute(test, probing=True, urgent=True)
            if probing and self.plan.offered is False and not self.choice.via_profile:
                raise UnitFailed(
                    ErrorCategory.UNAVAILABLE,
                    f"{self.plan.availability.not_offered_reason(self.plan.region)}; the probe "
                    f"got {failed.error.code}: {failed.error.message}",
                ) from None
            if is_invalid_model_identifier(failed.error):
                raise UnitFailed(*self._invalid_identifier(failed.error)) from None
            if probing and is_on_demand_unsupported(failed.error):
                fallback = fallback_profile(self.choice, self.plan.availability)
                if fallback is None:
                    raise UnitFailed(
                        ErrorCategory.PROVISIONING_REQUIRED,
                        f"{failed.error.message} (no inference profile found in "
                        f"{self.plan.region})",
                    ) from None
                self.choice = fallback
                return await self._execute(test, probing=False, urgent=True)
            raise UnitFailed(failed.error.category, self._failure_message(test, failed)) from None

    def _failure_message(self, test: TestSpec, failed: CallFailed) -> str:
        """The raw code and message, then what the engine knows besides: attempts, an access
        denied after answers (a Marketplace subscription check comes late), the rule's hint."""
        error = failed.error
        message = f"{test.id}: {error.code}: {error.message}"
        if failed.attempts > 1:
            message += f" (after {failed.attempts} attempts)"
        if error.category is ErrorCategory.PERMISSION_ERROR and self.answered:
            message += (
                f" (denied after {self.answered} successful call(s): a third-party model's "
                "AWS Marketplace subscription check can deny access minutes after first use)"
            )
        if error.hint:
            message += f" — what to do: {error.hint}"
        return message

    def _invalid_identifier(self, error: ClassifiedError) -> tuple[ErrorCategory, str]:
        """ "The provided model identifier is invalid": UNAVAILABLE unless the id is malformed."""
        invoke_id = self.choice.invoke_id or self.plan.api_model_id
        message = f"{invoke_id}: {error.code}: {error.message}"
        if not _WELL_FORMED_ID.fullmatch(invoke_id):
            return ErrorCategory.CONFIGURATION_ERROR, f"{message} (the id is malformed)"
        if self.plan.offered is False:
            note = f"discovery does not list it in {self.plan.region}"
        elif invoke_id != self.plan.api_model_id and invoke_id not in self.plan.profile_ids:
            note = f"discovery lists no such inference profile in {self.plan.region}"
        else:
            note = f"not callable in {self.plan.region}"
        return ErrorCategory.UNAVAILABLE, f"{message} ({note})"

    async def _calls(self, test: TestSpec, *, urgent: bool) -> tuple[int, Outcome]:
        attempts, outcome = await self._calls_once(test, urgent=urgent)
        if self._starved_by_reasoning(test, outcome):
            # A reasoning model spent the whole maxTokens thinking: give it room and ask again.
            self.reasoning = True
            more, outcome = await self._calls_once(test, urgent=urgent)
            attempts += more
        return attempts, outcome

    def _starved_by_reasoning(self, test: TestSpec, outcome: Outcome) -> bool:
        if self.reasoning or isinstance(outcome, ClassifiedError) or _tests_truncation(test):
            return False
        return (
            outcome.has_reasoning
            and outcome.stop_reason == "max_tokens"
            and not outcome.text.strip()
            and not outcome.tool_uses
        )

    def _budget(self, test: TestSpec, request: dict[str, Any]) -> dict[str, Any]:
        """The request with the reasoning budget added to maxTokens, once the model reasons."""
        config = request.get("inferenceConfig") or {}
        if not self.reasoning or _tests_truncation(test) or "maxTokens" not in config:
            return request
        self.budgeted.add(test.id)
        budgeted = config["maxTokens"] + self.ctx.reasoning_budget
        return {**request, "inferenceConfig": {**config, "maxTokens": budgeted}}

    async def _calls_once(self, test: TestSpec, *, urgent: bool) -> tuple[int, Outcome]:
        invoke_id = self.choice.invoke_id
        assert invoke_id is not None
        if test.kind is TestKind.STREAM:
            request = self._budget(test, build_request(test, invoke_id))
            return await self._call(test, lambda: self._stream(request), urgent=urgent)
        if test.kind is TestKind.MULTI_TURN:
            history: list[Any] = []
            replies = []
            total_attempts = 0
            for _ in test.turns:
                request = build_request(test, invoke_id, history)
                sent = self._budget(test, request)
                attempts, reply = await self._call(
                    test, lambda r=sent: self._converse(r), urgent=urgent
                )
                total_attempts += attempts
                replies.append(reply)
                history = next_history(request, reply)
            return total_attempts, combine_turns(replies)
        request = self._budget(test, build_request(test, invoke_id))
        return await self._call(test, lambda: self._converse(request), urgent=urgent)

    async def _converse(self, request: dict[str, Any]) -> ConverseResult:
        body = {k: v for k, v in request.items() if k != "modelId"}
        return await converse(self.ctx.clients, self.plan.region, request["modelId"], **body)

    async def _stream(self, request: dict[str, Any]) -> StreamResult:
        body = {k: v for k, v in request.items() if k != "modelId"}
        stream = converse_stream(self.ctx.clients, self.plan.region, request["modelId"], **body)
        async with stream:
            return await stream.collect()

    def _announce_wait(self) -> None:
        message = self.ctx.breaker.announce_wait(self.plan.region)
        if message is not None:
            self.ctx.bus.publish(LogLine(self.ctx.job_id, "warning", message))

    async def _call(
        self, test: TestSpec, make: Callable[[], Awaitable[T]], *, urgent: bool = False
    ) -> tuple[int, T]:
        """One logical call with the engine's retries; every attempt holds a limit slot."""
        ctx, plan = self.ctx, self.plan
        breaker = ctx.breaker
        attempt = 0
        outage_pause = 0.0
        while True:
            if outage_pause:
                # The endpoint is down as a whole: wait (holding no slot) for the next probe.
                await ctx.sleep(outage_pause)
                outage_pause = 0.0
            attempt += 1
            await breaker.settled(plan.region)
            async with ctx.limiter.slot(
                plan.region, plan.api_model_id, urgent=urgent, rank=self.begun
            ) as adaptive:
                # A region that could not be reached fails fast; see engine/breaker.py.
                admission = breaker.admit(plan.region)
                if admission is Admission.REFUSE:
                    if breaker.state(plan.region) is BreakerState.HALF_OPEN:
                        attempt -= 1  # a probe went out meanwhile: wait for it, then go again
                        continue
                    wait = breaker.wait_before_retry(plan.region)
                    if wait is None:
                        raise UnitFailed(ErrorCategory.NETWORK_ERROR, breaker.reason(plan.region))
                    attempt -= 1  # no call went out
                    outage_pause = min(max(wait, OUTAGE_POLL_SECONDS), OUTAGE_POLL_CAP_SECONDS)
                    self._announce_wait()
                    continue
                ctx.stats.calls += 1
                reported = False
                sent_at = breaker.now()
                try:
                    value = await make()
                except BedrockError as exc:
                    error = exc.classified
                    failure = exc
                    self.simulated = self.simulated or exc.simulated
                    if is_connection_failure(error):
                        breaker.failed(plan.region, f"{error.code}: {error.message}")
                    else:
                        breaker.succeeded(plan.region, sent_at=sent_at)
                    reported = True
                    # Throttles and capacity shedding ("Too many connections") slow the
                    # (region, model) limit; a daily quota does not (it is not retried either).
                    if error.throttles:
                        ctx.stats.throttles += 1
                        ctx.bus.publish(
                            Throttled(ctx.job_id, plan.api_model_id, plan.region,
                                      adaptive.on_throttle())
                        )  # fmt: skip
                else:
                    breaker.succeeded(plan.region, sent_at=sent_at)
                    reported = True
                    adaptive.on_success()
                    self.answered += 1
                    self.simulated = self.simulated or bool(getattr(value, "simulated", False))
                    return attempt, value
                finally:
                    if admission is Admission.PROBE and not reported:
                        breaker.abandoned(plan.region)
            if admission is Admission.PROBE and is_connection_failure(error):
                attempt -= 1  # a failed probe is the breaker's attempt, not the unit's
            if not ctx.policy.should_retry(attempt, error.retryable):
                raise CallFailed(error, attempt, failure)
            if is_connection_failure(error) and breaker.state(plan.region) is not (
                BreakerState.CLOSED
            ):
                wait = breaker.wait_before_retry(plan.region)
                if wait is None:
                    raise UnitFailed(ErrorCategory.NETWORK_ERROR, breaker.reason(plan.region))
                outage_pause = min(max(wait, OUTAGE_POLL_SECONDS), OUTAGE_POLL_CAP_SECONDS)
                self._announce_wait()
                continue
            delay = ctx.policy.delay(attempt, ctx.rng)
            ctx.stats.retries += 1
            ctx.bus.publish(
                RetryScheduled(ctx.job_id, plan.api_model_id, plan.region, test.id, attempt,
                               delay, error.code)
            )  # fmt: skip
            await ctx.sleep(delay)


# botocore's modelId pattern for a foundation model or profile id (bare, not an ARN).
_WELL_FORMED_ID = re.compile(
    r"(?:arn:aws[a-z-]*:bedrock:.+)|(?:[a-z0-9-]{1,63}[.]){1,3}[a-z0-9-]{1,63}(?:[:][a-z0-9-]{1,63}){0,2}"
)


def _tests_truncation(test: TestSpec) -> bool:
    """True for a test that checks maxTokens cuts the answer: it gets no reasoning budget."""
    return any(
        getattr(check, "kind", "") == "stop_reason" and getattr(check, "value", "") == "max_tokens"
        for check in test.checks
    )


__all__ = ["InvokeRoute", "UnitContext", "UnitPlan", "UnitResult", "certify_unit"]
