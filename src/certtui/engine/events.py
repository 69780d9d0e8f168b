"""The bus that delivers events (``certtui.domain.events``) to any number of subscribers."""

from __future__ import annotations

import logging
from collections.abc import Callable

from certtui.domain.events import EngineEvent

Subscriber = Callable[[EngineEvent], None]

log = logging.getLogger(__name__)


class EventBus:
    """Synchronous fan-out: subscribers must be quick (queue or coalesce, never block).

    A subscriber that raises is logged and skipped for that event: events are published from
    the job's own paths (a commit callback of its writer, its heartbeat), so a fault in a
    screen or any other listener must never stop the job or starve the other subscribers.
    """

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self.failures = 0  # subscriber calls that raised so far

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, event: EngineEvent) -> None:
        """Deliver ``event`` to every subscriber; one that raises does not stop the others."""
        for subscriber in tuple(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                self.failures += 1
                log.exception("an event subscriber failed on %r; the job goes on", event)
