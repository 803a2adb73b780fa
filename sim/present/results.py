"""A run's results with its figures, the notebook API: `sim.run` returns this `Results`, whose `figures()` and
`plot_*()` draw the run's tables with the rule values of its resolved rules, and `write_figures` puts a run's
figures into a results folder.

The output layer saves results folders but never imports presentation: whoever saves hands it the figure
writer (`Results.save` here, `inmail-sim run` to `run_to_folder`)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from ..config.scenario import Scenario
from ..output import experiment
from ..output import results as output_results
from ..output.results import FigureWriter
from ..rules.captions import figure_rules
from .figures import (
    blocked_by_reason,
    credit_balance,
    credit_fate,
    draw_run_figures,
    each_drawn_run_figure,
    refunds_per_week,
    response_rate,
    save_figure,
    sends_and_blocks,
    time_to_response,
)

__all__ = ["Results", "run", "write_figures"]


class Results(output_results.Results):
    """The outcome of running a scenario (tables over all replications, KPIs, `save`) and its figures, drawn
    with the resolved rules' values (the threshold, the refund window, the policy window)."""

    @classmethod
    def of(cls, results: output_results.Results) -> Results:
        """The same results (the same tables, not copies), with figures."""
        return cls(**{f.name: getattr(results, f.name) for f in fields(results)})

    def save(self, folder: str | Path, force: bool = False, figures: FigureWriter | None = None) -> Path:
        """`sim.output.results.Results.save`, with figures/ drawn (`write_figures` unless told otherwise)."""
        return super().save(folder, force, figures or write_figures)

    def figures(self) -> dict[str, Figure]:
        """Every run figure that has data, by file stem."""
        return draw_run_figures(self.tables, self.scenario.resolved_rules())

    def plot_credit_balance(self) -> Figure:
        return credit_balance(self.account_days)

    def plot_credit_fate(self) -> Figure:
        return credit_fate(self.account_days)

    def plot_response_rate(self, replication: int = 0) -> Figure:
        drawn = figure_rules(self.scenario.resolved_rules())
        return response_rate(self.seat_days, drawn.threshold, replication, window_days=drawn.trailing_days)

    def plot_sends_and_blocks(self) -> Figure:
        return sends_and_blocks(self.seat_days)

    def plot_blocked_by_reason(self) -> Figure:
        return blocked_by_reason(self.seat_days)

    def plot_refunds_per_week(self) -> Figure:
        return refunds_per_week(self.credits)

    def plot_time_to_response(self) -> Figure:
        return time_to_response(self.inmails, figure_rules(self.scenario.resolved_rules()).refund_windows)


def write_figures(scenario: Scenario, tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    """Each run figure that has data in `tables`, as `folder`/<stem>.png, with the rule values of `scenario`'s
    resolved rules (what `Results.save` and `inmail-sim run` write into figures/)."""
    for stem, fig in each_drawn_run_figure(tables, scenario.resolved_rules()):  # each saved and closed in turn
        save_figure(fig, folder / f"{stem}.png")


@functools.wraps(experiment.run)
def run(*args: Any, **kwargs: Any) -> Results:
    """`sim.output.experiment.run`, its results with figures."""
    return Results.of(experiment.run(*args, **kwargs))
