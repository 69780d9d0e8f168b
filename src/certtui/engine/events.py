"""The bus that delivers events (``certtui.domain.events``) to any number of subscribers."""

from __future__ import annotations

from collections.abc import Callable

from certtui.domain.events import EngineEvent

Subscriber = Callable[[EngineEvent], None]


class EventBus:
    """Synchronous fan-out: subscribers must be quick (queue or coalesce, never block)."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, event: EngineEvent) -> None:
        """Deliver ``event`` to every subscriber."""
        for subscriber in tuple(self._subscribers):
            subscriber(event)
