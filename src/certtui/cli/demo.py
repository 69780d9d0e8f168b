"""``--demo``: a separate demo database and the built-in stand-in, started only when needed.

The stand-in's port is reserved (bound, not listening) at once, so every command can be told
its URL without waiting; the server itself (aiohttp, the scenario) starts in the background
only for what calls Bedrock (the TUI, ``run``, ``models sync``, ``jobs resume``, ``serve``):
the socket listens from then on, and a call that arrives before the server is up waits in its
backlog. Read-only commands (``jobs list``, ``models list``, ``info``, ``export`` …) never
start it: nothing listens, nothing is imported for it.
"""

from __future__ import annotations

import os
import socket
import threading
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from certtui.config import Settings

if TYPE_CHECKING:
    from certtui.standin.server import ThreadedStandin

DEMO_DATABASE = "demo.db"


def demo_regions() -> tuple[str, ...]:
    """The regions of the built-in scenario, read from its file (no stand-in import)."""
    path = Path(__file__).resolve().parent.parent / "standin" / "default_scenario.toml"
    with path.open("rb") as file:
        return tuple(region["name"] for region in tomllib.load(file)["regions"])


class DemoStandin:
    """The demo's stand-in: its loopback port reserved now, the server started on demand."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._lock = threading.Lock()
        self._listening = False
        self._starter: threading.Thread | None = None
        self._ready = threading.Event()
        self._handle: ThreadedStandin | None = None
        self._error: BaseException | None = None

    @property
    def started(self) -> bool:
        """Whether the server was asked to start (by a command that calls Bedrock)."""
        return self._starter is not None

    def listen(self) -> None:
        """Accept connections from now on: they wait in the backlog until the server is up."""
        with self._lock:
            if not self._listening:
                self._socket.listen(128)
                self._listening = True

    def start(self) -> None:
        """Start the server in the background (again is harmless); ``wait`` waits for it."""
        self.listen()
        with self._lock:
            if self._starter is None:
                self._starter = threading.Thread(
                    target=self._start, name="certtui-demo-standin-start", daemon=True
                )
                self._starter.start()

    def _start(self) -> None:
        try:
            from certtui.standin.server import start_in_thread

            self._handle = start_in_thread(seed=0, sock=self._socket)
        except BaseException as exc:  # told to whoever waits
            self._error = exc
        finally:
            self._ready.set()

    def wait(self, timeout: float | None = None) -> None:
        """Start the server if needed and return once it serves (raises what stopped it)."""
        self.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the demo stand-in did not start")
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        """Stop the server (once it is up) and give the port back."""
        if self._starter is not None:
            self._ready.wait(30)
        if self._handle is not None:
            self._handle.stop()
        self._socket.close()


def demo_settings(settings: Settings, url: str) -> Settings:
    """Settings for the demo: its own database, the stand-in's URL and its regions."""
    # The stand-in checks no signature, but the SDK needs something to sign with, and must
    # never look for the instance-metadata service.
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    if not settings.profile:
        os.environ["AWS_ACCESS_KEY_ID"] = "AKIDCERTTUIDEMO"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "certtui-demo-not-a-secret"
        os.environ.pop("AWS_SESSION_TOKEN", None)
    return replace(
        settings,
        endpoint_url=url,
        database_url=f"sqlite:///{settings.data_dir / DEMO_DATABASE}",
        regions=demo_regions(),
        retry_base=min(settings.retry_base, 0.25),
    )


async def sync_demo_catalog(settings: Settings, standin: DemoStandin) -> None:
    """Discovery against the stand-in (started if it was not), into the demo database."""
    import asyncio

    from certtui.bedrock.clients import BedrockClients
    from certtui.engine.access import bedrock_settings
    from certtui.engine.discovery import sync_catalog
    from certtui.store.opening import open_database

    await asyncio.to_thread(standin.wait)
    async with (
        open_database(settings) as database,
        BedrockClients(bedrock_settings(settings)) as clients,
    ):
        await sync_catalog(database.sessions, clients, list(settings.regions))
