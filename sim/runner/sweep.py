"""Sweeps: a grid over dotted keys (or an explicit list of points), each point run with the same seeds, each
finished point written to disk at once, a rerun resuming where the last one stopped."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .. import __version__
from ..config.scenario import Scenario, SweepSpec
from ..config.sweeps import Point as Point  # the sweep points are expanded and validated in sim.config
from ..config.sweeps import expand as expand
from ..config.sweeps import load_sweep as load_sweep
from ..config.sweeps import point_id as point_id
from ..output.results import HEADLINE, KPIS, confidence_interval
from .executors import ExecutorSpec, run_tasks
from .guard import FolderLock


def _fingerprint(points: list[Point], replications: int, seed: int) -> str:
    payload = json.dumps(
        {
            "points": [[p.id, p.scenario.model_dump(mode="json")] for p in points],
            "replications": replications,
            "seed": seed,
            "version": __version__,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _point_done(folder: Path) -> bool:
    return (folder / "summary.json").is_file() and (folder / "runs.parquet").is_file()


def _write_point(folder: Path, point: Point, seed: int, rows: list[dict[str, float]]) -> None:
    """Write a finished point atomically: a temporary folder renamed into place."""
    tmp = folder.parent / f".{folder.name}.incomplete"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    runs = pd.DataFrame(rows).sort_values("replication").reset_index(drop=True)
    runs.to_parquet(tmp / "runs.parquet", index=False)
    resolved = point.scenario.resolved_dict(seed=seed, replications=len(runs))
    (tmp / "scenario.resolved.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False), encoding="utf-8")
    summary = {
        "point": point.id,
        "factors": point.values,
        "seed": seed,
        "replications": len(runs),
        "kpis": {k: confidence_interval(runs[k].tolist()) for k in KPIS if k in runs},
    }
    (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def _write_failure(folder: Path, point: Point, error: BaseException, tb: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "error.txt").write_text(f"{type(error).__name__}: {error}\n\n{tb}", encoding="utf-8")
    (folder / "scenario.yaml").write_text(
        yaml.safe_dump(point.scenario.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
    )


def _factor_columns(points: list[Point]) -> list[str]:
    keys: list[str] = []
    for p in points:
        keys += [k for k in p.values if k not in keys]
    return keys


def collect(out: Path, points: list[Point]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`sweep.parquet` (point x replication) and `points.parquet` (per point: each KPI's mean and CI)."""
    factors = _factor_columns(points)
    long_rows: list[dict[str, Any]] = []
    point_rows: list[dict[str, Any]] = []
    for p in points:
        folder = out / "points" / p.id
        if not _point_done(folder):
            continue
        runs = pd.read_parquet(folder / "runs.parquet")
        shown = {k: _cell(p.values.get(k)) for k in factors}
        for row in runs.to_dict("records"):
            long_rows.append({"point": p.index, "point_id": p.id, **shown, **{str(k): v for k, v in row.items()}})
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["kpis"]
        flat: dict[str, Any] = {"point": p.index, "point_id": p.id, **shown}
        for kpi, stats_ in summary.items():
            for stat in ("mean", "std", "ci_low", "ci_high", "n"):
                flat[f"{kpi}_{stat}"] = stats_[stat]
        point_rows.append(flat)
    return pd.DataFrame(long_rows), pd.DataFrame(point_rows)


def _cell(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool) or value is None else json.dumps(value)


def run_sweep(
    path: str | Path,
    out: Path,
    sets: list[str] | None = None,
    cli_factors: list[str] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: ExecutorSpec | None = None,
    force: bool = False,
    progress: bool = False,
    log: Any = None,
    report: bool = True,
) -> tuple[list[str], list[str]]:
    """Run (or resume) the sweep into `out` (with report.html unless `report` is False); returns (finished point
    ids, failed point ids)."""
    base, spec, points = load_sweep(path, sets, cli_factors)
    n = base.replications if replications is None else replications
    root = base.seed if seed is None else seed
    executor = executor or ExecutorSpec()
    with FolderLock(out):
        return _run_locked(out, base, spec, points, n, root, executor, force, progress, log, report)


def _run_locked(
    out: Path,
    base: Scenario,
    spec: SweepSpec,
    points: list[Point],
    n: int,
    root: int,
    executor: ExecutorSpec,
    force: bool,
    progress: bool,
    log: Any,
    report: bool = True,
) -> tuple[list[str], list[str]]:
    from .experiment import run_replication

    fingerprint = _fingerprint(points, n, root)
    marker = out / "sweep.json"
    if out.exists():
        previous = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else None
        if previous is None or previous.get("fingerprint") != fingerprint:
            if not force:
                raise FileExistsError(
                    f"{out} holds other results (not this sweep); use --force to replace it or --out for another folder"
                )
            shutil.rmtree(out)
    (out / "points").mkdir(parents=True, exist_ok=True)
    marker.write_text(
        json.dumps(
            {
                "fingerprint": fingerprint,
                "points": [p.id for p in points],
                "replications": n,
                "seed": root,
                "factors": _factor_columns(points),  # read by `inmail-sim report` to name the figures' axes
                "labels": spec.labels,
            }
        ),
        encoding="utf-8",
    )
    todo = [p for p in points if not _point_done(out / "points" / p.id)]
    skipped = len(points) - len(todo)
    if skipped:
        print(
            f"sweep: {skipped} of {len(points)} points already finished in {out}; skipping them", file=log or sys.stderr
        )
    tasks = [(p.scenario.model_dump(mode="json"), r, root, False) for p in todo for r in range(n)]
    owner = [p for p in todo for _ in range(n)]
    rows: dict[str, list[dict[str, float]]] = {p.id: [] for p in todo}
    failures: dict[str, tuple[BaseException, str]] = {}
    remaining = {p.id: n for p in todo}
    bar = None
    if progress and tasks:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), desc=f"sweep ({len(todo)} points)", unit="rep", file=sys.stderr)
    try:
        for outcome in run_tasks(run_replication, tasks, executor):
            point = owner[outcome.index]
            if outcome.error is not None:
                failures.setdefault(point.id, (outcome.error, outcome.traceback))
            else:
                rows[point.id].append(outcome.value[0])
            remaining[point.id] -= 1
            if remaining[point.id] == 0:
                folder = out / "points" / point.id
                if point.id in failures:
                    _write_failure(folder, point, *failures[point.id])
                else:
                    _write_point(folder, point, root, rows.pop(point.id))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(points=f"{len(points) - sum(1 for v in remaining.values() if v)}/{len(points)}")
    finally:
        if bar is not None:
            bar.close()
    long, per_point = collect(out, points)
    long.to_parquet(out / "sweep.parquet", index=False)
    per_point.to_parquet(out / "points.parquet", index=False)
    _sweep_figures(out, points, per_point, spec.labels)
    if report:
        from ..present.report import write_report

        write_report(out, rebuild_figures=False, labels=spec.labels)
    finished = [p.id for p in points if _point_done(out / "points" / p.id)]
    return finished, sorted(failures)


def _sweep_figures(out: Path, points: list[Point], per_point: pd.DataFrame, labels: dict[str, str]) -> None:
    if per_point.empty:
        return
    from ..present import plots

    per_point = per_point.rename(columns=labels)
    factors = [labels.get(k, k) for k in _factor_columns(points)]
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    by = factors[1] if len(factors) > 1 else None
    for kpi in HEADLINE:
        if f"{kpi}_mean" in per_point:
            fig = plots.kpi_vs_factor(per_point, kpi, factors[0], by=by)
            plots.save_figure(fig, figures / f"{kpi}.png")
