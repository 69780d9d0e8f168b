"""`certtui simulate`: run the Bedrock stand-in on loopback until interrupted."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from certtui.cli.context import Command
from certtui.errors import CannotRunError, UsageError

if TYPE_CHECKING:
    from certtui.standin import Scenario


@click.command("simulate", cls=Command, writes=False)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on."
)
@click.option(
    "--port",
    default=0,
    show_default=True,
    metavar="N",
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scenario file (TOML) describing regions, models and behaviours; default: built in.",
)
@click.option(
    "--seed", default=0, show_default=True, metavar="N", type=int, help="Seed for simulated chance."
)
@click.option(
    "--latency-ms",
    metavar="N",
    type=click.FloatRange(min=0),
    help="Make every runtime call take about this long (for benchmarks).",
)
def simulate(
    host: str, port: int, scenario_path: Path | None, seed: int, latency_ms: float | None
) -> None:
    """Run the Bedrock stand-in: simulated models and regions behind the real wire protocol."""
    # Imported here so other commands do not pay for aiohttp at start-up.
    from certtui.standin import NotLoopbackError, ScenarioError, default_scenario, load_scenario
    from certtui.standin.server import loopback_host

    try:
        loopback_host(host)
        scenario = load_scenario(scenario_path) if scenario_path else default_scenario()
    except (NotLoopbackError, ScenarioError) as exc:
        raise UsageError(str(exc)) from None
    asyncio.run(_serve_until_signalled(scenario, host, port, seed, latency_ms))


async def _serve_until_signalled(
    scenario: Scenario, host: str, port: int, seed: int, latency_ms: float | None
) -> None:
    from certtui.standin import serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with serve(
            scenario, host=host, port=port, seed=seed, latency_ms=latency_ms
        ) as server:
            # The first line is the contract with scripts and tests: they read the URL from it.
            click.echo(f"listening on {server.url}")
            click.echo(
                f"note: answers are SIMULATED by the certtui stand-in (scenario "
                f"{scenario.name!r}, seed {seed}); this is not AWS Bedrock."
            )
            click.echo(
                f"point clients at it with AWS_ENDPOINT_URL_BEDROCK={server.url} "
                f"AWS_ENDPOINT_URL_BEDROCK_RUNTIME={server.url}; stop with Ctrl-C."
            )
            await stop.wait()
    except OSError as exc:
        raise CannotRunError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
