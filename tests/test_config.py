"""Settings precedence: flags > environment > config file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from certtui.config import Settings, default_operator, load_settings
from certtui.errors import UsageError


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_use_the_user_directories(user_dirs: dict[str, Path]) -> None:
    settings = load_settings({}, environ={})
    assert settings.config_path == user_dirs["config"] / "certtui" / "config.toml"
    assert settings.embedded_database == user_dirs["data"] / "certtui" / "certtui.db"
    assert settings.database_url is None and settings.read_only is False
    assert settings.created_by == default_operator() and "@" in settings.created_by


def test_precedence(tmp_path: Path) -> None:
    config = _write(
        tmp_path / "c.toml",
        'database_url = "sqlite:///from-file.db"\ncreated_by = "file@host"\nread_only = true\n',
    )
    environ = {"CERTTUI_CONFIG": str(config)}
    from_file = load_settings({}, environ=environ)
    assert (from_file.database_url, from_file.created_by, from_file.read_only) == (
        "sqlite:///from-file.db", "file@host", True,
    )  # fmt: skip

    environ |= {"CERTTUI_DATABASE_URL": "sqlite:///from-env.db", "CERTTUI_READ_ONLY": "false"}
    from_env = load_settings({}, environ=environ)
    assert (from_env.database_url, from_env.created_by, from_env.read_only) == (
        "sqlite:///from-env.db", "file@host", False,
    )  # fmt: skip

    from_flags = load_settings(
        {"database_url": "sqlite:///from-flag.db", "read_only": None}, environ=environ
    )
    assert from_flags.database_url == "sqlite:///from-flag.db"
    assert from_flags.read_only is False  # an unset flag does not override


def test_config_flag_beats_environment(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.toml", 'created_by = "a"\n')
    b = _write(tmp_path / "b.toml", 'created_by = "b"\n')
    settings = load_settings({"config_path": str(b)}, environ={"CERTTUI_CONFIG": str(a)})
    assert settings.created_by == "b" and settings.config_path == b


def test_bad_environment_boolean_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="CERTTUI_READ_ONLY='maybe': expected true or false"):
        load_settings({}, environ={"CERTTUI_READ_ONLY": "maybe"})


def test_settings_defaults_are_independent() -> None:
    assert Settings().data_dir == Settings().data_dir


def test_config_file_error_names_file_line_and_key(tmp_path: Path) -> None:
    config = _write(
        tmp_path / "c.toml",
        '# shared settings\ncreated_by = "ops@host"\n\nconcurrency = 0\n',
    )
    with pytest.raises(UsageError) as raised:
        load_settings({"config_path": str(config)}, environ={})
    assert str(raised.value) == (
        f"config file {config}:4: concurrency: expected an integer ≥ 1, not 0"
    )


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_config_durations_are_finite_and_positive(tmp_path: Path, value: str) -> None:
    config = _write(tmp_path / "c.toml", f"retry_cap = {value}\n")
    expected = rf":1: retry_cap: expected a number > 0 and ≤ 3600 seconds, not {value}"
    with pytest.raises(UsageError, match=expected):
        load_settings({"config_path": str(config)}, environ={})


def test_environment_errors_name_the_variable() -> None:
    with pytest.raises(
        UsageError,
        match=r"^environment CERTTUI_REGIONS='us-east-1,mars-1': unknown region 'mars-1'",
    ):
        load_settings({}, environ={"CERTTUI_REGIONS": "us-east-1,mars-1"})
    settings = load_settings({}, environ={"CERTTUI_REGIONS": "us-east-1, eu-west-1"})
    assert settings.regions == ("us-east-1", "eu-west-1")


def test_limit_scope_is_cluster_or_process(tmp_path: Path) -> None:
    assert Settings().limit_scope is None  # chosen by the database: cluster on PostgreSQL
    config = _write(tmp_path / "c.toml", 'limit_scope = "process"\n')
    assert load_settings({"config_path": str(config)}, environ={}).limit_scope == "process"
    assert load_settings({}, environ={"CERTTUI_LIMIT_SCOPE": "cluster"}).limit_scope == "cluster"
    bad = _write(tmp_path / "bad.toml", 'concurrency = 4\nlimit_scope = "global"\n')
    with pytest.raises(UsageError) as raised:
        load_settings({"config_path": str(bad)}, environ={})
    assert str(raised.value) == (
        f"config file {bad}:2: limit_scope: unknown value 'global' (expected one of: cluster, "
        "process)"
    )


def test_breaker_keys_reach_the_engine_from_file_and_environment(tmp_path: Path) -> None:
    from certtui.engine.access import engine_config
    from certtui.engine.job import new_breaker

    config = _write(
        tmp_path / "c.toml",
        "breaker_threshold = 5\nbreaker_cooldown = 2.5\nbreaker_outage_wait = 0\nascii = true\n",
    )
    settings = load_settings({"config_path": str(config)}, environ={})
    assert (settings.breaker_threshold, settings.breaker_cooldown) == (5, 2.5)
    assert (settings.breaker_outage_wait, settings.ascii) == (0.0, True)
    breaker = new_breaker(engine_config(settings))
    assert (breaker.threshold, breaker.cooldown, breaker.outage_wait) == (5, 2.5, 0.0)
    environment = {"CERTTUI_BREAKER_THRESHOLD": "2", "CERTTUI_BREAKER_COOLDOWN": "0.5"}
    settings = load_settings({"config_path": str(config)}, environ=environment)
    assert (settings.breaker_threshold, settings.breaker_cooldown) == (2, 0.5)
    assert Settings().breaker_outage_wait == 120.0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("breaker_threshold = 0", "breaker_threshold: expected an integer ≥ 1, not 0"),
        ("breaker_threshold = 1000", "breaker_threshold: expected at most 100 failures, not 1000"),
        ("breaker_threshold = 2.5", "breaker_threshold: expected an integer"),
        ("breaker_cooldown = 0", "breaker_cooldown: expected a number > 0 and ≤ 3600 seconds"),
        ("breaker_cooldown = nan", "breaker_cooldown: expected a number > 0 and ≤ 3600 seconds"),
        ("breaker_outage_wait = -1", "breaker_outage_wait: expected a number ≥ 0 and ≤ 3600"),
        ("breaker_outage_wait = inf", "breaker_outage_wait: expected a number ≥ 0 and ≤ 3600"),
        ('ascii = "yes"', "ascii: "),
    ],
)
def test_bad_breaker_and_ascii_values_name_the_key(tmp_path: Path, line: str, message: str) -> None:
    config = _write(tmp_path / "c.toml", line + "\n")
    with pytest.raises(UsageError) as raised:
        load_settings({"config_path": str(config)}, environ={})
    assert f"{config}:1: {message}" in str(raised.value)


def test_execution_is_auto_local_or_workers(tmp_path: Path) -> None:
    assert load_settings({}, environ={}).execution == "auto"
    config = _write(tmp_path / "c.toml", 'execution = "workers"\n')
    assert load_settings({}, environ={"CERTTUI_CONFIG": str(config)}).execution == "workers"
    assert load_settings({}, environ={"CERTTUI_EXECUTION": "local"}).execution == "local"
    bad = _write(tmp_path / "bad.toml", 'created_by = "a"\nexecution = "cluster"\n')
    with pytest.raises(UsageError) as raised:
        load_settings({}, environ={"CERTTUI_CONFIG": str(bad)})
    assert str(raised.value) == (
        f"config file {bad}:2: execution: unknown value 'cluster' (expected one of: auto, "
        "local, workers)"
    )
    with pytest.raises(UsageError, match="CERTTUI_EXECUTION='remote'"):
        load_settings({}, environ={"CERTTUI_EXECUTION": "remote"})
