"""A sweep's results folder: each finished point written at once (atomically) as a hive partition
`points/point=<id>/` (runs.parquet, summary.json, scenario.resolved.yaml, and with tables "full" the
per-replication tables), the sweep's tables `sweep.parquet` and `points.parquet` and its figures; a rerun
resumes where the last one stopped."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..config.scenario import Scenario, SweepSpec
from ..runner.executors import ExecutorSpec
from ..runner.experiment import check_replications, check_seed
from ..runner.guard import FolderLock
from ..runner.sweep import Point, PointOutcome, fingerprint, load_sweep, run_points
from .experiment import run_replication
from .results import KPIS, TABLE_NAMES, TableWriter, confidence_interval
from .storage import (
    MARKER,
    OutputFolderError,
    check_place,
    check_target,
    clean_stale,
    is_ours,
    shown,
    temporary_sibling,
    write_marker,
)

SWEEP_TABLES = ("summary", "full")


def point_done(folder: Path) -> bool:
    """Whether a point's folder holds a finished point."""
    return (folder / "summary.json").is_file() and (folder / "runs.parquet").is_file()


def _point_job(scenario: Scenario, replication: int, seed: int, parts: str | None) -> dict[str, float]:
    """A sweep point's replication: its KPIs; with `parts` (tables "full") its tables written there."""
    if parts is None:
        return run_replication(scenario, replication, seed, "none")[0]
    return run_replication(scenario, replication, seed, "full", parts)[0]


def _merge_tables(tmp: Path, parts: Path, replications: int) -> None:
    """The replications' tables appended into the point's tables, in replication order."""
    import pyarrow.parquet as pq

    writer = TableWriter(tmp)
    for r in range(replications):
        for name in TABLE_NAMES:
            path = parts / f"r{r}" / f"{name}.parquet"
            if path.is_file():
                source = pq.ParquetFile(path)
                for i in range(source.num_row_groups):
                    writer.write(name, source.read_row_group(i))
    writer.close()
    shutil.rmtree(parts, ignore_errors=True)


def _write_point(folder: Path, point: Point, seed: int, rows: list[dict[str, float]], parts: Path | None) -> None:
    """Write a finished point atomically: a temporary folder renamed into place, removed if the writing is
    interrupted (a signal, a full disk), so a sweep never leaves a half-written point behind."""
    tmp = temporary_sibling(folder)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        _fill_point(tmp, point, seed, rows, parts)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fill_point(tmp: Path, point: Point, seed: int, rows: list[dict[str, float]], parts: Path | None) -> None:
    """A point's tables, runs, resolved scenario and summary, written into `tmp`."""
    if parts is not None:
        _merge_tables(tmp, parts, len(rows))
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


