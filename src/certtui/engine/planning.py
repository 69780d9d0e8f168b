"""Planning a job into (model, region) units, written QUEUED before any call (SPEC §4)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from certtui.domain.applicability import not_applicable_reason
from certtui.domain.enums import CertificationJobType, CertificationStatus, JobStatus
from certtui.engine.leases import new_lease, new_owner
from certtui.errors import UsageError
from certtui.store import planning as queries
from certtui.store.certifications import cell_holders, queue_units
from certtui.store.jobs import create_job, get_job, job_created, set_job_scope
from certtui.store.outage import is_transaction_conflict
from certtui.suites import Suite

if TYPE_CHECKING:
    from certtui.engine.events import EventBus
    from certtui.engine.unit import UnitPlan
    from certtui.store.models import AIModel, ModelCertification
    from certtui.store.sessions import Session, Sessions

C = CertificationStatus
UNFINISHED = (C.PENDING, C.QUEUED, C.PROCESSING)


@dataclass(frozen=True)
class JobRequest:
    """What an operator asked to certify."""

    regions: tuple[str, ...]
    api_model_ids: tuple[str, ...] = ()
    all_models: bool = False
    recertify_failed: bool = False
    created_by: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    # Call a model once where the catalog does not list it, to verify (else: UNAVAILABLE
    # without a call); with offered_only, named models are planned only where offered.
    probe_unlisted: bool = False
    offered_only: bool = False

    @property
    def job_type(self) -> CertificationJobType:
        """The seed's job type for this request."""
        if self.recertify_failed:
            return CertificationJobType.RECERTIFY
        if self.all_models:
            return CertificationJobType.ALL_MODELS
        if len(self.api_model_ids) == 1:
            return CertificationJobType.SINGLE_MODEL
        return CertificationJobType.MULTIPLE_MODELS


@dataclass(frozen=True)
class PlannedJob:
    """A job written to the database with its units."""

    job_id: str
    total: int
    not_applicable: tuple[str, ...]
    busy_elsewhere: int
    not_applicable_reasons: dict[str, str] = field(default_factory=dict)
    held_by: tuple[str, ...] = ()  # jobs holding the chosen units it did not get

    @property
    def held_note(self) -> str | None:
        """One line on the units left to the jobs that hold them, if any."""
        if not self.busy_elsewhere:
            return None
        return f"{self.busy_elsewhere} chosen units skipped: {held_message(self.held_by)}"


# How long a job's creator is taken to be about to run it, when nobody can look at its process
# (another host): it claims the job at once, and the claim replaces this lease.
PLANNING_LEASE_TTL = 60.0


def held_message(job_ids: Sequence[str]) -> str:
    """Which jobs hold units, and how to resume or cancel each."""
    shown = [job_id[:8] for job_id in job_ids[:3]]
    more = f" and {len(job_ids) - 3} more jobs" if len(job_ids) > 3 else ""
    jobs_text = ", ".join(shown)
    return (
        f"held by job {jobs_text}{more}; see `certtui jobs show {shown[0]}`, resume with "
        f"`certtui jobs resume {shown[0]}` or cancel with `certtui jobs cancel {shown[0]}`"
    )


async def plan_job(
    sessions: Sessions,
    request: JobRequest,
    suite: Suite,
    *,
    bus: EventBus | None = None,
) -> PlannedJob:
    """Create the job and claim its units in one transaction, or refuse with a clear error.

    The units are claimed by the database (``queue_units``): a unit another live job holds is
    left to it, and if it holds them all the error names it. The job carries a planning lease
    naming this process until the engine claims it, so recovery can tell a job
    about to run from one whose creator died before running it.
    After the commit, ``bus`` (if given) hears the job and each of its units become QUEUED.
    A transaction PostgreSQL rolled back for a deadlock (with a running job's writer, which
    locks its rows in another order) is planned again.
    """
    for attempt in range(PLANNING_ATTEMPTS):
        try:
            return await _plan_once(sessions, request, suite, bus)
        except Exception as exc:
            if attempt + 1 == PLANNING_ATTEMPTS or not is_transaction_conflict(exc):
                raise
    raise AssertionError("unreachable")


PLANNING_ATTEMPTS = 3


async def _plan_once(
    sessions: Sessions, request: JobRequest, suite: Suite, bus: EventBus | None
) -> PlannedJob:
    async with sessions.begin() as session:
        models = await _chosen_models(session, request)
        chat_models, reasons = [], {}
        for model in models:
            reason = model_not_applicable(model)
            if reason is None:
                chat_models.append(model)
            else:
                reasons[model.api_model_id] = reason
        if not chat_models:
            detail = "; ".join(f"{model_id}: {why}" for model_id, why in reasons.items())
            raise UsageError(f"nothing to certify: not applicable ({detail})")
        discovered = await queries.discovered_regions(session)
        units = _units(chat_models, request, discovered)
        previous = await queries.current_units(session, units)
        if request.recertify_failed:
            units = [u for u in units if _did_not_pass(previous.get(u))]
        if not units:
            raise UsageError("nothing to certify: no unit whose last result did not pass")
        claimed_by = {previous[u].job_id for u in units if u in previous
                      and previous[u].status in UNFINISHED and previous[u].job_id}  # fmt: skip
        # A job seen over stays over: its claims may be taken. Any other claim is left to the
        # database to decide, row by row, as the units are queued.
        takeable = claimed_by - await queries.live_job_ids(session, claimed_by)
        config = {
            "suite": {"name": suite.name, "version": suite.version},
            "passThreshold": suite.pass_threshold,
            "apiModelIds": sorted({m.api_model_id for m in chat_models}),
            **({"probeUnlisted": True} if request.probe_unlisted else {}),
            **request.config,
            "lease": new_lease(new_owner(), PLANNING_LEASE_TTL, planned=True),
        }
        job = await create_job(
            session,
            request.job_type,
            list(request.regions),
            sorted({model_id for model_id, _ in units}),
            total_models=len(units),
            status=JobStatus.QUEUED,
            created_by=request.created_by,
            config=config,
        )
        queued = await queue_units(
            session, units, job_id=job.id, created_by=request.created_by, takeable_jobs=takeable
        )
        got = {(event.model_id, event.region) for event in queued}
        lost = [u for u in units if u not in got]
        holders: tuple[str, ...] = ()
        if lost:
            held = await cell_holders(session, lost, job.id)
            holders = tuple(sorted(held, key=lambda j: (-held[j], j)))
        if not got:
            raise UsageError(f"nothing to certify: every chosen unit is {held_message(holders)}")
        if lost:
            await set_job_scope(session, job.id, len(got), sorted({m for m, _ in got}))
        created = replace(job_created(job), total=len(got))
    if bus is not None:
        bus.publish(created)
        for event in queued:
            bus.publish(event)
    return PlannedJob(
        job.id, len(got), tuple(reasons), len(lost), held_by=holders,
        not_applicable_reasons=reasons,
    )  # fmt: skip


