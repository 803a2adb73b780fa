"""Replications of a scenario, their seeds, and the `run` command that writes a results folder."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from .model import ENGINES
from .results import Results, headline_text, replication_kpis, replication_tables
from .scenario import Scenario, ScenarioError, load_scenario

EXIT_BAD_INPUT = 2


def run_replication(
    scenario: Scenario, replication: int, seed: int
) -> tuple[dict[str, float], dict[str, pd.DataFrame]]:
    """One replication: its KPIs and tables. Replication r always draws from the streams of (seed, r)."""
    engine = ENGINES.get(scenario.engine)
    if engine is None:
        raise ValueError(f"engine {scenario.engine!r} is not available (have: {', '.join(ENGINES)})")
    out = engine(scenario, replication, seed).run()
    kpis = replication_kpis(out, scenario.resolved_rules().response_kinds)
    return kpis, replication_tables(out, scenario)


def run(
    scenario: Scenario | str | Path | dict[str, Any],
    replications: int | None = None,
    seed: int | None = None,
    progress: bool = False,
) -> Results:
    """Run every replication of `scenario` and gather the results."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    n = scenario.replications if replications is None else replications
    root = scenario.seed if seed is None else seed
    reps = range(n)
    if progress:
        from tqdm import tqdm

        reps = tqdm(reps, desc=scenario.name, unit="replication", file=sys.stderr)  # type: ignore[assignment]
    rows: list[dict[str, float]] = []
    parts: dict[str, list[pd.DataFrame]] = {}
    for r in reps:
        kpis, tables = run_replication(scenario, r, root)
        rows.append(kpis)
        for name, table in tables.items():
            parts.setdefault(name, []).append(table)
    tables = {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}
    for name in ("inmails", "seat_days", "account_days"):
        for col in ("group", "account", "channel", "cost", "outcome", "policy_state"):
            if name in tables and col in tables[name]:
                tables[name][col] = tables[name][col].astype("category")
    return Results(scenario=scenario, seed=root, runs=pd.DataFrame(rows), tables=tables)


def run_command(args: argparse.Namespace) -> int:
    """`inmail-sim run`: validate, simulate into a temporary folder, rename it to the results folder."""
    try:
        scenario = load_scenario(args.scenario, args.sets)
        if args.replications is not None and args.replications < 1:
            raise ScenarioError([f"--replications: must be at least 1 (got {args.replications})"])
        if args.seed is not None and args.seed < 0:
            raise ScenarioError([f"--seed: must be 0 or more (got {args.seed})"])
    except ScenarioError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(args.out) if args.out else Path("results") / scenario.name
    if out.exists() and not args.force:
        print(
            f"run: {out} already exists; use --force to replace it or --out to choose another folder", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.incomplete-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        results = run(scenario, args.replications, args.seed, progress=not args.quiet and sys.stderr.isatty())
        results.save(tmp)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not args.quiet:
        n = len(results.runs)
        print(f"{scenario.name}: {n} replication{'s' if n != 1 else ''}, seed {results.seed} -> {out}")
        print(headline_text(results.summary()))
    return 0
