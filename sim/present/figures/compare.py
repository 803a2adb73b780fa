"""The comparison figure: each KPI's paired difference B - A with its 95% CI, relative to A."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from .style import _SUBTLE, CI_LEVEL, FIGSIZE, _figure, _fmt, _humanise, _legend, _no_data, _style, _titles


def _clip_limit(extents: np.ndarray) -> float:
    """The half-width of the compare axis: the largest extent, unless one KPI dwarfs the rest (more than three
    times the next), whose bar then stops at the edge with its values written out."""
    finite = np.sort(extents[np.isfinite(extents)])[::-1]
    if not finite.size:
        return 1.0
    top = float(finite[0])
    cut = float(finite[1]) if finite.size > 1 else top
    return max(1.0, cut * 1.3 if top > 3 * cut else top * 1.05)


def paired_differences(table: pd.DataFrame, *, label_a: str = "A", label_b: str = "B") -> Figure:
    """Each KPI's paired difference B - A with its 95% CI, as a percentage of A, significant ones highlighted."""
    title = f"Paired differences, {label_b} − {label_a}, relative to {label_a}"
    if table is None or table.empty:
        return _no_data(title)
    df = table.copy()
    mean_a = df["mean_a"].astype(float)
    keep = np.isfinite(mean_a) & (mean_a != 0) & np.isfinite(df["diff"].astype(float))
    skipped = df.loc[~keep, "kpi"].astype(str).tolist()
    df = df[keep]
    if df.empty:
        return _no_data(title, f"every KPI is zero under {label_a}: no relative difference")
    scale = 100.0 / df["mean_a"].astype(float).abs()
    rel = df["diff"].astype(float) * scale
    low = df["ci_low"].astype(float) * scale
    high = df["ci_high"].astype(float) * scale
    sig = (
        df["excludes_zero"].fillna(False).astype(bool).to_numpy()
        if "excludes_zero" in df.columns
        else ((low > 0) | (high < 0)).to_numpy()
    )
    n = len(df)
    height = max(FIGSIZE[1], 0.32 * n + 2.0)
    limit = _clip_limit(np.nanmax(np.abs(np.vstack([rel, low, high])), axis=0))
    shown_rel, shown_low, shown_high = (np.clip(v.to_numpy(dtype=float), -limit, limit) for v in (rel, low, high))
    with _style():
        fig, (ax,) = _figure(figsize=(FIGSIZE[0], height))
        y = np.arange(n)[::-1].astype(float)
        for colour, mask, label in (("#c0392b", sig, "CI excludes zero"), ("#7f7f7f", ~sig, "CI includes zero")):
            if not mask.any():
                continue
            lo_err = (shown_rel - shown_low)[mask]
            hi_err = (shown_high - shown_rel)[mask]
            err = np.vstack([lo_err, hi_err])
            ax.errorbar(
                shown_rel[mask],
                y[mask],
                xerr=np.where(np.isfinite(err), err, 0.0),
                fmt="o",
                color=colour,
                ecolor=colour,
                elinewidth=2,
                capsize=4,
                markersize=8,
                label=label,
                zorder=3,
            )
        ax.axvline(0, color="black", linewidth=1.2, zorder=2)
        ax.set_xlim(-limit * 1.12, limit * 1.12)
        for yi, value, lo, hi in zip(y, rel.to_numpy(dtype=float), low.to_numpy(dtype=float),
                                     high.to_numpy(dtype=float), strict=True):  # fmt: skip
            if max(abs(value), abs(lo), abs(hi)) > limit:  # beyond the axis: an arrow at the edge, the value in words
                edge = limit if value > 0 else -limit
                words = f"{value:+,.0f}% ({lo:+,.0f}% to {hi:+,.0f}%)"
                ax.annotate(words, (edge, yi), xytext=(-6 if edge > 0 else 6, 9), textcoords="offset points",
                            ha="right" if edge > 0 else "left", fontsize=10, color=_SUBTLE)  # fmt: skip
                ax.plot([edge], [yi], marker=">" if edge > 0 else "<", color=_SUBTLE, markersize=9, zorder=4)
        labels = [
            f"{_humanise(str(k))}  ({_fmt(float(a))} → {_fmt(float(b))})"
            for k, a, b in zip(df["kpi"], df["mean_a"], df["mean_b"], strict=True)
        ]
        ax.set_yticks(y, labels)
        ax.set_ylim(-0.7, n - 0.3)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_formatter(PercentFormatter(100.0))
        ax.set_xlabel(f"difference relative to {label_a} (% of the {label_a} mean, {CI_LEVEL:.0%} CI)")
        note = f"mean {label_a} → mean {label_b} in brackets"
        if skipped:
            names = [_humanise(k) for k in skipped]
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            note += f"\nnot shown (zero under {label_a}): {shown}"
        _titles(fig, ax, title, note)
        _legend(ax, loc="best")
    return fig