def _write_failure(folder: Path, point: Point, error: BaseException, tb: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "error.txt").write_text(f"{type(error).__name__}: {error}\n\n{tb}", encoding="utf-8")
    (folder / "scenario.yaml").write_text(
        yaml.safe_dump(point.scenario.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
    )


def factor_columns(points: list[Point]) -> list[str]:
    """The swept keys, in the order they first appear."""
    keys: list[str] = []
    for p in points:
        keys += [k for k in p.values if k not in keys]
    return keys


def collect(out: Path, points: list[Point]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`sweep.parquet` (point x replication) and `points.parquet` (per point: each KPI's mean and CI)."""
    factors = factor_columns(points)
    long_rows: list[dict[str, Any]] = []
    point_rows: list[dict[str, Any]] = []
    for p in points:
        folder = out / "points" / p.folder
        if not point_done(folder):
            continue
        runs = pd.read_parquet(folder / "runs.parquet")
        shown_values = {k: _cell(p.values.get(k)) for k in factors}
        for row in runs.to_dict("records"):
            long_rows.append(
                {"point": p.index, "point_id": p.folder, **shown_values, **{str(k): v for k, v in row.items()}}
            )
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["kpis"]
        flat: dict[str, Any] = {"point": p.index, "point_id": p.folder, **shown_values}
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
    tables: str = "summary",
    loaded: tuple[Scenario, SweepSpec, list[Point]] | None = None,
) -> tuple[list[str], list[str]]:
    """Run (or resume) the sweep into `out`; returns (finished, failed) point folders under `out/points`.

    `tables`: "summary" keeps each point's runs and summary, "full" also its per-replication tables.
    `loaded`: the sweep as `load_sweep` gave it, when the caller loaded it already. Figures and the report
    are the caller's (`sim.present.report.write_report(out)` draws both)."""
    if tables not in SWEEP_TABLES:
        raise ValueError(f"tables: expected one of {', '.join(SWEEP_TABLES)} (got {tables!r})")
    base, spec, todo = loaded or load_sweep(path, sets, cli_factors)
    n = base.replications if replications is None else check_replications(replications)
    root = base.seed if seed is None else check_seed(seed)
    executor = executor or ExecutorSpec()
    check_place(out, protect=(Path(path),))
    with FolderLock(out):
        return _run_locked(out, base, spec, todo, n, root, executor, force, progress, log, tables)


def _prepare(out: Path, spec: SweepSpec, points: list[Point], n: int, root: int, force: bool, tables: str) -> None:
    """Make `out` this sweep's folder: resume one it made for the same sweep, replace (with `force`) a sweep
    folder this tool made for another, refuse anything else."""
    mark = fingerprint(points, n, root, tables)
    marker = out / "sweep.json"
    if out.exists():
        try:
            previous = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else None
        except (OSError, ValueError):
            previous = None
        if not isinstance(previous, dict) or previous.get("fingerprint") != mark:
            if not force:
                raise OutputFolderError(
                    f"{shown(out)}: holds other results (not this sweep); use --force to replace it or --out "
                    "for another folder"
                )
            check_target(out, force=True)  # only a folder this tool made, holding nothing foreign
            shutil.rmtree(out)
        elif not is_ours(out):
            raise OutputFolderError(f"{shown(out)}: has no {MARKER} marker; it was not made by inmail-sim")
    (out / "points").mkdir(parents=True, exist_ok=True)
    clean_stale(out.parent)
    clean_stale(out / "points", marked_only=False)  # points half-written by a sweep that was killed
    info = {
        "fingerprint": mark,
        "points": [p.folder for p in points],
        "replications": n,
        "seed": root,
        "tables": tables,
        "factors": factor_columns(points),  # read by `inmail-sim report` to name the figures' axes
        "labels": spec.labels,
    }
    marker.write_text(json.dumps(info), encoding="utf-8")
    write_marker(out, "sweep", ["sweep.json", "points/", "sweep.parquet", "points.parquet", "figures/", "report.html"])


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
    tables: str,
) -> tuple[list[str], list[str]]:
    _prepare(out, spec, points, n, root, force, tables)
    todo = [p for p in points if not point_done(out / "points" / p.folder)]
    if len(points) > len(todo):
        print(
            f"sweep: {len(points) - len(todo)} of {len(points)} points already finished in {out}; skipping them",
            file=log or sys.stderr,
        )
    remote = executor.kind == "dask" and executor.scheduler is not None

    def parts(p: Point) -> Path:
        return out / "points" / f".{p.folder}.replications"

    def extra(p: Point, r: int) -> tuple[Any, ...]:
        return (str(parts(p) / f"r{r}") if tables == "full" and not remote else None,)

    failed: list[str] = []
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo) * n, desc=f"sweep ({len(todo)} points)", unit="rep", file=sys.stderr)
    try:
        for done in run_points(todo, n, root, executor, _point_job, extra, bar.update if bar else None):
            _finish_point(out, done, root, parts(done.point) if extra(done.point, 0)[0] else None, failed)
    finally:
        if bar is not None:
            bar.close()
        for p in todo:
            shutil.rmtree(parts(p), ignore_errors=True)
    long, per_point = collect(out, points)
    long.to_parquet(out / "sweep.parquet", index=False)
    per_point.to_parquet(out / "points.parquet", index=False)
    finished = [p.folder for p in points if point_done(out / "points" / p.folder)]
    return finished, sorted(failed)


def _finish_point(out: Path, done: PointOutcome, root: int, parts: Path | None, failed: list[str]) -> None:
    folder = out / "points" / done.point.folder
    if done.error is not None:
        _write_failure(folder, done.point, done.error, done.traceback)
        failed.append(done.point.folder)
    else:
        _write_point(folder, done.point, root, done.values, parts)
