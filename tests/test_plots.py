"""The figure set: every function draws a non-blank PNG of the expected size, also on awkward inputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from sim.present import plots
from tests.plot_data import REASONS, make_paired_table, make_sweep_points, make_tables

DPI = 60  # small PNGs keep the suite fast; the size check scales with it

RUN_STEMS = {
    "credit_balance",
    "credit_fate",
    "response_rate",
    "sends_and_blocks",
    "blocked_by_reason",
    "refunds_per_week",
    "time_to_response",
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    """Three replications, three InMail seats, 60 days, with blocks, warnings, a restriction and refunds."""
    return make_tables(replications=3, seats=3, days=60)


def legend_text(fig: Figure) -> str:
    """The text of the first axes' legend, or of the figure's legend when it has one."""
    legend = fig.legends[0] if fig.legends else fig.axes[0].get_legend()
    assert legend is not None
    return " | ".join(t.get_text() for t in legend.get_texts())


def check_png(fig: Figure, path: Path, dpi: int = DPI) -> None:
    """Save the figure and check the PNG has the figure's pixel size and more than one colour."""
    assert isinstance(fig, Figure)
    width, height = fig.get_size_inches()
    plots.save_figure(fig, path, dpi=dpi)
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert img.size == (round(width * dpi), round(height * dpi))
        pixels = np.asarray(img.convert("RGB")).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 1, f"{path.name} is blank"


def test_style_is_slide_sized(tables: dict[str, pd.DataFrame]) -> None:
    fig = plots.credit_balance(tables["account_days"])
    assert tuple(fig.get_size_inches()) == pytest.approx(plots.FIGSIZE)
    ax = fig.axes[0]
    assert fig.get_suptitle() and ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    title = next(t for t in fig.findobj(Text) if t.get_text() == fig.get_suptitle())
    assert float(title.get_fontsize()) >= 14
    assert float(ax.xaxis.label.get_fontsize()) >= 12 and float(ax.yaxis.label.get_fontsize()) >= 12


@pytest.mark.parametrize("name", ["credit_balance", "credit_fate", "sends_and_blocks", "blocked_by_reason"])
def test_seat_and_account_figures(tables: dict[str, pd.DataFrame], tmp_path: Path, name: str) -> None:
    func: Callable[[pd.DataFrame], Figure] = getattr(plots, name)
    table = tables["account_days"] if name.startswith("credit") else tables["seat_days"]
    check_png(func(table), tmp_path / f"{name}.png")


