"""Cost of a cluster-wide call slot (PostgreSQL advisory locks) against a process-local one.

    .venv/bin/python bench/cluster_limits.py                     # starts a throw-away PostgreSQL
    .venv/bin/python bench/cluster_limits.py --db postgresql://USER@HOST:PORT/DB --repeat 5

Each run times ``CallLimiter.slot()`` entered and left with no call inside (so the figure is the
limiter's own cost): sequentially (one call at a time: the added latency of a call), and with
``--tasks`` callers at once over 4 regions (what a busy job pays). It prints milliseconds per
slot for process and cluster scope, their difference, the spread over ``--repeat`` runs, and the
load average (the machine is shared: read the figures with it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from certtui.engine.limits import CallLimiter  # noqa: E402
from certtui.store.database import create_engine, parse_database_url  # noqa: E402
from certtui.store.slots import cluster_slots  # noqa: E402

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1")


async def sequential(limiter: CallLimiter, count: int) -> float:
    """Milliseconds per slot taken and given back, one at a time."""
    started = time.perf_counter()
    for index in range(count):
        async with limiter.slot(REGIONS[index % len(REGIONS)], "bench.model-v1:0"):
            pass
    return (time.perf_counter() - started) * 1000 / count


async def concurrent(limiter: CallLimiter, count: int, tasks: int) -> float:
    """Milliseconds of wall time per slot with ``tasks`` callers at once."""

    async def caller(offset: int) -> None:
        for index in range(count // tasks):
            region = REGIONS[(index + offset) % len(REGIONS)]
            async with limiter.slot(region, f"bench.model-{offset % 8}-v1:0"):
                await asyncio.sleep(0)

    started = time.perf_counter()
    await asyncio.gather(*(caller(offset) for offset in range(tasks)))
    return (time.perf_counter() - started) * 1000 / (count // tasks * tasks)


async def one_run(url: str, count: int, tasks: int, lines: int) -> dict[str, float]:
    engine = create_engine(parse_database_url(url))
    figures: dict[str, float] = {}
    try:
        local = CallLimiter(64, 16)
        figures["process seq"] = await sequential(local, count)
        figures["process conc"] = await concurrent(local, count, tasks)
        shared = CallLimiter(64, 16, cluster=cluster_slots(engine, lines=lines))
        await shared.start()
        try:
            await sequential(shared, 50)  # connections opened, statements planned
            figures["cluster seq"] = await sequential(shared, count)
            figures["cluster conc"] = await concurrent(shared, count, tasks)
        finally:
            await shared.aclose()
    finally:
        await engine.dispose()
    return figures


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a PostgreSQL URL (default: start a throw-away server)")
    parser.add_argument("--count", type=int, default=2000, help="slots per measure")
    parser.add_argument("--tasks", type=int, default=32, help="callers at once")
    parser.add_argument("--lines", type=int, default=2, help="dedicated connections")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    server = None
    url = args.db
    if url is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from support.postgres import start_server

        server = start_server()
        url = server.url()
    try:
        print(
            f"cpus {os.cpu_count()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        print(f"{args.count} slots per measure, {args.tasks} callers at once, {args.lines} lines")
        runs = []
        for index in range(args.repeat):
            figures = asyncio.run(one_run(url, args.count, args.tasks, args.lines))
            runs.append(figures)
            print(f"run {index + 1}: " + ", ".join(f"{k} {v:.3f} ms" for k, v in figures.items()))
        print("median (min–max), ms per slot:")
        for key in runs[0]:
            values = [run[key] for run in runs]
            print(
                f"  {key:13} {statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"
            )
        for kind in ("seq", "conc"):
            added = [run[f"cluster {kind}"] - run[f"process {kind}"] for run in runs]
            print(f"cluster − process ({kind}): {statistics.median(added):.3f} ms per slot")
        print(f"load average after: {_load()}")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
