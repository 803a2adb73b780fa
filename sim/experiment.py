"""Replications of a scenario: seeds, executors, automatic replication counts, and the `run` command."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .executors import ExecutorName, ExecutorSpec, run_tasks
from .guard import FolderBusyError, FolderLock, estimate
from .model import ENGINES
from .results import KPIS, Results, confidence_interval, headline_text, replication_kpis, replication_tables
from .scenario import Scenario, ScenarioError, load_scenario

EXIT_BAD_INPUT = 2
AUTO_MIN_REPLICATIONS = 3


def run_replication(
    scenario: Scenario | dict[str, Any], replication: int, seed: int, tables: bool = True
) -> tuple[dict[str, float], dict[str, pd.DataFrame]]:
    """One replication: its KPIs and (unless `tables` is False) its tables.

    Replication r always draws from the streams of (seed, r), whatever executor runs it and whatever
    scenario it belongs to: that is what makes options comparable with common random numbers."""
    if not isinstance(scenario, Scenario):
        scenario = Scenario.model_validate(scenario)
    engine = ENGINES.get(scenario.engine)
    if engine is None:
        raise ValueError(f"engine {scenario.engine!r} is not available (have: {', '.join(ENGINES)})")
    out = engine(scenario, replication, seed).run()
    kpis = replication_kpis(out, scenario.resolved_rules().response_kinds)
    return kpis, (replication_tables(out, scenario) if tables else {})


def _progress(total: int, label: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="rep", file=sys.stderr, dynamic_ncols=True)


def run_replications(
    scenario: Scenario,
    replications: Iterable[int],
    seed: int,
    executor: ExecutorSpec,
    tables: bool = True,
    progress: Any = None,
) -> list[tuple[dict[str, float], dict[str, pd.DataFrame]]]:
    """Run the given replications on `executor`; results in replication order. The first error is raised."""
    reps = list(replications)
    data = scenario.model_dump(mode="json")
    tasks = [(data, r, seed, tables) for r in reps]
    results: list[Any] = [None] * len(reps)
    for outcome in run_tasks(run_replication, tasks, executor):
        if outcome.error is not None:
            raise outcome.error
        results[outcome.index] = outcome.value
        if progress is not None:
            progress.update(1)
    return results


def _gather(scenario: Scenario, seed: int, parts: list[tuple[dict[str, float], dict[str, pd.DataFrame]]]) -> Results:
    rows = [kpis for kpis, _ in parts]
    frames: dict[str, list[pd.DataFrame]] = {}
    for _, tables in parts:
        for name, table in tables.items():
            frames.setdefault(name, []).append(table)
    tables = {name: pd.concat(f, ignore_index=True) for name, f in frames.items()}
    for table in tables.values():
        for col in ("group", "account", "channel", "cost", "outcome", "policy_state"):
            if col in table:
                table[col] = table[col].astype(str).astype("category")
    return Results(scenario=scenario, seed=seed, runs=pd.DataFrame(rows), tables=tables)


def run(
    scenario: Scenario | str | Path | dict[str, Any],
    replications: int | None = None,
    seed: int | None = None,
    progress: bool = False,
    executor: ExecutorSpec | None = None,
    tables: bool = True,
) -> Results:
    """Run every replication of `scenario` and gather the results (the notebook API)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    n = scenario.replications if replications is None else replications
    root = scenario.seed if seed is None else seed
    executor = executor or ExecutorSpec("serial")
    bar = _progress(n, scenario.name, progress)
    try:
        parts = run_replications(scenario, range(n), root, executor, tables, bar)
    finally:
        if bar is not None:
            bar.close()
    return _gather(scenario, root, parts)


def run_until_precise(
    scenario: Scenario,
    precision: float,
    kpi: str = "response_rate",
    seed: int | None = None,
    max_replications: int = 200,
    executor: ExecutorSpec | None = None,
    tables: bool = True,
    progress: bool = False,
) -> Results:
    """Add replications until the 95% CI half-width of `kpi` is within `precision` x |mean| (or the maximum).

    Batches are the executor's worker count, so the answer does not depend on timing; replication i is the
    same whatever the batch size."""
    root = scenario.seed if seed is None else seed
    executor = executor or ExecutorSpec("serial")
    batch = max(AUTO_MIN_REPLICATIONS, executor.workers)
    parts: list[tuple[dict[str, float], dict[str, pd.DataFrame]]] = []
    bar = _progress(max_replications, f"{scenario.name} (auto)", progress)
    try:
        while len(parts) < max_replications:
            start = len(parts)
            stop = min(max_replications, start + (AUTO_MIN_REPLICATIONS if start == 0 else batch))
            parts += run_replications(scenario, range(start, stop), root, executor, tables, bar)
            if precise_enough([p[0][kpi] for p in parts], precision):
                break
    finally:
        if bar is not None:
            bar.close()
    return _gather(scenario, root, parts)