def model_not_applicable(model: AIModel) -> str | None:
    """Why the chat suite does not apply to a catalog model, or None (domain rule)."""
    if not model.availability:
        return None  # nothing discovered: the evidence will tell
    inputs = {m for a in model.availability for m in (a.input_modalities or ())}
    outputs = {m for a in model.availability for m in (a.output_modalities or ())}
    return not_applicable_reason(
        model.api_model_id, sorted(inputs) or ("TEXT",), sorted(outputs) or ("TEXT",)
    )


async def _chosen_models(session: Session, request: JobRequest) -> list[AIModel]:
    if request.all_models or (request.recertify_failed and not request.api_model_ids):
        models = await queries.active_models(session)
        if not models:
            raise UsageError("the catalog is empty: run `certtui models sync` first")
        return sorted(models, key=lambda m: m.api_model_id)
    wanted = list(dict.fromkeys(request.api_model_ids))
    if not wanted:
        raise UsageError("choose models with --model ID (repeatable) or --all")
    found = {m.api_model_id: m for m in await queries.models_by_api_id(session, wanted)}
    unknown = [w for w in wanted if w not in found]
    if unknown:
        total = await queries.count_models(session)
        hint = ("the catalog is empty: run `certtui models sync` first" if not total
                else "see `certtui models list`")  # fmt: skip
        raise UsageError(f"unknown model id {', '.join(map(repr, unknown))}: {hint}")
    return [found[w] for w in wanted]


def _units(
    models: Sequence[AIModel], request: JobRequest, discovered: set[str]
) -> list[tuple[str, str]]:
    """Every chosen model × region, except where discovery found the model is not listed.

    Explicitly named models are planned everywhere (a not-offered unit then records
    UNAVAILABLE without a call), unless ``offered_only``; with ``probe_unlisted`` every region
    is planned. A region discovery never reached is planned too, so its failure shows.
    """
    units = []
    explicit = not request.all_models and not request.recertify_failed
    everywhere = request.probe_unlisted or (explicit and not request.offered_only)
    for model in models:
        listed = {a.region for a in model.availability if a.offered}
        for region in request.regions:
            if everywhere or region not in discovered or region in listed:
                units.append((model.id, region))
    return units


def _did_not_pass(previous: ModelCertification | None) -> bool:
    return (
        previous is not None
        and previous.status in (C.COMPLETED, C.FAILED, C.CANCELLED)
        and (not previous.passed)
    )


async def load_units(
    sessions: Sessions, job_id: str, unit_ids: Collection[str] | None = None
) -> list[UnitPlan]:
    """The job's units that still have to run (of ``unit_ids`` if given: a worker's slice),
    with what discovery knows about each."""
    # Here, not at the top: planning from the TUI must not load the Bedrock client.
    from certtui.engine.unit import UnitPlan

    async with sessions() as session:
        rows = await queries.units_to_run(session, job_id, (C.PENDING, C.QUEUED), unit_ids)
        catalog_dates = await queries.catalog_dates(session)
        job = await get_job(session, job_id)
        probe = bool(job is not None and (job.config or {}).get("probeUnlisted"))
        plans = []
        for cert in rows:
            model = cert.model
            row = next((a for a in model.availability if a.region == cert.region), None)
            discovered = cert.region in catalog_dates
            profiles = [p for p in (row.inference_profiles or ()) if p.get("id")] if row else []
            if row and row.inference_profile_id and not profiles:
                profiles = [{"id": row.inference_profile_id, "destinations": []}]
            plans.append(
                UnitPlan(
                    certification_id=cert.id,
                    model_id=model.id,
                    api_model_id=model.api_model_id,
                    region=cert.region,
                    offered=row.offered if row else (False if discovered else None),
                    on_demand=row.on_demand if row else not discovered,
                    profile_ids=tuple(p["id"] for p in profiles),
                    profile_destinations={
                        p["id"]: tuple(p.get("destinations") or ()) for p in profiles
                    },
                    catalog_date=catalog_dates.get(cert.region),
                    probe_unlisted=probe,
                    input_modalities=tuple(row.input_modalities or ("TEXT",)) if row else ("TEXT",),
                    streaming=row.streaming_supported if row else True,
                    cost_per_1k_input=model.cost_per_1k_input or None,
                    cost_per_1k_output=model.cost_per_1k_output or None,
                )
            )
        return plans
