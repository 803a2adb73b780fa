"""A run's results in memory (`Results`: tables, KPIs, saving) and the headline text; re-exports the names
other modules import from here. Figures are presentation's: saving asks the installed figure writer for them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from ..config.scenario import Scenario
from ..rules.captions import figure_rules
from .analytics import _analytics_report, _credit_weeks, _inmail_weeks, _iso_weeks, _sum_parts, analytics
from .kpis import HEADLINE, KPIS, format_value, replication_kpis
from .stats import confidence_interval, summarise
from .tables import (
    CATEGORICAL,
    TABLE_NAMES,
    as_run_table,
    credits_frame,
    credits_table,
    inmails_frame,
    inmails_table,
    replication_tables,
    seat_days_table,
    sender_labels,
)
from .verdict import Context, verdict
from .writer import (
    ReplicationWriter,
    TableWriter,
    _figure_credits,
    _figure_inmails,
    _sum_figure_credits,
    figure_inmails,
    run_metadata,
    to_arrow,
)

__all__ = [
    "CATEGORICAL",
    "HEADLINE",
    "KPIS",
    "TABLE_NAMES",
    "ReplicationWriter",
    "Results",
    "TableWriter",
    "_analytics_report",
    "_credit_weeks",
    "_figure_credits",
    "_figure_inmails",
    "_inmail_weeks",
    "_iso_weeks",
    "_sum_figure_credits",
    "_sum_parts",
    "analytics",
    "as_run_table",
    "confidence_interval",
    "credits_frame",
    "credits_table",
    "figure_inmails",
    "headline_text",
    "inmails_frame",
    "inmails_table",
    "replication_kpis",
    "replication_tables",
    "seat_days_table",
    "sender_labels",
    "summarise",
]


FigureWriter = Callable[[Scenario, Mapping[str, pd.DataFrame], Path], None]
"""Draws a run's figures from its tables (keyed inmails, seat_days, account_days, credits) into a folder, one PNG
per figure, with the scenario's resolved rules: the presentation layer's job."""


@dataclass
class Results:
    """The outcome of running a scenario: tables over all replications, KPIs, saving (figures are drawn by
    presentation: `sim.present.results.Results`, which `sim.run` returns, adds `figures()` and `plot_*()`)."""

    scenario: Scenario
    seed: int
    runs: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def inmails(self) -> pd.DataFrame:
        return self.tables["inmails"]

    @property
    def seat_days(self) -> pd.DataFrame:
        return self.tables["seat_days"]

    @property
    def account_days(self) -> pd.DataFrame:
        return self.tables["account_days"]

    @property
    def credits(self) -> pd.DataFrame:
        return self.tables["credits"]

    def summary(self) -> dict[str, dict[str, float | int | None]]:
        return summarise(self.runs)

    def summary_frame(self) -> pd.DataFrame:
        """The summary as a table, one row per KPI."""
        return pd.DataFrame.from_dict(self.summary(), orient="index")

    def analytics(self) -> pd.DataFrame:
        return analytics(self.tables, self.scenario.start, self.scenario.resolved_rules())

    def save(self, folder: str | Path, force: bool = False, figures: FigureWriter | None = None) -> Path:
        """Write the results folder `folder` atomically, as `inmail-sim run` does (`sim.output.storage`): into
        a temporary sibling renamed into place when complete; an existing folder is replaced only with
        `force` and only when this tool made it (OutputFolderError otherwise, before anything is written).
        `figures` draws figures/ (presentation hands it in: `sim.run`'s results do); without it figures/ is
        empty."""
        import pyarrow.parquet as pq

        from .storage import atomic_folder

        with atomic_folder(folder, force=force) as tmp:
            self.save_summary(tmp)
            meta = run_metadata(self.scenario, self.seed)
            for name, table in self.tables.items():
                pq.write_table(to_arrow(table, meta), tmp / f"{name}.parquet")
            self.save_figures(tmp, self.tables, self.analytics() if "inmails" in self.tables else None, figures)
        return Path(folder)

    def save_summary(self, folder: Path) -> None:
        """scenario.resolved.yaml, summary.json and runs.parquet."""
        folder.mkdir(parents=True, exist_ok=True)
        resolved = self.scenario.resolved_dict(seed=self.seed, replications=len(self.runs))
        (folder / "scenario.resolved.yaml").write_text(
            yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        summary = {
            **run_metadata(self.scenario, self.seed),
            "replications": len(self.runs),
            "kpis": self.summary(),
        }
        (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        import pyarrow.parquet as pq

        pq.write_table(to_arrow(self.runs, run_metadata(self.scenario, self.seed)), folder / "runs.parquet")

    def save_figures(
        self,
        folder: Path,
        tables: dict[str, pd.DataFrame],
        report: pd.DataFrame | None,
        figures: FigureWriter | None = None,
    ) -> None:
        """analytics.csv (when there is `report`) and figures/ with what `figures` draws from `tables` (the
        presentation layer's writer, handed in: output never imports it); without it figures/ stays empty."""
        if report is not None:
            report.to_csv(folder / "analytics.csv", index=False, float_format="%.4g")
        (folder / "figures").mkdir(exist_ok=True)
        if figures is not None:
            figures(self.scenario, tables, folder / "figures")


def headline_text(summary: dict[str, dict[str, float | int | None]], scenario: Scenario | None = None) -> str:
    """The verdict (a sentence per finding) and the headline KPIs with their 95% CIs, one per line, numbers as
    the registry formats them. With `scenario`, days are dates and the sentences name the resolved threshold."""
    ctx = Context()
    if scenario is not None:
        runs = summary.get("inmails_sent") or {}
        ctx = Context(scenario.start, figure_rules(scenario.resolved_rules()).threshold,
                      scenario.candidates.population, int(runs.get("n") or 0) or None)  # fmt: skip
    lines = [f"  {line}" for line in verdict(summary, ctx)]
    for kpi in HEADLINE:
        s = summary.get(kpi)
        if not s or s["mean"] is None:
            continue
        low, high = s["ci_low"], s["ci_high"]
        ci = "" if low is None or high is None else f"  (95% CI {format_value(kpi, low)} to {format_value(kpi, high)})"
        lines.append(f"  {kpi:<32} {format_value(kpi, s['mean'], ctx.start)}{ci}")
    return "\n".join(lines)
