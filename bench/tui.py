#!/usr/bin/env python3
"""Benchmark the TUI over 200 models × 30 regions: first paint, key-to-repaint latency, memory.

Run ``.venv/bin/python bench/tui --help``. It builds a SQLite database with 6,000
certifications, starts the Bedrock stand-in in its own process (``certtui simulate``), and
prints, with the targets beside them (never enforced):

* cold start to first paint of the real ``certtui`` in a pseudo-terminal (median of runs);
* in those runs, the first switch to each other screen (keys 1, 3, then 2 back), key to
  the screen's title on the terminal (p95 over every switch of every run);
* cold start to first paint of ``certtui --demo`` (a fresh demo, then one whose catalog is
  synced), and when its background catalog sync has filled the matrix;
* key-to-repaint latency p50 / p95 with the app headless, idle and while a job runs at
  concurrency 64 against the stand-in;
* the peak RSS of the TUI process after loading the cells and running the job.

See bench/README.md for what each figure means exactly.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDBENCHMARK",
    "AWS_SECRET_ACCESS_KEY": "benchmark-secret",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "TERM": "xterm-256color",
}
# Settings the benchmark's processes must not inherit from the person running it.
SCRUBBED_ENV = ("COLUMNS", "LINES", "NO_COLOR", "TEXTUAL", "AWS_PROFILE", "AWS_SESSION_TOKEN")

MODELS, REGIONS = 200, 30
VENDORS = (
    ("Amazon", "amazon"), ("Anthropic", "anthropic"), ("Meta", "meta"),
    ("Mistral AI", "mistral"), ("Cohere", "cohere"), ("AI21 Labs", "ai21"),
    ("DeepSeek", "deepseek"), ("Writer", "writer"),
)  # fmt: skip
ERROR_CATEGORIES = (
    "PERMISSION_ERROR", "AUTHENTICATION_ERROR", "UNAVAILABLE", "PROVISIONING_REQUIRED",
    "CONFIGURATION_ERROR", "RATE_LIMIT", "QUOTA_EXCEEDED", "TIMEOUT", "NETWORK_ERROR",
    "MODEL_ERROR", "QUALITY_ISSUE",
)  # fmt: skip
PAUSED_JOB_REGIONS = 5  # the last regions hold the QUEUED units of a paused job

TARGET_FIRST_PAINT_S = 1.0
TARGET_DEMO_FIRST_PAINT_S = 1.5
TARGET_FIRST_SWITCH_P95_MS = 150.0
SWITCHES = (("1", "Models · "), ("3", "Jobs · "), ("2", "Matrix · "))
TARGET_KEY_P95_MS = 100.0
TARGET_RSS_MB = 200.0
STANDIN_START_TIMEOUT_S = 60.0
CHILD_TIMEOUT_S = 600.0
FIRST_PAINT_TIMEOUT_S = 60.0
KEY_TIMEOUT_S = 10.0
LAG_INTERVAL_S = 0.005


# ------------------------------------------------------------------ options


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line of the benchmark."""
    parser = argparse.ArgumentParser(
        prog="bench/tui",
        description="certtui's TUI over 200 models × 30 regions: first paint, key latency, RSS.",
    )
    parser.add_argument("--repeat", type=_positive, default=3,
                        help="cold starts to take the median of (default 3)")  # fmt: skip
    parser.add_argument("--keys", type=_positive, default=200,
                        help="cursor keys pressed in each phase (default 200)")  # fmt: skip
    parser.add_argument("--job-regions", type=_positive, default=10,
                        help="the job certifies every model in this many regions "
                        "(default 10: 2,000 units)")  # fmt: skip
    parser.add_argument("--concurrency", type=_positive, default=64,
                        help="the job's concurrency, also per region (default 64)")  # fmt: skip
    parser.add_argument("--latency-ms", type=float, default=200.0,
                        help="stand-in latency of every call (default 200)")  # fmt: skip
    parser.add_argument("--size", default="120x40", type=_size,
                        help="terminal size COLUMNSxLINES (default 120x40)")  # fmt: skip
    parser.add_argument("--switch-after", type=float, default=1.0, metavar="S",
                        help="seconds after the first paint before the first screen switch "
                        "(default 1.0)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="data and key-timing seed (default 1)")
    parser.add_argument("--history", type=int, default=0, metavar="N",
                        help="N earlier verdicts per certified cell in certification_results "
                        "(default 0; 20 gives 6,000 cells × 20)")  # fmt: skip
    parser.add_argument("--no-encode", action="store_true",
                        help="headless frames are not turned into terminal output "
                        "(by default they are, as the real driver does)")  # fmt: skip
    parser.add_argument("--engine", choices=("process", "inline", "both"), default="both",
                        help="where the job of the key phases runs: a detached engine process "
                        "followed through the database (certtui's default), the TUI's own event "
                        "loop, or both one after the other (default both)")  # fmt: skip
    parser.add_argument("--keep", metavar="DIR", type=Path,
                        help="build the database and logs in DIR and keep them")  # fmt: skip
    # The benchmark starts itself again as the measured TUI process; not for people to use.
    parser.add_argument("--child-keys", metavar="JSON", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _size(text: str) -> tuple[int, int]:
    try:
        columns, lines = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected COLUMNSxLINES, got {text!r}") from None
    if columns < 60 or lines < 16:
        raise argparse.ArgumentTypeError("certtui needs at least 60x16")
    return columns, lines


def child_env(workdir: Path) -> dict[str, str]:
    """The environment of every process the benchmark starts: dummy AWS, XDG in ``workdir``."""
    env = {k: v for k, v in os.environ.items()
           if k not in SCRUBBED_ENV and not k.startswith(("CERTTUI_", "AWS_ENDPOINT"))}  # fmt: skip
    env.update(BENCH_ENV)
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        path = workdir / "xdg" / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name}_HOME"] = str(path)
    return env


# ------------------------------------------------------------------ the data


def region_names() -> list[str]:
    """The 30 regions of the matrix (Bedrock's first, then other AWS regions; alphabetical)."""
    from certtui.bedrock.regions import all_regions, bedrock_regions

    names = list(bedrock_regions())
    names += sorted(r for r, partition in all_regions().items() if partition == "aws"
                    and r not in names)  # fmt: skip
    return sorted(names[:REGIONS])


def model_ids() -> list[tuple[str, str]]:
    """(vendor name, Bedrock model id) of the 200 models."""
    return [
        (VENDORS[i % len(VENDORS)][0], f"{VENDORS[i % len(VENDORS)][1]}.bench-model-{i:03d}-v1:0")
        for i in range(MODELS)
    ]


WORDS = (
    "the", "model", "answered", "with", "a", "short", "and", "accurate", "reply", "that",
    "follows", "every", "instruction", "given", "in", "system", "prompt", "including",
    "format", "length", "tone", "requested", "by", "user", "while", "it", "keeps", "numbers",
    "exact", "names", "tool", "would", "call", "valid", "arguments",
)  # fmt: skip


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


@functools.cache
def _suite() -> Any:
    from certtui.suites import default_suite

    return default_suite()


def test_results(rng: random.Random, invoke_id: str, outcome: str) -> tuple[dict[str, Any], Any]:
    """A testResults document built by the suite's own code, and its score."""
    from certtui.suites.results import TestRecord, build_test_results
    from certtui.suites.scoring import TestStatus, score_tests

    suite = _suite()
    records = []
    for index, test in enumerate(suite.tests):
        if outcome == "failed" and index > 0:
            records.append(TestRecord.skipped(test, "the required test failed: not run"))
            continue
        if outcome == "failed":
            records.append(TestRecord(
                id=test.id, weight=test.weight, required=test.required, status=TestStatus.FAILED,
                reason="the call failed", error_code="AccessDeniedException",
                error_message="You don't have access to the model with the specified model ID. "
                + _sentence(rng, 20), attempts=rng.randint(1, 6),
            ))  # fmt: skip
            continue
        passed = rng.random() < (0.93 if outcome == "passed" else 0.55)
        latency = rng.randint(180, 2400)
        records.append(TestRecord(
            id=test.id, weight=test.weight, required=test.required,
            status=TestStatus.PASSED if passed else TestStatus.FAILED,
            reason="" if passed else "the answer did not contain the expected text",
            client_latency_ms=latency + rng.randint(5, 40), server_latency_ms=latency,
            ttft_ms=rng.randint(90, 600) if test.kind.value == "stream" else None,
            input_tokens=rng.randint(20, 900), output_tokens=rng.randint(5, 400),
            stop_reason=rng.choice(("end_turn", "end_turn", "max_tokens", "tool_use")),
            answer_excerpt=_sentence(rng, rng.randint(8, 45)), attempts=rng.choice((1, 1, 1, 2)),
        ))  # fmt: skip
    extra = {"retries": rng.randint(0, 3), "throttles": rng.randint(0, 2), "simulated": True}
    document = build_test_results(records, invoke_id=invoke_id, suite=suite, extra=extra)
    return document, score_tests(records, suite.pass_threshold)


async def build_database(path: Path, seed: int, history: int = 0) -> dict[str, Any]:
    """Migrate a fresh SQLite file and bulk-insert the catalog, 6,000 certifications and jobs.

    With ``history``, each cell also gets that many verdicts in ``certification_results`` (a
    day apart, without evidence: the TUI reads history on demand, never at start).
    """
    from certtui.domain.enums import CertificationJobType, JobStatus
    from certtui.store.database import create_engine, sqlite_target
    from certtui.store.migrate import upgrade
    from certtui.store.models import (
        AIModel,
        AIProvider,
        CertificationJob,
        ModelCertification,
        ModelRegionAvailability,
        new_id,
    )
    from certtui.store.types import utcnow

    rng = random.Random(seed)
    regions = region_names()
    now = utcnow()
    provider_id = new_id()
    providers = [{"id": provider_id, "name": "AWS Bedrock", "slug": "bedrock",
                  "websiteUrl": "https://aws.amazon.com/bedrock/", "createdAt": now,
                  "updatedAt": now}]  # fmt: skip
    models, availability, certifications = [], [], []
    finished_jobs = [new_id() for _ in range(6)]
    paused_job = new_id()
    queued_regions = set(regions[-PAUSED_JOB_REGIONS:])
    for number, (vendor, api_id) in enumerate(model_ids()):
        model_id = new_id()
        models.append({"id": model_id, "name": f"{vendor} Bench {number:03d}", "apiModelId": api_id,
                       "contextWindow": 200_000, "costPer1kInput": 0.003,
                       "costPer1kOutput": 0.015, "isActive": True, "providerId": provider_id,
                       "createdAt": now, "updatedAt": now})  # fmt: skip
        inputs = ["TEXT", "IMAGE"] if number % 3 else ["TEXT"]
        for region in regions:
            offered = rng.random() >= 0.06
            availability.append({
                "id": new_id(), "modelId": model_id, "region": region, "providerName": vendor,
                "offered": offered, "onDemand": offered, "inferenceProfileId": None,
                "lifecycleStatus": "ACTIVE", "inputModalities": inputs,
                "outputModalities": ["TEXT"], "streamingSupported": True, "discoveredAt": now,
            })  # fmt: skip
            certifications.append(
                _certification(
                    rng,
                    model_id,
                    api_id,
                    region,
                    offered,
                    now,
                    paused_job if region in queued_regions else None,
                    rng.choice(finished_jobs),
                )
            )
    counts: dict[str, int] = {}
    for row in certifications:
        counts[row["status"].value] = counts.get(row["status"].value, 0) + 1
    per_job = len(certifications) // len(finished_jobs)
    jobs = [
        {"id": job_id, "type": CertificationJobType.ALL_MODELS, "regions": regions,
         "modelIds": [m["id"] for m in models], "status": JobStatus.COMPLETED,
         "totalModels": per_job, "processedModels": per_job,
         "successCount": per_job * 7 // 10, "failureCount": per_job - per_job * 7 // 10,
         "startedAt": now - timedelta(days=7 - k, hours=1), "completedAt":
         now - timedelta(days=7 - k), "duration": 3_600_000,
         "config": {"suite": {"name": "default", "version": "1.0"}, "passThreshold": 75.0},
         "createdAt": now - timedelta(days=7 - k, hours=1), "updatedAt": now,
         "createdBy": "bench@tui"}
        for k, job_id in enumerate(finished_jobs)
    ]  # fmt: skip
    queued = counts.get("QUEUED", 0)
    jobs.append(
        {"id": paused_job, "type": CertificationJobType.MULTIPLE_MODELS,
         "regions": sorted(queued_regions), "modelIds": [m["id"] for m in models],
         "status": JobStatus.PAUSED, "totalModels": queued, "processedModels": 0,
         "successCount": 0, "failureCount": 0, "startedAt": now - timedelta(hours=2),
         "completedAt": None, "duration": None,
         "config": {"suite": {"name": "default", "version": "1.0"}, "passThreshold": 75.0},
         "createdAt": now - timedelta(hours=2), "updatedAt": now, "createdBy": "bench@tui"}
    )  # fmt: skip
    engine = create_engine(sqlite_target(path))
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            for table, rows in ((AIProvider, providers), (AIModel, models),
                                (ModelRegionAvailability, availability),
                                (CertificationJob, jobs),
                                (ModelCertification, certifications)):  # fmt: skip
                await connection.execute(table.__table__.insert(), rows)
            history_rows = await _insert_history(connection, rng, certifications, history)
    finally:
        await engine.dispose()
    sizes = [len(json.dumps(row["testResults"])) for row in certifications if row["testResults"]]
    return {
        "statuses": counts,
        "certifications": len(certifications),
        "mean_results_bytes": statistics.fmean(sizes) if sizes else 0,
        "not_offered": sum(not row["offered"] for row in availability),
        "db_bytes": sum(p.stat().st_size for p in path.parent.glob(path.name + "*")),
        "history_rows": history_rows,
    }


async def _insert_history(
    connection: Any, rng: random.Random, certifications: list[dict[str, Any]], per_cell: int
) -> int:
    """``per_cell`` earlier verdicts for each cell, a day apart, in batches."""
    from certtui.domain.enums import CertificationStatus as C
    from certtui.store.models import CertificationResult, new_id

    table = CertificationResult.__table__
    batch: list[dict[str, Any]] = []
    count = 0
    for cert in certifications:
        when = cert["completedAt"] or cert["createdAt"]
        for age in range(1, per_cell + 1):
            passed = rng.random() < 0.75
            score = round(rng.uniform(75, 100) if passed else rng.uniform(20, 74), 1)
            batch.append({
                "id": new_id(), "modelId": cert["modelId"], "region": cert["region"],
                "jobId": None, "status": C.COMPLETED, "passed": passed, "score": score,
                "rating": "A" if score >= 90 else "B" if score >= 75 else "C",
                "errorCategory": None if passed else "QUALITY_ISSUE", "errorMessage": None,
                "testResults": None, "invokeId": None, "simulated": True,
                "startedAt": None, "completedAt": when - timedelta(days=age),
                "duration": rng.randint(4_000, 40_000), "createdAt": when,
                "createdBy": "bench@tui",
            })  # fmt: skip
            if len(batch) >= 5_000:
                await connection.execute(table.insert(), batch)
                count += len(batch)
                batch.clear()
    if batch:
        await connection.execute(table.insert(), batch)
        count += len(batch)
    return count


def _certification(
    rng: random.Random, model_id: str, api_id: str, region: str, offered: bool, now: Any,
    paused_job: str | None, finished_job: str,
) -> dict[str, Any]:  # fmt: skip
    """One certification row in a state drawn to look like a busy catalog."""
    from certtui.domain.enums import CertificationStatus as C
    from certtui.store.models import new_id

    started = now - timedelta(days=rng.randint(0, 6), minutes=rng.randint(0, 1440))
    row: dict[str, Any] = {
        "id": new_id(), "modelId": model_id, "region": region, "status": C.COMPLETED,
        "passed": None, "score": None, "rating": None, "testResults": None,
        "errorMessage": None, "errorCategory": None, "jobId": finished_job,
        "startedAt": None, "completedAt": None, "duration": None,
        "createdAt": started, "updatedAt": started, "createdBy": "bench@tui",
    }  # fmt: skip
    draw = rng.random()
    if paused_job is not None and offered and draw < 0.25:
        row.update(status=C.QUEUED, jobId=paused_job)
        return row
    if draw < 0.04 and offered:
        row.update(status=C.CANCELLED)
        return row
    duration = rng.randint(4_000, 40_000)
    row.update(startedAt=started, completedAt=started + timedelta(milliseconds=duration),
               duration=duration)  # fmt: skip
    if not offered or draw < 0.22:
        category = "UNAVAILABLE" if not offered else rng.choice(ERROR_CATEGORIES)
        document, _ = test_results(rng, f"{api_id}", "failed")
        row.update(status=C.FAILED, passed=False, testResults=document, errorCategory=category,
                   errorMessage=f"{category}: " + _sentence(rng, 14))  # fmt: skip
        return row
    document, score = test_results(rng, api_id, "passed" if draw < 0.8 else "mixed")
    row.update(status=C.COMPLETED, passed=score.passed, score=score.score, rating=score.rating,
               testResults=document)  # fmt: skip
    return row


def scenario_toml() -> str:
    """A stand-in scenario offering the 200 models on demand in the 30 regions, no faults."""
    lines = [
        'name = "bench-tui"',
        'description = "TUI benchmark: 200 healthy models in 30 regions, no faults."',
        "",
        *(f'[[regions]]\nname = "{region}"\n' for region in region_names()),
        "[profiles.default]",
        "",
    ]
    for vendor, api_id in model_ids():
        lines += ["[[models]]", f'id = "{api_id}"', f'provider = "{vendor}"',
                  'input = ["TEXT", "IMAGE"]', 'on_demand = ["*"]', ""]  # fmt: skip
    return "\n".join(lines)


# ------------------------------------------------------------------ the stand-in's process


def installed_certtui() -> str:
    """Which certtui this run measures: version, install mode and where it is imported from.

    Every process of the benchmark runs this Python (``sys.executable``) and the ``certtui``
    console script beside it, so the install measured is chosen by the interpreter the
    benchmark is started with: ``.venv/bin/python bench/tui`` for an editable install,
    ``/path/to/venv/bin/python bench/tui`` for a wheel installed there.
    """
    import json as json_module
    from importlib import metadata

    import certtui

    try:
        distribution = metadata.distribution("certtui")
    except metadata.PackageNotFoundError:
        return f"not installed, imported from {Path(certtui.__file__).parent}"
    direct = distribution.read_text("direct_url.json")
    editable = bool(direct and json_module.loads(direct).get("dir_info", {}).get("editable"))
    mode = "editable install" if editable else "installed (wheel)"
    return f"{distribution.version}, {mode}, imported from {Path(certtui.__file__).parent}"


def certtui_command() -> str:
    """The ``certtui`` console script next to this Python."""
    path = Path(sys.executable).with_name("certtui")
    if not path.exists():
        raise SystemExit(f"no certtui console script at {path}: install certtui into this venv")
    return str(path)


class StandinProcess:
    """``certtui simulate`` in a child process; the URL is read from its first line."""

    def __init__(self, scenario: Path, latency_ms: float, seed: int, workdir: Path) -> None:
        self._stderr = (workdir / "standin.stderr").open("w+")
        command = [certtui_command(), "simulate", "--port", "0", "--latency-ms", f"{latency_ms:g}",
                   "--scenario", str(scenario), "--seed", str(seed)]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL,
            text=True, env=child_env(workdir),
        )  # fmt: skip
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.process.stdout.readline()),
                                  daemon=True)  # fmt: skip
        reader.start()
        reader.join(STANDIN_START_TIMEOUT_S)
        prefix = "listening on "
        if not box or not box[0].startswith(prefix):
            self.stop()
            raise SystemExit(f"the stand-in did not start: {box!r}\n{self.errors()}")
        self.url = box[0][len(prefix) :].strip()
        # Keep reading so the child never blocks on a full pipe.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def stop(self) -> None:
        """SIGTERM the child and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()

    def errors(self) -> str:
        """The tail of the child's stderr."""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()[-2000:]


