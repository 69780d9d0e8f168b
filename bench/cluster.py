#!/usr/bin/env python3
"""Benchmark `certtui worker`: one job's throughput on 1, 2 and 4 workers against the ideal.

Run ``.venv/bin/python bench/cluster.py --help``. For each worker count N it uses a fresh
PostgreSQL database, syncs the catalog from the stand-in, starts N ``certtui worker`` processes
(``--concurrency C --region-concurrency C``: limits that do not bind), submits one job with
``certtui run --submit`` and times it from the job's creation to its completion (the database's
``createdAt`` and ``completedAt``: queueing, claims and acks included). It prints:

* efficiency = ideal / wall, with ideal = calls × latency / (N × C), calls counted by the
  stand-in (target ≥ 0.85 at 4 workers);
* queue overhead per unit (ms): per slice, from PGQueuer's pick (or the end of the worker's
  previous claim, as a worker claims one slice at a time) to certtui's claim commit, plus from
  the slice's end commit to PGQueuer's ack (``pgqueuer_log``), divided by its units;
* the CPU seconds the workers and the stand-in used during the job: a stand-in near one CPU
  second per second is the ceiling (it serves every call of every worker in one process);
* the load average before and after (other work on the same cores shows in the figures).

The stand-in runs in its own process as in ``bench/engine`` (its process and scenario are
reused from there). PostgreSQL: ``--db postgresql://USER@HOST:PORT/postgres`` (a scratch server:
one database per worker count is created in it), or by default a throw-away cluster started
like the tests' (``tests/support/postgres.py``). Targets are printed, never enforced.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # support.postgres: the tests' throw-away server


def _engine_bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_engine", HERE / "engine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_engine"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


engine_bench = _engine_bench()  # sets the dummy AWS environment first, as bench/engine does
TARGET_EFFICIENCY = 0.85
READY_TIMEOUT_S = 60


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/cluster.py", description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=240, help="units of the job (default 240)")
    parser.add_argument("--latency-ms", type=float, default=200.0, help="stand-in latency")
    parser.add_argument("--concurrency", type=int, default=16, help="calls per worker (16)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    parser.add_argument("--db", metavar="URL", help="a scratch PostgreSQL server's URL")
    return parser.parse_args()


def certtui(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "certtui", *args], capture_output=True, text=True,
        env={**os.environ, **env}, timeout=600, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"certtui {' '.join(args)}: {result.stderr.strip()}")
    return result


async def create_database(server_url: str, name: str) -> str:
    import asyncpg

    plain = server_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(plain)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    base = server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def measure(url: str, job_id: str) -> tuple[float, float, int]:
    """The job's wall time (s), the queue's overhead per unit (ms) and its units."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        job = await conn.fetchrow(
            'SELECT "createdAt", "completedAt", "totalModels" FROM certification_jobs '
            "WHERE id = $1",
            job_id,
        )
        # certtui writes naive UTC; pgqueuer's log is timestamptz: compare both in UTC.
        rows = await conn.fetch(
            """
            SELECT s.worker, s."claimedAt", s."endedAt", jsonb_array_length(s."unitIds") AS units,
                   (SELECT max(created AT TIME ZONE 'UTC') FROM pgqueuer_log l
                     WHERE l.job_id = s."queueJobId" AND l.status = 'picked') AS picked,
                   (SELECT max(created AT TIME ZONE 'UTC') FROM pgqueuer_log l
                     WHERE l.job_id = s."queueJobId" AND l.status = 'successful') AS acked
            FROM certtui_slices s WHERE s."jobId" = $1
            """,
            job_id,
        )
    finally:
        await conn.close()
    wall = (job["completedAt"] - job["createdAt"]).total_seconds()
    complete = [r for r in rows if r["picked"] and r["acked"] and r["claimedAt"] and r["endedAt"]]
    # A worker claims one slice at a time: a slice's claim starts at its pick or at the end
    # of the worker's claim before it, whichever is later (its wait in line is not queue work).
    overhead = 0.0
    previous: dict[str, object] = {}
    for r in sorted(complete, key=lambda r: r["claimedAt"]):
        begun = max(r["picked"], previous.get(r["worker"], r["picked"]))
        previous[r["worker"]] = r["claimedAt"]
        overhead += max(0.0, (r["claimedAt"] - begun).total_seconds())
        overhead += max(0.0, (r["acked"] - r["endedAt"]).total_seconds())
    return wall, overhead * 1000 / max(1, job["totalModels"]), job["totalModels"]


