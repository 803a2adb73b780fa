"""Replications of a scenario: seeds, executors, automatic replication counts, and the `run` command."""

from __future__ import annotations

import argparse
import gc
import math
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..config.scenario import Scenario, ScenarioError, load_scenario
from ..model import ENGINES
from ..model.fast import FastOutreach
from ..output.results import (
    KPIS,
    TABLE_NAMES,
    ReplicationWriter,
    Results,
    TableWriter,
    _analytics_report,
    _sum_parts,
    as_run_table,
    confidence_interval,
    figure_inmails,
    headline_text,
    replication_kpis,
    replication_tables,
)
from .executors import ExecutorName, ExecutorSpec, run_tasks
from .guard import FolderBusyError, FolderLock, estimate

EXIT_BAD_INPUT = 2
AUTO_MIN_REPLICATIONS = 3
CHUNK_ROWS = 1 << 16  # per-InMail and credits rows the fast engine hands to the tables at a time


TABLES_OPTIONS = ("full", "summary")


def tables_mode(tables: bool | str) -> str:
    """`tables` as one of "full" (True: every table), "summary" (KPIs and the daily tables) or "none"
    (False: KPIs only)."""
    if tables is True or tables == "full":
        return "full"
    if tables is False or tables == "none":
        return "none"
    if tables == "summary":
        return "summary"
    raise ValueError(f"tables: expected full, summary or none (got {tables!r})")


def run_replication(
    scenario: Scenario | dict[str, Any],
    replication: int,
    seed: int,
    tables: bool | str = True,
    into: TableWriter | str | None = None,
) -> tuple[dict[str, float], dict[str, pd.DataFrame]]:
    """One replication: its KPIs and its tables (`tables`: see `tables_mode`; with "summary" or "none" the
    engine keeps counters only, so memory does not grow with the number of messages).

    With `into` (a `TableWriter`, or a folder for one), the tables are written there instead, the per-InMail
    and credits rows a chunk at a time as the engine makes them, and the second value is what the analytics
    and figures need of those rows (`ReplicationWriter.extras`).

    Replication r always draws from the streams of (seed, r), whatever executor runs it and whatever
    scenario it belongs to: that is what makes options comparable with common random numbers."""
    if not isinstance(scenario, Scenario):
        scenario = Scenario.model_validate(scenario)
    engine = ENGINES.get(scenario.engine)
    if engine is None:
        raise ValueError(f"engine {scenario.engine!r} is not available (have: {', '.join(ENGINES)})")
    mode = tables_mode(tables)
    kinds = scenario.resolved_rules().response_kinds
    kept = "full" if mode == "full" else "summary"
    if into is None:
        out = engine(scenario, replication, seed, tables=kept).run()
        return replication_kpis(out, kinds), (replication_tables(out, scenario) if mode != "none" else {})
    writer = into if isinstance(into, TableWriter) else TableWriter(Path(into))
    sink = ReplicationWriter(writer, replication, scenario)
    if kept == "full" and engine is FastOutreach:
        model = FastOutreach(scenario, replication, seed, tables="full", sink=sink, chunk_rows=CHUNK_ROWS)
    else:
        model = engine(scenario, replication, seed, tables=kept)
    sink.set_senders(model.senders, model.accounts)
    out = model.run()
    del model
    gc.collect()  # the engine (its candidate pool) is a reference cycle: let go of it before the tables
    kpis = replication_kpis(out, kinds)
    made = replication_tables(out, scenario)
    del out
    if "inmails" in made:  # an engine that kept its rows
        sink.add_inmails(made.pop("inmails"))
        sink.add_credits(made.pop("credits"))
    sink.finish()
    if mode != "none":
        for name in ("seat_days", "account_days"):
            writer.write(name, as_run_table(made[name]))
    if writer is not into:
        writer.close()
    return kpis, sink.extras()


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
    tables: bool | str = True,
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
    tables: bool | str = True,
) -> Results:
    """Run every replication of `scenario` and gather the results in memory (the notebook API). `tables`:
    True or "full" for every table, "summary" for the KPIs and the daily tables only (no per-InMail or
    credits rows: memory does not grow with the number of messages), False for the KPIs only."""
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
    tables: bool | str = True,
    progress: bool = False,
) -> Results:
    """Add replications until the 95% CI half-width of `kpi` is within `precision` x |mean| (or the maximum).

    Batches are the executor's worker count, so the answer does not depend on timing; replication i is the
    same whatever the batch size."""
    root = scenario.seed if seed is None else seed
    executor = executor or ExecutorSpec("serial")
    parts: list[tuple[dict[str, float], dict[str, pd.DataFrame]]] = []

    def batch(reps: range, bar: Any) -> list[dict[str, float]]:
        done = run_replications(scenario, reps, root, executor, tables, bar)
        parts.extend(done)
        return [kpis for kpis, _ in done]

    _until_precise(scenario, precision, kpi, max_replications, executor, progress, batch)
    return _gather(scenario, root, parts)