# ------------------------------------------------------------------ cold start in a terminal


@dataclass(frozen=True)
class ColdStart:
    """One cold start of the real ``certtui``, timed from just before the spawn."""

    first_output: float  # the process wrote its first byte to the terminal
    loading: float  # the "reading the database" screen reached the terminal
    first_paint: float  # the matrix with its 6,000 cells reached the terminal
    peak_rss_mb: float  # the process's peak RSS (it quits after the screen switches)
    exit_status: int
    switches_ms: tuple[tuple[str, float], ...] = ()  # (title, key to title on the terminal)
    filled: float = float("nan")  # --demo: the catalog sync said it was done


class Watch:
    """Waits for a text to reach the terminal after a moment (a key press)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.text: str | None = None
        self.buffer = ""
        self.found = threading.Event()
        self.at = 0.0

    def expect(self, text: str) -> None:
        with self.lock:
            self.text, self.buffer = text, ""
            self.found.clear()

    def feed(self, chunk: str, now: float) -> None:
        with self.lock:
            if self.text is None:
                return
            self.buffer = (self.buffer + chunk)[-65536:]
            if self.text in self.buffer:
                self.text, self.at = None, now
                self.found.set()


def cold_start(
    db: Path | None,
    standin_url: str | None,
    size: tuple[int, int],
    workdir: Path,
    *,
    switch_after: float | None = None,
) -> ColdStart:
    """Run ``certtui --db … --endpoint-url …`` in a pseudo-terminal until the matrix shows.

    ``db`` None: ``certtui --demo`` (its own stand-in and demo database under ``workdir``);
    the run then also waits for the catalog sync. ``switch_after``: that long after the first
    paint, switch to each other screen (SWITCHES) and time each key to its title.
    """
    import fcntl
    import pty
    import struct
    import termios

    demo = db is None
    marker = "Matrix · " if demo else f"Matrix · {MODELS} of {MODELS} models × {REGIONS} regions"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    command = [certtui_command(), "--demo"] if demo else [
        certtui_command(), "--db", f"sqlite:///{db}", "--endpoint-url", str(standin_url)
    ]  # fmt: skip
    seen: dict[str, float] = {}
    done = threading.Event()
    watch = Watch()

    def read_terminal() -> None:
        import codecs

        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        tail = ""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            now = time.monotonic()
            seen.setdefault("output", now)
            text = decoder.decode(chunk)
            watch.feed(text, now)
            tail = (tail + text)[-(len(marker) * 4 + 65536) :]
            if "loading" not in seen and "reading the database" in tail:
                seen["loading"] = now
            if "paint" not in seen and marker in tail:
                seen["paint"] = now
                done.set()
        done.set()

    start = time.monotonic()
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave,
                               env=child_env(workdir), start_new_session=True)  # fmt: skip
    os.close(slave)
    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    done.wait(FIRST_PAINT_TIMEOUT_S)
    filled = float("nan")
    switches: list[tuple[str, float]] = []
    if "paint" in seen and demo:
        watch.expect("catalog synced")
        if watch.found.wait(FIRST_PAINT_TIMEOUT_S):
            filled = watch.at - start
    if "paint" in seen and switch_after is not None:
        time.sleep(switch_after)
        for key, title in SWITCHES:
            watch.expect(title)
            pressed = time.monotonic()
            os.write(master, key.encode())
            if not watch.found.wait(KEY_TIMEOUT_S):
                switches.append((title, float("nan")))
                break
            switches.append((title, (watch.at - pressed) * 1000))
    # The process's own high-water mark, read before it quits: its ru_maxrss would not do, as
    # Linux carries the RSS of the process that forked it (this one, holding the database it
    # built) over the exec into it.
    high_water = _rss_mb(process.pid)[1]
    if "paint" in seen:
        os.write(master, b"q")
    status, _ = _wait_with_rusage(process.pid, 30.0)
    process.returncode = status  # already reaped here; keep Popen from waiting again
    reader.join(5)
    os.close(master)
    if "paint" not in seen:
        raise SystemExit(f"certtui never painted the matrix within {FIRST_PAINT_TIMEOUT_S:g} s")
    return ColdStart(
        first_output=seen["output"] - start,
        loading=seen.get("loading", float("nan")) - start,
        first_paint=seen["paint"] - start,
        peak_rss_mb=high_water,
        exit_status=status,
        switches_ms=tuple(switches),
        filled=filled,
    )


def _wait_with_rusage(pid: int, timeout: float) -> tuple[int, Any]:
    """Reap ``pid`` with its resource usage; SIGTERM, then SIGKILL, when it overstays."""
    deadline = time.monotonic() + timeout
    sent: list[int] = []
    while True:
        reaped, status, rusage = os.wait4(pid, os.WNOHANG)
        if reaped:
            return os.waitstatus_to_exitcode(status), rusage
        if time.monotonic() > deadline:
            signum = signal.SIGTERM if not sent else signal.SIGKILL
            os.kill(pid, signum)
            sent.append(signum)
            deadline = time.monotonic() + 10.0
        time.sleep(0.01)


# ------------------------------------------------------------------ the measured TUI process


def child_keys(config: dict[str, Any]) -> None:
    """The TUI process: load the matrix headless, press keys idle and under load, report JSON."""
    result = asyncio.run(_child_keys(config))
    print(json.dumps(result), flush=True)


def _bench_app_class(probe: Probe, encode: bool) -> Any:
    """CerttuiApp that reports every frame it renders and times its live-update apply."""
    from textual._compositor import CompositorUpdate

    from certtui.tui.app import CerttuiApp

    class BenchApp(CerttuiApp):
        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is None or self._batch_count:
                return
            chars = 0
            if encode and self.is_headless and isinstance(renderable, CompositorUpdate):
                # What the real driver does with a frame before writing it to the terminal.
                chars = len(renderable.render_segments(self.console))
            probe.frame(time.perf_counter(), chars)

        def _apply_engine_events(self) -> None:
            started = time.perf_counter()
            super()._apply_engine_events()
            probe.applies.append((started, time.perf_counter() - started))

    return BenchApp


class Probe:
    """What the hooks record: frames, the cursor, and the time the live updates take."""

    def __init__(self) -> None:
        self.expected: Any = None
        self.cursor_at: float | None = None
        self.frame_at: float | None = None
        self.arrived: asyncio.Event | None = None
        self.frames: list[tuple[float, int]] = []  # (when, characters of terminal output)
        self.applies: list[tuple[float, float]] = []  # (when, seconds): the app's 4 Hz apply
        self.shows: list[tuple[float, float]] = []  # (when, seconds): MatrixScreen.show_data
        # (when, seconds, after a show_data): the matrix screen's update tick (layout + render)
        self.renders: list[tuple[float, float, bool]] = []
        self.shown_since_render = False
        self.collections: list[tuple[float, float, int]] = []  # (when, seconds, generation)
        self._collecting_since = 0.0

    def gc_callback(self, phase: str, info: dict[str, int]) -> None:
        """Time the garbage collector's pauses (a ``gc.callbacks`` entry)."""
        now = time.perf_counter()
        if phase == "start":
            self._collecting_since = now
        else:
            started = self._collecting_since
            self.collections.append((started, now - started, info["generation"]))

    def expect(self, coordinate: Any) -> asyncio.Event:
        """Wait for the first frame after the cursor reaches ``coordinate``."""
        self.expected, self.cursor_at, self.frame_at = coordinate, None, None
        self.arrived = asyncio.Event()
        return self.arrived

    def cursor(self, coordinate: Any) -> None:
        """The matrix's cursor moved (a reactive watcher, called synchronously)."""
        if self.expected is not None and self.cursor_at is None and coordinate == self.expected:
            self.cursor_at = time.perf_counter()

    def frame(self, now: float, chars: int) -> None:
        """A frame was rendered (and encoded)."""
        self.frames.append((now, chars))
        if self.cursor_at is not None and self.frame_at is None and self.arrived is not None:
            self.frame_at = now
            self.expected = None
            self.arrived.set()


