"""A running job's lease in its config: who runs it, and whether that process still lives.

Pure and light: the screens and the job list read leases without loading the engine.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from typing import Any


def new_owner() -> str:
    """A lease owner id naming this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_is_fresh(config: dict[str, Any] | None, now: float | None = None) -> bool:
    """Whether a job's lease was renewed within its time to live."""
    lease = (config or {}).get("lease")
    if not lease:
        return False
    now = time.time() if now is None else now
    return now - float(lease.get("heartbeat", 0)) < float(lease.get("ttl", 0))
