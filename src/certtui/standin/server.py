"""Running the stand-in: on the current event loop, or in a thread of its own; loopback only."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from certtui.standin.app import DEFAULT_PAGE_SIZE, Standin
from certtui.standin.scenario import FaultRates, Scenario, default_scenario
from certtui.standin.stats import ServerStats

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "NotLoopbackError",
    "StandinServer",
    "ThreadedStandin",
    "loopback_host",
    "serve",
    "start_in_thread",
]

# In-flight handlers get this long to finish when the server stops, then they are cancelled.
_SHUTDOWN_GRACE_S = 1.0


class NotLoopbackError(ValueError):
    """A listen address other than loopback: the stand-in never listens beyond this host."""


def loopback_host(host: str) -> str:
    """The loopback address to bind for `host`, or NotLoopbackError."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise NotLoopbackError(
            f"the stand-in listens on loopback only (127.0.0.1, ::1 or localhost), not {host!r}"
        )
    return host


@dataclass(frozen=True)
class StandinServer:
    """A running stand-in: where it listens and what it has counted."""

    url: str
    host: str
    port: int
    scenario: Scenario
    seed: int
    stats: ServerStats


@asynccontextmanager
async def serve(
    scenario: Scenario | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 0,
    latency_ms: float | None = None,
    faults: FaultRates | None = None,
    sock: socket.socket | None = None,
) -> AsyncIterator[StandinServer]:
    """Run the stand-in on this event loop for the duration of the block (port 0: any free).

    ``sock``: a loopback socket already bound (and maybe listening) to serve on instead, so
    a caller can hand out the URL before the server is up; early connections wait in its
    backlog.
    """
    address = loopback_host(sock.getsockname()[0] if sock is not None else host)
    scenario = (scenario or default_scenario()).with_overrides(faults)
    standin = Standin(scenario, seed=seed, latency_ms=latency_ms)
    runner = web.AppRunner(
        standin.app(),
        access_log=None,
        # A client that hangs up (e.g. its read timeout fired) cancels its handler.
        handler_cancellation=True,
        shutdown_timeout=_SHUTDOWN_GRACE_S,
    )
    await runner.setup()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    given = sock is not None
    sock = sock or socket.socket(family, socket.SOCK_STREAM)
    try:
        if not given:
            # A fixed port must be reusable right after a restart, despite lingering TIME_WAITs.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
        site = web.SockSite(runner, sock)
        await site.start()
    except BaseException:
        sock.close()
        await runner.cleanup()
        raise
    bound = sock.getsockname()[1]
    shown = f"[{address}]" if family == socket.AF_INET6 else address
    try:
        yield StandinServer(
            url=f"http://{shown}:{bound}",
            host=address,
            port=bound,
            scenario=scenario,
            seed=seed,
            stats=standin.stats,
        )
    finally:
        await runner.cleanup()


class ThreadedStandin:
    """A stand-in running on its own event loop in a daemon thread; `stop()` ends it."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._server: StandinServer | None = None
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def server(self) -> StandinServer:
        """The running server's details."""
        assert self._server is not None, "the stand-in is not running"
        return self._server

    @property
    def url(self) -> str:
        """The base URL to give clients as endpoint_url."""
        return self.server.url

    @property
    def stats(self) -> ServerStats:
        """The server's counters (safe to read from this thread)."""
        return self.server.stats

    @property
    def running(self) -> bool:
        """True while the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread to finish."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> ThreadedStandin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(
    scenario: Scenario | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 0,
    latency_ms: float | None = None,
    faults: FaultRates | None = None,
    sock: socket.socket | None = None,
) -> ThreadedStandin:
    """Start the stand-in in a daemon thread and return once it listens (``sock``: see serve)."""
    loopback_host(host)
    handle = ThreadedStandin()

    async def run() -> None:
        handle._loop = asyncio.get_running_loop()
        handle._stop = asyncio.Event()
        try:
            async with serve(
                scenario, host=host, port=port, seed=seed, latency_ms=latency_ms, faults=faults,
                sock=sock,
            ) as server:  # fmt: skip
                handle._server = server
                handle._ready.set()
                await handle._stop.wait()
        except BaseException as exc:  # handed to the starting thread, which raises it
            handle._error = exc
        finally:
            handle._ready.set()

    handle._thread = threading.Thread(
        target=asyncio.run, args=(run(),), name="certtui-standin", daemon=True
    )
    handle._thread.start()
    handle._ready.wait()
    if handle._error is not None:
        handle._thread.join()
        raise handle._error
    return handle
