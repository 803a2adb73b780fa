"""Every figure function on real simulation results, saved to PNG and checked to be a non-blank image."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.output.compare import paired_differences
from sim.output.sweep import collect, run_sweep
from sim.present import plots
from sim.runner.executors import ExecutorSpec
from sim.runner.sweep import load_sweep

from .conftest import ROOT
from .test_plots import check_png


@pytest.fixture(scope="module")
def blasting() -> sim.Results:
    return sim.run(sim.load_scenario(ROOT / "scenarios/blasting_team.yaml", ["horizon_days=45", "replications=2"]))


@pytest.mark.parametrize("stem", sorted(plots.FIGURES))
def test_run_figure_on_real_results(blasting: sim.Results, stem: str, tmp_path: Path) -> None:
    figures = plots.run_figures(blasting.tables, 0.13, windows=(7,), skip_empty=False)
    check_png(figures[stem], tmp_path / f"{stem}.png")


def test_sweep_and_comparison_figures_on_real_results(tmp_path: Path) -> None:
    path = ROOT / "scenarios/seed_vs_current.yaml"
    sets = ["horizon_days=15", "replications=2", "candidates.population=3000"]
    run_sweep(path, tmp_path / "sweep", sets=sets, executor=ExecutorSpec("serial"))
    _, _, points = load_sweep(path, sets)
    _, per_point = collect(tmp_path / "sweep", points)
    fig = plots.kpi_vs_factor(per_point, "response_rate", "rules.preset", by="team.0.daily_target")
    check_png(fig, tmp_path / "kpi.png")
    a = sim.run(sim.load_scenario(ROOT / "scenarios/baseline.yaml", sets), tables=False)
    b = sim.run(sim.load_scenario(ROOT / "scenarios/current_rules.yaml", sets), tables=False)
    check_png(plots.paired_differences(paired_differences(a.runs, b.runs)), tmp_path / "paired.png")


def test_results_plot_methods_return_figures(blasting: sim.Results, tmp_path: Path) -> None:
    methods = [name for name in dir(blasting) if name.startswith("plot_")]
    assert len(methods) == len(plots.FIGURES)
    for name in methods:
        check_png(getattr(blasting, name)(), tmp_path / f"{name}.png")
