"""Call slots shared by every process on one PostgreSQL: session advisory locks, one per slot.

A limit of N calls for a scope (the whole cluster, or one region) is N advisory lock keys
``(classid, 0..N-1)``, ``classid`` a hash of the scope's name. Taking a slot is one
``pg_try_advisory_lock`` on a key nobody holds (one statement tries them all, starting at a
random one), giving it back is ``pg_advisory_unlock`` on the same connection. The locks live on a
few dedicated connections per process, never in a transaction: a process that dies, or whose
connection drops, lets go of its slots at once, with no lease to expire and no table to clean.
A counting table (rows locked ``FOR UPDATE SKIP LOCKED``) would need one open transaction per
call in flight, or owner columns and a sweeper for dead processes: see README "How it works".

Learned throttles travel on the ``certtui_limits`` channel: ``share_throttle`` notifies
(region, model, limit) and every process's ``on_throttle`` callback hears it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from certtui.store.database import target_of
from certtui.store.notify import ORIGIN, asyncpg_connect_arguments

if TYPE_CHECKING:
    from certtui.store.database import DatabaseTarget

LIMITS_CHANNEL = "certtui_limits"
WAIT_FIRST = 0.005  # seconds between tries while every slot is taken, doubled up to WAIT_CAP
WAIT_CAP = 0.05
RETRY_CONNECT = 1.0  # seconds without connection attempts after one failed
CONNECT_TIMEOUT = 3.0  # a call waiting for a slot must not wait out a long connect timeout
# pg_try_advisory_lock(int4, int4) for the first free slot: the function is evaluated row by row
# and LIMIT stops at the first lock taken, so one statement takes at most one slot.
# The slots this process holds already are left out first (OFFSET 0 keeps that filter apart, so
# the planner cannot try a lock before it): a session's advisory locks stack, so the connection
# that holds slot k would take k again.
TAKE = """
SELECT k FROM (
    SELECT (s + $3) % $2 AS k FROM generate_series(0, $2 - 1) AS s
    WHERE NOT ((s + $3) % $2 = ANY($4::int[])) OFFSET 0
) AS free WHERE pg_try_advisory_lock($1, k) LIMIT 1
"""
GIVE = "SELECT pg_advisory_unlock($1, $2)"
NOTIFY = "SELECT pg_notify($1, $2)"

log = logging.getLogger(__name__)
_instances = itertools.count()


def scope_key(scope: str) -> int:
    """The advisory lock class id of a scope (``global``, ``region:us-east-1``): a signed int4."""
    value = zlib.crc32(f"certtui:{scope}".encode())
    return value - (1 << 32) if value >= 1 << 31 else value


@dataclass(frozen=True)
class Held:
    """One slot this process holds: its key and the connection that holds the lock."""

    classid: int
    slot: int
    line: _Line
    connection: Any = None  # the session that holds the lock (a new one after a drop does not)


class SlotsUnavailable(Exception):
    """The database cannot be asked for a slot now (it is down, or was a moment ago)."""


class _Line:
    """One dedicated connection; asyncpg runs one statement at a time on it."""

    def __init__(self, arguments: dict[str, Any]) -> None:
        self.arguments = arguments
        self.connection: Any = None
        self.lock = asyncio.Lock()
        self.broken = False
        self._down_until = 0.0  # after a failure, no new connection is tried before this

    async def run(self, query: str, *args: Any) -> Any:
        """Run one statement and return its value.

        ``args`` may be one callable, called once the line is ours, that returns the arguments
        and a function given the value before the line is let go.
        """
        async with self.lock:
            if self.connection is None or self.connection.is_closed():
                if time.monotonic() < self._down_until:
                    raise SlotsUnavailable("the database did not answer a moment ago")
                import asyncpg

                try:
                    self.connection = await asyncpg.connect(**self.arguments)
                except Exception as exc:
                    self._down_until = time.monotonic() + RETRY_CONNECT
                    raise SlotsUnavailable(str(exc) or type(exc).__name__) from exc
                self.broken = False
            after = None
            if len(args) == 1 and callable(args[0]):
                args, after = args[0]()
            try:
                value = await self.connection.fetchval(query, *args)
                if after is not None:
                    after(value)
                return value
            except Exception as exc:
                # A connection that failed mid-statement may have lost its locks: drop it.
                self.broken = True
                self._down_until = time.monotonic() + RETRY_CONNECT
                connection, self.connection = self.connection, None
                if connection is not None:
                    connection.terminate()
                raise SlotsUnavailable(str(exc) or type(exc).__name__) from exc

    async def close(self) -> None:
        async with self.lock:
            connection, self.connection = self.connection, None
            if connection is not None and not connection.is_closed():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), timeout=2)


class ClusterSlots:
    """Take and give back cluster-wide call slots; hear and share throttles.

    ``lines`` dedicated connections carry the locks (a held slot stays on the connection that
    took it). ``on_throttle(region, model, limit)`` is called for a throttle another process
    shared. Close it to let every slot go.
    """

    def __init__(
        self,
        target: DatabaseTarget,
        *,
        lines: int = 2,
        on_throttle: Callable[[str, str, int], None] | None = None,
    ) -> None:
        self.arguments = asyncpg_connect_arguments(target, read_only=False)
        self.arguments["server_settings"] = {
            **self.arguments.get("server_settings", {}),
            "application_name": "certtui-slots",
        }
        self.arguments["timeout"] = min(self.arguments.get("timeout") or 60, CONNECT_TIMEOUT)
        self._lines = [_Line(self.arguments) for _ in range(max(1, lines))]
        self._next = 0
        self.on_throttle = on_throttle
        # Each set of slots hears the others' throttles, even in one process (two jobs of a TUI).
        self.origin = f"{ORIGIN}-{next(_instances)}"
        self._released = asyncio.Event()  # a slot of this process came free: try again now
        self._listening: Any = None
        self._held: dict[int, set[int]] = {}  # class id -> the slots this process holds
        self._orphans: set[asyncio.Task[None]] = set()  # slots going back that nobody wanted
        self.tries = 0  # statements that tried to take a slot
        self.acquired = 0

    def _line(self) -> _Line:
        # The least busy line: one whose lock is free, else round robin.
        for line in self._lines:
            if not line.lock.locked():
                return line
        self._next = (self._next + 1) % len(self._lines)
        return self._lines[self._next]

    async def try_take(self, scope: str, limit: int) -> Held | None:
        """One slot of ``scope``'s ``limit`` if one is free now, else None."""
        classid = scope_key(scope)
        mine = self._held.setdefault(classid, set())
        if len(mine) >= limit:
            return None

        holder: list[Any] = []

        def taken(slot: int | None) -> None:
            if slot is not None:
                mine.add(slot)  # still under the line's lock: the next take leaves it out
                holder.append(line.connection)

        line = self._line()
        self.tries += 1
        # The slots to leave out are read once the line is ours: a take queued behind another
        # on the same connection must not try the slot that one just took (locks stack).
        statement = asyncio.ensure_future(
            line.run(TAKE, lambda: ((classid, limit, random.randrange(limit), sorted(mine)), taken))
        )
        try:
            # Not cut half-way by a cancel: that would drop the connection and with it every
            # slot it holds for other calls. A slot taken for a caller who left goes back.
            slot = await asyncio.shield(statement)
        except asyncio.CancelledError:
            statement.add_done_callback(lambda done: self._orphaned(done, classid, line))
            raise
        if slot is None:
            return None
        self.acquired += 1
        return Held(classid, slot, line, holder[0])

    def _orphaned(self, done: asyncio.Future[Any], classid: int, line: _Line) -> None:
        if done.cancelled() or done.exception() is not None or done.result() is None:
            return
        held = Held(classid, done.result(), line, line.connection)
        task = asyncio.ensure_future(self.give(held))
        self._orphans.add(task)
        task.add_done_callback(self._orphans.discard)

    async def take(self, scope: str, limit: int) -> Held:
        """Wait for a slot of ``scope``'s ``limit``, trying again when one may be free."""
        delay = WAIT_FIRST
        while True:
            self._released.clear()
            held = await self.try_take(scope, limit)
            if held is not None:
                return held
            # Another process frees its slots silently: try again after a short, jittered
            # wait; one of ours that comes free ends the wait at once.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay * (0.5 + random.random())):
                    await self._released.wait()
            delay = min(delay * 2, WAIT_CAP)

    async def give(self, held: Held) -> None:
        """Give a slot back (a slot whose connection dropped was given back by the server)."""
        try:
            if held.line.connection is held.connection and not held.line.broken:
                await held.line.run(GIVE, held.classid, held.slot)
        except Exception as exc:  # the connection is gone, and with it the lock
            log.info("giving back a call slot failed (%s); its connection was dropped", exc)
        finally:
            self._held.get(held.classid, set()).discard(held.slot)
            self._released.set()

    async def share_throttle(self, region: str, model: str, limit: int) -> None:
        """Tell every process that (region, model) was throttled down to ``limit``."""
        payload = json.dumps({"o": self.origin, "r": region, "m": model, "l": limit})
        try:
            await self._lines[0].run(NOTIFY, LIMITS_CHANNEL, payload)
        except Exception as exc:
            log.warning("could not share a throttle of %s in %s: %s", model, region, exc)

    async def listen(self) -> None:
        """Hear throttles other processes share (on a connection of its own)."""
        import asyncpg

        if self._listening is not None:
            return
        self._listening = await asyncpg.connect(**self.arguments)
        await self._listening.add_listener(LIMITS_CHANNEL, self._heard)

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            data = json.loads(payload)
            if data.get("o") == self.origin or self.on_throttle is None:
                return
            self.on_throttle(str(data["r"]), str(data["m"]), int(data["l"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed notification on %s", LIMITS_CHANNEL)

    async def close(self) -> None:
        """Let every slot go and close the connections."""
        if self._orphans:
            await asyncio.gather(*self._orphans, return_exceptions=True)
        listening, self._listening = self._listening, None
        if listening is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listening.close(), timeout=2)
        for line in self._lines:
            await line.close()


def cluster_slots(bind: Any, *, lines: int = 2) -> ClusterSlots | None:
    """Cluster slots on the PostgreSQL database of ``bind`` (an engine or session factory).

    None when it is SQLite, which has one writer process at a time and no advisory locks.
    """
    target = target_of(bind)
    if target is None or target.kind != "postgresql":
        return None
    return ClusterSlots(target, lines=lines)
