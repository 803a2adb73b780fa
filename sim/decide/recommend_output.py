"""What a recommendation shows: the ranked table (objective CI, each constraint's probability with its Wilson
CI), the choice in plain words, the recommended scenario ready to run, and the files of its results folder."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from ..config.decide import EVENTS, OBJECTIVE_WORDS, Constraint
from .recommend_eval import column, objective_values
from .recommend_select import t_interval, wilson

if TYPE_CHECKING:
    from .recommend import Recommendation

SHOWN_EVENTS = ("any_seat_restricted", "pool_ran_dry")
_ORDER = {"chosen": 0, "in play": 1, "eliminated": 2, "infeasible": 3}
OUTPUTS = ("ranked.csv", "recommendation.json", "recommended.yaml", "tradeoff.png", "report.html")


def _sign(objective: str) -> float:
    return -1.0 if objective == "cost_per_response" else 1.0


def _reason(rec: Recommendation, i: int) -> str:
    s = rec.selection.standings[i]
    if s.state == "eliminated" and s.reason.startswith("#"):
        j, r = s.reason[1:].split(":")
        return f"worse than {rec.candidates[int(j)].label()} (seen after {r} replications)"
    if s.state == "chosen":
        return "best among those that keep every limit"
    if s.state == "in play":
        return "not told apart from the chosen plan within the replication budget"
    return s.reason


def _row(rec: Recommendation, i: int) -> dict[str, Any]:
    cand, spec, level = rec.candidates[i], rec.spec, rec.spec.confidence
    n = rec.selection.replications.get(i, rec.evaluations.count(cand))
    rows = rec.evaluations.rows(cand, n)
    obj = _sign(spec.objective) * objective_values(rows, spec.objective)
    low, high = t_interval(obj, level)
    out: dict[str, Any] = {"candidate": cand.label(), **dict(cand.values)}
    out |= {"state": rec.selection.standings[i].state, "why": _reason(rec, i), "replications": n}
    out |= {"objective": float(np.nanmean(obj)), "objective_ci_low": low, "objective_ci_high": high}
    for kpi in ("responses", "accepted", "total_cost", "cost_per_response", "inmails_sent"):
        out[f"{kpi}_mean"] = float(np.nanmean(column(rows, kpi)))
    names = list(dict.fromkeys([*(c.event for c in spec.all_constraints() if c.event), *SHOWN_EVENTS]))
    for event in names:
        hits = column(rows, str(event))
        p_low, p_high = wilson(int(hits.sum()), len(hits), level)
        upper = wilson(int(hits.sum()), len(hits), 2 * level - 1)[1]  # the one-sided bound the checks use
        out |= {f"P({event})": float(hits.mean()), f"P({event})_ci_low": p_low, f"P({event})_ci_high": p_high}
        out[f"P({event})_upper"] = upper
    for c in spec.all_constraints():
        out[f"{c.name}: check"] = rec.selection.standings[i].checks.get(c.name, "")
    return out


def ranked_table(rec: Recommendation) -> pd.DataFrame:
    """One row per candidate ranked: chosen, still in play, eliminated, breaking a limit; best objective first."""
    table = pd.DataFrame([_row(rec, i) for i in range(len(rec.candidates))])
    best_first = -_sign(rec.spec.objective) * table["objective"]
    table["_order"] = table["state"].map(_ORDER)
    table["_best"] = best_first
    table = table.sort_values(["_order", "_best"], kind="stable").drop(columns=["_order", "_best"])
    table.insert(0, "rank", range(1, len(table) + 1))
    return table.reset_index(drop=True)


def _money(value: float, currency: str) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{currency} {value:,.0f}" if abs(value) >= 100 else f"{currency} {value:,.2f}"


def _limit_words(c: Constraint, row: pd.Series, level: float, currency: str) -> str:
    if c.event is not None:
        words = EVENTS[c.event][1]
        p, upper = row[f"P({c.event})"], row[f"P({c.event})_upper"]
        return (
            f"the chance that {words} is estimated at {100 * p:.1f}% and is at most {100 * upper:.1f}% with "
            f"{100 * level:g}% confidence (one-sided Wilson bound), within the limit of "
            f"{100 * (c.max_probability or 0):g}%"
        )
    bound = c.max if c.max is not None else c.min
    op = "at most" if c.max is not None else "at least"
    value = row.get(f"{c.kpi}_mean", math.nan)
    shown = _money(float(value), currency) if str(c.kpi).endswith("cost") else f"{value:,.1f}"
    return f"{c.kpi} averages {shown}, {op} {bound:,g}" if math.isfinite(value) else f"{c.kpi} is {op} {bound:,g}"


def explain(rec: Recommendation) -> str:
    """The choice and why, in plain words."""
    table, spec = rec.table(), rec.spec
    currency = rec.base.costs.currency if rec.base.costs else "USD"
    runs = f"{rec.evaluations.ran} replications run" + (
        f" ({rec.evaluations.reused} reused from an earlier run)" if rec.evaluations.reused else ""
    )
    crn = "on common random numbers (replication r of every plan uses the same random streams)"
    if rec.chosen is None:
        return (
            f"No plan among {len(rec.candidates)} was shown to keep every limit at {100 * spec.confidence:g}% "
            f"confidence within {spec.max_replications} replications each ({runs}, {crn}). Relax a limit, "
            "widen the levers, or allow more replications (decide.max_replications)."
        )
    top = table.iloc[0]
    word = OBJECTIVE_WORDS[spec.objective]
    value = _money(top["objective"], currency) if spec.objective == "cost_per_response" else f"{top['objective']:,.1f}"
    low, high = top["objective_ci_low"], top["objective_ci_high"]

    def shown(v: float) -> str:
        return _money(v, currency) if spec.objective == "cost_per_response" else f"{v:,.1f}"

    ci = f"({100 * spec.confidence:g}% CI {shown(low)} to {shown(high)})"
    cost = f"a total cost of {_money(top['total_cost_mean'], currency)}"
    if spec.objective == "cost_per_response":
        gets = f"a response costs {value} on average {ci}: {top['responses_mean']:,.1f} responses for {cost}."
    else:
        extra = "" if word == "responses" else f", {top['responses_mean']:,.1f} responses"
        gets = (
            f"it gets {value} {word} on average {ci}{extra} for {cost} "
            f"({_money(top['cost_per_response_mean'], currency)} per response)."
        )
    parts = [f"Recommended: {top['candidate']}. Over {top['replications']} replications of "
             f"{rec.base.horizon_days} days {gets}"]  # fmt: skip
    limits = spec.all_constraints()
    if limits:
        parts.append(
            "It keeps every limit: " + "; ".join(_limit_words(c, top, spec.confidence, currency) for c in limits) + "."
        )
    counts = table["state"].value_counts()
    beaten, broken, tied = counts.get("eliminated", 0), counts.get("infeasible", 0), counts.get("in play", 0)
    parts.append(
        f"Of the other {len(table) - 1} plans, {beaten} did clearly worse and {broken} break a limit"
        + (f"; {tied} could not be told apart from it within {spec.max_replications} replications" if tied else "")
        + f" (differences under {rec.selection.delta:,.3g} {word} are treated as ties)."
    )
    if broken:
        better = table[
            (table["state"] == "infeasible") & (_sign(spec.objective) * (table["objective"] - top["objective"]) > 0)
        ]
        if len(better):
            parts.append(f"A plan that does better, {better.iloc[0]['candidate']}, {better.iloc[0]['why']}.")
    how = (
        "ranked every plan"
        if rec.method == "ranking"
        else f"searched {rec.searched} plans with Optuna, then ranked the best {len(rec.candidates)}"
    )
    parts.append(f"Method: {how} with Kim and Nelson's sequential procedure, {runs}, {crn}.")
    return " ".join(parts)


def recommended_scenario(rec: Recommendation) -> dict[str, Any] | None:
    """The chosen plan as a scenario ready for `inmail-sim run` (no decide section)."""
    if rec.chosen is None:
        return None
    data = rec.chosen.scenario.model_dump(mode="json", exclude_none=True)
    data.pop("decide", None)
    data["name"] = f"{rec.base.name}_recommended"[:80]
    data["description"] = f"Recommended by inmail-sim recommend: {rec.chosen.label()}"
    data["seed"] = rec.seed
    return data


def tradeoff_figure(table: pd.DataFrame, objective: str) -> Any:
    """Responses against total cost and against the chance of a restricted seat, one point per plan."""
    import sys

    import matplotlib

    if "ipykernel" not in sys.modules:  # keep a notebook's inline backend; everywhere else, never a GUI
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    risk = table["P(any_seat_restricted)"].to_numpy()
    bad = table["state"].eq("infeasible").to_numpy()
    chosen = table["state"].eq("chosen").to_numpy()
    for ax, x, label in (
        (left, table["total_cost_mean"].to_numpy(), "total cost over the horizon"),
        (right, 100 * risk, "chance that any seat is restricted (%)"),
    ):
        ok = ~bad & ~chosen
        points = ax.scatter(x[ok], table["responses_mean"][ok], c=100 * risk[ok], cmap="viridis_r", vmin=0,
                            vmax=100, s=36, label="plan")  # fmt: skip
        ax.scatter(x[bad], table["responses_mean"][bad], marker="x", color="#b2182b", s=36, label="breaks a limit")
        ax.scatter(x[chosen], table["responses_mean"][chosen], marker="*", color="#f4a582", edgecolor="black",
                   s=260, zorder=5, label="recommended")  # fmt: skip
        ax.set_xlabel(label)
        if ax is right:
            ax.set_xlim(-3, 103)
        ax.set_ylabel("responses (mean over replications)")
        ax.grid(alpha=0.3)
    fig.colorbar(points, ax=right, label="P(any seat restricted) %")
    left.legend(loc="best", fontsize=8)
    fig.suptitle("Responses against cost and restriction risk, one point per plan")
    return fig


def _replace(path: Path, write: Any) -> None:
    """Write a file of ours through a temporary name, so a reader never sees half of it."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    tmp.replace(path)


