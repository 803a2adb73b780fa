"""Flags: every bad value of every flag is refused before any work, exit 2, naming the flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import BASELINE, TINY, cli, refused, snapshot

RUN = ["run", str(BASELINE), *TINY, "--executor", "serial", "--no-report"]
SWEEP_FILE = "sweep.yaml"

RUN_CASES = [
    (["--jobs", "0"], "--jobs"),
    (["--jobs", "-3"], "--jobs"),
    (["--jobs", "100000"], "--jobs"),
    (["--jobs", "two"], "--jobs"),
    (["--replications", "0"], "--replications"),
    (["--replications", "-1"], "--replications"),
    (["--replications", "10001"], "--replications"),
    (["--replications", "1.5"], "--replications"),
    (["--replications", "lots"], "--replications"),
    (["--replications", "auto", "--max-replications", "0"], "--max-replications"),
    (["--replications", "auto", "--max-replications", "-5"], "--max-replications"),
    (["--replications", "auto", "--max-replications", "10001"], "--max-replications"),
    (["--replications", "auto", "--precision", "0"], "--precision"),
    (["--replications", "auto", "--precision", "1"], "--precision"),
    (["--replications", "auto", "--precision", "-0.1"], "--precision"),
    (["--replications", "auto", "--precision", "nan"], "--precision"),
    (["--replications", "auto", "--kpi", "nope"], "--kpi"),
    (["--precision", "0.05"], "--precision"),
    (["--seed", "-1"], "--seed"),
    (["--seed", str(2**63)], "--seed"),
    (["--seed", "x"], "--seed"),
    (["--tables", "some"], "--tables"),
    (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
    (["--scheduler", ""], "--scheduler"),
    (["--no-such-flag"], "--no-such-flag"),
]


@pytest.mark.parametrize(("extra", "flag"), RUN_CASES, ids=[" ".join(c[0]) for c in RUN_CASES])
def test_run_refuses_a_bad_flag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str], flag: str
) -> None:
    before = snapshot(tmp_path)
    result = cli(capsys, *RUN[:1], *RUN[1:], "--out", tmp_path / "res", *extra)
    refused(result, flag)
    assert snapshot(tmp_path) == before


def _sweep(tmp_path: Path) -> Path:
    import yaml

    data = yaml.safe_load(BASELINE.read_text())
    data["sweep"] = {"factors": {"team.0.daily_target": [2, 4]}}
    path = tmp_path / SWEEP_FILE
    path.write_text(yaml.safe_dump(data))
    return path


SWEEP_CASES = [
    (["--jobs", "0"], "--jobs"),
    (["--jobs", "-3"], "--jobs"),
    (["--replications", "0"], "--replications"),
    (["--replications", "10001"], "--replications"),
    (["--seed", "-1"], "--seed"),
    (["--tables", "none"], "--tables"),
    (["--factor", "team.0.daily_target"], "--factor"),
    (["--factor", "=1,2"], "--factor"),
    (["--factor", "team.0.daily_target="], "--factor"),
    (["--factor", "team.0.nosuch=1,2"], "team.0.nosuch"),
    (["--executor", "gpu"], "--executor"),
]


@pytest.mark.parametrize(("extra", "flag"), SWEEP_CASES, ids=[" ".join(c[0]) for c in SWEEP_CASES])
def test_sweep_refuses_a_bad_flag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str], flag: str
) -> None:
    path = _sweep(tmp_path)
    before = snapshot(tmp_path)
    result = cli(capsys, "sweep", path, *TINY, "--executor", "serial", "--out", tmp_path / "out", *extra)
    refused(result, flag)
    assert snapshot(tmp_path) == before


COMPARE_CASES = [
    (["--replications", "0"], "--replications"),
    (["--replications", "-2"], "--replications"),
    (["--seed", "-1"], "--seed"),
    (["--jobs", "0"], "--jobs"),
    (["--jobs", "-3"], "--jobs"),
]


@pytest.mark.parametrize(("extra", "flag"), COMPARE_CASES, ids=[" ".join(c[0]) for c in COMPARE_CASES])
def test_compare_refuses_a_bad_flag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str], flag: str
) -> None:
    before = snapshot(tmp_path)
    result = cli(capsys, "compare", BASELINE, BASELINE, *TINY, "--executor", "serial", "--out", tmp_path / "c", *extra)
    refused(result, flag)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "extra",
    [["--set", "horizon_days=5"], ["--seed", "3"], ["--replications", "2"]],
    ids=["set", "seed", "replications"],
)
def test_compare_of_two_folders_refuses_settings_it_cannot_apply(
    capsys: pytest.CaptureFixture[str], made_run: Path, extra: list[str]
) -> None:
    before = snapshot(made_run)
    result = cli(capsys, "compare", made_run, made_run, *extra)
    refused(result, extra[0], "results folders")
    assert snapshot(made_run) == before


@pytest.mark.parametrize(
    "args",
    [["run"], ["sweep"], ["compare", "a"], ["report"], ["validate"], ["frobnicate"], []],
    ids=["run", "sweep", "compare", "report", "validate", "unknown", "nothing"],
)
def test_missing_or_unknown_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    result = cli(capsys, *args)
    assert result.code == 2 and "Traceback" not in result.err and "error:" in result.err


def test_presets_of_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    refused(cli(capsys, "presets", "nope"), "nope")


def test_flags_apply_to_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["schema", "-q"], ["schema", "-v"], ["presets", "-v"], ["presets", "--quiet"]):
        assert cli(capsys, *args).code == 0, args


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "--version")
    assert result.code == 0 and result.out.startswith("inmail-sim ")


def test_every_argument_of_every_command_has_help() -> None:
    import argparse

    from sim.cli.main import parser

    top = parser()
    missing = []
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        for action in command._actions:
            if not action.help and not isinstance(action, argparse._HelpAction):
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
        assert any("-q" in a.option_strings for a in command._actions), name
        assert any("-v" in a.option_strings for a in command._actions), name
    missing += [f"inmail-sim {a.dest}" for a in top._actions if not a.help]
    assert missing == []
