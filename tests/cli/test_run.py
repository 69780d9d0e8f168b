"""``certtui run`` end to end against ``certtui simulate``, with exports, and its bad input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.cli import run_certtui, simulate_process

REGIONS = "us-east-1,eu-west-1"


@pytest.fixture(scope="module")
def standin() -> Iterator[str]:
    """The default scenario in its own process, with short latencies."""
    with simulate_process("--latency-ms", "20") as url:
        yield url


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "CERTTUI_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "CERTTUI_RETRY_BASE": "0.02",
        "CERTTUI_RETRY_CAP": "0.1",
    }


def test_run_all_in_two_regions_then_export(standin: str, tmp_path: Path) -> None:
    env = _env(tmp_path)
    synced = run_certtui("--endpoint-url", standin, "models", "sync", env=env)
    assert synced.returncode == 0, synced.stderr
    listing = run_certtui("models", "list", env=env)
    assert listing.returncode == 0
    haiku_line = next(line for line in listing.stdout.splitlines()
                      if "anthropic.claude-3-haiku-20240307-v1:0" in line)  # fmt: skip
    assert haiku_line.split()[0] == "Anthropic" and "us-east-1" in haiku_line
    again = run_certtui("--endpoint-url", standin, "models", "sync", env=env)
    assert " 0 added, 0 updated, 0 deactivated, 0 reactivated, 0 availability changes" in (
        again.stdout
    )

    result = run_certtui("--endpoint-url", standin, "run", "--all", "--regions", REGIONS,
                         "--json", env=env)  # fmt: skip
    assert result.returncode == 1, result.stderr  # the default scenario has failures
    summary = json.loads(result.stdout)
    job, units = summary["job"], summary["units"]
    assert job["status"] == "COMPLETED" and job["totalModels"] == len(units) > 40
    assert {u["region"] for u in units} == {"us-east-1", "eu-west-1"}
    assert len({(u["model"], u["region"]) for u in units}) == len(units)
    assert job["successCount"] == sum(1 for u in units if u["status"] == "COMPLETED"
                                      and u["passed"])  # fmt: skip
    assert job["failureCount"] == len(units) - job["successCount"] > 0
    by_key = {(u["model"], u["region"]): u for u in units}
    assert by_key[("anthropic.claude-3-haiku-20240307-v1:0", "us-east-1")]["rating"] == "A"
    assert by_key[("anthropic.claude-v2:1", "us-east-1")]["errorCategory"] == "UNAVAILABLE"
    assert by_key[("ai21.jamba-1-5-large-v1:0", "us-east-1")]["errorCategory"] == "TIMEOUT"
    assert by_key[("mistral.mistral-small-2402-v1:0", "us-east-1")]["errorCategory"] == (
        "CONFIGURATION_ERROR"
    )
    assert any(u["errorCategory"] == "QUALITY_ISSUE" and u["status"] == "COMPLETED"
               for u in units)  # fmt: skip

    listed = json.loads(run_certtui("jobs", "list", "--json", env=env).stdout)
    assert [(j["id"], j["status"], j["processed"]) for j in listed] == [
        (job["id"], "COMPLETED", len(units))
    ]
    table = run_certtui("jobs", "show", job["id"][:8], env=env)
    assert table.returncode == 0
    assert "us-east-1" in table.stdout and f"{job['successCount']} passed" in table.stdout

    exported = json.loads(run_certtui("export", "--format", "json", env=env).stdout)
    rows = exported["certifications"]
    assert len(rows) == len(units)
    haiku = next(r for r in rows if r["modelId"] == "anthropic.claude-3-haiku-20240307-v1:0"
                 and r["region"] == "us-east-1")  # fmt: skip
    assert haiku["score"] == 100.0 and haiku["invokeId"]
    assert {t["id"] for t in haiku["tests"]} >= {"respond", "streaming", "tool_use"}

    junit = tmp_path / "results.xml"
    out = run_certtui("export", "--format", "junit", "--output", str(junit), env=env)
    assert out.returncode == 0, out.stderr
    root = ET.parse(junit).getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(units)
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == job["failureCount"]


def test_recertify_failed_plans_only_what_did_not_pass(standin: str, tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert run_certtui("--endpoint-url", standin, "models", "sync", "--region", "us-east-1",
                       env=env).returncode == 0  # fmt: skip
    first = json.loads(run_certtui("--endpoint-url", standin, "run", "--all", "--region",
                                   "us-east-1", "--json", env=env).stdout)  # fmt: skip
    second = run_certtui("--endpoint-url", standin, "run", "--recertify-failed", "--region",
                         "us-east-1", "--json", env=env)  # fmt: skip
    redo = json.loads(second.stdout)
    assert redo["job"]["type"] == "RECERTIFY"
    assert redo["job"]["totalModels"] == first["job"]["failureCount"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "--all", "--region", "us-east-9"), "unknown region 'us-east-9' (did you mean"),
        (("run", "--model", "acme.nope-v1"), "unknown model id 'acme.nope-v1'"),
        (("run", "--region", "us-east-1"), "choose models with --model ID"),
        (("run", "--all", "--model", "x"), "choose either --model or --all, not both"),
        (("run", "--all", "--concurrency", "0"), "Invalid value for '--concurrency'"),
        (("jobs", "pause", "abcdef"), "no job 'abcdef': see `certtui jobs list`"),
        (("models", "sync", "--region", "mars-north-1"), "unknown region 'mars-north-1'"),
    ],
)
def test_bad_input(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    result = run_certtui(*args, env=_env(tmp_path))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr


def test_empty_catalog_and_bad_suite(tmp_path: Path) -> None:
    env = _env(tmp_path)
    empty = run_certtui("run", "--all", "--region", "us-east-1", env=env)
    assert empty.returncode == 2
    assert "the catalog is empty: run `certtui models sync` first" in empty.stderr
    suite = tmp_path / "suite.toml"
    suite.write_text('name = "mine"\nversion = "1"\n[[tests]]\nid = "a"\nweight = "heavy"\n')
    bad = run_certtui("run", "--all", "--suite", str(suite), env=env)
    assert bad.returncode == 2
    assert "tests[0] (a): weight" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_results_through_the_simulator_are_marked_simulated(standin: str, tmp_path: Path) -> None:
    """`--endpoint-url` at `certtui simulate`: jobs show (text and JSON) says SIMULATED (#10)."""
    env = _env(tmp_path)
    assert run_certtui("--endpoint-url", standin, "models", "sync", env=env).returncode == 0
    result = run_certtui("--endpoint-url", standin, "run", "--model",
                         "anthropic.claude-3-haiku-20240307-v1:0", "--regions", "us-east-1",
                         "--json", env=env)  # fmt: skip
    job = json.loads(result.stdout)["job"]
    shown = json.loads(run_certtui("jobs", "show", job["id"], "--json", env=env).stdout)
    assert [u["simulated"] for u in shown["units"]] == [True]
    text = run_certtui("jobs", "show", job["id"], env=env)
    assert "SIMULATED: 1 of these results came from certtui's Bedrock stand-in" in text.stdout


def test_default_discovery_covers_every_bedrock_region_with_a_progress_line(
    standin: str, tmp_path: Path
) -> None:
    from certtui.bedrock.regions import bedrock_regions

    env = _env(tmp_path)
    synced = run_certtui("--endpoint-url", standin, "models", "sync", env=env)
    total = len(bedrock_regions())
    assert total >= 30
    assert f"discovering {total} regions: {total} done" in synced.stderr
    # The stand-in simulates 19 of them; the others fail at the connection, reported per region.
    assert synced.stdout.startswith(f"synced 19/{total} regions: ")
    assert any(
        line.startswith("certtui: warning: ") and "ap-east-2" in line and "NETWORK_ERROR" in line
        for line in synced.stderr.splitlines()
    ), synced.stderr

    config = tmp_path / "config.toml"
    config.write_text('regions = ["us-east-1", "ap-northeast-3"]\n')
    other_db = {**env, "CERTTUI_DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}"}
    narrowed = run_certtui(
        "--endpoint-url", standin, "--config", str(config), "models", "sync", env=other_db
    )
    assert narrowed.stdout.startswith("synced 2/2 regions: "), narrowed.stderr
    listing = run_certtui("models", "list", env=env)
    sonnet = next(line for line in listing.stdout.splitlines()
                  if "anthropic.claude-sonnet-4-5-20250929-v1:0" in line)  # fmt: skip
    assert "ap-southeast-4" in sonnet
    rerank = next(line for line in listing.stdout.splitlines() if "cohere.rerank-v3-5:0" in line)
    assert rerank.endswith("not applicable: a rerank model (scores documents through Rerank, "
                           "not Converse): the chat suite does not apply")  # fmt: skip
    sonnet3 = next(line for line in listing.stdout.splitlines()
                   if "anthropic.claude-3-sonnet-20240229-v1:0" in line)  # fmt: skip
    assert "end of life 2026-12-21" in sonnet3