def start_workers(count: int, args: argparse.Namespace, env: dict[str, str], endpoint: str):  # type: ignore[no-untyped-def]
    workers = []
    for index in range(count):
        process = subprocess.Popen(
            [sys.executable, "-m", "certtui", "--endpoint-url", endpoint, "worker",
             "--name", f"bench-{index}", "--concurrency", str(args.concurrency),
             "--region-concurrency", str(args.concurrency)],
            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip
        workers.append(process)
    for process in workers:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "ready" not in line:
            raise RuntimeError(f"a worker did not start: {line!r}")
    return workers


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user + system), from /proc; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone, or a server on another host
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """CPU time of this process's waited-for children (the ``certtui`` commands it ran)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_cpu() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far (every core), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(values[:8])  # guest time is already counted in user time
    idle = values[3] + values[4]  # idle, iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick


async def backend_pids(url: str) -> list[int]:
    """The server processes serving the benchmark's database (PostgreSQL forks one each)."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return [row["pid"] for row in rows]


class CpuMeter:
    """CPU seconds of the processes taking part in one job, from its start to its end.

    Workers and the stand-in are read from /proc; PostgreSQL's backends of the database are
    found in pg_stat_activity at both ends (a backend born during the job counts whole; one
    that ended before the job did is missed); the submitting command is a waited-for child.
    """

    def __init__(self, workers: list[int], standin: int, url: str) -> None:
        self.workers, self.standin, self.url = workers, standin, url
        self.used: dict[str, float] = {}

    async def start(self) -> None:
        self._backends = {pid: cpu_seconds(pid) for pid in await backend_pids(self.url)}
        self._workers = [cpu_seconds(pid) for pid in self.workers]
        self._standin = cpu_seconds(self.standin)
        self._children = children_cpu_seconds()
        self._machine = machine_cpu()

    async def stop(self) -> None:
        pairs = zip(self.workers, self._workers, strict=True)
        workers = [cpu_seconds(pid) - was for pid, was in pairs]
        now = {pid: cpu_seconds(pid) for pid in await backend_pids(self.url)}
        postgres = sum(used - self._backends.get(pid, 0.0) for pid, used in now.items())
        self.used = {
            "workers": sum(workers),
            "stand-in": cpu_seconds(self.standin) - self._standin,
            "postgres": max(0.0, postgres),
            "submit": children_cpu_seconds() - self._children,
        }
        self.per_worker = workers
        busy, total = machine_cpu()
        self.machine_busy = busy - self._machine[0]  # CPU seconds every process used
        self.machine_total = total - self._machine[1]  # CPU seconds the cores offered

    @property
    def others(self) -> float:
        """CPU seconds processes outside the job used meanwhile (other work on the machine)."""
        return max(0.0, self.machine_busy - self.total)

    @property
    def total(self) -> float:
        return sum(self.used.values())


def stop_workers(workers) -> None:  # type: ignore[no-untyped-def]
    for process in workers:
        process.send_signal(signal.SIGTERM)
    for process in workers:
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


