"""Results of replications: what a replication yields (its KPIs and tables), gathered in memory as
`Results` (the notebook API `sim.run`) or streamed replication by replication into a results folder that
appears only when complete (`run_to_folder`, behind `inmail-sim run`)."""

from __future__ import annotations

import gc
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..config.scenario import Scenario, load_scenario
from ..runner.executors import ExecutorSpec, in_process
from ..runner.experiment import (
    AUTO_MIN_REPLICATIONS,
    build_engine,
    check_precision,
    check_replications,
    check_seed,
    progress_bar,
    run_in_order,
    run_jobs,
    tables_mode,
    until_precise,
)
from .results import (
    KPIS,
    TABLE_NAMES,
    FigureWriter,
    ReplicationWriter,
    Results,
    TableWriter,
    _analytics_report,
    _sum_parts,
    as_run_table,
    confidence_interval,
    figure_inmails,
    replication_kpis,
    replication_tables,
)
from .storage import atomic_folder
from .writer import read_frame

Part = tuple[dict[str, float], dict[str, pd.DataFrame]]


def run_replication(
    scenario: Scenario | dict[str, Any],
    replication: int,
    seed: int,
    tables: bool | str = True,
    into: TableWriter | str | None = None,
) -> Part:
    """One replication: its KPIs and its tables (`tables`: see `tables_mode`; with "summary" or "none" the
    engine keeps counters only, so memory does not grow with the number of messages).

    With `into` (a `TableWriter`, or a folder for one), the tables are written there instead, the per-InMail
    and credits rows a chunk at a time as the engine makes them, and the second value is what the analytics
    and figures need of those rows (`ReplicationWriter.extras`)."""
    if not isinstance(scenario, Scenario):
        scenario = Scenario.model_validate(scenario)
    mode = tables_mode(tables)
    rules = scenario.resolved_rules()
    kept = "full" if mode == "full" else "summary"
    if into is None:
        out = build_engine(scenario, replication, seed, kept).run()
        return replication_kpis(out, rules), (replication_tables(out, scenario) if mode != "none" else {})
    writer = into if isinstance(into, TableWriter) else TableWriter(Path(into))
    sink = ReplicationWriter(writer, replication, scenario, full=kept == "full", seed=seed)
    model = build_engine(scenario, replication, seed, kept, sink)
    sink.set_senders(model.senders, model.accounts)
    out = model.run()
    del model
    gc.collect()  # the engine (its candidate pool) is a reference cycle: let go of it before the tables
    kpis = replication_kpis(out, rules)
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


def _gather(scenario: Scenario, seed: int, parts: list[Part]) -> Results:
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


def _job(tables: bool | str) -> Callable[..., Part]:
    mode = tables_mode(tables)
    return {"full": _full, "summary": _summary, "none": _none}[mode]


def _full(scenario: Scenario, replication: int, seed: int) -> Part:
    return run_replication(scenario, replication, seed, "full")


def _summary(scenario: Scenario, replication: int, seed: int) -> Part:
    return run_replication(scenario, replication, seed, "summary")


def _none(scenario: Scenario, replication: int, seed: int) -> Part:
    return run_replication(scenario, replication, seed, "none")


def check_kpi(kpi: Any, name: str = "kpi") -> str:
    """A KPI name this tool computes, or ValueError naming `name`."""
    if kpi not in KPIS:
        raise ValueError(f"{name}: unknown KPI {kpi!r} (known: {', '.join(KPIS)})")
    return str(kpi)


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
    credits rows: memory does not grow with the number of messages), False for the KPIs only.

    Raises ValueError naming the parameter when `replications` or `seed` is out of range."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    n = scenario.replications if replications is None else check_replications(replications)
    root = scenario.seed if seed is None else check_seed(seed)
    job = _job(tables)
    executor = executor or ExecutorSpec("serial")
    bar = progress_bar(n, scenario.name, progress)
    try:
        parts = run_in_order(scenario, range(n), root, executor, job, bar)
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
    precision = check_precision(precision)
    kpi = check_kpi(kpi)
    max_replications = check_replications(max_replications, "max_replications")
    root = scenario.seed if seed is None else check_seed(seed)
    executor = executor or ExecutorSpec("serial")
    job = _job(tables)
    parts: list[Part] = []

    def batch(reps: range, bar: Any) -> list[float]:
        done = run_in_order(scenario, reps, root, executor, job, bar)
        parts.extend(done)
        return [kpis[kpi] for kpis, _ in done]

    until_precise(
        scenario.name, batch, lambda v: precise_enough(v, precision), max_replications, executor.workers, progress
    )
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


