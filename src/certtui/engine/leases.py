"""The owner id a running engine writes into its job's lease (the lease rules are pure, in
``certtui.domain.leases``)."""

from __future__ import annotations

import os
import socket
import uuid


def new_owner() -> str:
    """A lease owner id naming this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
