"""Paired comparison of two options: per KPI the difference B - A over common-random-number replications,
from two scenario files (run here on the same seeds) or two results folders (a run or a sweep point)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config.scenario import ScenarioError, load_scenario
from ..runner.executors import ExecutorSpec
from ..runner.experiment import check_replications, check_seed
from .experiment import run
from .results import KPIS, confidence_interval
from .storage import shown


def paired_differences(runs_a: pd.DataFrame, runs_b: pd.DataFrame) -> pd.DataFrame:
    """Per KPI: means of A and B, the mean paired difference B - A with its 95% CI, and whether it excludes 0.

    Replications are paired by index: replication i of both drew from the same random streams."""
    merged = runs_a.merge(runs_b, on="replication", suffixes=("_a", "_b"))
    rows = []
    for kpi in KPIS:
        if f"{kpi}_a" not in merged:
            continue
        a, b = merged[f"{kpi}_a"].to_numpy(float), merged[f"{kpi}_b"].to_numpy(float)
        ok = ~(np.isnan(a) | np.isnan(b))
        ci = confidence_interval((b[ok] - a[ok]).tolist())
        low, high = ci["ci_low"], ci["ci_high"]
        rows.append(
            {
                "kpi": kpi,
                "mean_a": float(a[ok].mean()) if ok.any() else math.nan,
                "mean_b": float(b[ok].mean()) if ok.any() else math.nan,
                "diff": math.nan if ci["mean"] is None else ci["mean"],
                "ci_low": math.nan if low is None else low,
                "ci_high": math.nan if high is None else high,
                "excludes_zero": bool(low is not None and high is not None and (low > 0 or high < 0)),
                "n": ci["n"],
            }
        )
    return pd.DataFrame(rows)


def recorded(folder: Path) -> dict[str, Any]:
    """The seed and replication count a results folder recorded in its summary.json (empty if none)."""
    summary = folder / "summary.json"
    if not summary.is_file():
        return {}
    try:
        data = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: data[k] for k in ("seed", "replications") if isinstance(data.get(k), int)}


def folder_runs(folder: Path) -> pd.DataFrame:
    """The runs table of a results folder, or ScenarioError naming the folder and what is wrong with it."""
    runs = folder / "runs.parquet"
    if not runs.is_file():
        raise ScenarioError([f"{shown(folder)}: not a results folder (no runs.parquet)"])
    try:
        table = pd.read_parquet(runs)
    except Exception as err:  # pyarrow raises its own error types for damaged files
        raise ScenarioError([f"{shown(runs)}: cannot be read ({type(err).__name__}); rerun to make it again"]) from None
    if "replication" not in table:
        raise ScenarioError([f"{shown(runs)}: has no replication column; not a runs table of inmail-sim"])
    return table


@dataclass
class Comparison:
    """The paired table and what the user should know about how it was made."""

    table: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def compare(
    a: str | Path,
    b: str | Path,
    sets: list[str] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: ExecutorSpec | None = None,
) -> Comparison:
    """Compare A and B, each a scenario file (run with the same seeds) or a results folder.

    Raises ValueError naming the parameter for a bad `replications` or `seed`, and for `sets`,
    `replications` or `seed` given with two results folders (they would be silently ignored)."""
    a_path, b_path = Path(a), Path(b)
    if replications is not None:
        check_replications(replications)
    if seed is not None:
        check_seed(seed)
    if a_path.is_dir() and b_path.is_dir():
        given = [name for name, v in (("--set", sets), ("--replications", replications), ("--seed", seed)) if v]
        if given:
            raise ValueError(
                f"{', '.join(given)}: not used when comparing two results folders (they hold finished runs); "
                "compare scenario files to run them with other settings"
            )
    if a_path.is_dir():
        rec = recorded(a_path)
        seed = rec.get("seed") if seed is None else seed
        replications = rec.get("replications") if replications is None else replications
    else:
        first = load_scenario(a_path, sets)
        seed = first.seed if seed is None else seed
        replications = first.replications if replications is None else replications
    runs = [_runs_of(p, sets, seed, replications, executor) for p in (a_path, b_path)]
    warnings = []
    seeds = {p: recorded(p).get("seed") for p in (a_path, b_path) if p.is_dir()}
    if len(seeds) == 2 and len(set(seeds.values())) > 1:
        warnings.append(
            f"the two results folders used different seeds ({seeds[a_path]} and {seeds[b_path]}), "
            "so replications are not paired on common random numbers; the intervals are wider than they need be"
        )
    return Comparison(paired_differences(*runs), warnings)


def _runs_of(
    source: Path, sets: list[str] | None, seed: int | None, replications: int | None, executor: ExecutorSpec | None
) -> pd.DataFrame:
    if source.is_dir():
        return folder_runs(source)
    scenario = load_scenario(source, sets)
    return run(scenario, replications, seed, executor=executor, tables=False).runs
