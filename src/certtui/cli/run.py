"""``certtui run``: headless certification with live progress, a summary and exit codes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from certtui.bedrock.regions import UnknownRegion, validate_regions
from certtui.cli.aws import check_aws_access
from certtui.cli.context import Command, Context, pass_context, run_async
from certtui.config import Settings
from certtui.domain.enums import JobStatus
from certtui.errors import CannotRunError, UsageError

EXIT_ALL_PASSED = 0
EXIT_SOME_NOT_PASSED = 1
EXIT_COULD_NOT_RUN = 3


@dataclass
class RunReport:
    """A finished (or stopped) run: the job, its units, and the exit code it earns."""

    job: dict[str, Any]
    units: list[dict[str, Any]]
    exit_code: int
    note: str | None = None


def load_suite_or_default(path: str | None):  # type: ignore[no-untyped-def]
    """The suite from ``path``, or the default battery; a bad file is a usage error."""
    from certtui.suites import SuiteError, default_suite, load_suite

    if path is None:
        return default_suite()
    try:
        return load_suite(Path(path))
    except SuiteError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot read suite file {path}: {exc.strerror or exc}") from None


def parse_regions(repeated: tuple[str, ...], joined: str | None, settings: Settings) -> list[str]:
    """Regions from --region and --regions (default: the configured ones), validated."""
    names = list(repeated)
    if joined is not None:
        listed = [r.strip() for r in joined.split(",") if r.strip()]
        if not listed:
            raise UsageError(
                f"--regions {joined!r} names no region: give comma-separated regions, e.g. "
                "--regions us-east-1,us-west-2 (or leave it out for the configured regions)"
            )
        names += listed
    try:
        return validate_regions(names or list(settings.chosen_regions))
    except UnknownRegion as exc:
        raise UsageError(str(exc)) from None


@click.command(cls=Command, writes=True, bedrock="catalog")
@click.option("--model", "models", multiple=True, metavar="ID", help="Model id (repeatable).")
@click.option("--all", "all_models", is_flag=True, help="Every active chat model in the catalog.")
@click.option("--region", "regions", multiple=True, metavar="REGION", help="Region (repeatable).")
@click.option("--regions", "regions_csv", metavar="A,B", help="Comma-separated regions.")
@click.option(
    "--recertify-failed", is_flag=True, help="Only the units whose last result did not pass."
)
@click.option(
    "--probe-unlisted",
    is_flag=True,
    help="Also call models where the catalog does not list them, to verify (one probe each).",
)
@click.option("--concurrency", type=click.IntRange(1, 1024), help="Bedrock calls in flight.")
@click.option("--region-concurrency", type=click.IntRange(1, 1024), help="Calls per region.")
@click.option("--suite", "suite_path", metavar="FILE", help="Suite file (TOML).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summary on stdout.")
@click.option(
    "--submit",
    is_flag=True,
    help="Queue the job for `certtui worker` processes (PostgreSQL) instead of running it here.",
)
@click.option("--wait", is_flag=True, help="With --submit: follow the job to its end.")
@pass_context
def run(
    ctx: Context,
    models: tuple[str, ...],
    all_models: bool,
    regions: tuple[str, ...],
    regions_csv: str | None,
    recertify_failed: bool,
    probe_unlisted: bool,
    concurrency: int | None,
    region_concurrency: int | None,
    suite_path: str | None,
    as_json: bool,
    submit: bool,
    wait: bool,
) -> None:
    """Certify models in regions, headless (exit 0 all passed, 1 some not, 2 usage, 3 failed)."""
    from certtui.engine.planning import JobRequest

    if wait and not submit:
        raise UsageError("--wait follows a submitted job: use it with --submit")
    if submit:
        from certtui.store.opening import resolve_target
        from certtui.workers.submit import NEEDS_POSTGRESQL

        if resolve_target(ctx.settings).kind != "postgresql":
            raise UsageError(NEEDS_POSTGRESQL)
    if models and all_models:
        raise UsageError("choose either --model or --all, not both")
    if not models and not all_models and not recertify_failed:
        raise UsageError("choose models with --model ID (repeatable), --all or --recertify-failed")
    chosen_regions = parse_regions(regions, regions_csv, ctx.settings)
    suite = load_suite_or_default(suite_path)
    limits = {"concurrency": concurrency, "region_concurrency": region_concurrency}
    request = JobRequest(
        regions=tuple(chosen_regions),
        api_model_ids=models,
        all_models=all_models,
        recertify_failed=recertify_failed,
        probe_unlisted=probe_unlisted,
        created_by=ctx.settings.created_by,
        config={
            "limits": {k: v for k, v in limits.items() if v is not None},
            **({"suitePath": str(Path(suite_path).resolve())} if suite_path else {}),
        },
    )
    if submit:
        report = run_async(_submit(ctx.settings, request, suite, wait=wait))
        if report is None:
            return
    else:
        report = run_async(_plan_and_run(ctx.settings, request, suite, limits, as_json))
    emit_report(report, as_json)
    sys.exit(report.exit_code)


async def _plan_and_run(settings, request, suite, limits, as_json) -> RunReport:  # type: ignore[no-untyped-def]
    from certtui.cli.progress import plain
    from certtui.domain.text import plural
    from certtui.engine.control import recover_interrupted
    from certtui.engine.planning import plan_job
    from certtui.store.opening import open_database

    await check_aws_access(settings)  # before planning: a job nobody can run is not planned
    async with open_database(settings) as database:
        await recover_interrupted(database.sessions)
        planned = await plan_job(database.sessions, request, suite)
        err = Console(stderr=True)
        for model_id, reason in planned.not_applicable_reasons.items():
            err.print(plain(f"not applicable: {model_id}: {reason}"))
        err.print(f"job {planned.job_id}: {plural(planned.total, 'unit')}", highlight=False)
        if planned.held_note:
            err.print(planned.held_note, highlight=False, markup=False)
        return await run_job(database, settings, planned.job_id, suite, limits)


# How often `run --submit --wait` reads the job it follows.
FOLLOW_POLL_SECONDS = 0.25


async def _submit(settings, request, suite, *, wait: bool) -> RunReport | None:  # type: ignore[no-untyped-def]
    """Queue the job for the workers; with ``wait``, follow it to its end."""
    from certtui.cli.progress import plain
    from certtui.store import workers as queue_store
    from certtui.store.opening import open_database
    from certtui.workers.submit import submit_job

    async with open_database(settings) as database:
        submitted = await submit_job(database.sessions, request, suite)
        planned = submitted.planned
        err = Console(stderr=True)
        for model_id, reason in planned.not_applicable_reasons.items():
            err.print(plain(f"not applicable: {model_id}: {reason}"))
        err.print(
            f"job {planned.job_id}: {planned.total} units in {submitted.slices} slices, "
            "queued for the workers",
            highlight=False,
        )
        if planned.held_note:
            err.print(planned.held_note, highlight=False, markup=False)
        async with database.reads() as session:
            alive = await queue_store.workers_alive(session)
        if not alive:
            err.print("no worker is alive now: start one with `certtui worker`", highlight=False)
        if not wait:
            click.echo(planned.job_id)
            return None
        return await _follow(database, planned.job_id)


async def _follow(database, job_id: str) -> RunReport:  # type: ignore[no-untyped-def]
    """Wait for a submitted job to end (a signal stops following; the job goes on)."""
    from certtui.store.jobs import get_job

    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    try:
        while not stopped.is_set():
            async with database.reads() as session:
                job = await get_job(session, job_id)
                if job is None or job.status.is_terminal:
                    break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FOLLOW_POLL_SECONDS):
                    await stopped.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            loop.remove_signal_handler(signum)
    report = await job_report(database.reads, job_id)
    if stopped.is_set():
        report.note = f"stopped following job {job_id}; it goes on on the workers"
        report.exit_code = EXIT_COULD_NOT_RUN
    return report


async def run_job(database, settings, job_id, suite, limits) -> RunReport:  # type: ignore[no-untyped-def]
    """Run a planned or resumed job here with progress on stderr; signals pause it."""
    from certtui.bedrock.clients import BedrockClients
    from certtui.cli.progress import LineProgress, ProgressDisplay
    from certtui.engine.access import bedrock_settings, engine_config
    from certtui.engine.job import JobBusy, JobNotRunnable, JobRunner

    config = engine_config(settings, **limits)
    pool = max(config.region_concurrency, 10)
    async with BedrockClients(bedrock_settings(settings, pool=pool)) as clients:
        runner = JobRunner(database.sessions, clients, suite, job_id, config)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            loop.add_signal_handler(signum, runner.interrupt)
        err = Console(stderr=True)
        # A terminal gets a live bar; a log (cron, CI) gets lines it can keep.
        display: Any = (
            ProgressDisplay(err, total=0) if err.is_terminal else LineProgress(sys.stderr)
        )
        try:
            with display:
                runner.bus.subscribe(display)
                outcome = await runner.run()
        except (JobBusy, JobNotRunnable) as exc:
            raise UsageError(str(exc)) from None
        finally:
            for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                loop.remove_signal_handler(signum)
    report = await job_report(database.reads, job_id)
    if outcome.status is JobStatus.PAUSED:
        reason = "interrupted by a signal" if outcome.interrupted else "paused"
        report.note = f"job {job_id} {reason}; resume with `certtui jobs resume {job_id}`"
        report.exit_code = EXIT_COULD_NOT_RUN
    return report


async def job_report(sessions, job_id: str) -> RunReport:  # type: ignore[no-untyped-def]
    """The job row and its units, as plain data, with the exit code they earn."""
    from certtui.store.views import job_units, load_job

    async with sessions() as session:
        job = await load_job(session, job_id)
        if job is None:
            raise CannotRunError(f"job {job_id} vanished from the database")
        units = [
            {
                "model": unit.api_model_id,
                "region": unit.region,
                "status": unit.status,
                "passed": unit.passed,
                "score": unit.score,
                "rating": unit.rating,
                "errorCategory": unit.error_category,
                "errorMessage": unit.error_message,
                "durationMs": unit.duration_ms,
                "simulated": unit.simulated,
            }
            for unit in await job_units(session, job_id)
        ]
    job_data = {
        "id": job.job_id,
        "type": job.type,
        "status": job.status,
        "regions": list(job.regions),
        "totalModels": job.total,
        "processedModels": job.processed,
        "successCount": job.succeeded,
        "failureCount": job.failed,
        "durationMs": job.duration_ms,
        "createdBy": job.created_by,
    }
    if job.status == JobStatus.COMPLETED and job.processed == job.total:
        code = EXIT_ALL_PASSED if job.failed == 0 else EXIT_SOME_NOT_PASSED
    else:
        code = EXIT_COULD_NOT_RUN
    return RunReport(job_data, units, code)


def emit_report(report: RunReport, as_json: bool) -> None:
    """The summary: JSON on stdout, or a table on stdout; notes on stderr."""
    from certtui.cli.progress import not_passed_lines, plain, summary_table
    from certtui.domain.text import safe_text

    if as_json:
        click.echo(json.dumps({"job": report.job, "units": report.units}, indent=2))
    else:
        out = Console()
        out.print(summary_table(report.units))
        job = report.job
        out.print(
            plain(
                f"job {job['id']} {job['status']}: {job['successCount']} passed, "
                f"{job['failureCount']} did not, of {job['totalModels']}"
            )
        )
        not_passed = not_passed_lines(report.units)
        if not_passed:
            out.print(plain(f"did not pass ({len(not_passed)}):"))
            for line in not_passed:
                out.print(plain(f"  {line}"), soft_wrap=True)  # one line each, for grep
        simulated = sum(1 for unit in report.units if unit.get("simulated"))
        if simulated:
            out.print(
                f"SIMULATED: {simulated} of these results came from certtui's Bedrock stand-in, "
                "not AWS",
                highlight=False,
            )
    if report.note:
        click.echo(f"certtui: {safe_text(report.note)}", err=True)
