"""The estimate guard sizes the real work (what the team tries, not only the population) and names the
setting to change; the sweep guard checks every point."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.runner.guard import estimate

from .helpers import BASELINE, cli, refused, snapshot


@pytest.mark.parametrize(
    ("sets", "named"),
    [
        (["team.0.daily_target=100000000"], "team.0.daily_target"),
        (["team.0.daily_target=1000000", "team.0.count=5000", "accounts.0.seats=5000"], "team.0.daily_target"),
        (["candidates.population=2000000000"], "candidates.population"),
        (["replications=10000", "horizon_days=3650", "team.0.daily_target=500"], "replications"),
    ],
    ids=["huge target", "huge team", "huge population", "years of replications"],
)
def test_work_beyond_the_machine_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sets: list[str], named: str
) -> None:
    before = snapshot(tmp_path)
    args = [a for s in sets for a in ("--set", s)]
    result = cli(capsys, "run", BASELINE, *args, "--out", tmp_path / "res", "--executor", "serial")
    refused(result, "refused before starting", named, "--force")
    assert snapshot(tmp_path) == before


def test_a_sweep_with_one_point_beyond_the_machine_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = snapshot(tmp_path)
    result = cli(capsys, "sweep", BASELINE, "--factor", "team.0.daily_target=5,100000000", "--out", tmp_path / "o")
    refused(result, "team.0.daily_target")
    assert snapshot(tmp_path) == before


def test_the_estimate_counts_attempts_beyond_the_population() -> None:
    small = sim.load_scenario(BASELINE, {"candidates.population": 100})
    busy = sim.load_scenario(BASELINE, {"candidates.population": 100, "team.0.daily_target": 10_000})
    assert estimate(busy).messages == estimate(small).messages  # the population bounds the messages
    ratio = 10_000 / small.team[0].daily_target  # one group: attempts scale with its target
    assert abs(estimate(busy).attempts - ratio * estimate(small).attempts) <= ratio
    assert estimate(busy).seconds > estimate(small).seconds


def test_verbose_prints_the_estimate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = cli(capsys, "run", BASELINE, "-v", "--set", "team.0.daily_target=100000000", "--out", tmp_path / "r")
    assert result.code == 2 and "estimate:" in result.out and "send attempts" in result.out


def test_the_memory_estimate_counts_the_candidates_a_run_holds() -> None:
    """Candidates are drawn a block at a time as the run reaches them: a bigger pool costs the simple model no
    memory, while the segmented model, which ranks the whole pool by fit, holds all of it."""

    def memory(population: int, model: str) -> int:
        data = sim.load_scenario(BASELINE).model_dump(mode="json")
        data["candidates"]["population"] = population
        data["behaviour"] = {"model": model}
        return estimate(sim.load_scenario(data)).memory_bytes

    assert memory(10_000_000, "simple") == memory(1_000_000, "simple")
    assert memory(10_000_000, "segmented") > memory(1_000_000, "segmented") > memory(1_000_000, "simple")
