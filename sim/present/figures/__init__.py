"""The figure set: one function per figure, each taking tidy pandas tables and returning a matplotlib Figure.

Every figure shares one style (`style`: slide-sized, large fonts, units on every axis, a title, a legend when
there are several series). Where replications disagree the figure shows the mean with a 95% Student t
confidence band (`stats`); with a single replication the band is simply left out. Empty inputs never raise:
the figure then carries a "no data" note instead.

One module per kind of figure: `credits` (pool balance, what happened to the credits, refunds per week),
`policy` (the response-rate rule), `sends` (sends and blocks), `responses` (time to response), `sweep` (a KPI
against a factor), `compare` (paired differences); `run` draws a run's set with the resolved rules' values.

Figures are built with `matplotlib.figure.Figure` directly, so no GUI backend is ever needed; outside a
Jupyter kernel `style` also forces the Agg backend so that pyplot, if someone uses it, never opens a window.
"""

from .compare import paired_differences
from .credits import credit_balance, credit_fate, refunds_per_week
from .policy import response_rate
from .responses import time_to_response
from .run import FIGURE_TABLES, FIGURES, draw_run_figures, each_drawn_run_figure, run_figures
from .sends import blocked_by_reason, sends_and_blocks
from .style import FIGSIZE, save_figure
from .sweep import kpi_vs_factor

__all__ = [
    "FIGSIZE",
    "FIGURES",
    "FIGURE_TABLES",
    "blocked_by_reason",
    "credit_balance",
    "credit_fate",
    "draw_run_figures",
    "each_drawn_run_figure",
    "kpi_vs_factor",
    "paired_differences",
    "refunds_per_week",
    "response_rate",
    "run_figures",
    "save_figure",
    "sends_and_blocks",
    "time_to_response",
]