class LagMonitor:
    """How late a 5 ms sleep wakes up: time the event loop was busy with something else."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(LAG_INTERVAL_S)
            after = time.perf_counter()
            self.samples.append((after, after - before - LAG_INTERVAL_S))

    def between(self, start: float, end: float) -> list[float]:
        """Lateness samples taken in [start, end]."""
        return [lag for at, lag in self.samples if start <= at <= end]

    def stop(self) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()


def key_plan(start: tuple[int, int], rows: int, columns: int, count: int) -> list[tuple[str, Any]]:
    """Cursor keys that each move the cursor (bouncing off the edges), with where it lands.

    Three vertical moves to one horizontal one, so the table scrolls both ways.
    """
    from textual.coordinate import Coordinate

    row, column = start
    down, right = 1, 1
    plan = []
    for index in range(count):
        if index % 4 == 3:
            if not 0 <= column + right < columns:
                right = -right
            column += right
            key = "right" if right > 0 else "left"
        else:
            if not 0 <= row + down < rows:
                down = -down
            row += down
            key = "down" if down > 0 else "up"
        plan.append((key, Coordinate(row, column)))
    return plan


async def press_keys(
    app: Any, table: Any, probe: Probe, count: int, rng: random.Random
) -> list[dict[str, float]]:
    """Press ``count`` cursor keys; for each, time key → cursor moved → next frame rendered."""
    from textual import events

    coordinate = table.cursor_coordinate
    plan = key_plan((coordinate.row, coordinate.column), table.row_count, len(table.columns),
                    count)  # fmt: skip
    timings = []
    for key, expected in plan:
        arrived = probe.expect(expected)
        sent = time.perf_counter()
        # The path a real terminal's key takes: the driver posts a Key event to the app.
        app._driver.send_message(events.Key(key, None))
        try:
            await asyncio.wait_for(arrived.wait(), KEY_TIMEOUT_S)
        except TimeoutError:
            timings.append({"timeout": 1.0})
            continue
        assert probe.cursor_at is not None and probe.frame_at is not None
        timings.append({"total": probe.frame_at - sent, "to_cursor": probe.cursor_at - sent,
                        "to_frame": probe.frame_at - probe.cursor_at})  # fmt: skip
        # A person holding or tapping an arrow key: 20–80 ms between keys, at every phase of
        # the live-update timer.
        await asyncio.sleep(rng.uniform(0.02, 0.08))
    return timings


def _rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(current RSS, peak RSS) of this process (or ``pid``) in MB, from /proc."""
    values = {}
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan"), float("nan")
    for line in status.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