def _until_precise(
    scenario: Scenario,
    precision: float,
    kpi: str,
    max_replications: int,
    executor: ExecutorSpec,
    progress: bool,
    batch: Callable[[range, Any], list[dict[str, float]]],
) -> int:
    """Run batches of replications (`batch`) until `kpi` is precise enough; returns how many ran."""
    size = max(AUTO_MIN_REPLICATIONS, executor.workers)
    values: list[float] = []
    bar = _progress(max_replications, f"{scenario.name} (auto)", progress)
    try:
        while len(values) < max_replications:
            start = len(values)
            stop = min(max_replications, start + (AUTO_MIN_REPLICATIONS if start == 0 else size))
            values += [k[kpi] for k in batch(range(start, stop), bar)]
            if precise_enough(values, precision):
                break
    finally:
        if bar is not None:
            bar.close()
    return len(values)


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


def _in_process(executor: ExecutorSpec, n_tasks: int) -> bool:
    """Whether `run_tasks` runs these tasks one after the other in this process."""
    return executor.kind == "serial" or (executor.kind == "processes" and (executor.workers == 1 or n_tasks == 1))


class _Stream:
    """A run's tables written replication by replication into a results folder: each replication writes its
    rows straight into the folder's tables (when replications run in this process, in order) or into a
    folder of its own that is appended to the tables, in replication order, as it finishes."""

    def __init__(self, folder: Path, mode: str) -> None:
        self.folder = folder
        self.mode = mode
        self.writer = TableWriter(folder)
        self.parts = folder / ".replications"
        self.kpis: list[dict[str, float]] = []
        self.extras: dict[str, list[pd.DataFrame]] = {}
        self._waiting: dict[int, tuple[dict[str, float], dict[str, pd.DataFrame]]] = {}

    def run(
        self, scenario: Scenario, reps: range, seed: int, executor: ExecutorSpec, bar: Any
    ) -> list[dict[str, float]]:
        data = scenario.model_dump(mode="json")
        here = _in_process(executor, len(reps))
        remote = executor.kind == "dask" and executor.scheduler is not None  # its workers do not share our disk
        tasks = [
            (data, r, seed, self.mode, None if remote else self.writer if here else str(self.parts / f"r{r}"))
            for r in reps
        ]
        first = len(self.kpis)
        for outcome in run_tasks(run_replication, tasks, executor):
            if outcome.error is not None:
                raise outcome.error
            kpis, value = outcome.value
            if remote:
                value = self._write_tables(scenario, reps[outcome.index], value)
            self._add(reps[outcome.index], kpis, value)
            if bar is not None:
                bar.update(1)
        return self.kpis[first:]

    def _write_tables(self, scenario: Scenario, rep: int, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """A replication's tables made elsewhere, written to its own folder as a replication here would."""
        writer = TableWriter(self.parts / f"r{rep}")
        sink = ReplicationWriter(writer, rep, scenario)
        if "inmails" in tables:
            sink.add_inmails(tables["inmails"])
            sink.add_credits(tables["credits"])
        for name in ("seat_days", "account_days"):
            if name in tables:
                writer.write(name, as_run_table(tables[name]))
        writer.close()
        return sink.extras()

    def _add(self, rep: int, kpis: dict[str, float], extras: dict[str, pd.DataFrame]) -> None:
        import pyarrow.parquet as pq

        self._waiting[rep] = (kpis, extras)
        while len(self.kpis) in self._waiting:
            r = len(self.kpis)
            kpis, extras = self._waiting.pop(r)
            part = self.parts / f"r{r}"
            for name in TABLE_NAMES:
                path = part / f"{name}.parquet"
                if path.is_file():
                    source = pq.ParquetFile(path)
                    for i in range(source.num_row_groups):
                        self.writer.write(name, source.read_row_group(i))
            shutil.rmtree(part, ignore_errors=True)
            self.kpis.append(kpis)
            for key, frame in extras.items():
                self.extras.setdefault(key, []).append(frame)

    def finish(self, scenario: Scenario, seed: int) -> Results:
        """Close the tables; write the summary, analytics.csv (full tables) and the figures."""
        self.writer.close()
        shutil.rmtree(self.parts, ignore_errors=True)
        results = Results(scenario=scenario, seed=seed, runs=pd.DataFrame(self.kpis))
        results.save_summary(self.folder)
        daily = {
            name: pd.read_parquet(self.folder / f"{name}.parquet")
            for name in ("seat_days", "account_days")
            if (self.folder / f"{name}.parquet").is_file()
        }
        report = None
        if self.mode == "full":

            def cat(key: str) -> pd.DataFrame:
                frames = [f for f in self.extras.get(key, []) if len(f.columns)]
                return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

            daily["inmails"] = figure_inmails(self.extras.get("figure_inmails", []))
            daily["credits"] = cat("figure_credits")
            weeks = [f for f in self.extras.get("inmail_weeks", []) if len(f.columns)]
            moved = [f for f in self.extras.get("credit_weeks", []) if len(f.columns)]
            seat_weeks = (
                _sum_parts(weeks) if weeks else pd.DataFrame({c: pd.Series(dtype=t) for c, t in _SEAT_WEEKS.items()})
            )
            credit_weeks = (
                _sum_parts(moved) if moved else pd.DataFrame({c: pd.Series(dtype=t) for c, t in _CREDIT_WEEKS.items()})
            )
            reps = max(1, int(daily["seat_days"]["replication"].nunique()))
            report = _analytics_report(seat_weeks, credit_weeks, daily["account_days"], reps)
        results.save_figures(self.folder, daily, report)
        return results


_SEAT_WEEKS = {"account": "str", "seat": "int64", "week": "str", "sent": "int64", "accepted": "int64",
               "declined": "int64"}  # fmt: skip
_CREDIT_WEEKS = {"account": "str", "seat": "int64", "week": "str", "credits_spent": "int64",
                 "credits_refunded": "int64"}  # fmt: skip


def _run_into(out: Path, scenario: Scenario, replications: int | str | None, args: argparse.Namespace) -> Results:
    """Simulate into a temporary folder beside `out` and rename it into place only when complete. The tables
    are written replication by replication (the per-InMail and credits rows a chunk at a time), never
    gathered in memory."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.incomplete-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    executor = executor_from_args(args)
    show = not args.quiet and sys.stderr.isatty()
    root = scenario.seed if args.seed is None else args.seed
    stream = _Stream(tmp, tables_mode(getattr(args, "tables", None) or "full"))
    try:
        if replications == "auto":

            def batch(reps: range, bar: Any) -> list[dict[str, float]]:
                return stream.run(scenario, reps, root, executor, bar)

            _until_precise(scenario, args.precision or 0.05, args.kpi, args.max_replications, executor, show, batch)
        else:
            assert not isinstance(replications, str)
            n = scenario.replications if replications is None else replications
            bar = _progress(n, scenario.name, show)
            try:
                stream.run(scenario, range(n), root, executor, bar)
            finally:
                if bar is not None:
                    bar.close()
        results = stream.finish(scenario, root)
        if not getattr(args, "no_report", False):
            from ..present.report import write_report

            write_report(tmp, rebuild_figures=False)  # the figures just drawn
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
    if scenario.sweep is not None and not args.quiet:
        print(
            f"note: {args.scenario} has a sweep section; `run` runs its base scenario, `inmail-sim sweep` "
            "runs every point",
            file=sys.stderr,
        )
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
