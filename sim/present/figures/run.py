"""The run figures as a set: which figure draws from which table, whether it has data, and all of them at once
with the rule values the run's resolved rules give."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import pandas as pd
from matplotlib.figure import Figure

from ...rules.captions import RuleValues, figure_rules
from .credits import credit_balance, credit_fate, refunds_per_week
from .policy import _policy_states, response_rate
from .responses import time_to_response
from .sends import blocked_by_reason, sends_and_blocks

FIGURES: dict[str, Callable[..., Figure]] = {
    "credit_balance": credit_balance,
    "credit_fate": credit_fate,
    "response_rate": response_rate,
    "sends_and_blocks": sends_and_blocks,
    "blocked_by_reason": blocked_by_reason,
    "refunds_per_week": refunds_per_week,
    "time_to_response": time_to_response,
}

FIGURE_TABLES: dict[str, str] = {  # figure -> the table it is drawn from
    "credit_balance": "account_days",
    "credit_fate": "account_days",
    "response_rate": "seat_days",
    "sends_and_blocks": "seat_days",
    "blocked_by_reason": "seat_days",
    "refunds_per_week": "credits",
    "time_to_response": "inmails",
}


def _has_data(stem: str, table: pd.DataFrame | None) -> bool:
    """Whether a run figure has anything to show from its table."""
    if table is None or table.empty:
        return False
    if stem == "response_rate":
        states = _policy_states(table)
        rates = table["trailing_rate"].notna().any() if "trailing_rate" in table.columns else False
        return bool((states != "").any() or rates)
    if stem == "refunds_per_week":
        return "kind" in table.columns and bool(table["kind"].astype(str).isin(["spend", "refund"]).any())
    if stem == "time_to_response":
        column = "response_delay" if "response_delay" in table.columns else "responded_at"
        return column in table.columns and bool(table[column].notna().any())
    return True


def run_figures(
    tables: Mapping[str, pd.DataFrame | None],
    threshold: float | None,
    *,
    windows: Iterable[float],
    window_days: float | None = None,
    skip_empty: bool = True,
) -> dict[str, Figure]:
    """Build every run figure from tables keyed account_days, seat_days, credits, inmails; skip ones with no data.
    The rule values drawn (`threshold`, the refund `windows`, the policy `window_days`) are the run's resolved
    rules."""
    return dict(each_run_figure(tables, threshold, windows=windows, window_days=window_days, skip_empty=skip_empty))


def each_run_figure(
    tables: Mapping[str, pd.DataFrame | None],
    threshold: float | None,
    *,
    windows: Iterable[float],
    window_days: float | None = None,
    skip_empty: bool = True,
) -> Iterator[tuple[str, Figure]]:
    """`run_figures` one figure at a time, so that each can be saved and closed before the next is drawn."""
    windows = tuple(windows)
    for stem, func in FIGURES.items():
        table = tables.get(FIGURE_TABLES[stem])
        if skip_empty and not _has_data(stem, table):
            continue
        frame = table if table is not None else pd.DataFrame()
        if stem == "response_rate":
            yield stem, response_rate(frame, threshold, window_days=window_days)
        elif stem == "time_to_response":
            yield stem, time_to_response(frame, windows=windows)
        else:
            yield stem, func(frame)


def draw_run_figures(tables: Mapping[str, pd.DataFrame | None], rules: RuleValues) -> dict[str, Figure]:
    """Every run figure that has data, drawing the rule values of the run's resolved `rules` (a `Rules`, or the
    mapping a results folder records) as `sim.rules.captions.figure_rules` gives them."""
    return dict(each_drawn_run_figure(tables, rules))


def each_drawn_run_figure(tables: Mapping[str, pd.DataFrame | None], rules: RuleValues) -> Iterator[tuple[str, Figure]]:
    """`draw_run_figures` one figure at a time."""
    drawn = figure_rules(rules)
    return each_run_figure(tables, drawn.threshold, windows=drawn.refund_windows, window_days=drawn.trailing_days)
