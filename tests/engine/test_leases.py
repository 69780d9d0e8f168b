"""Who holds a lease, looked at for real: this process, a process that exited, a reused pid."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from certtui.domain.leases import describe_lease, lease_is_held, lease_is_running
from certtui.engine.leases import holder_is_gone, new_lease, process_start_time, this_process


def test_this_process_is_not_gone() -> None:
    me = this_process()
    assert me["pid"] == os.getpid() and me["started"] == process_start_time(os.getpid())
    assert not holder_is_gone(new_lease("me", 15))


def test_a_process_that_exited_is_gone_at_once() -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    lease = {**new_lease("child", 600), "pid": int(child.stdout)}
    assert holder_is_gone(lease)
    config = {"lease": lease}
    assert not lease_is_held(config, gone=holder_is_gone)
    assert lease_is_held(config)  # without looking, only the (fresh) lease speaks


def test_a_reused_pid_is_gone_and_another_host_is_not_looked_at() -> None:
    lease = new_lease("me", 600)
    assert holder_is_gone({**lease, "started": (lease["started"] or 0) + 1})
    assert not holder_is_gone({**lease, "host": socket.gethostname() + "-elsewhere", "pid": 1})


def test_a_planning_lease_holds_but_does_not_run() -> None:
    config = {"lease": new_lease("planner", 60, planned=True)}
    assert lease_is_held(config, gone=holder_is_gone)
    assert not lease_is_running(config, gone=holder_is_gone)
    expired = {"lease": {**config["lease"], "heartbeat": time.time() - 120}}
    assert not lease_is_held(expired, gone=holder_is_gone)


def test_describe_lease_names_host_pid_and_expiry() -> None:
    text = describe_lease({"owner": "h:42:x", "host": "h", "pid": 42, "heartbeat": 0, "ttl": 60})
    assert text == "h pid 42 until 00:01:00 UTC unless renewed"


def test_a_killed_process_nobody_reaped_yet_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lease = {**new_lease("child", 600), "pid": child.pid,
                 "started": process_start_time(child.pid)}  # fmt: skip
        assert lease["started"] is not None and not holder_is_gone(lease)
        child.kill()
        deadline = time.monotonic() + 30
        while not holder_is_gone(lease) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert holder_is_gone(lease)  # a zombie until wait() below: dead all the same
    finally:
        child.kill()
        child.wait()


def test_a_job_only_planned_is_not_live() -> None:
    from certtui.domain.enums import JobStatus
    from certtui.domain.leases import job_is_live

    assert not job_is_live(JobStatus.QUEUED, {"lease": new_lease("planner", 60, planned=True)})
    assert job_is_live(JobStatus.PROCESSING, {"lease": new_lease("engine", 60)})