def test_response_rate_has_threshold_and_states(tables: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    fig = plots.response_rate(tables["seat_days"], threshold=0.13)
    ax = fig.axes[0]
    assert any(np.allclose(line.get_ydata(), 0.13) for line in ax.get_lines())
    text = legend_text(fig)
    assert "13% threshold" in text and "restricted" in text and "warning" in text
    assert len(fig.axes) == 2  # the second panel counts seats per state
    check_png(fig, tmp_path / "response_rate.png")


def test_response_rate_single_seat(tables: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    one = tables["seat_days"][tables["seat_days"]["seat"] == 2]
    fig = plots.response_rate(one, threshold=0.2, replication=1)
    assert len(fig.axes) == 1
    check_png(fig, tmp_path / "response_rate_one.png")


def test_response_rate_many_seats(tmp_path: Path) -> None:
    days, seats = 120, 1000
    rng = np.random.default_rng(1)
    grid = pd.MultiIndex.from_product([range(seats), range(days)], names=["seat", "day"]).to_frame(index=False)
    grid["replication"] = 0
    grid["sender"] = grid["seat"]
    grid["group"] = "g"
    grid["account"] = "A"
    grid["date"] = pd.Timestamp("2024-03-01") + pd.to_timedelta(grid["day"], unit="D")
    grid["sent"] = 5
    grid["responses"] = 1
    for reason in REASONS:
        grid[reason] = 0
    grid["credit_balance"] = 100
    grid["trailing_rate"] = np.where(grid["day"] >= 14, rng.beta(3, 15, len(grid)), np.nan)
    grid["policy_state"] = np.select(
        [grid["trailing_rate"] < 0.06, grid["trailing_rate"] < 0.09], ["restricted", "warning"], "ok"
    )
    fig = plots.response_rate(grid, 0.13)
    assert "median" in legend_text(fig)
    check_png(fig, tmp_path / "response_rate_many.png")


def test_refunds_per_week(tables: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    check_png(plots.refunds_per_week(tables["credits"]), tmp_path / "refunds.png")


@pytest.mark.parametrize("windows", [(7,), (7, 90)])
def test_time_to_response(tables: dict[str, pd.DataFrame], tmp_path: Path, windows: tuple[int, ...]) -> None:
    fig = plots.time_to_response(tables["inmails"], windows=windows)
    vlines = [line for line in fig.axes[0].get_lines() if np.allclose(line.get_xdata(), 7)]
    assert vlines, "the 7-day window is marked"
    check_png(fig, tmp_path / "ttr.png")


def test_kpi_vs_factor(tmp_path: Path) -> None:
    points = make_sweep_points()
    fig = plots.kpi_vs_factor(points, "response_rate", "team_size", by="rules", threshold=0.13)
    assert any(np.allclose(line.get_ydata(), 0.13) for line in fig.axes[0].get_lines())
    check_png(fig, tmp_path / "sweep_rr.png")
    seed_only = points[points["rules"] == "seed"]
    check_png(plots.kpi_vs_factor(seed_only, "inmails_sent", "team_size"), tmp_path / "sweep_sent.png")
    check_png(plots.kpi_vs_factor(points, "inmails_sent", "rules"), tmp_path / "sweep_categorical.png")


def test_paired_differences(tmp_path: Path) -> None:
    table = make_paired_table()
    fig = plots.paired_differences(table, label_a="seed", label_b="linkedin-current")
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(ticks) == len(table) - 1  # the KPI that is zero under A is left out
    check_png(fig, tmp_path / "paired.png")


def test_run_figures_returns_all_seven(tables: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    figures = plots.run_figures(tables, threshold=0.13, windows=(7,))
    assert set(figures) == RUN_STEMS == set(plots.FIGURES)
    for stem, fig in figures.items():
        check_png(fig, tmp_path / f"{stem}.png", dpi=40)


def test_single_replication(tmp_path: Path) -> None:
    one = make_tables(replications=1, seats=2, days=30, seed=3)
    figures = plots.run_figures(one, threshold=0.13, windows=(7,))
    assert set(figures) == RUN_STEMS
    for stem, fig in figures.items():
        check_png(fig, tmp_path / f"{stem}.png", dpi=40)


def test_zero_responses_and_no_blocks(tmp_path: Path) -> None:
    quiet = make_tables(replications=2, seats=3, days=30, responses=False, blocked=False, seed=5)
    assert quiet["inmails"]["responded_at"].isna().all()
    assert (quiet["seat_days"][REASONS].to_numpy() == 0).all()
    figures = plots.run_figures(quiet, threshold=0.13, windows=(7,))
    assert "time_to_response" not in figures  # nothing to show, so skipped
    assert {"sends_and_blocks", "blocked_by_reason", "response_rate"} <= set(figures)
    kept = plots.run_figures(quiet, threshold=0.13, windows=(7,), skip_empty=False)
    assert set(kept) == RUN_STEMS
    for stem, fig in kept.items():
        check_png(fig, tmp_path / f"{stem}.png", dpi=40)


def test_email_only_senders(tmp_path: Path) -> None:
    email = make_tables(replications=2, seats=0, days=30, email_seats=3, seed=9)
    assert (email["seat_days"]["policy_state"] == "").all()
    check_png(plots.response_rate(email["seat_days"], 0.13), tmp_path / "rr_email.png", dpi=40)
    figures = plots.run_figures(email, threshold=0.13, windows=(7,))
    assert "response_rate" not in figures
    for stem, fig in figures.items():
        check_png(fig, tmp_path / f"{stem}.png", dpi=40)


def test_empty_tables_never_crash(tmp_path: Path, tables: dict[str, pd.DataFrame]) -> None:
    empty = {name: frame.iloc[0:0] for name, frame in tables.items()}
    assert plots.run_figures(empty, threshold=0.13, windows=(7,)) == {}
    kept = plots.run_figures(empty, threshold=0.13, windows=(7,), skip_empty=False)
    assert set(kept) == RUN_STEMS
    for stem, fig in kept.items():
        check_png(fig, tmp_path / f"{stem}.png", dpi=40)
    check_png(plots.kpi_vs_factor(pd.DataFrame(), "response_rate", "team_size"), tmp_path / "k.png", dpi=40)
    check_png(plots.paired_differences(make_paired_table().iloc[0:0]), tmp_path / "p.png", dpi=40)
    assert plots.run_figures({}, threshold=0.13, windows=(7,)) == {}


def test_long_horizon_many_accounts(tmp_path: Path) -> None:
    days = 730
    frames = []
    for account in range(8):
        frames.append(
            pd.DataFrame(
                {
                    "replication": np.repeat([0, 1], days),
                    "account": f"acct{account}",
                    "day": np.tile(np.arange(days), 2),
                    "date": np.tile(pd.date_range("2024-01-01", periods=days).to_numpy(), 2),
                    "credit_balance": np.tile(np.arange(days) % 30, 2) * 10 + account,
                    "credits_granted": 0,
                    "credits_spent": 3,
                    "credits_refunded": 1,
                    "credits_expired": 0,
                    "credits_forfeited": 0,
                }
            )
        )
    account_days = pd.concat(frames, ignore_index=True)
    fig = plots.credit_balance(account_days)
    assert legend_text(fig).startswith("all accounts")
    check_png(fig, tmp_path / "balance_long.png", dpi=40)
    check_png(plots.credit_fate(account_days), tmp_path / "fate_long.png", dpi=40)


def test_save_figure_default_dpi(tables: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    path = plots.save_figure(plots.blocked_by_reason(tables["seat_days"]), tmp_path / "sub" / "b.png")
    with Image.open(path) as img:
        assert img.size == (1000, 560)