def precise_enough(values: list[float], precision: float) -> bool:
    """Whether the 95% CI half-width of `values` is within `precision` times the absolute mean."""
    ci = confidence_interval(values)
    if ci["n"] is None or int(ci["n"]) < AUTO_MIN_REPLICATIONS or ci["ci_high"] is None:
        return False
    mean, half = float(ci["mean"]), (float(ci["ci_high"]) - float(ci["ci_low"])) / 2  # type: ignore[arg-type]
    if mean == 0:
        return half == 0
    return half <= precision * abs(mean) or math.isclose(half, 0.0)


def executor_from_args(args: argparse.Namespace) -> ExecutorSpec:
    default: ExecutorName = "dask" if getattr(args, "scheduler", None) else "processes"
    kind: ExecutorName = getattr(args, "executor", None) or default
    return ExecutorSpec(kind, getattr(args, "jobs", None), getattr(args, "scheduler", None))


def _parse_replications(value: str | None) -> int | str | None:
    if value is None or value == "auto":
        return value
    try:
        n = int(value)
    except ValueError:
        raise ScenarioError([f"--replications: expected a whole number or 'auto' (got {value!r})"]) from None
    if n < 1:
        raise ScenarioError([f"--replications: must be at least 1 (got {n})"])
    return n


def _run_into(out: Path, scenario: Scenario, replications: int | str | None, args: argparse.Namespace) -> Results:
    """Simulate into a temporary folder beside `out` and rename it into place only when complete."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.incomplete-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    executor = executor_from_args(args)
    show = not args.quiet and sys.stderr.isatty()
    try:
        if replications == "auto":
            results = run_until_precise(
                scenario, args.precision or 0.05, args.kpi, args.seed, args.max_replications, executor, progress=show
            )
        else:
            assert not isinstance(replications, str)
            results = run(scenario, replications, args.seed, show, executor)
        results.save(tmp)
        if not getattr(args, "no_report", False):
            from .report import write_report

            write_report(tmp, rebuild_figures=False)  # the figures save() just drew
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return results


def run_command(args: argparse.Namespace) -> int:
    """`inmail-sim run`: validate, simulate into a temporary folder, rename it to the results folder."""
    try:
        scenario = load_scenario(args.scenario, args.sets)
        replications = _parse_replications(args.replications)
        if args.seed is not None and args.seed < 0:
            raise ScenarioError([f"--seed: must be 0 or more (got {args.seed})"])
        if args.kpi not in KPIS:
            raise ScenarioError([f"--kpi: unknown KPI {args.kpi!r} (known: {', '.join(KPIS)})"])
        if args.precision is not None and not 0 < args.precision < 1:
            raise ScenarioError([f"--precision: must be between 0 and 1 (got {args.precision})"])
    except ScenarioError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    est = estimate(scenario, replications if isinstance(replications, int) else None)
    if est.problems and not args.force:
        print(f"run: refused before starting: {'; '.join(est.problems)}; or use --force to run anyway", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(args.out) if args.out else Path("results") / scenario.name
    try:
        with FolderLock(out):
            if out.exists() and not args.force:
                print(
                    f"run: {out} already exists; use --force to replace it or --out for another folder", file=sys.stderr
                )
                return EXIT_BAD_INPUT
            results = _run_into(out, scenario, replications, args)
    except FolderBusyError as err:
        print(f"run: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.quiet:
        n = len(results.runs)
        how = (
            f" (auto: {args.kpi} CI within {100 * (args.precision or 0.05):g}% of its mean)"
            if replications == "auto"
            else ""
        )
        print(f"{scenario.name}: {n} replication{'s' if n != 1 else ''}{how}, seed {results.seed} -> {out}")
        print(headline_text(results.summary()))
    return 0
