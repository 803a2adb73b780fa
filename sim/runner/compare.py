"""Paired comparison of two options: per KPI the difference B - A over common-random-number replications."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config.scenario import ScenarioError, load_scenario
from ..output.results import KPIS, confidence_interval

EXIT_BAD_INPUT = 2


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


def _recorded(folder: Path) -> dict[str, Any]:
    """The seed and replication count a results folder recorded in its summary.json (empty if none)."""
    summary = folder / "summary.json"
    if not summary.is_file():
        return {}
    try:
        data = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: data[k] for k in ("seed", "replications") if isinstance(data.get(k), int)}


def _runs_of(source: Path, args: argparse.Namespace, seed: int | None, replications: int | None) -> pd.DataFrame:
    if source.is_dir():
        runs = source / "runs.parquet"
        if not runs.is_file():
            raise ScenarioError([f"{source}: not a results folder (no runs.parquet)"])
        return pd.read_parquet(runs)
    from .experiment import executor_from_args, run

    scenario = load_scenario(source, args.sets)
    return run(scenario, replications, seed, executor=executor_from_args(args), tables=False).runs


def compare_command(args: argparse.Namespace) -> int:
    """`inmail-sim compare A B`: A and B are scenario files or results folders (a run or a sweep point)."""
    a_path, b_path = Path(args.a), Path(args.b)
    try:
        seed = args.seed
        replications = args.replications
        if a_path.is_dir():
            recorded = _recorded(a_path)
            seed = recorded.get("seed") if seed is None else seed
            replications = recorded.get("replications") if replications is None else replications
        else:
            first = load_scenario(a_path, args.sets)
            seed = first.seed if seed is None else seed
            replications = first.replications if replications is None else replications
        runs_a = _runs_of(a_path, args, seed, replications)
        runs_b = _runs_of(b_path, args, seed, replications)
    except ScenarioError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    seeds = {p: _recorded(p).get("seed") for p in (a_path, b_path) if p.is_dir()}
    if len(seeds) == 2 and len(set(seeds.values())) > 1:
        print(
            f"compare: warning: the two results folders used different seeds ({seeds[a_path]} and {seeds[b_path]}), "
            "so replications are not paired on common random numbers; the intervals are wider than they need be",
            file=sys.stderr,
        )
    table = paired_differences(runs_a, runs_b)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "compare.csv", index=False, float_format="%.6g")
        from ..present import plots

        plots.save_figure(plots.paired_differences(table), out / "compare.png")
    if not args.quiet:
        print(f"B - A, paired over {int(table['n'].max()) if len(table) else 0} replications (95% CI)")
        with pd.option_context(
            "display.width", 160, "display.max_columns", 20, "display.float_format", "{:.4g}".format
        ):
            print(table.to_string(index=False))
    return 0
