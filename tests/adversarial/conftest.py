"""Fixtures of the adversarial suite: every case runs in its own empty working folder, and a results folder
and a sweep folder made once are copied for the cases that damage them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main

from .helpers import BASELINE, QUICK, TINY


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def made_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run folder (tables, summary, figures; no report)."""
    out = tmp_path_factory.mktemp("made") / "run"
    assert main(["run", str(BASELINE), "--out", str(out), *QUICK]) == 0
    return out


@pytest.fixture(scope="session")
def made_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A finished two-point sweep folder with per-point tables, and its scenario file."""
    import yaml

    base = tmp_path_factory.mktemp("made_sweep")
    data = yaml.safe_load(BASELINE.read_text())
    data["sweep"] = {"factors": {"team.0.daily_target": [2, 4]}}
    path = base / "sweep.yaml"
    path.write_text(yaml.safe_dump(data))
    out = base / "sweep"
    sets = [a for a in TINY]
    assert main(["sweep", str(path), "--out", str(out), *sets, "--executor", "serial", "--tables", "full", "-q",
                 "--no-report"]) == 0  # fmt: skip
    return out, path
