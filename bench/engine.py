#!/usr/bin/env python3
"""Benchmark the certification engine against the Bedrock stand-in and a bare aioboto3 loop.

Run ``.venv/bin/python bench/engine --help``. It prints, per run and as the median of runs:

* efficiency = ideal / engine wall time, with ideal = calls × latency / concurrency;
* overhead = engine wall time / bare-loop wall time, where the bare loop makes the same number
  and kind of Converse calls at the same concurrency with plain aioboto3 and no database.

The stand-in runs in its own process (the same ``certtui.standin.serve`` that ``certtui
simulate`` runs) with a fixed latency and a healthy scenario written for the benchmark; the
child also answers ``stats`` / ``reset`` on its stdin so the call counts are server-side.
Targets are printed beside the figures, never enforced.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDBENCHMARK",
    "AWS_SECRET_ACCESS_KEY": "benchmark-secret",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}
# Applied before aioboto3 is imported anywhere in this process.
os.environ.update(BENCH_ENV)

REGIONS = (
    "us-east-1", "us-east-2", "us-west-2", "ca-central-1", "eu-west-1",
    "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-northeast-1",
)  # fmt: skip
TARGET_UNITS, TARGET_LATENCY_MS, TARGET_CONCURRENCY = 400, 200.0, 64
TARGET_EFFICIENCY, TARGET_OVERHEAD = 0.90, 1.15
OUTAGE_REGIONS = 6
OUTAGE_UNITS, OUTAGE_REGION_CONCURRENCY, TARGET_OUTAGE_RATIO = 144, 8, 1.2
STANDIN_START_TIMEOUT_S = 60.0
READ_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10.0
CONVERSE, STREAM = "Converse", "ConverseStream"


# ------------------------------------------------------------------ options


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line of the benchmark."""
    parser = argparse.ArgumentParser(
        prog="bench/engine",
        description="Certification engine vs. a bare aioboto3 loop, against the stand-in.",
    )
    parser.add_argument(
        "--units",
        type=_positive,
        default=TARGET_UNITS,
        help=f"(model, region) units to certify (default {TARGET_UNITS})",
    )
    parser.add_argument(
        "--latency-ms",
        type=_positive_float,
        default=TARGET_LATENCY_MS,
        help=f"stand-in latency of every call (default {TARGET_LATENCY_MS:g})",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive,
        default=TARGET_CONCURRENCY,
        help=f"Bedrock calls in flight (default {TARGET_CONCURRENCY})",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL, e.g. postgresql://… (default: a fresh SQLite file per run); "
        "use a scratch database: the benchmark's catalog and jobs are written into it",
    )
    parser.add_argument(
        "--repeat",
        type=_positive,
        default=1,
        help="runs of both loops; the median is printed too (default 1)",
    )
    parser.add_argument("--seed", type=int, default=1, help="stand-in seed (default 1)")
    parser.add_argument(
        "--unreachable-region",
        action="store_true",
        help="instead: a run over six regions, one on a closed port, against the same run "
        "without that region (--units over six regions, default 144; target ratio "
        f"≤ {TARGET_OUTAGE_RATIO:g})",
    )
    # The benchmark starts itself again as the stand-in's process; not for people to use.
    parser.add_argument(
        "--serve-standin", nargs=2, metavar=("SCENARIO", "LATENCY_MS"), help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


# ------------------------------------------------------------------ scenario


def bench_units(units: int) -> list[tuple[str, str]]:
    """Exactly ``units`` (model id, region) pairs: model after model, each over the regions."""
    width = len(REGIONS)
    return [(f"bench.model-{i // width:03d}-v1:0", REGIONS[i % width]) for i in range(units)]


def scenario_toml(pairs: Sequence[tuple[str, str]]) -> str:
    """A stand-in scenario with healthy, fault-free, on-demand models offered at ``pairs``."""
    regions: dict[str, list[str]] = {}
    for model, region in pairs:
        regions.setdefault(model, []).append(region)
    lines = [
        'name = "bench"',
        'description = "Engine benchmark: healthy models, no faults, no flaws."',
        "",
        *(f'[[regions]]\nname = "{region}"\n' for region in REGIONS),
        # Latency comes from --latency-ms; every fault rate of the default profile stays 0.
        "[profiles.default]",
        "",
    ]
    for model, offered in regions.items():
        lines += [
            "[[models]]",
            f'id = "{model}"',
            'provider = "Bench"',
            'input = ["TEXT", "IMAGE"]',
            f"on_demand = {json.dumps(offered)}",
            "",
        ]
    return "\n".join(lines)


# ------------------------------------------------------------------ the stand-in's process


class StandinProcess:
    """The stand-in in a child process; its counters are read over the child's stdin/stdout."""

    def __init__(self, scenario: Path, latency_ms: float, seed: int, workdir: Path) -> None:
        self._stderr = (workdir / "standin.stderr").open("w+")
        command = [sys.executable, str(Path(__file__).resolve()), "--seed", str(seed),
                   "--serve-standin", str(scenario), str(latency_ms)]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env={**os.environ, **BENCH_ENV},
        )
        self.url = self._read_url()

    def _read_url(self) -> str:
        line = self._reply_line(STANDIN_START_TIMEOUT_S)
        prefix = "listening on "
        if not line.startswith(prefix):
            self.stop()
            raise RuntimeError(f"the stand-in did not start: {line!r}\n{self._errors()}")
        return line[len(prefix) :].strip()

    def _reply_line(self, timeout: float) -> str:
        assert self.process.stdout is not None
        box: list[str] = []
        reader = threading.Thread(
            target=lambda: box.append(self.process.stdout.readline()), daemon=True
        )
        reader.start()
        reader.join(timeout)
        if not box:
            raise RuntimeError(f"the stand-in did not answer in {timeout:g}s\n{self._errors()}")
        return box[0]

    def _command(self, name: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(name + "\n")
        self.process.stdin.flush()
        return json.loads(self._reply_line(10.0))

    def stats(self) -> dict[str, Any]:
        """The child's ServerStats snapshot."""
        return self._command("stats")

    def reset(self) -> None:
        """Forget the counters so far."""
        self._command("reset")

    def cpu_seconds(self) -> float:
        """CPU time the child has used so far (user + system), from /proc."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM the child and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()

    def _errors(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()[-2000:]


def serve_standin(scenario_path: str, latency_ms: float, seed: int) -> None:
    """The child's side: serve the scenario (as `certtui simulate` does) and answer commands."""
    from certtui.standin import load_scenario, serve

    scenario = load_scenario(scenario_path)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with serve(scenario, seed=seed, latency_ms=latency_ms) as server:
            print(f"listening on {server.url}", flush=True)
            threading.Thread(
                target=_answer_commands, args=(server.stats, loop, stop), daemon=True
            ).start()
            await stop.wait()

    asyncio.run(main())


def _answer_commands(stats: Any, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Answer `stats` and `reset` lines on stdin; stop serving when the parent goes away."""
    for line in sys.stdin:
        command = line.strip()
        if command == "reset":
            stats.reset()
            print("{}", flush=True)
        elif command == "stats":
            print(json.dumps(stats.snapshot()), flush=True)
    loop.call_soon_threadsafe(stop.set)


# ------------------------------------------------------------------ measuring a phase


@dataclass(frozen=True)
class Phase:
    """Wall and CPU time of one timed phase, and the most calls the stand-in saw at once."""

    wall: float
    cpu: float
    standin_cpu: float
    peak_in_flight: int = 0


class Stopwatch:
    """Wall time, this process's CPU time (every thread) and the stand-in's CPU time."""

    def __init__(self, standin: StandinProcess) -> None:
        self.standin = standin
        self.wall = time.perf_counter()
        self.cpu = time.process_time()
        self.standin_cpu = standin.cpu_seconds()

    def stop(self) -> Phase:
        """The phase measured since this stopwatch was made."""
        return Phase(
            wall=time.perf_counter() - self.wall,
            cpu=time.process_time() - self.cpu,
            standin_cpu=self.standin.cpu_seconds() - self.standin_cpu,
        )


def with_stats(phase: Phase, stats: dict[str, Any]) -> Phase:
    """The phase with the stand-in's peak of calls in flight."""
    return Phase(phase.wall, phase.cpu, phase.standin_cpu, stats["max_in_flight_total"])


# ------------------------------------------------------------------ the engine run


@dataclass(frozen=True)
class EngineRun:
    """What the engine's run measured, with the stand-in's counts of it."""

    phase: Phase
    calls: dict[str, int]
    errors: dict[str, int]
    job: str


async def run_engine(
    standin: StandinProcess, pairs: Sequence[tuple[str, str]], args: argparse.Namespace,
    workdir: Path, *, job_regions: Sequence[str] | None = None, unreachable: str | None = None,
    region_concurrency: int | None = None,
) -> EngineRun:  # fmt: skip
    """Migrate a database, sync the catalog, plan every unit, and time ``JobRunner.run()``.

    ``job_regions`` limits the job to some regions; the run's clients reach ``unreachable``
    (discovered while it was up) at a closed loopback port, as a region whose endpoint went away.
    """
    from certtui.bedrock.clients import BedrockClients
    from certtui.engine.discovery import sync_catalog
    from certtui.engine.job import EngineConfig, JobRunner
    from certtui.engine.planning import JobRequest, plan_job
    from certtui.store.database import create_engine, session_factory
    from certtui.store.migrate import upgrade
    from certtui.suites import default_suite

    regions = sorted({region for _, region in pairs})
    job_regions = sorted(job_regions or regions)
    wanted = sum(1 for _, region in pairs if region in job_regions)
    suite = default_suite()
    engine = create_engine(database_target(args.db, workdir))
    endpoints = {unreachable: closed_port_url()} if unreachable else {}
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        async with (
            BedrockClients(bedrock_settings(standin.url, args.concurrency)) as discovery,
            BedrockClients(bedrock_settings(standin.url, args.concurrency, endpoints)) as clients,
        ):
            synced = await sync_catalog(sessions, discovery, regions)
            if synced.failed:
                raise RuntimeError(f"catalog sync failed in {sorted(synced.failed)}")
            # Every active model where discovery lists it: exactly the scenario's pairs.
            request = JobRequest(regions=tuple(job_regions), all_models=True)
            planned = await plan_job(sessions, request, suite)
            if planned.total != wanted:
                raise RuntimeError(f"planned {planned.total} units, wanted {wanted}")
            for region in job_regions:  # client creation is not what this measures
                await clients.runtime(region)
            config = EngineConfig(
                concurrency=args.concurrency,
                region_concurrency=region_concurrency or args.concurrency,
            )
            runner = JobRunner(sessions, clients, suite, planned.job_id, config)
            standin.reset()
            stopwatch = Stopwatch(standin)
            outcome = await runner.run()
            phase = stopwatch.stop()
    finally:
        await engine.dispose()
    stats = standin.stats()
    return EngineRun(
        phase=with_stats(phase, stats),
        calls={op: stats["calls"].get(op, 0) for op in (CONVERSE, STREAM)},
        errors=stats["errors"],
        job=f"{outcome.status} {outcome.succeeded}✓ {outcome.failed}✗",
    )


def database_target(url: str | None, workdir: Path) -> Any:
    """The --db target, or a fresh SQLite file in ``workdir``."""
    from certtui.store.database import parse_database_url, sqlite_target

    if url:
        return parse_database_url(url)
    return sqlite_target(Path(tempfile.mkdtemp(dir=workdir)) / "bench.sqlite")


def database_kind(url: str | None) -> str:
    """``sqlite`` or ``postgresql``."""
    from certtui.store.database import parse_database_url

    return parse_database_url(url).kind if url else "sqlite"


def bedrock_settings(url: str, concurrency: int, endpoints: dict[str, str] | None = None) -> Any:
    """The engine's client settings: the stand-in's URL, a pool as large as the concurrency."""
    from certtui.bedrock.clients import BedrockSettings

    return BedrockSettings(
        endpoint_url=url,
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_pool_connections=concurrency,
        region_endpoints=tuple((endpoints or {}).items()),
    )


def closed_port_url() -> str:
    """A loopback URL nothing listens on: every connection is refused."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# ------------------------------------------------------------------ one unreachable region


def outage_units(units: int) -> list[tuple[str, str]]:
    """``units`` pairs over the first six regions, model after model."""
    regions = REGIONS[:OUTAGE_REGIONS]
    return [
        (f"bench.model-{i // len(regions):03d}-v1:0", regions[i % len(regions)])
        for i in range(units)
    ]


async def run_outage(args: argparse.Namespace, workdir: Path) -> None:
    """Six regions, one unreachable, against the same run without that region, ``--repeat``
    times: the unreachable region's units should fail fast, not stretch the run."""
    units = args.units if args.units != TARGET_UNITS else OUTAGE_UNITS
    pairs = outage_units(units)
    regions = sorted({region for _, region in pairs})
    dead = regions[0]
    scenario = workdir / "outage-scenario.toml"
    scenario.write_text(scenario_toml(pairs), "utf-8")
    standin = StandinProcess(scenario, args.latency_ms, args.seed, workdir)
    print(
        f"bench/engine --unreachable-region: {units} units over {len(regions)} regions, "
        f"{dead} on a closed port; {args.latency_ms:g} ms per call, concurrency "
        f"{args.concurrency}, {OUTAGE_REGION_CONCURRENCY} per region, default retries",
        flush=True,
    )
    print(f"{'run':>6}  {'without s':>9}  {'with s':>7}  {'ratio':>6}  job with the region down")
    ratios = []
    try:
        for index in range(args.repeat):
            alive = [region for region in regions if region != dead]
            without = await run_engine(
                standin, pairs, args, workdir, job_regions=alive,
                region_concurrency=OUTAGE_REGION_CONCURRENCY,
            )  # fmt: skip
            with_dead = await run_engine(
                standin, pairs, args, workdir, unreachable=dead,
                region_concurrency=OUTAGE_REGION_CONCURRENCY,
            )  # fmt: skip
            ratio = with_dead.phase.wall / without.phase.wall
            ratios.append(ratio)
            print(
                f"{index + 1:>6}  {without.phase.wall:>9.2f}  {with_dead.phase.wall:>7.2f}  "
                f"{ratio:>6.3f}  {with_dead.job}",
                flush=True,
            )
    finally:
        standin.stop()
    median = statistics.median(ratios)
    spread = f" (min {min(ratios):.3f}, max {max(ratios):.3f})" if len(ratios) > 1 else ""
    met = "met" if median <= TARGET_OUTAGE_RATIO else "MISSED"
    print(f"\nratio         {median:.3f}{spread}   target ≤ {TARGET_OUTAGE_RATIO:g}   {met}")


# ------------------------------------------------------------------ the bare loop


@dataclass(frozen=True)
class Call:
    """One request of the bare loop."""

    region: str
    operation: str
    body: dict[str, Any]


def unit_calls(model_id: str, region: str) -> list[Call]:
    """The calls the default suite makes for one healthy unit, in suite order."""
    from certtui.suites import TestKind, build_request, capabilities_for, default_suite

    capabilities = capabilities_for(("TEXT", "IMAGE"), True)
    calls = []
    for test in default_suite().tests:
        if test.skip_reason(capabilities) is not None:
            continue
        operation = STREAM if test.kind is TestKind.STREAM else CONVERSE
        history: list[dict[str, Any]] = []
        for _ in test.turns if test.kind is TestKind.MULTI_TURN else test.turns[:1]:
            request = build_request(test, model_id, history)
            calls.append(Call(region, operation, request))
            reply = {"role": "assistant", "content": [{"text": "Noted."}]}
            history = [*request["messages"], reply]
    return calls


def bare_calls(pairs: Sequence[tuple[str, str]], wanted: dict[str, int]) -> list[Call]:
    """The suite's calls over every unit, trimmed or cycled to exactly ``wanted`` per operation."""
    natural = [call for model, region in pairs for call in unit_calls(model, region)]
    chosen: list[Call] = []
    for operation, count in wanted.items():
        pool = [call for call in natural if call.operation == operation]
        if count and not pool:
            raise RuntimeError(f"the engine made {count} {operation} calls the suite does not")
        chosen += [pool[i % len(pool)] for i in range(count)]
    # Unit order, as the engine sends them, rather than all Converse calls first.
    order = {id(call): index for index, call in enumerate(natural)}
    return sorted(chosen, key=lambda call: order[id(call)])


async def run_bare(standin: StandinProcess, calls: Sequence[Call], concurrency: int) -> Phase:
    """Make ``calls`` with one plain aioboto3 client per region under a semaphore."""
    import aioboto3
    from aiobotocore.config import AioConfig

    config = AioConfig(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_pool_connections=concurrency,
        retries={"total_max_attempts": 1},
    )
    session = aioboto3.Session()
    async with AsyncExitStack() as stack:
        clients = {
            region: await stack.enter_async_context(
                session.client("bedrock-runtime", region_name=region,
                               endpoint_url=standin.url, config=config)
            )
            for region in sorted({call.region for call in calls})
        }  # fmt: skip
        semaphore = asyncio.Semaphore(concurrency)

        async def one(call: Call) -> None:
            async with semaphore:
                client = clients[call.region]
                if call.operation == STREAM:
                    response = await client.converse_stream(**call.body)
                    async for _ in response["stream"]:
                        pass
                else:
                    await client.converse(**call.body)

        stopwatch = Stopwatch(standin)
        await asyncio.gather(*(one(call) for call in calls))
        return stopwatch.stop()


# ------------------------------------------------------------------ one run


@dataclass(frozen=True)
class Result:
    """The figures of one run of both loops."""

    calls: dict[str, int]
    concurrency: int
    latency_ms: float
    engine: Phase
    bare: Phase
    job: str

    @property
    def total_calls(self) -> int:
        """Bedrock calls the stand-in counted in the engine's run."""
        return sum(self.calls.values())

    @property
    def ideal(self) -> float:
        """Wall time if every slot were busy all the time: calls × latency / concurrency."""
        return self.total_calls * self.latency_ms / 1000 / self.concurrency


async def run_once(standin: StandinProcess, args: argparse.Namespace, workdir: Path) -> Result:
    """The engine run, then the bare loop with the call mix the stand-in counted."""
    pairs = bench_units(args.units)
    engine = await run_engine(standin, pairs, args, workdir)
    if engine.errors:
        print(f"warning: the stand-in answered errors: {engine.errors}", file=sys.stderr)
    calls = bare_calls(pairs, engine.calls)
    standin.reset()
    bare = await run_bare(standin, calls, args.concurrency)
    stats = standin.stats()
    made = {op: stats["calls"].get(op, 0) for op in engine.calls}
    if made != engine.calls or stats["errors"]:
        print(f"warning: bare loop made {made}, errors {stats['errors']}", file=sys.stderr)
    return Result(
        calls=engine.calls,
        concurrency=args.concurrency,
        latency_ms=args.latency_ms,
        engine=engine.phase,
        bare=with_stats(bare, stats),
        job=engine.job,
    )


# ------------------------------------------------------------------ the report

# Column title, width, and the figure of a result it shows.
COLUMNS: tuple[tuple[str, int, Any], ...] = (
    ("calls", 6, lambda r: r.total_calls),
    ("engine s", 8, lambda r: r.engine.wall),
    ("bare s", 7, lambda r: r.bare.wall),
    ("ideal s", 7, lambda r: r.ideal),
    ("efficiency", 10, lambda r: r.ideal / r.engine.wall),
    ("overhead", 8, lambda r: r.engine.wall / r.bare.wall),
    ("bare eff", 8, lambda r: r.ideal / r.bare.wall),
    ("eng calls/s", 11, lambda r: r.total_calls / r.engine.wall),
    ("bare calls/s", 12, lambda r: r.total_calls / r.bare.wall),
    ("cpu eng", 7, lambda r: r.engine.cpu),
    ("si cpu eng", 10, lambda r: r.engine.standin_cpu),
    ("cpu bare", 8, lambda r: r.bare.cpu),
    ("si cpu bare", 11, lambda r: r.bare.standin_cpu),
)
FORMATS = {"calls": "{:.0f}", "efficiency": "{:.3f}", "overhead": "{:.3f}", "bare eff": "{:.3f}",
           "eng calls/s": "{:.0f}", "bare calls/s": "{:.0f}"}  # fmt: skip


def figures(result: Result) -> dict[str, float]:
    """Every column's figure for one run."""
    return {title: figure(result) for title, _, figure in COLUMNS}


def median_figures(results: Sequence[Result]) -> dict[str, float]:
    """The median of each column over the runs."""
    rows = [figures(result) for result in results]
    return {title: statistics.median(row[title] for row in rows) for title, _, _ in COLUMNS}


def table_line(name: str, row: dict[str, float], note: str = "") -> str:
    """One line of the results table."""
    cells = [FORMATS.get(title, "{:.2f}").format(row[title]) for title, _, _ in COLUMNS]
    widths = [width for _, width, _ in COLUMNS]
    line = "  ".join(c.rjust(w) for c, w in zip([name, *cells], [6, *widths], strict=True))
    return f"{line}  {note}".rstrip()


def print_header(args: argparse.Namespace) -> None:
    """What is being measured, before the runs start."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"engine benchmark: {args.units} units, concurrency {args.concurrency}, latency "
        f"{args.latency_ms:g} ms, database {database_kind(args.db)}, {args.repeat} run(s); "
        f"{os.cpu_count()} CPUs, load average {load}"
    )
    titles = "  ".join(title.rjust(width) for title, width, _ in COLUMNS)
    print(f"{'run':>6}  {titles}  job", flush=True)


def print_summary(results: Sequence[Result], args: argparse.Namespace) -> None:
    """The median figures with units, and the targets beside them."""
    m = median_figures(results)
    mix = ", ".join(f"{n} {op}" for op, n in results[-1].calls.items())
    kind = database_kind(args.db)
    what = "median of the runs" if len(results) > 1 else "one run"
    print()
    print(f"units         {args.units}")
    print(f"calls         {m['calls']:.0f} ({mix}; counted by the stand-in)")
    peaks = (
        max(r.engine.peak_in_flight for r in results),
        max(r.bare.peak_in_flight for r in results),
    )
    print(f"concurrency   {args.concurrency} calls in flight (the stand-in saw at most "
          f"{peaks[0]} from the engine, {peaks[1]} from the bare loop)")  # fmt: skip
    print(f"latency       {args.latency_ms:g} ms per call (stand-in, no faults)")
    print(f"database      {kind}")
    print(f"engine wall   {m['engine s']:.2f} s   {m['eng calls/s']:.0f} calls/s   ({what})")
    print(f"bare wall     {m['bare s']:.2f} s   {m['bare calls/s']:.0f} calls/s")
    print(f"ideal         {m['ideal s']:.2f} s   (calls × latency / concurrency)")
    met = target_conditions(args)
    print(f"efficiency    {m['efficiency']:.3f}   target ≥ {TARGET_EFFICIENCY:.2f}"
          f"{verdict(m['efficiency'] >= TARGET_EFFICIENCY, met)}")  # fmt: skip
    print(f"overhead      {m['overhead']:.3f}   target ≤ {TARGET_OVERHEAD:.2f}"
          f"{verdict(m['overhead'] <= TARGET_OVERHEAD, met)}")  # fmt: skip
    print(
        f"cpu           engine run: engine process {m['cpu eng']:.2f} s, stand-in "
        f"{m['si cpu eng']:.2f} s; bare loop: {m['cpu bare']:.2f} s, {m['si cpu bare']:.2f} s"
    )
    print(
        f"bare eff      {m['bare eff']:.3f}   (ideal / bare wall: what the stand-in and "
        "aioboto3 allow on this machine)"
    )
    if not met:
        print("(the targets are set for 400 units, 200 ms, concurrency 64, SQLite)")


def target_conditions(args: argparse.Namespace) -> bool:
    """Whether this run is at the conditions the targets are set for."""
    return (
        args.units == TARGET_UNITS
        and math.isclose(args.latency_ms, TARGET_LATENCY_MS)
        and args.concurrency == TARGET_CONCURRENCY
        and database_kind(args.db) == "sqlite"
    )


def verdict(met: bool, at_target_conditions: bool) -> str:
    """`met` / `MISSED` where the target applies, nothing elsewhere."""
    if not at_target_conditions:
        return ""
    return "   met" if met else "   MISSED"


async def main(args: argparse.Namespace) -> None:
    """Start the stand-in, run both loops ``--repeat`` times, print the table and the median."""
    with tempfile.TemporaryDirectory(prefix="certtui-bench-") as tmp:
        workdir = Path(tmp)
        if args.unreachable_region:
            await run_outage(args, workdir)
            return
        scenario = workdir / "engine-scenario.toml"
        scenario.write_text(scenario_toml(bench_units(args.units)), "utf-8")
        standin = StandinProcess(scenario, args.latency_ms, args.seed, workdir)
        try:
            print_header(args)
            results = []
            for index in range(args.repeat):
                results.append(await run_once(standin, args, workdir))
                print(table_line(str(index + 1), figures(results[-1]), results[-1].job), flush=True)
            if len(results) > 1:
                print(table_line("median", median_figures(results)))
            print_summary(results, args)
        finally:
            standin.stop()


if __name__ == "__main__":
    options = parse_args()
    if options.serve_standin:
        serve_standin(options.serve_standin[0], float(options.serve_standin[1]), options.seed)
    else:
        asyncio.run(main(options))