async def run(args: argparse.Namespace, server_url: str, workdir: Path) -> None:
    scenario = workdir / "cluster-scenario.toml"
    pairs = engine_bench.bench_units(args.units)
    scenario.write_text(engine_bench.scenario_toml(pairs), "utf-8")
    regions = sorted({region for _, region in pairs})
    standin = engine_bench.StandinProcess(scenario, args.latency_ms, 1, workdir)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"bench/cluster: {args.units} units, {args.latency_ms:g} ms, {args.concurrency} calls "
        f"per worker; {os.cpu_count()} CPUs, load average {load}"
    )
    cpus = os.cpu_count() or 1
    print(f"{'workers':>7} {'calls':>6} {'wall s':>7} {'ideal s':>7} {'efficiency':>10} "
          f"{'queue ms/unit':>13} {'cpu s':>6} {'cpu-bound s':>11} {'ceiling':>7}")  # fmt: skip
    details = []
    try:
        for count in [int(n) for n in args.workers.split(",")]:
            url = await create_database(server_url, f"bench_cluster_{os.getpid()}_{count}")
            # Limits high enough not to bind (the terms): each worker its own 16 calls.
            # With limit_scope = "cluster" (the default on PostgreSQL) --concurrency is the
            # limit of all workers together, and N workers would share 16 calls: that measures
            # the limit, not the queue.
            env = {"CERTTUI_DATABASE_URL": url, "CERTTUI_LIMIT_SCOPE": "process"}
            certtui("db", "upgrade", env=env)
            certtui("--endpoint-url", standin.url, "models", "sync",
                    *(f"--region={r}" for r in regions), env=env)  # fmt: skip
            workers = start_workers(count, args, env, standin.url)
            meter = CpuMeter([p.pid for p in workers], standin.process.pid, url)
            try:
                standin.reset()
                await meter.start()
                job = (
                    "run",
                    "--submit",
                    "--wait",
                    "--json",
                    "--all",
                    "--regions",
                    ",".join(regions),
                )
                submitted = certtui("--endpoint-url", standin.url, *job, env=env)
                job_id = submitted.stderr.split("job ", 1)[1].split(":", 1)[0]
                stats = standin.stats()
                calls = sum(stats["calls"].values())
                await meter.stop()
            finally:
                stop_workers(workers)
            wall, queue_ms, _ = await measure(url, job_id)
            ideal = calls * args.latency_ms / 1000 / (count * args.concurrency)
            # The CPU the job's processes used, spread over every core of the machine, is a
            # floor on its wall time whatever the queue does: the efficiency cannot pass
            # ideal / that floor (less still when other work shares the cores).
            bound = meter.total / cpus
            ceiling = min(1.0, ideal / bound) if bound > 0 else 1.0
            busy = meter.machine_busy / meter.machine_total if meter.machine_total else 0.0
            share = meter.total / meter.machine_busy if meter.machine_busy else 1.0
            print(f"{count:>7} {calls:>6} {wall:>7.2f} {ideal:>7.2f} {ideal / wall:>10.3f} "
                  f"{queue_ms:>13.1f} {meter.total:>6.1f} {bound:>11.2f} {ceiling:>7.3f}",
                  flush=True)  # fmt: skip
            load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
            parts = ", ".join(f"{name} {value:.1f}" for name, value in meter.used.items())
            each = "/".join(f"{value:.1f}" for value in meter.per_worker)
            details.append(
                f"{count} workers: cpu s {parts} (each worker {each}); other processes "
                f"{meter.others:.1f}; machine busy {busy:.0%} of {cpus} CPUs, the job's share "
                f"{share:.0%}; calls in flight at "
                f"most {stats['max_in_flight_total']} of {count * args.concurrency}; load {load}"
            )
    finally:
        standin.stop()
    for line in details:
        print(line)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"target: efficiency ≥ {TARGET_EFFICIENCY} at 4 workers; load average now {load}")
    print(
        f"cpu s: the job's processes from its start to its end; cpu-bound s = cpu s / {cpus} "
        "CPUs, the shortest wall time the machine allows; ceiling = ideal / cpu-bound s. "
        "With the machine near 100 % busy, other processes' CPU is time the job waited for"
    )


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="certtui-bench-cluster-") as tmp:
        if args.db:
            asyncio.run(run(args, args.db, Path(tmp)))
            return
        from support.postgres import start_server

        server = start_server()
        try:
            asyncio.run(run(args, server.url("postgres"), Path(tmp)))
        finally:
            server.stop()


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"({time.monotonic() - started:.0f} s)")
