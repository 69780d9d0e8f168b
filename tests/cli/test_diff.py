"""``certtui diff`` finds a regression injected by switching the stand-in's scenario."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import run_certtui, simulate_process
from support.engine import healthy_scenario_toml

REGIONS = "us-east-1,eu-west-1"
BROKEN = "acme.model-01-v1:0"


def _run(env: dict[str, str], scenario: Path) -> None:
    with simulate_process("--scenario", str(scenario)) as url:
        synced = run_certtui("--endpoint-url", url, "models", "sync", "--region", "us-east-1",
                             "--region", "eu-west-1", env=env)  # fmt: skip
        assert synced.returncode == 0, synced.stderr
        ran = run_certtui("--endpoint-url", url, "run", "--all", "--regions", REGIONS, env=env)
        assert ran.returncode in (0, 1), ran.stderr


def test_diff_finds_the_injected_regression_and_exits_1(tmp_path: Path) -> None:
    env = {"CERTTUI_DATABASE_URL": f"sqlite:///{tmp_path / 'diff.db'}"}
    healthy = tmp_path / "healthy.toml"
    healthy.write_text(healthy_scenario_toml(2))
    # The same scenario, but access to one model is now denied in us-east-1.
    broken = tmp_path / "broken.toml"
    broken.write_text(
        healthy_scenario_toml(2).replace(
            f'id = "{BROKEN}"', f'id = "{BROKEN}"\naccess_denied = ["us-east-1"]'
        )
    )
    assert "access_denied" in broken.read_text()

    nothing = run_certtui("diff", env=env)
    assert nothing.returncode == 2 and "two completed jobs" in nothing.stderr
    _run(env, healthy)
    _run(env, healthy)
    same = run_certtui("diff", env=env)
    assert same.returncode == 0, same.stderr
    assert "0 regressions" in same.stdout
    _run(env, broken)

    text = run_certtui("diff", env=env)
    assert text.returncode == 1, text.stderr
    (line,) = [line for line in text.stdout.splitlines() if line.startswith("REGRESSED")]
    assert BROKEN in line and "us-east-1" in line and "PERMISSION_ERROR" in line
    report = json.loads(run_certtui("diff", "--format", "json", env=env).stdout)
    assert [(r["model"], r["region"]) for r in report["regressions"]] == [(BROKEN, "us-east-1")]
    assert report["regressions"][0]["after"]["errorCategory"] == "PERMISSION_ERROR"
    assert report["cells"] == 4 and report["recoveries"] == [] and report["new"] == []
    markdown = run_certtui("diff", "--format", "markdown", env=env)
    assert markdown.returncode == 1 and f"| REGRESSED | `{BROKEN}` | us-east-1 |" in markdown.stdout

    # Back to healthy: the same cell is a recovery, and nothing regressed.
    _run(env, healthy)
    back = json.loads(run_certtui("diff", "--format", "json", env=env).stdout)
    assert [(r["model"], r["region"]) for r in back["recoveries"]] == [(BROKEN, "us-east-1")]
    assert back["regressions"] == []
    # Jobs named explicitly: the first against the third.
    jobs = json.loads(run_certtui("jobs", "list", "--json", env=env).stdout)
    first, third = jobs[-1]["id"], jobs[1]["id"]
    named = run_certtui("diff", first[:8], third, env=env)
    assert named.returncode == 1 and BROKEN in named.stdout


def test_diff_of_an_unknown_job_is_a_usage_error(tmp_path: Path) -> None:
    env = {"CERTTUI_DATABASE_URL": f"sqlite:///{tmp_path / 'diff.db'}"}
    result = run_certtui("diff", "nope-nope", "other-job", env=env)
    assert result.returncode == 2 and result.stderr.startswith("certtui: error: no job")
