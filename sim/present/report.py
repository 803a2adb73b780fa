"""The shareable report: one self-contained `report.html` per results folder (a run or a sweep).

`write_report(folder)` rebuilds the figures from the folder's saved tables (a run: `sim.plots.run_figures` on
the Parquet tables; a sweep: `sim.plots.kpi_vs_factor` on `points.parquet`) and writes `report.html` with the
scenario in plain words, the headline KPIs with their 95% confidence intervals, the InMail analytics table
and every figure with a caption. The figures are embedded as base64 PNG data URIs and the style is inline:
the file needs no network, no JavaScript and no other file, so it can be mailed or dropped in a shared drive.

The parts: `report_folder` reads the folder, `scenario_words` tells the scenario, `report_run` and
`report_sweep` build the two kinds of report from the blocks of `report_html` (and `report_analytics`);
this module writes the file. Every rule value the report states comes from `sim.rules.captions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .report_analytics import analytics_html
from .report_folder import NotAResultsFolderError, folder_kind, run_rules
from .report_run import _run_report, report_context, run_captions, verdict_html
from .report_sweep import _sweep_report
from .scenario_words import (
    describe_behaviour,
    describe_candidates,
    describe_delay,
    describe_plan,
    describe_rules,
    describe_scenario,
    describe_team,
)
from .words import format_kpi

__all__ = [
    "NotAResultsFolderError",
    "analytics_html",
    "describe_behaviour",
    "describe_candidates",
    "describe_delay",
    "describe_plan",
    "describe_rules",
    "describe_scenario",
    "describe_team",
    "folder_kind",
    "format_kpi",
    "report_command",
    "report_context",
    "run_captions",
    "run_rules",
    "verdict_html",
    "write_report",
]

REPORT_NAME = "report.html"
EXIT_BAD_INPUT = 2


def write_report(
    folder: str | Path,
    *,
    rebuild_figures: bool = True,
    labels: Mapping[str, str] | None = None,
    notes: list[str] | None = None,
) -> Path:
    """Write `report.html` into a results folder (a run or a sweep) and return its path.

    With `rebuild_figures` (the default) the figures are drawn again from the saved tables and written to
    `figures/`; otherwise the PNGs already in `figures/` are embedded. `labels` names sweep factors on the
    figures (default: the labels recorded in sweep.json). What could not be redrawn (a figure kept because
    its table is missing) is appended to `notes`."""
    path = Path(folder)
    kind = folder_kind(path)
    notes = notes if notes is not None else []
    if kind == "sweep":
        text = _sweep_report(path, rebuild_figures, labels)
    else:
        text = _run_report(path, rebuild_figures, notes)
    out = path / REPORT_NAME
    tmp = path / f".{REPORT_NAME}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out


def report_command(folder: str | Path, quiet: bool = False) -> int:
    """`inmail-sim report DIR`: rebuild the figures and report.html; exit 2 when DIR is not a results folder."""
    import sys

    notes: list[str] = []
    try:
        out = write_report(folder, notes=notes)
    except NotAResultsFolderError as err:
        print(f"report: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for note in notes:
        print(f"report: {note}", file=sys.stderr)
    if not quiet:
        print(f"report: {out}")
    return 0
