"""Transitions other processes commit, as engine events: the seam a front end subscribes to.

On PostgreSQL every unit and job transition is notified in its commit (``store.notify``);
``LiveEvents`` listens and publishes what another process changed on a bus of its own, as the
same events this process's jobs publish. A front end subscribes here as it does to the
service, and polls only while ``connected`` is False (SQLite, or a dropped connection).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from certtui.domain.events import EngineEvent
from certtui.engine.events import EventBus

if TYPE_CHECKING:
    from certtui.store.opening import Database


class LiveEvents:
    """Another process's committed transitions, published on ``bus``; state on ``on_state``."""

    def __init__(self, database: Database) -> None:
        from certtui.store.notify import EventListener

        self.bus = EventBus()
        self._watchers: list[Callable[[bool], None]] = []
        self.listener = EventListener(
            database.target, database.reads, self.bus.publish, on_state=self._state,
            read_only=database.read_only,
        )  # fmt: skip

    @classmethod
    def available(cls, database: Database) -> bool:
        """Whether the database can tell its transitions (PostgreSQL only)."""
        return database.target.kind == "postgresql"

    @property
    def connected(self) -> bool:
        """Whether notifications arrive now (otherwise: poll)."""
        return self.listener.connected

    @property
    def connections(self) -> int:
        """How many times the listener (re)connected so far."""
        return self.listener.connections

    def subscribe(self, subscriber: Callable[[EngineEvent], None]) -> Callable[[], None]:
        """Receive every transition another process commits."""
        return self.bus.subscribe(subscriber)

    def watch(self, watcher: Callable[[bool], None]) -> None:
        """Be told when the listener connects (True: catch up once) or drops (False: poll)."""
        self._watchers.append(watcher)

    def _state(self, connected: bool) -> None:
        for watcher in tuple(self._watchers):
            watcher(connected)

    async def __aenter__(self) -> LiveEvents:
        self.listener.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.listener.close()


@asynccontextmanager
async def live_events(database: Database) -> AsyncIterator[LiveEvents | None]:
    """Listen for the database's transitions while the block runs; None on SQLite."""
    if not LiveEvents.available(database):
        yield None
        return
    async with LiveEvents(database) as live:
        yield live