class _Stream:
    """A run's tables written replication by replication into a results folder: each replication writes its
    rows straight into the folder's tables (when replications run in this process, in order) or into a
    folder of its own that is appended to the tables, in replication order, as it finishes."""

    def __init__(self, folder: Path, mode: str, figures: FigureWriter | None = None) -> None:
        self.folder = folder
        self.mode = mode
        self.figures = figures
        self.writer = TableWriter(folder)
        self.parts = folder / ".replications"
        self.kpis: list[dict[str, float]] = []
        self.extras: dict[str, list[pd.DataFrame]] = {}
        self._waiting: dict[int, tuple[dict[str, float], dict[str, pd.DataFrame]]] = {}

    def run(
        self, scenario: Scenario, reps: range, seed: int, executor: ExecutorSpec, bar: Any
    ) -> list[dict[str, float]]:
        here = in_process(executor, len(reps))
        remote = executor.kind == "dask" and executor.scheduler is not None  # its workers do not share our disk

        def extra(r: int) -> tuple[Any, ...]:
            return (self.mode, None if remote else self.writer if here else str(self.parts / f"r{r}"))

        first = len(self.kpis)
        for rep, (kpis, value) in run_jobs(scenario, reps, seed, executor, run_replication, extra):
            if remote:
                value = self._write_tables(scenario, rep, value)
            self._add(rep, kpis, value)
            if bar is not None:
                bar.update(1)
        return self.kpis[first:]

    def _write_tables(self, scenario: Scenario, rep: int, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """A replication's tables made elsewhere, written to its own folder as a replication here would."""
        writer = TableWriter(self.parts / f"r{rep}")
        sink = ReplicationWriter(writer, rep, scenario, full="inmails" in tables)
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
            name: read_frame(self.folder / f"{name}.parquet")
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
        results.save_figures(self.folder, daily, report, self.figures)
        return results


_SEAT_WEEKS = {"account": "str", "seat": "int64", "week": "str", "sent": "int64", "accepted": "int64",
               "declined": "int64", "quick_replies": "int64", "responses": "int64"}  # fmt: skip
_CREDIT_WEEKS = {"account": "str", "seat": "int64", "week": "str", "credits_spent": "int64",
                 "credits_refunded": "int64"}  # fmt: skip


def run_to_folder(
    scenario: Scenario,
    out: Path,
    replications: int | str | None = None,
    seed: int | None = None,
    executor: ExecutorSpec | None = None,
    tables: str = "full",
    force: bool = False,
    precision: float = 0.05,
    kpi: str = "response_rate",
    max_replications: int = 200,
    progress: bool = False,
    protect: tuple[Path, ...] = (),
    before_commit: Callable[[Path], None] | None = None,
    figures: FigureWriter | None = None,
) -> Results:
    """Simulate into a temporary folder beside `out` and rename it into place only when complete
    (`storage.atomic_folder`: `force` replaces only a folder this tool made). The tables are written
    replication by replication (the per-InMail and credits rows a chunk at a time), never gathered in
    memory. `replications` "auto" adds replications until `kpi` is within `precision`; `before_commit`
    (the report) runs on the finished temporary folder; `figures` (presentation's writer) draws figures/."""
    root = scenario.seed if seed is None else check_seed(seed)
    if replications == "auto":
        precision, kpi = check_precision(precision), check_kpi(kpi)
        max_replications = check_replications(max_replications, "max_replications")
    else:
        n = scenario.replications if replications is None else check_replications(replications)
    executor = executor or ExecutorSpec("serial")
    with atomic_folder(out, force, kind="run", protect=protect) as tmp:
        stream = _Stream(tmp, tables_mode(tables), figures)
        if replications == "auto":

            def batch(reps: range, bar: Any) -> list[float]:
                return [k[kpi] for k in stream.run(scenario, reps, root, executor, bar)]

            until_precise(
                scenario.name,
                batch,
                lambda v: precise_enough(v, precision),
                max_replications,
                executor.workers,
                progress,
            )
        else:
            bar = progress_bar(n, scenario.name, progress)
            try:
                stream.run(scenario, range(n), root, executor, bar)
            finally:
                if bar is not None:
                    bar.close()
        results = stream.finish(scenario, root)
        if before_commit is not None:
            before_commit(tmp)
    return results
