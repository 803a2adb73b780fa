"""The one style every figure shares: slide-sized figures, large fonts, the palette and colours, titles and
subtitles, legends, the no-data figure, number and axis formatting, and writing a figure as a PNG."""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import matplotlib

if "ipykernel" not in sys.modules:  # keep a notebook's inline backend; everywhere else, never a GUI
    matplotlib.use("Agg")

import matplotlib.dates as _mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# matplotlib.dates is only partly annotated; calling it through Any keeps type checking quiet but honest
mdates: Any = _mdates

# ----------------------------------------------------------------------------------------------- style

FIGSIZE: tuple[float, float] = (10.0, 5.6)
CI_LEVEL = 0.95
MAX_ACCOUNT_LINES = 6
MAX_SEAT_LINES = 12

_STYLE: dict[str, Any] = {
    "font.size": 12,
    "axes.titlesize": 15,
    "axes.titleweight": "bold",
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "legend.title_fontsize": 12,
    "figure.titlesize": 16,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.8,
    "lines.linewidth": 2.0,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
}

_PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#843c39",
]
_THRESHOLD_COLOUR = "#c0392b"
_BAND_ALPHA = 0.2
_SUBTLE = "#555555"


@contextmanager
def _style() -> Iterator[None]:
    """Apply the shared rc style while a figure's artists are created."""
    with matplotlib.rc_context(cast("dict[Any, Any]", _STYLE)):
        yield


def _figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    height_ratios: Sequence[float] | None = None,
    sharex: bool = False,
    figsize: tuple[float, float] = FIGSIZE,
) -> tuple[Figure, list[Axes]]:
    """A new slide-sized Figure (no pyplot, no GUI) and its axes as a flat list."""
    fig = Figure(figsize=figsize, layout="constrained")
    gridspec_kw = {"height_ratios": list(height_ratios)} if height_ratios is not None else None
    axes = fig.subplots(nrows, ncols, sharex=sharex, squeeze=False, gridspec_kw=gridspec_kw)
    return fig, list(axes.ravel())


def _no_data(title: str, note: str = "no data") -> Figure:
    """A figure with a title and an empty axes carrying a note, for inputs with nothing to draw."""
    with _style():
        fig, (ax,) = _figure()
        _titles(fig, ax, title)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(True)
            ax.spines[side].set_color("#bbbbbb")
        ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", va="center", fontsize=16, color=_SUBTLE)
    return fig


def _humanise(name: str) -> str:
    """A column or factor name as words: 'credits_spent' -> 'credits spent', 'inmails_sent' -> 'InMails sent'."""
    words = name.replace("_", " ").replace(".", " › ").strip()
    return re.sub(r"\binmail(s?)\b", r"InMail\1", words, flags=re.IGNORECASE)


def _sentence(text: str) -> str:
    """Capitalise the first letter only (keeps 'InMails' as it is)."""
    return text[:1].upper() + text[1:]


def _reps_note(n: int) -> str:
    """The subtitle fragment saying what the line and band are."""
    if n <= 1:
        return "1 replication"
    return f"mean of {n} replications, {CI_LEVEL:.0%} CI"


def _date_axis(ax: Axes, is_date: bool) -> None:
    """Format the x axis as compact dates (or as day numbers) with its label."""
    if is_date:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_xlabel("date")
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("days from the start")


def _threshold_line(ax: Axes, threshold: float, *, vertical: bool = False) -> None:
    """Draw the response-rate threshold as a dashed red line with a legend label."""
    label = (
        f"{threshold:.0%} threshold"
        if abs(threshold * 100 - round(threshold * 100)) < 1e-9
        else f"{threshold:.1%} threshold"
    )
    if vertical:
        ax.axvline(threshold, color=_THRESHOLD_COLOUR, linestyle="--", linewidth=1.8, label=label, zorder=4)
    else:
        ax.axhline(threshold, color=_THRESHOLD_COLOUR, linestyle="--", linewidth=1.8, label=label, zorder=4)


def _titles(fig: Figure, ax: Axes, title: str, note: str = "") -> None:
    """Put the title above the figure and a smaller grey subtitle (what is drawn, over what) above the axes."""
    fig.suptitle(title, fontsize=16, fontweight="bold")
    if note:
        # about 9.5 characters of 12 pt text per inch; the axes (where it is centred) is narrower than the figure
        width = max(40, int(fig.get_size_inches()[0] * 7.5))
        lines = [textwrap.fill(part, width) for part in note.split("\n")]
        ax.set_title("\n".join(lines), fontsize=12, fontweight="normal", color=_SUBTLE)


def _legend_below(fig: Figure, handles: Sequence[Any], labels: Sequence[str], ncol: int = 4) -> None:
    """A figure legend in rows under the axes, for figures whose plot area needs its full width."""
    if not handles:
        return
    # as many columns as fit across the figure: about 0.6 em per character plus the handle and padding
    em = float(_STYLE["legend.fontsize"]) / 72.0
    column = max(len(label) for label in labels) * 0.6 * em + 4.0 * em
    fits = max(1, int((fig.get_size_inches()[0] * 0.95) // column))
    fig.legend(list(handles), list(labels), loc="outside lower center", ncol=min(ncol, fits, len(handles)))


def _legend(ax: Axes, **kwargs: Any) -> None:
    """Add a legend only when there is something labelled."""
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(**kwargs)


def _fmt(value: float) -> str:
    """A number with about three significant figures, for labels."""
    if not np.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


@contextmanager
def _quiet_nan_warnings() -> Iterator[None]:
    """Silence 'All-NaN slice' warnings from nan-aware reductions over days with no defined rate."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def save_figure(fig: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Write the figure as a PNG (creating the folder) and close it; return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, format="png")
    if "matplotlib.pyplot" in sys.modules:  # a figure made through pyplot must also leave its registry
        sys.modules["matplotlib.pyplot"].close(fig)
    return out