async def _child_keys(config: dict[str, Any]) -> dict[str, Any]:
    import resource

    from textual.widgets import DataTable

    from certtui.config import Settings
    from certtui.domain.events import JobProgress, JobStateChanged, UnitStateChanged
    from certtui.engine.detached import DetachedService
    from certtui.engine.service import CertificationService
    from certtui.store.opening import open_database
    from certtui.tui.screens.matrix import MatrixScreen

    probe = Probe()
    original_show, original_tick = MatrixScreen.show_data, MatrixScreen._on_timer_update

    def timed_show(screen: Any, cells: Any, *, jobs: bool = True) -> None:
        started = time.perf_counter()
        original_show(screen, cells, jobs=jobs)
        probe.shows.append((started, time.perf_counter() - started))
        probe.shown_since_render = True

    def timed_tick(screen: Any) -> None:
        started = time.perf_counter()
        original_tick(screen)
        probe.renders.append((started, time.perf_counter() - started, probe.shown_since_render))
        probe.shown_since_render = False

    # Timing only: the same methods, measured (this process is the benchmark's own).
    MatrixScreen.show_data = timed_show  # type: ignore[method-assign]
    MatrixScreen._on_timer_update = timed_tick  # type: ignore[method-assign]
    settings = Settings(
        database_url=f"sqlite:///{config['db']}", endpoint_url=config["endpoint"],
        concurrency=config["concurrency"], region_concurrency=config["concurrency"],
        created_by="bench@tui", data_dir=Path(config["workdir"]), engine=config["engine"],
    )  # fmt: skip
    rng = random.Random(config["seed"])
    lag = LagMonitor()
    out: dict[str, Any] = {}
    finished = {"units": 0}
    progress: dict[str, JobProgress | JobStateChanged] = {}
    seen: set[str] = set()

    def count(event: Any) -> None:
        # A detached engine's units may be told twice (planning, then the follower): count once.
        if isinstance(event, UnitStateChanged) and event.status.is_terminal:
            if event.certification_id not in seen:
                seen.add(event.certification_id)
                finished["units"] += 1
        elif isinstance(event, JobProgress | JobStateChanged):
            progress["last"] = event

    def engine_service(database: Any) -> Any:
        if settings.engine == "process":
            return DetachedService(settings, database.sessions, reads=database.reads)
        return CertificationService(settings, database.sessions)

    async with (
        open_database(settings, read_only=False) as database,
        engine_service(database) as service,
    ):
        service.subscribe(count)
        app = _bench_app_class(probe, config["encode"])(database, service=service)
        loaded_at = time.perf_counter()
        async with app.run_test(size=tuple(config["size"])) as pilot:
            lag.start()
            gc.callbacks.append(probe.gc_callback)

            def matrix_table() -> Any:
                if not isinstance(app.screen, MatrixScreen):
                    return None
                table = app.screen.query_one("#matrix", DataTable)
                if table.row_count < MODELS:
                    return None
                last = table.get_row_at(table.row_count - 1)
                return table if str(last[-1]).strip() else None

            while (table := matrix_table()) is None:
                if time.perf_counter() - loaded_at > 120:
                    raise SystemExit("the matrix never filled")
                await pilot.pause(0.02)
            out["load_s"] = time.perf_counter() - loaded_at
            app.watch(table, "cursor_coordinate", probe.cursor, init=False)
            await pilot.pause(1.0)
            out["rss_loaded_mb"] = _rss_mb()[0]

            start = time.perf_counter()
            out["idle"] = await press_keys(app, table, probe, config["keys"], rng)
            out["idle_window"] = _window(probe, lag, start, time.perf_counter())

            regions = sorted({r for _, r in table_keys(app)})[: config["job_regions"]]
            api_ids = [m.api_model_id for m in app.snapshot.models]
            app.certify(api_ids, regions)  # the app's own path, as `c` in the picker
            job_started = time.perf_counter()
            while finished["units"] < config["concurrency"]:  # units completing: under load
                if time.perf_counter() - job_started > 120:
                    raise SystemExit("the job never got going against the stand-in")
                await pilot.pause(0.05)
            out["job_warmup_s"] = time.perf_counter() - job_started
            out["job_start_lag_max_ms"] = 1000 * max(
                lag.between(job_started, time.perf_counter()), default=0.0
            )
            out["rss_job_mb"] = _rss_mb()[0]
            units0, start = finished["units"], time.perf_counter()
            out["load"] = await press_keys(app, table, probe, config["keys"], rng)
            window = _window(probe, lag, start, time.perf_counter())
            last = progress.get("last")
            window.update(
                units=finished["units"] - units0,
                job_total=last.total if last else 0,
                job_processed=last.processed if last else 0,
                job_status=str(last.status) if last else "?",
                job_running=bool(service.running),
                in_flight=getattr(last, "in_flight_calls", None),
                call_limit=getattr(last, "call_limit", None),
            )
            out["load_window"] = window
            lag.stop()
            out["engine_rss_mb"] = None
            for child in getattr(service, "children", {}).values():
                out["engine_rss_mb"] = _rss_mb(child.pid)
            if settings.engine == "process":
                await service.pause_all_and_wait()  # the job must not outlive the benchmark
        out["rss_end_mb"], out["rss_peak_mb"] = _rss_mb()
        out["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def table_keys(app: Any) -> list[tuple[str, str]]:
    """Every (model id, region) cell of the snapshot."""
    return list(app.snapshot.cells)


def _window(probe: Probe, lag: LagMonitor, start: float, end: float) -> dict[str, Any]:
    """What the hooks saw between ``start`` and ``end``, in ms where it is a time."""

    def inside(samples: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [sample for sample in samples if start <= sample[0] <= end]

    frames = inside(probe.frames)
    renders = inside(probe.renders)
    return {
        "seconds": end - start,
        "frames": len(frames),
        "output_kb": sum(chars for _, chars in frames) / 1024,
        "lag_ms": [lag * 1000 for lag in lag.between(start, end)],
        "render_ms": [seconds * 1000 for _, seconds, live in renders if not live],
        "render_live_ms": [seconds * 1000 for _, seconds, live in renders if live],
        "apply_ms": [seconds * 1000 for _, seconds in inside(probe.applies)],
        "show_ms": [seconds * 1000 for _, seconds in inside(probe.shows)],
        "gc2_ms": [seconds * 1000 for _, seconds, gen in inside(probe.collections) if gen == 2],
        "gc_ms": sum(seconds * 1000 for _, seconds, _ in inside(probe.collections)),
    }


def _percentile(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(percent / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def run_key_child(
    db: Path, standin_url: str, args: argparse.Namespace, workdir: Path, engine: str
) -> dict[str, Any]:
    """Start this script as the measured TUI process and read its JSON report."""
    config = {
        "db": str(db), "endpoint": standin_url, "workdir": str(workdir), "seed": args.seed,
        "keys": args.keys, "job_regions": args.job_regions, "concurrency": args.concurrency,
        "size": list(args.size), "encode": not args.no_encode, "engine": engine,
    }  # fmt: skip
    stderr_path = workdir / f"tui-child-{engine}.stderr"
    with stderr_path.open("w") as stderr:
        completed = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child-keys", json.dumps(config)],
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True,
            env=child_env(workdir), timeout=CHILD_TIMEOUT_S, check=False,
        )  # fmt: skip
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        tail = stderr_path.read_text()[-3000:]
        raise SystemExit(f"the TUI process failed ({completed.returncode}):\n{tail}")
    return json.loads(lines[-1])


# ------------------------------------------------------------------ the report


def latency_figures(timings: Sequence[dict[str, float]]) -> dict[str, float]:
    """p50 / p95 / p99 / max / mean of key-to-repaint, and its two parts, in ms."""
    done = [t for t in timings if "total" in t]
    totals = [t["total"] * 1000 for t in done]
    return {
        "n": len(done),
        "timeouts": len(timings) - len(done),
        "p50": _percentile(totals, 50),
        "p95": _percentile(totals, 95),
        "p99": _percentile(totals, 99),
        "max": max(totals, default=0.0),
        "mean": statistics.fmean(totals) if totals else 0.0,
        "cursor_p50": _percentile([t["to_cursor"] * 1000 for t in done], 50),
        "cursor_p95": _percentile([t["to_cursor"] * 1000 for t in done], 95),
        "frame_p50": _percentile([t["to_frame"] * 1000 for t in done], 50),
        "frame_p95": _percentile([t["to_frame"] * 1000 for t in done], 95),
    }


def verdict(met: bool) -> str:
    """`met` / `MISSED`."""
    return "met" if met else "MISSED"


def switch_times(starts: Sequence[ColdStart]) -> list[float]:
    """Every first switch of every run, ms (a switch that never showed counts as infinite)."""
    return [
        ms if ms == ms else float("inf")  # NaN: the title never reached the terminal
        for run in starts
        for _, ms in run.switches_ms
    ]


def print_switches(args: argparse.Namespace, starts: Sequence[ColdStart]) -> float:
    """The first switch to each screen in each cold start; returns their p95 in ms."""
    print()
    print(f"first switch  in each cold start above, {args.switch_after:g} s after the first "
          "paint: key to the screen's title on the terminal, ms")  # fmt: skip
    titles = [title.split(" ·")[0] for _, title in SWITCHES]
    print(f"{'run':>6}  " + "  ".join(f"{'→ ' + t:>10}" for t in titles))
    for index, run in enumerate(starts, 1):
        print(f"{index:>6}  " + "  ".join(f"{ms:>10.1f}" for _, ms in run.switches_ms))
    times = switch_times(starts)
    p95 = _percentile(times, 95)
    print(f"{'p50':>6}  {_percentile(times, 50):>10.1f}   p95 {p95:.1f}  max {max(times):.1f} "
          f"({len(times)} switches)")  # fmt: skip
    return p95


def print_demo(args: argparse.Namespace, demos: Sequence[ColdStart]) -> float:
    """The `certtui --demo` cold starts; returns their median first paint in s."""
    print()
    print(f"demo start    {len(demos)} run(s) of `certtui --demo` in a {args.size[0]}x"
          f"{args.size[1]} pseudo-terminal: run 1 on a fresh demo (empty catalog), the others on "
          "the demo database it synced")  # fmt: skip
    print(f"{'run':>6}  {'first byte s':>12}  {'first paint s':>13}  {'catalog synced s':>16}  "
          f"{'peak RSS MB':>11}  exit")  # fmt: skip
    for index, run in enumerate(demos, 1):
        print(f"{index:>6}  {run.first_output:>12.3f}  {run.first_paint:>13.3f}  "
              f"{run.filled:>16.3f}  {run.peak_rss_mb:>11.1f}  {run.exit_status}")  # fmt: skip
    paint = statistics.median(run.first_paint for run in demos)
    print(f"{'median':>6}  {statistics.median(r.first_output for r in demos):>12.3f}  "
          f"{paint:>13.3f}  {statistics.median(r.filled for r in demos):>16.3f}")  # fmt: skip
    return paint


def print_report(
    args: argparse.Namespace,
    data: dict[str, Any],
    starts: list[ColdStart],
    keys: dict[str, Any],
    engine: str = "inline",
    demos: Sequence[ColdStart] = (),
) -> None:
    """Every figure, with the targets beside the three that have one."""
    print()
    where = (
        "in a detached engine process (`certtui jobs resume`), the TUI following the database"
        if engine == "process"
        else 'on the TUI\'s own event loop (engine = "inline")'
    )
    print(f"=== engine = {engine!r}: the job of the key phases runs {where}")
    print(
        f"cold start    {args.repeat} run(s) of `certtui --db … --endpoint-url …` (read-write, "
        f"the real console script) in a {args.size[0]}x{args.size[1]} pseudo-terminal"
    )
    print(f"{'run':>6}  {'first byte s':>12}  {'loading s':>9}  {'first paint s':>13}  "
          f"{'peak RSS MB':>11}  exit")  # fmt: skip
    for index, run in enumerate(starts, 1):
        print(
            f"{index:>6}  {run.first_output:>12.3f}  {run.loading:>9.3f}  "
            f"{run.first_paint:>13.3f}  {run.peak_rss_mb:>11.1f}  {run.exit_status}"
        )
    paint = statistics.median(run.first_paint for run in starts)
    print(f"{'median':>6}  {statistics.median(r.first_output for r in starts):>12.3f}  "
          f"{statistics.median(r.loading for r in starts):>9.3f}  {paint:>13.3f}  "
          f"{statistics.median(r.peak_rss_mb for r in starts):>11.1f}")  # fmt: skip
    switch_p95 = print_switches(args, starts)
    demo_paint = print_demo(args, demos) if demos else float("nan")

    print()
    print(
        f"key latency   {args.keys} cursor keys per phase (3 vertical : 1 horizontal, bouncing "
        f"off the edges), headless app {args.size[0]}x{args.size[1]}, 20–80 ms between keys"
        f"{'' if args.no_encode else ', frames encoded to terminal output'}"
    )
    print(f"{'':>6}  {'key-to-repaint ms':-^40}  {'p95 of its parts ms':-^25}  "
          f"{'loop lag ms':-^17}")  # fmt: skip
    print(f"{'phase':>6}  {'p50':>6}  {'p95':>6}  {'p99':>6}  {'max':>6}  {'mean':>6}  "
          f"{'lost':>4}  {'key→cursor':>10}  {'cursor→frame':>12}  {'p95':>7}  {'max':>7}  "
          f"{'frames/s':>8}")  # fmt: skip
    figures = {}
    for phase in ("idle", "load"):
        f = figures[phase] = latency_figures(keys[phase])
        w = keys[f"{phase}_window"]
        print(f"{phase:>6}  {f['p50']:>6.1f}  {f['p95']:>6.1f}  {f['p99']:>6.1f}  "
              f"{f['max']:>6.1f}  {f['mean']:>6.1f}  {f['timeouts']:>4}  "
              f"{f['cursor_p95']:>10.1f}  {f['frame_p95']:>12.1f}  "
              f"{_percentile(w['lag_ms'], 95):>7.1f}  {max(w['lag_ms'], default=0):>7.1f}  "
              f"{w['frames'] / w['seconds']:>8.1f}")  # fmt: skip
    w = keys["load_window"]
    print(
        f"under load    a job of {w['job_total']} units at concurrency {args.concurrency} "
        f"(stand-in {args.latency_ms:g} ms per call), {w['job_status']} at the last key; "
        f"{w['units']} units finished in the {w['seconds']:.1f} s of keys "
        f"({w['units'] / w['seconds']:.1f}/s)"
        + (
            f", {w['in_flight']}/{w['call_limit']} calls in flight at the last progress event"
            if w["in_flight"] is not None
            else " (calls in flight: not in the database)"
        )
    )
    print("where the time goes, ms as mean / p95 / max (count), on the event loop:")
    print(f"{'phase':>6}  {'matrix frame, no update':>26}  {'frame after a live update':>26}  "
          f"{'MatrixScreen.show_data':>26}  {'app live apply':>24}  "
          f"{'full GC (gen 2) pauses':>28}  {'all GC':>6}")  # fmt: skip
    for phase in ("idle", "load"):
        w = keys[f"{phase}_window"]
        print(f"{phase:>6}  {_stats(w['render_ms']):>26}  {_stats(w['render_live_ms']):>26}  "
              f"{_stats(w['show_ms']):>26}  {_stats(w['apply_ms'], 2):>24}  "
              f"{_stats(w['gc2_ms']):>28}  {w['gc_ms'] / w['seconds'] / 10:>5.1f}%")  # fmt: skip
    print(
        f"job start     {keys['job_warmup_s']:.1f} s from `certify` until {args.concurrency} units "
        f"had finished (not timed for keys); the event loop stalled up to "
        f"{keys['job_start_lag_max_ms']:.0f} ms meanwhile (planning, reload)"
    )
    print(
        f"memory        after loading the matrix {keys['rss_loaded_mb']:.1f} MB; once the job "
        f"ran {keys['rss_job_mb']:.1f} MB; at the end {keys['rss_end_mb']:.1f} MB; peak "
        f"{peak_rss(keys):.1f} MB (ru_maxrss {keys['ru_maxrss_mb']:.1f}, VmHWM "
        f"{keys['rss_peak_mb']:.1f})"
    )
    if keys.get("engine_rss_mb"):
        now, peak = keys["engine_rss_mb"]
        print(f"              the engine process: {now:.1f} MB at the last key, peak {peak:.1f} MB"
              " (not the TUI's)")  # fmt: skip

    print()
    print("targets")
    p95 = figures["load"]["p95"]
    print(
        f"  first paint (median)            {paint:7.3f} s    target ≤ "
        f"{TARGET_FIRST_PAINT_S:.1f} s     {verdict(paint <= TARGET_FIRST_PAINT_S)}"
    )
    print(
        f"  key-to-repaint p95 under load   {p95:7.1f} ms   target ≤ {TARGET_KEY_P95_MS:.0f} ms"
        f"    {verdict(p95 <= TARGET_KEY_P95_MS and not figures['load']['timeouts'])}"
    )
    rss = peak_rss(keys)
    print(f"  peak RSS of the TUI process     {rss:7.1f} MB   target ≤ {TARGET_RSS_MB:.0f} MB"
          f"    {verdict(rss <= TARGET_RSS_MB)}")  # fmt: skip
    if demos:
        met = verdict(demo_paint <= TARGET_DEMO_FIRST_PAINT_S)
        print(
            f"  demo first paint (median)       {demo_paint:7.3f} s    target ≤ "
            f"{TARGET_DEMO_FIRST_PAINT_S:.1f} s     {met}"
            f"  ({demo_paint / TARGET_DEMO_FIRST_PAINT_S:.2f}× the target)"
        )
    met = verdict(switch_p95 <= TARGET_FIRST_SWITCH_P95_MS)
    print(
        f"  first switch to a screen p95    {switch_p95:7.1f} ms   target ≤ "
        f"{TARGET_FIRST_SWITCH_P95_MS:.0f} ms    {met}"
        f"  ({switch_p95 / TARGET_FIRST_SWITCH_P95_MS:.2f}× the target)"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"  load average at the end         {load}")
    if not keys["load_window"]["job_running"]:
        print("  note: the job finished before the last key; raise --job-regions")


def peak_rss(keys: dict[str, Any]) -> float:
    """The TUI process's peak RSS in MB: its VmHWM. Not ru_maxrss, which Linux carries over
    a fork and exec from the parent (the benchmark, holding the database it built): it read
    177.6 MB for a TUI whose own high-water mark was 131.9 MB."""
    return keys["rss_peak_mb"]


def _stats(values: Sequence[float], digits: int = 1) -> str:
    """``mean / p95 / max (count)``, or a dash for no values."""
    if not values:
        return "—"
    mean, p95, top = statistics.fmean(values), _percentile(values, 95), max(values)
    return f"{mean:.{digits}f} / {p95:.{digits}f} / {top:.{digits}f} ({len(values)})"


def main(args: argparse.Namespace) -> None:
    """Build the data, start the stand-in, run the cold starts and the key phases, report."""
    with tempfile.TemporaryDirectory(prefix="certtui-bench-tui-") as tmp:
        workdir = args.keep.resolve() if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        import textual

        print(f"tui benchmark: {MODELS} models × {REGIONS} regions, Textual {textual.__version__},"
              f" Python {sys.version.split()[0]}; {os.cpu_count()} CPUs, load average {load}",
              flush=True)  # fmt: skip
        print(f"certtui       {installed_certtui()}", flush=True)
        db = workdir / "bench-tui.sqlite"
        for stale in workdir.glob(db.name + "*"):
            stale.unlink()
        started = time.perf_counter()
        data = asyncio.run(build_database(db, args.seed, args.history))
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(data["statuses"].items()))
        print(
            f"database      {data['certifications']} certifications ({statuses}); "
            f"{data['not_offered']} pairs not offered; testResults "
            f"{data['mean_results_bytes']:.0f} B on average; {data['db_bytes'] / 2**20:.1f} MB "
            f"on disk; {data['history_rows']} history rows; built in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        scenario = workdir / "tui-scenario.toml"
        scenario.write_text(scenario_toml(), "utf-8")
        standin = StandinProcess(scenario, args.latency_ms, args.seed, workdir)
        try:
            print(f"stand-in      `certtui simulate` in its own process at {standin.url}, "
                  f"{args.latency_ms:g} ms per call", flush=True)  # fmt: skip
            starts = []
            for _ in range(args.repeat):
                starts.append(cold_start(db, standin.url, args.size, workdir,
                                         switch_after=args.switch_after))  # fmt: skip
                print(f"              cold start {len(starts)}: first paint "
                      f"{starts[-1].first_paint:.3f} s", flush=True)  # fmt: skip
            demos = []
            demo_db = workdir / "xdg" / "data" / "certtui" / "demo.db"
            for stale in demo_db.parent.glob(demo_db.name + "*"):
                stale.unlink()  # run 1 is a fresh demo
            for _ in range(args.repeat):
                demos.append(cold_start(None, None, args.size, workdir))
                print(f"              demo start {len(demos)}: first paint "
                      f"{demos[-1].first_paint:.3f} s, catalog synced "
                      f"{demos[-1].filled:.3f} s", flush=True)  # fmt: skip
            engines = ("process", "inline") if args.engine == "both" else (args.engine,)
            keys = {}
            pristine = workdir / "bench-tui.pristine"
            shutil.copyfile(db, pristine)
            for engine in engines:
                # Each mode starts from the same database: the job of the one before is gone.
                for stale in workdir.glob(db.name + "-*"):
                    stale.unlink()
                shutil.copyfile(pristine, db)
                print(f"              key phases, engine {engine!r} (about a minute)…", flush=True)
                keys[engine] = run_key_child(db, standin.url, args, workdir, engine)
        finally:
            standin.stop()
        for engine in engines:
            print_report(
                args, data, starts, keys[engine], engine, demos if engine == engines[0] else ()
            )
        if len(engines) > 1:
            print()
            print("engine modes side by side (key-to-repaint under load, units/s, peak TUI RSS)")
            for engine in engines:
                f = latency_figures(keys[engine]["load"])
                w = keys[engine]["load_window"]
                print(f"  {engine:>8}  p50 {f['p50']:6.1f} ms  p95 {f['p95']:6.1f} ms  "
                      f"{w['units'] / w['seconds']:6.1f} units/s  "
                      f"{peak_rss(keys[engine]):6.1f} MB")  # fmt: skip
        if args.keep:
            print(f"\nkept {workdir}")


if __name__ == "__main__":
    options = parse_args()
    if options.child_keys:
        child_keys(json.loads(options.child_keys))
    else:
        main(options)
