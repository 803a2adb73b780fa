"""`sim.run` returns presentation's `Results` (figures and plot_* drawn with the resolved rules), and output's
saving draws figures only through the figure writer presentation installs: output imports no presentation."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure

import sim
from sim.output import experiment
from sim.output import results as output_results
from sim.present import results as present_results

from .conftest import ROOT


@pytest.fixture(scope="module")
def small() -> sim.Scenario:
    return sim.load_scenario(ROOT / "scenarios/blasting_team.yaml", ["horizon_days=20"])


def test_sim_run_gives_results_with_figures(small: sim.Scenario) -> None:
    res = sim.run(small, replications=1, seed=2)
    assert isinstance(res, present_results.Results) and isinstance(res, output_results.Results)
    assert sim.Results is present_results.Results
    figures = res.figures()
    assert set(figures) and all(isinstance(f, Figure) for f in figures.values())
    for name in ("credit_balance", "credit_fate", "response_rate", "sends_and_blocks", "blocked_by_reason",
                 "refunds_per_week", "time_to_response"):  # fmt: skip
        assert isinstance(getattr(res, f"plot_{name}")(), Figure)
    assert not hasattr(output_results.Results, "figures")  # drawing is presentation's


def test_results_of_keeps_the_same_tables(small: sim.Scenario) -> None:
    plain = experiment.run(small, replications=1, seed=2)
    shown = present_results.Results.of(plain)
    assert shown.tables is plain.tables and shown.runs is plain.runs and shown.seed == plain.seed


def test_saving_draws_figures_only_with_the_writer_handed_in(small: sim.Scenario, tmp_path: Path) -> None:
    """Output saves a folder without importing presentation: figures/ is drawn by the writer it is given, as
    `sim.run`'s results (presentation's `Results`) give it."""
    plain = experiment.run(small, replications=1, seed=2)
    plain.save(tmp_path / "bare")
    assert (tmp_path / "bare" / "figures").is_dir() and list((tmp_path / "bare" / "figures").iterdir()) == []
    plain.save(tmp_path / "drawn", figures=present_results.write_figures)
    shown = present_results.Results.of(plain)
    shown.save(tmp_path / "shown")
    drawn = {p.stem for p in (tmp_path / "drawn" / "figures").glob("*.png")}
    assert drawn == set(shown.figures()) == {p.stem for p in (tmp_path / "shown" / "figures").glob("*.png")}
