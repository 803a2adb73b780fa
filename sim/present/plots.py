"""The figures by their public names (`from sim.present import plots`, as the notebooks, the CLI and the report
use them); each figure lives in a module of `sim.present.figures`."""

from .figures import (
    FIGSIZE,
    FIGURE_TABLES,
    FIGURES,
    blocked_by_reason,
    credit_balance,
    credit_fate,
    draw_run_figures,
    kpi_vs_factor,
    paired_differences,
    refunds_per_week,
    response_rate,
    run_figures,
    save_figure,
    sends_and_blocks,
    time_to_response,
)

__all__ = [
    "FIGSIZE",
    "FIGURES",
    "FIGURE_TABLES",
    "blocked_by_reason",
    "credit_balance",
    "credit_fate",
    "draw_run_figures",
    "kpi_vs_factor",
    "paired_differences",
    "refunds_per_week",
    "response_rate",
    "run_figures",
    "save_figure",
    "sends_and_blocks",
    "time_to_response",
]
