"""Who this process is in a lease, and whether another lease's holder is gone (the lease rules
are pure, in ``certtui.domain.leases``)."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Mapping
from typing import Any

from certtui.domain.leases import lease_is_held, lease_is_running


def process_start_time(pid: int) -> int | None:
    """When a running process started, in clock ticks since boot (/proc/<pid>/stat field 22).

    None when there is no such process, it has exited (a zombie nobody reaped yet), or there is
    no /proc to ask.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read().decode(errors="replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    fields = text[text.rfind(")") + 2 :].split()
    if not fields or fields[0] in ("Z", "X"):  # field 3, the state: zombie or dead
        return None
    try:
        return int(fields[19])  # field 22; fields[0] is field 3
    except (IndexError, ValueError):
        return None


def this_process() -> dict[str, Any]:
    """This process as a lease names it: host, pid and start time."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "started": process_start_time(pid)}


def new_owner() -> str:
    """A lease owner id naming this process (and this run: two runs in one process differ)."""
    me = this_process()
    return f"{me['host']}:{me['pid']}:{uuid.uuid4().hex[:8]}"


def new_lease(owner: str, ttl: float, *, planned: bool = False) -> dict[str, Any]:
    """A lease held by this process, renewed now."""
    lease: dict[str, Any] = {"owner": owner, **this_process(), "heartbeat": time.time(), "ttl": ttl}
    if planned:
        lease["planned"] = True
    return lease


def holder_is_gone(lease: Mapping[str, Any]) -> bool:
    """Whether a lease's holder is known to be dead: on this host, its pid is gone or reused.

    A holder on another host cannot be looked at: only its lease's expiry says it is gone.
    """
    pid = lease.get("pid")
    if lease.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    started = process_start_time(pid)
    if started is None:
        if os.path.isdir("/proc/self"):
            return True  # /proc works and has no such process
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    recorded = lease.get("started")
    return recorded is not None and recorded != started


def held(config: Mapping[str, Any] | None, now: float | None = None) -> bool:
    """Whether a process holds the job's lease (planning's included), looking at this host."""
    return lease_is_held(config, now, gone=holder_is_gone)


def running(config: Mapping[str, Any] | None, now: float | None = None) -> bool:
    """Whether an engine runs the job now, looking at this host."""
    return lease_is_running(config, now, gone=holder_is_gone)
