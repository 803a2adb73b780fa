"""The report of a sweep: the scenario at the first point, what the sweep varies, failed points, the
headline KPIs at each point and a figure per headline KPI against the first factor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..output.kpis import BY_NAME, HEADLINE, KPIS
from ..rules.captions import figure_rules
from .report_folder import _read_json, _read_yaml, run_rules
from .report_html import TABLE_ROWS, _existing_figures, _Figure, _figures_html, _page, _png_of, _scroll, _words_table
from .scenario_words import describe_scenario
from .words import _esc, _humanise, _sentence, format_kpi


def _sweep_factors(folder: Path, points: pd.DataFrame, meta: Mapping[str, Any]) -> list[str]:
    """The swept keys, in order: from sweep.json, else the point summaries, else the columns of points.parquet."""
    keys = [k for k in meta.get("factors") or [] if k in points]
    if keys:
        return keys
    for pid in points.get("point_id", pd.Series(dtype=str)).tolist():
        summary = _read_json(folder / "points" / str(pid) / "summary.json")
        found = [k for k in (summary.get("factors") or {}) if k in points]
        if found:
            return found
    kpi_columns = {f"{k}_{s}" for k in KPIS for s in ("mean", "std", "ci_low", "ci_high", "n")}
    return [c for c in points.columns if c not in ("point", "point_id") and c not in kpi_columns]


def _factor_label(key: str, labels: Mapping[str, str]) -> str:
    if key in labels:
        return str(labels[key])
    return ", ".join(part.strip() for part in key.split(","))


def _sweep_figures(
    folder: Path,
    points: pd.DataFrame,
    factors: Sequence[str],
    labels: Mapping[str, str],
    threshold: float | None,
    rebuild: bool,
) -> list[_Figure]:
    from . import plots

    figures = folder / "figures"
    shown = [_factor_label(k, labels) for k in factors]
    renamed = points.rename(columns=dict(zip(factors, shown, strict=True)))
    by = shown[1] if len(shown) > 1 else None
    caption_by = f", one line per {by}" if by else ""
    out: list[_Figure] = []
    if not rebuild:
        pngs = dict(_existing_figures(figures, HEADLINE))
    for kpi in HEADLINE:
        if f"{kpi}_mean" not in points or not shown:
            continue
        if rebuild:
            figures.mkdir(exist_ok=True)
            fig = plots.kpi_vs_factor(renamed, kpi, shown[0], by=by, threshold=threshold)
            png = _png_of(fig, figures / f"{kpi}.png")
        elif kpi in pngs:
            png = pngs[kpi]
        else:
            continue
        caption = (
            f"{_sentence(BY_NAME[kpi].words if kpi in BY_NAME else kpi)}, against {shown[0]}{caption_by}: the mean "
            "over replications "
            "at each point with its 95% confidence interval. Every point uses the same seeds (common random "
            "numbers), so differences between points come from the factor, not from noise."
        )
        out.append(_Figure(kpi, f"{_sentence(_humanise(kpi))} against {shown[0]}", caption, png))
    return out


def _sweep_report(folder: Path, rebuild: bool, labels: Mapping[str, str] | None) -> str:
    meta = _read_json(folder / "sweep.json")
    points = pd.read_parquet(folder / "points.parquet") if (folder / "points.parquet").is_file() else pd.DataFrame()
    labels = {**(meta.get("labels") or {}), **(labels or {})}
    factors = _sweep_factors(folder, points, meta) if not points.empty else []
    ids = [str(p) for p in (meta.get("points") or points.get("point_id", pd.Series(dtype=str)).tolist())]
    first = next(
        (folder / "points" / p for p in ids if (folder / "points" / p / "scenario.resolved.yaml").is_file()), None
    )
    resolved = _read_yaml(first / "scenario.resolved.yaml") if first else {}
    threshold = figure_rules(run_rules(resolved)).threshold
    figures = _sweep_figures(folder, points, factors, labels, threshold, rebuild) if not points.empty else []
    name = resolved.get("name") or folder.name
    reps = meta.get("replications")
    failed = [p for p in ids if (folder / "points" / p / "error.txt").is_file()]
    factor_rows = [
        (
            _factor_label(k, labels),
            f"<code>{_esc(k)}</code>: " + ", ".join(_esc(v) for v in pd.unique(points[k]).tolist()),
        )
        for k in factors
    ]
    sections: list[tuple[str, str]] = []
    if resolved:
        sections.append(
            (
                "The scenario",
                '<p class="note">As at the first point of the sweep; the factors below change it from point to '
                "point.</p>" + _words_table(describe_scenario(resolved, reps)),
            )
        )
    sections.append(
        (
            "What the sweep varies",
            (_words_table(factor_rows) if factor_rows else "<p>(no factor found)</p>")
            + f"<p>{len(points)} of {len(ids) or len(points)} points finished, {_esc(reps)} replications each.</p>",
        )
    )
    if failed:
        items = "".join(
            f"<li><code>{_esc(p)}</code>: {_esc(_first_line(folder / 'points' / p / 'error.txt'))}</li>" for p in failed
        )
        sections.append(("Failed points", f'<ul class="bad">{items}</ul><p>See error.txt in each folder.</p>'))
    if not points.empty:
        sections.append(("Headline KPIs at each point", _points_table(points, factors, labels)))
    sections.append(("Figures", _figures_html(figures)))
    seed = meta.get("seed", resolved.get("seed", "?"))
    subtitle = (
        "Results of <code>inmail-sim sweep</code>: "
        f"{len(points)} points, {_esc(reps)} replications each, seed {_esc(seed)}."
    )
    return _page(f"InMail outreach sweep: {name}", subtitle, sections)


def _first_line(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    return text.splitlines()[0] if text else "(empty)"


def _points_table(points: pd.DataFrame, factors: Sequence[str], labels: Mapping[str, str]) -> str:
    kpis = [k for k in HEADLINE if f"{k}_mean" in points]
    head = "".join(f'<th class="l">{_esc(_factor_label(f, labels))}</th>' for f in factors)
    head += "".join(f"<th>{_esc(_humanise(k))}</th>" for k in kpis)
    rows = []
    shown = points.head(TABLE_ROWS * 2)
    for _, row in shown.iterrows():
        cells = "".join(f'<td class="l">{_esc(row[f])}</td>' for f in factors)
        for k in kpis:
            low, high = row.get(f"{k}_ci_low"), row.get(f"{k}_ci_high")
            ci = (
                f'<br><span class="ci">{format_kpi(k, low)} to {format_kpi(k, high)}</span>'
                if low is not None and high is not None and not pd.isna(low) and not pd.isna(high)
                else ""
            )
            cells += f'<td><span class="kpi">{format_kpi(k, row[f"{k}_mean"])}</span>{ci}</td>'
        rows.append(f"<tr>{cells}</tr>")
    note = (
        f'<p class="note">First {len(shown)} of {len(points)} points; all of them are in points.parquet.</p>'
        if len(shown) < len(points)
        else ""
    )
    return (
        '<p class="note">Mean over replications, with the 95% confidence interval below it.</p>'
        + _scroll(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
        + note
    )