def clear_outputs(folder: Path) -> None:
    """Remove the outputs of an earlier recommendation (files this tool wrote), so an interrupted rerun never
    leaves them looking current."""
    for name in OUTPUTS:
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / "figures", ignore_errors=True)


def save(rec: Recommendation, folder: Path) -> Path:
    """ranked.csv, recommendation.json, recommended.yaml (when a plan is chosen), tradeoff.png, report.html."""
    from .recommend_report import write_report

    folder.mkdir(parents=True, exist_ok=True)
    table = rec.table()
    why = rec.why()
    _replace(folder / "ranked.csv", lambda p: table.to_csv(p, index=False, float_format="%.6g"))
    scenario = rec.recommended_scenario()
    if scenario is not None:
        text = "# " + why.replace("\n", " ")[:2000] + "\n# Run it: inmail-sim run recommended.yaml\n"
        text += yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True)
        _replace(folder / "recommended.yaml", lambda p: p.write_text(text, encoding="utf-8"))
    fig = tradeoff_figure(table, rec.spec.objective)
    _replace(folder / "tradeoff.png", lambda p: fig.savefig(p, dpi=100, format="png"))
    import matplotlib.pyplot as plt

    plt.close(fig)
    summary = {
        "scenario": rec.base.name,
        "seed": rec.seed,
        "method": rec.method,
        "objective": rec.spec.objective,
        "confidence": rec.spec.confidence,
        "indifference": rec.selection.delta,
        "chosen": None if rec.chosen is None else dict(rec.chosen.values),
        "why": why,
        "replications_run": rec.evaluations.ran,
        "replications_reused": rec.evaluations.reused,
        "candidates_ranked": len(rec.candidates),
        "candidates_searched": rec.searched,
        "decide": rec.spec.model_dump(mode="json"),
    }
    _replace(folder / "recommendation.json", lambda p: p.write_text(json.dumps(summary, indent=2), encoding="utf-8"))
    write_report(rec, folder, table, why)
    return folder
